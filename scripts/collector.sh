#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The embedded collector for scripts: run it directly to build and start tracekit-collector in
# the foreground (viewer on http://127.0.0.1:16686), or source it from another script:
#
#   source scripts/collector.sh
#   collector_start "$work_dir"        # starts it in the background, waits until it listens,
#                                      # exports OTEL_EXPORTER_OTLP_ENDPOINT for the services,
#                                      # sets $collector_pid and $collector_ui
#   collector_trace_url "$trace_id"    # prints the viewer's URL of that trace
#
# TRACEKIT_COLLECTOR_BIN overrides the binary (default build/release/apps/collector/...). The
# ports are the collector's defaults (4317, 4318, 16686) unless TRACEKIT_COLLECTOR_*_LISTEN say
# otherwise; data goes to $work_dir/collector.db unless TRACEKIT_COLLECTOR_DATA is set.

collector_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
collector_bin="${TRACEKIT_COLLECTOR_BIN:-$collector_root/build/release/apps/collector/tracekit-collector}"

collector_start() {  # work_dir
  local work="$1" log="$1/collector.log" i
  "$collector_bin" --data "${TRACEKIT_COLLECTOR_DATA:-$work/collector.db}" >"$log" 2>&1 &
  collector_pid=$!
  for i in $(seq 1 200); do
    if grep -q '^ready ' "$log" 2>/dev/null; then break; fi
    if ! kill -0 "$collector_pid" 2>/dev/null; then
      echo "collector.sh: tracekit-collector did not start:" >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.05
  done
  local ports grpc ui
  ports="$(grep '^ready ' "$log")"
  grpc="$(sed -n 's/.*grpc=\([0-9]*\).*/\1/p' <<<"$ports")"
  ui="$(sed -n 's/.*ui=\([0-9]*\).*/\1/p' <<<"$ports")"
  collector_ui="http://127.0.0.1:$ui"
  export OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$grpc"
  echo "== tracekit-collector: viewer on $collector_ui, OTLP/gRPC on 127.0.0.1:$grpc (log: $log)"
}

collector_trace_url() {  # trace_id
  echo "$collector_ui/trace/$1"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  cd "$collector_root"
  if [ -z "${TRACEKIT_COLLECTOR_BIN:-}" ]; then
    scripts/install-deps.sh
    cmake --preset release >/dev/null
    cmake --build --preset release -j "$(nproc)" --target tracekit-collector
  fi
  exec "$collector_bin" "$@"
fi
