# SPDX-License-Identifier: Apache-2.0
# Sourced by the load scripts (scripts/load.sh, scripts/load_instructions.sh), from the
# repository's top directory, after they have set `build` (the build tree to take the load server
# and the OTLP sink from).

# Builds the load server and the sink if `build` lacks them; makes the temporary directory
# `tmp` and the list `pids` of processes to stop on exit (LOAD_KEEP_TMP non-empty: `tmp` is kept).
load_setup() {
  if [ ! -x "$build/bench/tracekit-http-load-server" ] || [ ! -x "$build/bench/tracekit-otlp-sink" ]; then
    cmake --preset release >/dev/null
    cmake --build --preset release --target tracekit-http-load-server tracekit-otlp-sink -j 2 >&2
  fi
  tmp="$(mktemp -d)"
  pids=()
  trap load_cleanup EXIT
}

load_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "${LOAD_KEEP_TMP:-}" ] || rm -rf "$tmp"
}

# wait_line FILE PREFIX [SECONDS]: prints the rest of the first line of FILE that starts with
# "PREFIX ", waiting up to SECONDS (default 10) for it to appear; fails with a message if not.
wait_line() {
  local seconds="${3:-10}" v
  for _ in $(seq 1 $((seconds * 20))); do
    v="$(sed -n "s/^$2 //p" "$1" | head -n1)"
    [ -n "$v" ] && { echo "$v"; return 0; }
    sleep 0.05
  done
  echo "$(basename "$0"): no '$2' line in $1" >&2
  return 1
}
