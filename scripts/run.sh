#!/usr/bin/env bash
# What `make run` does: infrastructure up, a development key if none is configured, the broker users
# made or reset (passwords in .keys/amqp/, contract §6) and the bus topology declared, then the four
# services and the HTTP gateway in the foreground (Ctrl-C stops them cleanly), each started by
# scripts/service.sh as its own broker user.
set -eu
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
# eventlet and pkg_resources announce their deprecation at every start; nothing to act on here.
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore}"

bash scripts/ensure-infra.sh

if [[ -z ${JWT_PUBLIC_KEY_FILE:-} ]]; then
  export JWT_PUBLIC_KEY_FILE=.keys/jwt_public.pem
  if [[ ! -f $JWT_PUBLIC_KEY_FILE ]]; then
    python -m services.common.auth keygen --dir .keys >/dev/null
    echo "No JWT key configured: made a development key pair in .keys/ (git-ignored)."
    echo "Mint a token with: .venv/bin/python -m services.common.auth mint --role committee"
  fi
fi

python -m services.ops.provision --config config.yml --topology
export BUS_PROVISIONED=1
exec honcho start -f Procfile
