#!/usr/bin/env bash
# Runs the official W3C trace-context test harness (github.com/w3c/trace-context, test/test.py)
# against skriptoteket-web's POST /test endpoint. Optional: when the harness or its Python
# dependency (aiohttp) is not available it says so and exits 0 ("skipped"); CTest never runs it.
#
#   W3C_TRACECONTEXT_DIR=<checkout of w3c/trace-context>   use that checkout (else git clone)
#   SKRIPTOTEKET_BIN_DIR=<dir with skriptoteket-web>          skip the build
#   STRICT_LEVEL=1|2                                          the harness's strictness (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

harness="${W3C_TRACECONTEXT_DIR:-$root/build/w3c-trace-context}"
if [ ! -f "$harness/test/test.py" ]; then
  if ! timeout 60 git clone -q --depth 1 https://github.com/w3c/trace-context "$harness" 2>/dev/null; then
    echo "w3c-tracecontext: skipped: the harness could not be cloned (no network?); set W3C_TRACECONTEXT_DIR"
    exit 0
  fi
fi
python=""
for p in /usr/bin/python3 python3; do
  if "$p" -c 'import aiohttp' 2>/dev/null; then python="$p"; break; fi
done
if [ -z "$python" ]; then
  echo "w3c-tracecontext: skipped: no python3 with aiohttp (Debian: python3-aiohttp)"
  exit 0
fi

if [ -n "${SKRIPTOTEKET_BIN_DIR:-}" ]; then
  bin="$SKRIPTOTEKET_BIN_DIR"
else
  cmake --preset release >/dev/null
  cmake --build --preset release -j "$(nproc)" --target skriptoteket-web
  bin="$root/build/release/apps/skriptoteket"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/skriptoteket-w3c.XXXXXX")"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Tracing on (spans give the outgoing calls their own span ids), exported nowhere.
OTEL_TRACING_ENABLED=true OTEL_TRACES_EXPORTER=none SKRIPTOTEKET_TRACECONTEXT_TEST=true \
  SKRIPTOTEKET_WEB_PORT=0 SKRIPTOTEKET_PORT_FILE="$work/port" SKRIPTOTEKET_DATA_DIR="$work/data" \
  SKRIPTOTEKET_RUNNER_URL=http://127.0.0.1:9 LOG_LEVEL=warn \
  "$bin/skriptoteket-web" >"$work/web.log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do [ -s "$work/port" ] && break; sleep 0.05; done
[ -s "$work/port" ] || { echo "w3c-tracecontext: skriptoteket-web did not start:"; cat "$work/web.log"; exit 1; }
endpoint="http://127.0.0.1:$(cat "$work/port")/test"
echo "w3c-tracecontext: running $harness/test/test.py against $endpoint"
cd "$harness/test"
STRICT_LEVEL="${STRICT_LEVEL:-2}" "$python" test.py "$endpoint" 2>&1 | tee "$work/harness.log"
status=${PIPESTATUS[0]}
grep -E "^(Ran|OK|FAILED)" "$work/harness.log" || true
exit "$status"
