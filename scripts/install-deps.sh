#!/usr/bin/env bash
# Installs every Debian package tracekit needs to build, test, benchmark and run its demo.
# Idempotent: packages already installed are skipped, and nothing runs when all are there.
set -euo pipefail

PACKAGES=(
  # toolchain
  g++ cmake ninja-build pkg-config git ca-certificates curl python3
  clang libclang-rt-14-dev clang-format
  # tests and benchmarks
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  # HTTP layer (Boost.Beast, Boost.JSON, Boost.URL; 1.81 builds C++20 coroutines cleanly)
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  # OTLP: protobuf, gRPC, compression and TLS
  protobuf-compiler libprotobuf-dev libgrpc++-dev protobuf-compiler-grpc zlib1g-dev libssl-dev
  openssl
  # logging, storage
  libspdlog-dev libfmt-dev libsqlite3-dev sqlite3
  # load tests, interoperability and browser tests
  wrk nodejs npm chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages are installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
