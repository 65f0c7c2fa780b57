#!/usr/bin/env bash
# Reproduces README.md's "Verdicts for the sample events": runs `opsguard demo` into a temporary data
# dir (emulator + generated demo workspace + sync), then `opsguard check` on each shared sample.
set -euo pipefail
cd "$(dirname "$0")/.."
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
opsguard demo --data-dir "$data" --json >/dev/null
for code in freeze-node unfreeze-node undeploy-node backfill-data node-change-updated; do
  echo "\$ opsguard check $code.json"
  set +e
  opsguard check "evaluator/demo_samples/$code.json" --data-dir "$data" > "$data/out.txt"
  status=$?
  set -e
  sed -n '1,2p' "$data/out.txt"
  echo "(exit $status)"
  echo
done
