#!/usr/bin/env bash
# One service process exactly as `make run` starts it:  bash scripts/service.sh <name>
# It connects to AMQP_URI's broker and vhost as the service's own broker user (contract §6), with
# the password in $AMQP_KEYS_DIR/<name> (default .keys/amqp). Unless BUS_PROVISIONED=1 (make run and
# compose have done it already) it first creates or resets the broker users through the management
# API and declares the topology, both idempotent. WEB_SERVER_ADDRESS and REDIS_URL are taken from the
# environment, so more instances of a service can run side by side.
set -eu
cd "$(dirname "$0")/.."
[[ -x .venv/bin/python ]] && export PATH="$PWD/.venv/bin:$PATH"
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore}"

name=${1:-}
case $name in
  pairing) port=8001 ;;
  activity) port=8002 ;;
  summary) port=8003 ;;
  notification) port=8004 ;;
  gateway) port=${GATEWAY_PORT:-8080} ;;
  *) echo "usage: bash scripts/service.sh pairing|activity|summary|notification|gateway" >&2; exit 2 ;;
esac
export WEB_SERVER_ADDRESS=${WEB_SERVER_ADDRESS:-0.0.0.0:$port}

if [[ ${BUS_PROVISIONED:-} != 1 ]]; then
  python -m services.ops.provision --config config.yml --topology >/dev/null
fi
AMQP_URI=$(python -m services.ops.provision --config config.yml uri "$name")
export AMQP_URI
if [[ -n ${REDIS_PASSWORD_FILE:-} ]]; then  # compose: the service's own Redis ACL user
  REDIS_URL="redis://$name:$(<"$REDIS_PASSWORD_FILE")@${REDIS_URL#redis://}"
  export REDIS_URL
fi
exec nameko run --config config.yml "services.$name.service"
