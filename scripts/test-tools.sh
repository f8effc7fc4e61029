#!/usr/bin/env bash
# The Debian packages the tests need beyond pip, installed when missing (run by `make test` and each
# tier's target): `docker-compose`, which validates docker-compose.yml without a Docker engine
# (tests/unit/test_deployment.py); `prometheus` for `promtool`, which validates deploy/monitoring/
# (tests/unit/test_monitoring.py); the browser tier's headless `chromium` and its `chromium-driver`;
# `fonts-wqy-microhei`, a CJK font so that the console's screenshots show the Chinese text. As root,
# the missing packages are installed with apt-get (apt-get update once if that fails); otherwise one
# line says what to install, and the test that needs it fails naming it.
set -u

PACKAGES=(docker-compose prometheus chromium chromium-driver fonts-wqy-microhei)

missing=()
for package in "${PACKAGES[@]}"; do
  [[ $(dpkg-query -W -f='${Status}' "$package" 2>/dev/null) == "install ok installed" ]] || missing+=("$package")
done
(( ${#missing[@]} )) || exit 0

if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "the tests need the Debian package(s) ${missing[*]}: run sudo apt-get install -y ${missing[*]}" >&2
  exit 0
fi

echo "installing what the tests need: ${missing[*]} (apt-get)"
install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1
}
if ! install; then
  apt-get update -q >/dev/null 2>&1
  install || echo "could not install ${missing[*]} with apt-get: install it by hand" >&2
fi
exit 0
