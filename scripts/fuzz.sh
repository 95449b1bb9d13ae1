#!/usr/bin/env bash
# Builds the libFuzzer targets (preset `fuzz`, clang) and runs each for a bounded time.
#   scripts/fuzz.sh [seconds]     seconds per target, default 20
# Inputs the fuzzer finds interesting go to build/fuzz/corpus/<target> (the seeds in
# tests/fuzz/corpus stay untouched); a crash is saved as build/fuzz/artifacts/<target>-crash-*
# and makes the script fail.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-20}"
jobs="${TRACEKIT_JOBS:-2}"
targets=(fuzz_traceparent fuzz_tracestate fuzz_baggage)

if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: clang++ is needed (scripts/install-deps.sh installs it)" >&2
  exit 1
fi

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$jobs"

build=build/fuzz
mkdir -p "$build/artifacts"
failed=()
for target in "${targets[@]}"; do
  dict=tests/fuzz/${target#fuzz_}.dict
  mkdir -p "$build/corpus/$target"
  echo "=== fuzz.sh: $target for ${seconds}s ==="
  if ! "$build/tests/fuzz/$target" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
      -print_final_stats=1 -dict="$dict" \
      -artifact_prefix="$build/artifacts/$target-" \
      "$build/corpus/$target" "tests/fuzz/corpus/$target"; then
    failed+=("$target")
  fi
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz.sh: FAILED: ${failed[*]} (inputs in $build/artifacts)" >&2
  exit 1
fi
echo "fuzz.sh: all ${#targets[@]} targets ran ${seconds}s without a finding"
