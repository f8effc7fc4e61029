#!/usr/bin/env bash
# The Debian packages the tests need beyond Python (called by `make test`): the browser tier's
# headless Chromium and its driver, and a CJK font so that its screenshots show the Chinese text.
set -eu
PACKAGES=(chromium chromium-driver fonts-wqy-microhei)
missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if (( ${#missing[@]} )); then
  echo "Installing ${missing[*]} for the tests."
  SUDO=$( (( EUID == 0 )) || echo sudo )
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
