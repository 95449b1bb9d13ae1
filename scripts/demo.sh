#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Skriptoteket demo: builds what it needs, starts skriptoteket-runner and skriptoteket-web
# with tracing on (console exporter, OTLP/JSON lines to a file per process), creates a tool and a
# version, runs it, and shows the run's trace across both processes as an indented tree.
#
#   scripts/demo.sh           then keeps both services running and prints curl commands (Ctrl-C stops)
#   scripts/demo.sh --once    stops the services and exits: 0 when the trace is complete (CI, tests)
#
# Environment: SKRIPTOTEKET_BIN_DIR=<dir with both binaries> skips the build (tests use it);
# SKRIPTOTEKET_WEB_PORT / SKRIPTOTEKET_RUNNER_PORT (default 8080 / 8081; --once uses free ports);
# SKRIPTOTEKET_DATA_DIR (default ./data; --once uses a temporary directory).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

once=false
for arg in "$@"; do
  case "$arg" in
    --once) once=true ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown argument '$arg' (use --once or nothing)" >&2; exit 2 ;;
  esac
done

if [ -n "${SKRIPTOTEKET_BIN_DIR:-}" ]; then
  bin="$SKRIPTOTEKET_BIN_DIR"
else
  "$root/scripts/install-deps.sh"
  cmake --preset release >/dev/null
  cmake --build --preset release -j "$(nproc)" --target skriptoteket-web skriptoteket-runner \
    tracekit-collector
  bin="$root/build/release/apps/skriptoteket"
fi
for b in skriptoteket-web skriptoteket-runner; do
  [ -x "$bin/$b" ] || { echo "demo.sh: $bin/$b is missing" >&2; exit 1; }
