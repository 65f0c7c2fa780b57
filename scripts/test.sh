#!/usr/bin/env bash
# Set up everything the tests need on a fresh machine (Python 3.11 + pip + gcc), then run them all.
# Extra arguments go to pytest, e.g. `scripts/test.sh tests/lineage -x`.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'

# Headless Chromium for the details-page browser tests (Debian's package; never a downloaded build).
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

python3 -m pytest "$@"
