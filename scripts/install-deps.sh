#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs every Debian package tracekit needs to build, test, benchmark and run its demo.
# Idempotent: packages already installed are skipped, and nothing runs when all are there.
set -euo pipefail

PACKAGES=(
  # toolchain
  g++ cmake ninja-build pkg-config git ca-certificates curl python3
  clang libclang-rt-14-dev clang-format clang-tidy
  # tests and benchmarks
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  # HTTP layer (Boost.Beast, Boost.JSON, Boost.URL; 1.81 builds C++20 coroutines cleanly)
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  # OTLP: protobuf, gRPC, compression and TLS
  protobuf-compiler libprotobuf-dev libgrpc++-dev protobuf-compiler-grpc zlib1g-dev libssl-dev
  openssl libcurl4-openssl-dev
  # logging, storage
  libspdlog-dev libfmt-dev libsqlite3-dev sqlite3
  # the cpp-httplib integration example and its tests (header-only)
  libcpp-httplib-dev
  # Skriptoteket's script sandbox
  bubblewrap libseccomp-dev
  # load tests (and their instruction count under callgrind), interoperability and browser tests
  wrk valgrind chromium
  # the W3C trace-context test harness (scripts/w3c_tracecontext.sh) runs on aiohttp
  python3-aiohttp
)
# Node.js and npm for the JS test peers: this machine kind ships Node 20 from nodesource (whose
# nodejs package contains npm and conflicts with Debian's npm), so take Debian's only when there
# is no node/npm at all.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages are installed"
else
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The OTLP interoperability peer: official OpenTelemetry JS packages (tests/interop). The tests
# skip with a message saying so when these could not be installed.
interop="$(cd "$(dirname "$0")/.." && pwd)/tests/interop"
if [ -f "$interop/package.json" ]; then
  if [ -d "$interop/node_modules/otlp-transformer-214" ] && [ -d "$interop/node_modules/@grpc/grpc-js" ]; then
    echo "install-deps: JS interop packages are installed"
  elif ! command -v npm >/dev/null; then
    echo "install-deps: npm is missing; the OTLP interop tests will be skipped"
  else
    echo "install-deps: installing the JS interop packages in tests/interop"
    if [ -f "$interop/package-lock.json" ]; then npm_cmd=ci; else npm_cmd=install; fi
    if ! (cd "$interop" && timeout 600 npm "$npm_cmd" --no-audit --no-fund --loglevel=error); then
      echo "install-deps: npm could not install the JS interop packages (registry unreachable?);" \
           "the OTLP interop tests will be skipped"
    fi
  fi
fi

# The collector's browser tests: playwright-core (no bundled browser; it drives Debian's chromium).
browser_js="$(cd "$(dirname "$0")/.." && pwd)/tests/collector/js"
if [ -f "$browser_js/package.json" ]; then
  if [ -d "$browser_js/node_modules/playwright-core" ]; then
    echo "install-deps: playwright-core is installed"
  elif ! command -v npm >/dev/null; then
    echo "install-deps: npm is missing; the collector's browser tests will be skipped"
  elif ! (cd "$browser_js" && timeout 600 npm ci --no-audit --no-fund --loglevel=error); then
    echo "install-deps: npm could not install playwright-core (registry unreachable?);" \
         "the collector's browser tests will be skipped"
  fi
fi