done
command -v curl >/dev/null || { echo "demo.sh: curl is needed" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/skriptoteket-demo.XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if $once; then rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if $once; then
  export SKRIPTOTEKET_DATA_DIR="$work/data"
  web_port=0 runner_port=0
else
  export SKRIPTOTEKET_DATA_DIR="${SKRIPTOTEKET_DATA_DIR:-$root/data}"
  web_port="${SKRIPTOTEKET_WEB_PORT:-8080}" runner_port="${SKRIPTOTEKET_RUNNER_PORT:-8081}"
fi

# Tracing for both processes: the seed's switch, the console exporter writing OTLP/JSON lines to
# a file per process, and a short batch delay so the demo does not wait for the 5 s default.
# Log records go to the collector as OTLP logs when it runs (below), nowhere else.
export OTEL_TRACING_ENABLED=true OTEL_TRACES_EXPORTER=console OTEL_BSP_SCHEDULE_DELAY=200 \
  OTEL_LOGS_EXPORTER=none OTEL_BLRP_SCHEDULE_DELAY=200
unset OTEL_SERVICE_NAME OTEL_SDK_DISABLED

# ---------------------------------------------------------------------------------------------
# The embedded collector (apps/collector): when its binary is there, both services also export
# OTLP/gRPC to it, and its viewer shows the trace. TRACEKIT_DEMO_COLLECTOR=0 leaves it out;
# TRACEKIT_COLLECTOR_BIN names another binary. --once takes free ports, so it never collides
# with a collector already running; otherwise it listens on 4317, 4318 and 16686.
collector=false
# shellcheck source=scripts/collector.sh
source "$root/scripts/collector.sh"
if [ "${TRACEKIT_DEMO_COLLECTOR:-1}" != 0 ] && [ -x "$collector_bin" ]; then
  if $once; then
    export TRACEKIT_COLLECTOR_GRPC_LISTEN=127.0.0.1:0 TRACEKIT_COLLECTOR_HTTP_LISTEN=127.0.0.1:0 \
      TRACEKIT_COLLECTOR_UI_LISTEN=127.0.0.1:0
  fi
  if collector_start "$work"; then
    pids+=("$collector_pid")
    collector=true
    export OTEL_TRACES_EXPORTER=console,otlp OTEL_EXPORTER_OTLP_PROTOCOL=grpc OTEL_LOGS_EXPORTER=otlp
  else
    echo "demo.sh: going on without the collector (is one already running on its ports?)" >&2
  fi
fi
# ---------------------------------------------------------------------------------------------

# Starts one service and waits until it has written its port file; sets $started_port.
start_service() {  # name binary port-variable port
  local name="$1" binary="$2" port_var="$3" port="$4" port_file="$work/$1.port"
  env "$port_var=$port" SKRIPTOTEKET_PORT_FILE="$port_file" SERVICE_NAME="$name" \
    TRACEKIT_CONSOLE_PATH="$work/$name.spans.jsonl" \
    "$bin/$binary" >>"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 200); do
    if [ -s "$port_file" ]; then started_port="$(cat "$port_file")"; return 0; fi
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then break; fi
    sleep 0.05
  done
  echo "demo.sh: $name did not start; its log:" >&2
  cat "$work/$name.log" >&2
  return 1
}

start_service skriptoteket-runner skriptoteket-runner SKRIPTOTEKET_RUNNER_PORT "$runner_port"
export SKRIPTOTEKET_RUNNER_URL="http://127.0.0.1:$started_port"
start_service skriptoteket-web skriptoteket-web SKRIPTOTEKET_WEB_PORT "$web_port"
web_port="$started_port"
web="http://127.0.0.1:$web_port"
echo "== skriptoteket-runner on $SKRIPTOTEKET_RUNNER_URL, skriptoteket-web on $web"
echo "   data: $SKRIPTOTEKET_DATA_DIR   spans and logs: $work"

json_field() {  # field  (reads JSON on stdin)
  python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

slug="hello-trace-$(date +%s)"
echo "== POST /tools"
tool="$(curl -sS -f -X POST "$web/tools" -H 'Content-Type: application/json' \
  -d "{\"slug\":\"$slug\",\"title\":\"Hello, trace\",\"description\":\"The demo tool\"}")"
echo "$tool"
tool_id="$(json_field id <<<"$tool")"

echo "== POST /tools/$tool_id/versions"
source='import platform\nprint(f\"Hello from Python {platform.python_version()}\")\n'
version="$(curl -sS -f -X POST "$web/tools/$tool_id/versions" -H 'Content-Type: application/json' \
  -d "{\"language\":\"python3\",\"source\":\"$source\"}")"
echo "$version"
version_id="$(json_field id <<<"$version")"

echo "== POST /tools/$tool_id/versions/$version_id/run"
headers="$work/run.headers"
run="$(curl -sS -f -D "$headers" -X POST "$web/tools/$tool_id/versions/$version_id/run" \
  -H 'Content-Type: application/json' -d '{}')"
echo "$run"
trace_id="$(tr -d '\r' <"$headers" | awk -F': ' 'tolower($1)=="x-trace-id" {print $2}')"
echo "   X-Trace-ID: $trace_id"

# The batch processors export within OTEL_BSP_SCHEDULE_DELAY; wait (bounded: 10 s, for slow or
# sanitized builds) until every span the demo shows is in the two files. The runner's SERVER
# span ends after its children, so it can come one export (200 ms) later than they do.
spans=("$work/skriptoteket-web.spans.jsonl" "$work/skriptoteket-runner.spans.jsonl")
required="execute_tool_version,sandbox_runner.execute,POST /execute"
for _ in $(seq 1 100); do
  if cat "${spans[@]}" 2>/dev/null |
       python3 scripts/span_tree.py --trace "$trace_id" --require "$required" >/dev/null 2>&1; then
    break
  fi
  sleep 0.1
done

echo
echo "== the run's trace, across both processes"
complete=true
cat "${spans[@]}" 2>/dev/null | python3 scripts/span_tree.py --trace "$trace_id" \
  --require "$required" || complete=false
if ! $collector; then
  # Without the collector the log lines are only in the services' files.
  echo
  echo "== log lines carrying the trace id"
  grep -h "$trace_id" "$work/skriptoteket-web.log" "$work/skriptoteket-runner.log" | head -n 8 || true
fi

if $collector; then
  echo
  echo "== the trace in the embedded collector"
  stored=false
  for _ in $(seq 1 100); do
    if curl -sf "$collector_ui/api/traces/$trace_id" 2>/dev/null | grep -q "sandbox_runner.execute"; then
      stored=true; break
    fi
    sleep 0.1
  done
  if $stored; then
    # The services' log lines for this trace, as the collector stored them (OTLP logs), in
    # time order: both processes, no files grepped.
    echo
    echo "== the run's log lines, from the collector's API ($collector_ui/api/traces/$trace_id/logs)"
    logs_shown=false
    for _ in $(seq 1 100); do
      if curl -sf "$collector_ui/api/traces/$trace_id/logs" 2>/dev/null | python3 -c '
import datetime, json, sys
logs = json.load(sys.stdin)["logs"]
services = {l["service"] for l in logs}
if len(services) < 2: sys.exit(1)  # both processes have not exported theirs yet
for l in logs:
    attrs = " ".join(a["key"] + "=" + str(next(iter(a["value"].values()), ""))
                     for a in l["attributes"] if a["key"] != "correlation_id")
    at = datetime.datetime.fromtimestamp(int(l["timeUnixNano"]) / 1e9, datetime.timezone.utc)
    print("   %s %-5s %-20s %s  span %s  %s" % (at.strftime("%H:%M:%S.%f")[:-3], l["severityText"],
          l["service"], l["body"], l["spanId"] or "-", attrs))
'; then
        logs_shown=true; break
      fi
      sleep 0.1
    done
    if ! $logs_shown; then
      echo "demo.sh: the collector has no log records from both services for the trace" >&2
      complete=false
    fi
    echo "   open $(collector_trace_url "$trace_id")"
  else
    echo "demo.sh: the collector did not receive the whole trace; its log: $work/collector.log" >&2
    complete=false
  fi
fi

if $once; then
  if $complete; then echo "demo: OK"; exit 0; fi
  echo "demo: the trace is incomplete; logs in $work" >&2
  trap - EXIT; cleanup; exit 1
fi

cat <<EOT

== Skriptoteket is running (Ctrl-C stops both services). Try:
  curl -s $web/tools
  curl -s $web/tools/$tool_id
  curl -s -X POST $web/tools/$tool_id/versions -H 'Content-Type: application/json' \\
       -d '{"language":"bash","source":"echo hello from bash; exit 3"}'
  curl -si -X POST $web/tools/$tool_id/versions/$version_id/run -H 'Content-Type: application/json' \\
       -d '{"time_limit_ms":2000}'
  curl -s $web/runs/<run id>
  curl -s $web/metrics
  open $web/static/index.html
${collector_ui:+Trace viewer: $collector_ui  (this run: $collector_ui/trace/$trace_id)}
Spans (OTLP/JSON lines): ${spans[*]}
  python3 scripts/span_tree.py < ${spans[0]}
Logs: $work/skriptoteket-web.log $work/skriptoteket-runner.log
EOT
wait
