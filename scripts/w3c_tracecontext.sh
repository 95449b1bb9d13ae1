#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the official W3C trace-context test harness (github.com/w3c/trace-context, test/test.py)
# against skriptoteket-web's POST /test endpoint. Optional: when the harness or its Python
# dependency (aiohttp) is not available it says so and exits 0 ("skipped") unless
# W3C_TRACECONTEXT_REQUIRED=1 (CI), which makes that a failure. CTest never runs it.
#
#   W3C_TRACECONTEXT_DIR=<checkout of w3c/trace-context>   use that checkout (else git clone)
#   SKRIPTOTEKET_BIN_DIR=<dir with skriptoteket-web>          skip the build
#   STRICT_LEVEL=1|2                                          the harness's strictness (default 2)
#   SPEC_LEVEL=1|2                       the Trace Context level tested (default 2, as tracekit)
#   W3C_MIN_PASSED=<n>                   fail unless at least n tests passed (skips do not count)
# It prints "w3c-tracecontext: <passed> passed, <failed> failed, <skipped> skipped of <ran>" and
# fails on any failure or error.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

skip() {
  echo "w3c-tracecontext: skipped: $*"
  if [ "${W3C_TRACECONTEXT_REQUIRED:-0}" = 1 ]; then
    echo "w3c-tracecontext: FAILED: W3C_TRACECONTEXT_REQUIRED=1 and the harness cannot run" >&2
    exit 1
  fi
  exit 0
}

harness="${W3C_TRACECONTEXT_DIR:-$root/build/w3c-trace-context}"
if [ ! -f "$harness/test/test.py" ]; then
  if ! timeout 60 git clone -q --depth 1 https://github.com/w3c/trace-context "$harness" 2>/dev/null; then
    skip "the harness could not be cloned (no network?); set W3C_TRACECONTEXT_DIR"
  fi
fi
python=""
for p in /usr/bin/python3 python3; do
  if "$p" -c 'import aiohttp' 2>/dev/null; then python="$p"; break; fi
done
if [ -z "$python" ]; then
  skip "no python3 with aiohttp (Debian: python3-aiohttp)"
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
set +e
STRICT_LEVEL="${STRICT_LEVEL:-2}" SPEC_LEVEL="${SPEC_LEVEL:-2}" "$python" test.py "$endpoint" \
  >"$work/harness.log" 2>&1
status=$?
set -e
cat "$work/harness.log"
# unittest's summary: "Ran 41 tests in 1.2s" then "OK (skipped=6)" or
# "FAILED (failures=1, errors=2, skipped=1)".
count() { grep -oE "$1=[0-9]+" "$work/harness.log" | tail -1 | cut -d= -f2; }
ran=$(grep -oE '^Ran [0-9]+ test' "$work/harness.log" | tail -1 | grep -oE '[0-9]+' || echo 0)
failed=$(($(count failures || echo 0) + $(count errors || echo 0)))
skipped=$(count skipped || echo 0)
failed=${failed:-0}
skipped=${skipped:-0}
passed=$((ran - failed - skipped))
echo "w3c-tracecontext: STRICT_LEVEL=${STRICT_LEVEL:-2} SPEC_LEVEL=${SPEC_LEVEL:-2}:" \
  "$passed passed, $failed failed, $skipped skipped of $ran"
if [ "$status" -ne 0 ] || [ "$ran" -eq 0 ]; then
  echo "w3c-tracecontext: FAILED (harness exit status $status)" >&2
  exit 1
fi
if [ -n "${W3C_MIN_PASSED:-}" ] && [ "$passed" -lt "$W3C_MIN_PASSED" ]; then
  echo "w3c-tracecontext: FAILED: $passed passed, fewer than W3C_MIN_PASSED=$W3C_MIN_PASSED" >&2
  exit 1
fi
