#!/usr/bin/env bash
# Builds the release preset, runs every Google Benchmark binary (build/release/bench/
# tracekit-bench-*) and the load test when it exists, and regenerates docs/benchmarks.md.
#   scripts/bench.sh            all benchmarks, 3 repetitions each (medians reported)
#   scripts/bench.sh --quick    1 repetition, for a fast look
set -euo pipefail
cd "$(dirname "$0")/.."

reps=3
[ "${1:-}" = "--quick" ] && reps=1

"$(pwd)/scripts/install-deps.sh" >/dev/null
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"

out_dir="build/release/bench-results"
rm -rf "$out_dir"
mkdir -p "$out_dir"
for bin in build/release/bench/tracekit-bench-*; do
  [ -x "$bin" ] || continue
  name="$(basename "$bin")"
  echo "=== $name ==="
  "$bin" --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
    --benchmark_out="$out_dir/$name.json" --benchmark_out_format=json 2> "$out_dir/$name.stderr"
done

# The collector's viewer: a 5,000-span trace rendered in headless Chromium (skips without npm).
collector_bin=build/release/apps/collector/tracekit-collector
if [ -x "$collector_bin" ] && command -v node >/dev/null && [ -d tests/collector/js/node_modules/playwright-core ]; then
  echo "=== collector viewer (headless Chromium) ==="
  (cd tests/collector/js && node browser_test.mjs "../../../$collector_bin" "../../../$out_dir/collector") ||
    echo "collector browser measurement failed; see above" >&2
fi

if [ -x scripts/load.sh ]; then
  echo "=== load test ==="
  scripts/load.sh --markdown > "$out_dir/load.md" || echo "load test failed; see above" >&2
fi

python3 scripts/bench_report.py "$out_dir" > docs/benchmarks.md
echo "wrote docs/benchmarks.md"
