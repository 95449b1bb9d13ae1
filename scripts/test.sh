#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds tracekit and runs all its tests with CTest.
#   scripts/test.sh                 release build (the README's test command), then the
#                                   out-of-tree consumer test (scripts/consumer_test.sh)
#   scripts/test.sh asan tsan       the same tests under AddressSanitizer+UBSan, ThreadSanitizer
#   scripts/test.sh tidy            clang-tidy (.clang-tidy) over the library and app sources
#                                   (TRACEKIT_TIDY_PATHS: a regex of paths from the repository
#                                   root to check instead, e.g. 'src/core/')
#   scripts/test.sh debug           any configure preset from CMakePresets.json
set -euo pipefail
cd "$(dirname "$0")/.."

"$(pwd)/scripts/install-deps.sh"

presets=("$@")
[ ${#presets[@]} -eq 0 ] && presets=(release)
jobs="${TRACEKIT_JOBS:-$(nproc)}"

for preset in "${presets[@]}"; do
  if [ "$preset" = tidy ]; then
    # clang-tidy with the repository's .clang-tidy over every library and app source, using the
    # release build's compile commands (built first: the generated protobuf headers).
    # The compile commands are GCC's: clang does not know -Wno-restrict, hence the extra argument.
    echo "=== tracekit: clang-tidy over src/ and apps/ ==="
    cmake --preset release >/dev/null
    cmake --build --preset release -j "$jobs"
    run-clang-tidy -p build/release -j "$jobs" -quiet -extra-arg=-Wno-unknown-warning-option \
      "$(pwd)/${TRACEKIT_TIDY_PATHS:-(src|apps)/.*\.cc$}"
    continue
  fi
  echo "=== tracekit: building and testing preset '$preset' ==="
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  # TSan needs the kernel's address-space randomization within its limits.
  if [ "$preset" = tsan ]; then export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1 suppress_equal_addresses=0 intercept_send=0}"; fi
  if [ "$preset" = asan ]; then export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"; fi
  ctest --preset "$preset" -j "$jobs"
  # tracekit as a user gets it (install, shared build, Debian package, README samples).
  if [ "$preset" = release ]; then "$(pwd)/scripts/consumer_test.sh" build/release; fi
done
