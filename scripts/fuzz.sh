#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the libFuzzer targets (preset `fuzz`, clang) and runs each for a bounded time.
#   scripts/fuzz.sh [seconds] [target...]   seconds per target (default 20), all targets when
#                                           none is named
#   TRACEKIT_FUZZ_PARALLEL=n                targets run at once (default: the number of CPUs)
# Inputs the fuzzer finds interesting go to build/fuzz/corpus/<target> (the seeds in
# tests/fuzz/corpus stay untouched); a crash is saved as build/fuzz/artifacts/<target>-crash-*
# and makes the script fail. Each target's output is in build/fuzz/logs/<target>.log; the
# script prints each one's executions and rate. docs/fuzzing.md describes the targets.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-20}"
shift || true
jobs="${TRACEKIT_JOBS:-2}"
parallel="${TRACEKIT_FUZZ_PARALLEL:-$(nproc)}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(fuzz_traceparent fuzz_tracestate fuzz_baggage fuzz_config fuzz_http_request
           fuzz_api_json fuzz_otlp_response fuzz_otlp_protobuf fuzz_otlp_json fuzz_grpc_raw)
fi

if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: clang++ is needed (scripts/install-deps.sh installs it)" >&2
  exit 1
fi

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$jobs"

build=build/fuzz
# ASan tuned for throughput, every check kept: no fill pattern in new blocks, 4-frame allocation
# stacks, a 32 MiB quarantine (docs/fuzzing.md, "Long runs": 1.5x the executions of the OTLP
# decoders). A caller's own ASAN_OPTIONS win.
export ASAN_OPTIONS="${ASAN_OPTIONS:-max_malloc_fill_size=0:malloc_context_size=4:quarantine_size_mb=32}"
mkdir -p "$build/artifacts" "$build/logs"

run_target() {
  local target=$1
  local dict=tests/fuzz/${target#fuzz_}.dict
  mkdir -p "$build/corpus/$target"
  "$build/tests/fuzz/$target" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
    -print_final_stats=1 -dict="$dict" \
    -artifact_prefix="$build/artifacts/$target-" \
    "$build/corpus/$target" "tests/fuzz/corpus/$target" >"$build/logs/$target.log" 2>&1
}

echo "=== fuzz.sh: ${#targets[@]} targets, ${seconds}s each, $parallel at a time ==="
declare -A pids=()
failed=()
collect() {  # waits for one running target and records its outcome
  local done_pid status=0 t
  wait -n -p done_pid "${!pids[@]}" || status=$?
  t=${pids[$done_pid]}
  unset "pids[$done_pid]"
  local execs rate
  execs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$build/logs/$t.log" | grep -oE '[0-9]+$' || echo "?")
  rate=$(grep -oE 'stat::average_exec_per_sec: +[0-9]+' "$build/logs/$t.log" | grep -oE '[0-9]+$' || echo "?")
  if [ "$status" -ne 0 ]; then
    failed+=("$t")
    echo "--- $t: FAILED (exit $status) after $execs executions; the end of $build/logs/$t.log:"
    tail -40 "$build/logs/$t.log"
  else
    echo "--- $t: $execs executions, $rate exec/s, no finding"
  fi
}
for target in "${targets[@]}"; do
  while [ ${#pids[@]} -ge "$parallel" ]; do collect; done
  run_target "$target" &
  pids[$!]=$target
done
while [ ${#pids[@]} -gt 0 ]; do collect; done

if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz.sh: FAILED: ${failed[*]} (inputs in $build/artifacts)" >&2
  exit 1
fi
echo "fuzz.sh: all ${#targets[@]} targets ran ${seconds}s without a finding"
