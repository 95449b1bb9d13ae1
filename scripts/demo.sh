#!/usr/bin/env bash
# Builds tracekit (installing what it needs) and runs the demo: a small traced request printed
# by the console exporter as OTLP/JSON, then summarised as a tree of spans.
set -euo pipefail
cd "$(dirname "$0")/.."

"$(pwd)/scripts/install-deps.sh"
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target tracekit-example-console

out="$(mktemp)"
trap 'rm -f "$out"' EXIT
./build/release/examples/tracekit-example-console | tee "$out"
echo
python3 scripts/span_tree.py < "$out"
