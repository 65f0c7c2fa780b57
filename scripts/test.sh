#!/usr/bin/env bash
# Set up everything the tests need on a fresh machine (Python 3.11 + pip + gcc), then run them all.
# Extra arguments go to pytest, e.g. `scripts/test.sh tests/lineage -x`.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'

# Debian's packages the tests run for real: headless Chromium for the page tests, PostgreSQL for the store
# tests (the tests start their own throwaway cluster; no service is enabled). Never a downloaded build.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python3 -m pytest "$@"
