#!/usr/bin/env bash
# The tools the tests need beyond pip, installed from Debian when missing (run by `make test` and
# each tier's target). Today: `docker-compose`, which validates docker-compose.yml without a Docker
# engine (tests/unit/test_deployment.py). As root, a missing package is installed with apt-get
# (apt-get update once if that fails); otherwise one line says what to install, and the test that
# needs it fails naming it.
set -u

# command the tests run -> the Debian package that provides it
declare -A NEEDED=([docker-compose]=docker-compose)

missing=()
for command in "${!NEEDED[@]}"; do
  command -v "$command" >/dev/null 2>&1 || missing+=("${NEEDED[$command]}")
done
(( ${#missing[@]} )) || exit 0

if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "the tests need the Debian package(s) ${missing[*]}: run sudo apt-get install -y ${missing[*]}" >&2
  exit 0
fi

echo "installing what the tests need: ${missing[*]} (apt-get)"
install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null 2>&1; }
if ! install; then
  apt-get update -q >/dev/null 2>&1
  install || echo "could not install ${missing[*]} with apt-get: install it by hand" >&2
fi
exit 0
