#!/usr/bin/env bash
# Run a command with a local S3-compatible server (moto) on loopback, e.g.
#   bash .ci/with-s3.sh cargo test -p hollow --features object-store --test s3_store
#
# moto is installed from PyPI into its own venv (.ci/.venv-moto, gitignored) and started on 127.0.0.1 on a
# free port. The command sees AWS_ENDPOINT_URL and test credentials, and HOLLOW_TEST_S3=1, which turns on the
# tests that need S3. The server is stopped however the command ends.
#
# Why moto 5.2.5: its server honours conditional writes as S3 does (checked by hand when this was written:
# PutObject with `If-None-Match: *` on an existing key and with a stale `If-Match` both answer 412
# PreconditionFailed; GetObject with a current `If-None-Match` answers 304), and the store's create-if-absent
# publish, compare-and-swap announcement and lease all rest on those.
set -euo pipefail
cd "$(dirname "$0")/.."

MOTO_VERSION="5.2.5"
VENV=.ci/.venv-moto
if ! "$VENV/bin/python" -c "import moto, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null; then
    echo "== installing moto[server]==$MOTO_VERSION into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "moto[server]==$MOTO_VERSION"
fi

# A free port: bind port 0 and read back what the kernel picked (a tiny race with other processes is
# acceptable: the start-up check below would catch a port taken in between).
PORT=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
LOG=$(mktemp -t moto.XXXXXX.log)
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT" >"$LOG" 2>&1 &
MOTO_PID=$!
cleanup() {
    kill "$MOTO_PID" 2>/dev/null || true
    wait "$MOTO_PID" 2>/dev/null || true
    rm -f "$LOG"
}
trap cleanup EXIT INT TERM

for _ in $(seq 1 100); do
    if "$VENV/bin/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/moto-api/')" 2>/dev/null; then
        break
    fi
    if ! kill -0 "$MOTO_PID" 2>/dev/null; then
        echo "moto_server exited:" >&2; cat "$LOG" >&2; exit 1
    fi
    sleep 0.1
done
echo "== moto $MOTO_VERSION on 127.0.0.1:$PORT"

export AWS_ENDPOINT_URL="http://127.0.0.1:$PORT"
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=us-east-1
export AWS_ALLOW_HTTP=true
export HOLLOW_TEST_S3=1
# Tests reach only the loopback server; keep any proxy setting from routing them elsewhere.
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}"
export no_proxy="$NO_PROXY"
"$@"
