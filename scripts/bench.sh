#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the release preset, runs the Google Benchmark binaries (build/release/bench/
# tracekit-bench-*) and the load test when it exists, and regenerates docs/benchmarks.md.
#   scripts/bench.sh                 everything, 3 repetitions each (medians reported)
#   scripts/bench.sh --quick         1 repetition, for a fast look
#   scripts/bench.sh --only core     rerun only tracekit-bench-core (names may repeat; 'load'
#                                    is the load test, 'instructions' its callgrind count,
#                                    'viewer' the collector's browser run); the other results of the last run are
#                                    kept, so a busy machine can be benchmarked piece by piece
set -euo pipefail
cd "$(dirname "$0")/.."

reps=3
only=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) reps=1 ;;
    --only) shift; only+=("$1") ;;
    *) echo "usage: scripts/bench.sh [--quick] [--only NAME]..." >&2; exit 2 ;;
  esac
  shift
done
wanted() {  # wanted NAME: true when NAME is to be run
  [ ${#only[@]} -eq 0 ] && return 0
  local n
  for n in "${only[@]}"; do [ "$n" = "$1" ] && return 0; done
  return 1
}

"$(pwd)/scripts/install-deps.sh" >/dev/null
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"

out_dir="build/release/bench-results"
[ ${#only[@]} -eq 0 ] && rm -rf "$out_dir"
mkdir -p "$out_dir"
for bin in build/release/bench/tracekit-bench-*; do
  [ -x "$bin" ] || continue
  name="$(basename "$bin")"
  wanted "${name#tracekit-bench-}" || continue
  echo "=== $name ==="
  "$bin" --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
    --benchmark_out="$out_dir/$name.json" --benchmark_out_format=json 2> "$out_dir/$name.stderr"
done

# The collector's viewer: a 5,000-span trace rendered in headless Chromium (skips without npm).
collector_bin=build/release/apps/collector/tracekit-collector
if wanted viewer && [ -x "$collector_bin" ] && command -v node >/dev/null && [ -d tests/collector/js/node_modules/playwright-core ]; then
  echo "=== collector viewer (headless Chromium) ==="
  (cd tests/collector/js && node browser_test.mjs "../../../$collector_bin" "../../../$out_dir/collector") ||
    echo "collector browser measurement failed; see above" >&2
fi

if [ -x scripts/load.sh ] && wanted load; then
  echo "=== load test ==="
  scripts/load.sh --markdown > "$out_dir/load.md" || echo "load test failed; see above" >&2
fi

# The same request counted in instructions under callgrind (exact, where load.sh's time drifts).
if [ -x scripts/load_instructions.sh ] && wanted instructions; then
  echo "=== load test, instructions per request ==="
  scripts/load_instructions.sh --markdown > "$out_dir/instructions.md" ||
    echo "instruction count failed; see above" >&2
fi

python3 scripts/bench_report.py "$out_dir" > docs/benchmarks.md
echo "wrote docs/benchmarks.md"
