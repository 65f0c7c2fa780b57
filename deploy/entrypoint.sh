#!/bin/sh
# opsguard's container entrypoint (deploy/Containerfile); also usable on any host.
#
#   entrypoint.sh [serve options...]   run `opsguard serve` (the default; e.g. `--json`)
#   entrypoint.sh healthcheck          exit 0 when GET /readyz answers 200 (the image's HEALTHCHECK)
#   entrypoint.sh COMMAND [ARGS...]    any other opsguard command: doctor, sync, audit, check...
#
# Configuration comes from the environment:
#   OPSGUARD_CONFIG  the opsguard.toml to use (mount it read-only)   default /etc/opsguard/opsguard.toml
#   OPSGUARD_HOME    the data dir (snapshots, state.sqlite): a volume default /var/lib/opsguard
#   OPSGUARD_HOST, OPSGUARD_PORT  where serve listens                default 0.0.0.0, 8080
# Secrets come from the environment, or from files: NAME_FILE=/run/secrets/name puts that file's content
# in NAME (for ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET, ALIBABA_CLOUD_SECURITY_TOKEN,
# OPSGUARD_UI_TOKEN, OPSGUARD_EVENTBRIDGE_TOKEN, OPSGUARD_WEBHOOK_TOKEN, PGPASSWORD). Values are never printed.
set -eu

die() {
    echo "opsguard-entrypoint: $*" >&2
    exit 2
}

for name in ALIBABA_CLOUD_ACCESS_KEY_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET ALIBABA_CLOUD_SECURITY_TOKEN \
            OPSGUARD_UI_TOKEN OPSGUARD_EVENTBRIDGE_TOKEN OPSGUARD_WEBHOOK_TOKEN PGPASSWORD; do
    eval "file=\${${name}_FILE:-}"
    if [ -n "$file" ]; then
        [ -r "$file" ] || die "${name}_FILE names $file, which cannot be read"
        value=$(cat "$file")      # a trailing newline is dropped
        export "$name=$value"
        unset "${name}_FILE"
    fi
done
unset file value name

: "${OPSGUARD_CONFIG:=/etc/opsguard/opsguard.toml}"
: "${OPSGUARD_HOME:=/var/lib/opsguard}"
: "${OPSGUARD_HOST:=0.0.0.0}"
: "${OPSGUARD_PORT:=8080}"
export OPSGUARD_CONFIG OPSGUARD_HOME

case "${1:-}" in
    healthcheck)
        exec python3 -c '
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=4) as answer:
        sys.exit(0 if answer.status == 200 else 1)
except Exception as exc:  # 503 (not ready), refused, timeout
    print(f"not ready: {exc}", file=sys.stderr)
    sys.exit(1)
' "http://127.0.0.1:${OPSGUARD_PORT}/readyz"
        ;;
    "" | -*)
        [ -f "$OPSGUARD_CONFIG" ] || die "no config at $OPSGUARD_CONFIG: mount your opsguard.toml there, or set \
OPSGUARD_CONFIG (\`opsguard init --config FILE\` writes an annotated one)"
        mkdir -p "$OPSGUARD_HOME" 2>/dev/null || die "cannot create the data dir $OPSGUARD_HOME (OPSGUARD_HOME)"
        exec opsguard serve --config "$OPSGUARD_CONFIG" --data-dir "$OPSGUARD_HOME" \
            --host "$OPSGUARD_HOST" --port "$OPSGUARD_PORT" "$@"
        ;;
    *)
        exec opsguard "$@"
        ;;
esac
