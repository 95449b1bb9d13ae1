#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The gRPC example end to end: the embedded collector, the "inventory" cpp-httplib service, the
# "orders" gRPC service (which calls inventory with libcurl) and one "storefront" client call;
# then checks that the collector holds the call as one trace tree across the three services.
#   scripts/grpc_example.sh            build what is needed, run, print the viewer's URL
#   TRACEKIT_EXAMPLES_BIN=dir TRACEKIT_COLLECTOR_BIN=path scripts/grpc_example.sh   (CI: no build)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

if [ -n "${TRACEKIT_EXAMPLES_BIN:-}" ]; then
  bin="$TRACEKIT_EXAMPLES_BIN"
else
  cmake --preset release >/dev/null
  cmake --build --preset release -j 2 --target tracekit-example-grpc tracekit-example-httplib \
    tracekit-collector
  bin="$root/build/release/examples"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/tracekit-grpc-example.XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export OTEL_TRACING_ENABLED=true OTEL_TRACES_EXPORTER=otlp OTEL_EXPORTER_OTLP_PROTOCOL=grpc \
  OTEL_BSP_SCHEDULE_DELAY=100 TRACEKIT_COLLECTOR_GRPC_LISTEN=127.0.0.1:0 \
  TRACEKIT_COLLECTOR_HTTP_LISTEN=127.0.0.1:0 TRACEKIT_COLLECTOR_UI_LISTEN=127.0.0.1:0
unset OTEL_SDK_DISABLED
# shellcheck source=scripts/collector.sh
source "$root/scripts/collector.sh"
collector_start "$work"
pids+=("$collector_pid")

wait_for_file() {  # file pid name
  for _ in $(seq 1 200); do
    if [ -s "$1" ]; then return 0; fi
    if ! kill -0 "$2" 2>/dev/null; then break; fi
    sleep 0.05
  done
  echo "grpc_example.sh: $3 did not start; its log:" >&2
  cat "$work/$3.log" >&2
  return 1
}

OTEL_SERVICE_NAME=inventory "$bin/tracekit-example-httplib" "$work/inventory.port" \
  >"$work/inventory.log" 2>&1 &
pids+=($!)
wait_for_file "$work/inventory.port" "${pids[-1]}" inventory
inventory="http://127.0.0.1:$(cat "$work/inventory.port")"

OTEL_SERVICE_NAME=orders "$bin/tracekit-example-grpc" server "$work/orders.port" "$inventory" \
  >"$work/orders.log" 2>&1 &
pids+=($!)
wait_for_file "$work/orders.port" "${pids[-1]}" orders

out="$(OTEL_SERVICE_NAME=storefront "$bin/tracekit-example-grpc" client "127.0.0.1:$(cat "$work/orders.port")")"
echo "$out"
trace_id="$(sed -n 's/^trace_id //p' <<<"$out")"

# The services export in the background: wait (bounded) for all five server/client spans.
for _ in $(seq 1 100); do
  if curl -sf "$collector_ui/api/traces/$trace_id" >"$work/trace.json" 2>/dev/null &&
     python3 - "$work/trace.json" <<'PY'
import json, sys
spans = json.load(open(sys.argv[1]))["spans"]
names = {s["name"] for s in spans}
need = {"checkout", "tracekit.examples.v1.Echo/Say", "GET", "GET /items/{id}", "inventory.lookup"}
sys.exit(0 if need <= names and len(spans) >= 6 else 1)
PY
  then break; fi
  sleep 0.1
done
python3 - "$work/trace.json" <<'PY'
import json, sys
spans = json.load(open(sys.argv[1]))["spans"]
ids = {s["spanId"] for s in spans}
roots = [s for s in spans if not s.get("parentSpanId") or s["parentSpanId"] not in ids]
services = sorted({s.get("service", s.get("serviceName", "?")) for s in spans})
print(f"== {len(spans)} spans, {len(roots)} root(s), services: {', '.join(services)}")
if len(roots) != 1 or len(spans) < 6 or len(services) != 3:
    print("grpc_example.sh: the trace is not one tree:", json.dumps(spans, indent=1)[:3000],
          file=sys.stderr)
    sys.exit(1)
PY
echo "   open $(collector_trace_url "$trace_id")"
