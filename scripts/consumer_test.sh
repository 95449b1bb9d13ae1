#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tracekit as a user gets it: installs a built tree (static libraries), a shared build of the
# libraries and the Debian package (unpacked with dpkg -x), then builds and runs the small
# programs of tests/consumer/ against each, with CMake (find_package(tracekit COMPONENTS …))
# and with pkg-config alone, and compiles the README's C++ samples verbatim.
#   scripts/consumer_test.sh [build-dir]      default build/release, already built
# The core-only consumer runs in a CMake view where Boost, protobuf, gRPC, spdlog, OpenSSL,
# libcurl and zlib are not on the search path and find_package() of any of them fails loudly,
# so it shows that tracekit::core does not even look for them.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$root/build/release}" && pwd)"
jobs="${TRACEKIT_JOBS:-2}"
work="$(mktemp -d /tmp/tracekit-consumer.XXXXXX)"
collector_pid=""
cleanup() {
  if [ -n "$collector_pid" ]; then kill "$collector_pid" 2>/dev/null || true; wait "$collector_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
started=$SECONDS
step() { echo "=== consumer test ($((SECONDS - started)) s): $*"; }
fail() { echo "consumer test FAILED: $*" >&2; exit 1; }

# --- The three installations -----------------------------------------------------------------
step "install $build into a temporary prefix (static libraries)"
cmake --install "$build" --prefix "$work/static" >/dev/null

step "build and install the libraries shared (BUILD_SHARED_LIBS=ON, ccache serves the objects)"
shared_build="$build-shared"
cmake -S "$root" -B "$shared_build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
  -DTRACEKIT_BUILD_TESTS=OFF -DTRACEKIT_BUILD_BENCH=OFF -DTRACEKIT_BUILD_EXAMPLES=OFF \
  -DTRACEKIT_BUILD_APPS=OFF >/dev/null
cmake --build "$shared_build" --target tracekit_libraries -j "$jobs" >/dev/null
cmake --install "$shared_build" --prefix "$work/shared" --component library >/dev/null

step "cpack -G DEB, then dpkg -x into a scratch root"
(cd "$build" && cpack -G DEB -B "$work/deb" >/dev/null)
dev_deb="$(ls "$work"/deb/libtracekit-dev_*.deb)"
apps_deb="$(ls "$work"/deb/tracekit-apps_*.deb)"
dpkg -x "$dev_deb" "$work/debroot"
for f in usr/include/tracekit/tracekit.h usr/include/tracekit/version.h \
         usr/lib/cmake/tracekit/tracekitConfig.cmake usr/lib/pkgconfig/tracekit.pc \
         usr/lib/libtracekit_core.a; do
  [ -e "$work/debroot/$f" ] || fail "$(basename "$dev_deb") lacks /$f"
done
dpkg-deb -c "$apps_deb" >"$work/apps-contents"
for f in tracekit-collector skriptoteket-web skriptoteket-runner; do
  grep -q "/usr/bin/$f\$" "$work/apps-contents" || fail "$(basename "$apps_deb") lacks /usr/bin/$f"
done
dpkg-deb -f "$dev_deb" Depends >"$work/dev-depends"
grep -q 'libgrpc++-dev' "$work/dev-depends" || fail "$(basename "$dev_deb") does not depend on libgrpc++-dev"

# --- Nothing internal in the exported CMake files ------------------------------------------------
for prefix in "$work/static" "$work/shared"; do
  if grep -rnE 'tracekit_warnings|-Werror|\$<LINK_ONLY:>|if\((ON|OFF|TRUE|FALSE)\)' "$prefix/lib/cmake/tracekit"; then
    fail "the installed CMake files in $prefix carry build-internal items (above)"
  fi
done

# --- The README's samples, extracted so that they cannot drift ---------------------------------
mkdir -p "$work/readme"
python3 - "$root/README.md" "$work/readme" <<'PY'
import pathlib, re, sys
text = pathlib.Path(sys.argv[1]).read_text()
blocks = [b for b in re.findall(r"```cpp\n(.*?)```", text, re.S) if "int main(" in b]
if not blocks:
    sys.exit("README.md has no ```cpp sample with a main()")
for i, block in enumerate(blocks, 1):
    pathlib.Path(sys.argv[2], f"readme_sample_{i}.cc").write_text(block)
print(f"{len(blocks)} README sample(s)")
PY

# --- A view without the third-party packages: find_package() of any of them is an error -------
poison="$work/poison"
for pkg in Boost Protobuf gRPC spdlog fmt OpenSSL CURL ZLIB absl; do
  mkdir -p "$poison/modules" "$poison/prefix/lib/cmake/$pkg"
  msg="message(FATAL_ERROR \"find_package($pkg) was called: this consumer must not need $pkg\")"
  echo "$msg" >"$poison/modules/Find$pkg.cmake"
  echo "$msg" >"$poison/prefix/lib/cmake/$pkg/${pkg}Config.cmake"
done
no_third_party=(-DCMAKE_MODULE_PATH="$poison/modules" "-DCMAKE_IGNORE_PREFIX_PATH=/usr;/usr/local")

# consumer <prefix> <name> <components> <readme dir or ''> [poisoned] [cmake args...]: configure
# tests/consumer against <prefix> and build it.
consumer() {
  local prefix="$1" name="$2" components="$3" readme="$4"; shift 4
  local dir="$work/build/$name"
  local prefix_path="$prefix"
  if [ "${1:-}" = poisoned ]; then shift; prefix_path="$poison/prefix;$prefix"; set -- "${no_third_party[@]}" "$@"; fi
  cmake -S "$root/tests/consumer" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    "-DCMAKE_PREFIX_PATH=$prefix_path" "-DCONSUMER_COMPONENTS=$components" \
    "-DCONSUMER_README_DIR=$readme" "$@" >"$dir.log" 2>&1 || { cat "$dir.log"; fail "$name: configure"; }
  cmake --build "$dir" -j "$jobs" >>"$dir.log" 2>&1 || { cat "$dir.log"; fail "$name: build"; }
}
run() { "$@" || fail "$* exited with $?"; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
grpc_port="$(free_port)"; http_port="$(free_port)"; ui_port="$(free_port)"
"$work/static/bin/tracekit-collector" --grpc-listen "127.0.0.1:$grpc_port" \
  --http-listen "127.0.0.1:$http_port" --ui-listen "127.0.0.1:$ui_port" \
  --data "$work/collector.db" >"$work/collector.log" 2>&1 &
collector_pid=$!

# The poison must work: tracekit::http needs Boost, so that view refuses it.
step "negative check: the http component (Boost, OpenSSL, spdlog) must fail to configure in that view"
if cmake -S "$root/tests/consumer" -B "$work/build/poison-check" -G Ninja \
     "-DCMAKE_PREFIX_PATH=$poison/prefix;$work/static" -DCONSUMER_COMPONENTS=http \
     "${no_third_party[@]}" >"$work/poison-check.log" 2>&1; then
  fail "find_package(tracekit COMPONENTS http) configured without Boost: the view is not closed"
fi
grep -q "was called: this consumer must not need" "$work/poison-check.log" || { cat "$work/poison-check.log"; fail "unexpected failure"; }

for kind in static shared; do
  prefix="$work/$kind"
  step "$kind: core without Boost/protobuf/gRPC/spdlog/OpenSSL/curl/zlib on the search path"
  consumer "$prefix" "$kind-core" core "" poisoned
  run "$work/build/$kind-core/component-core/consumer_core"
  step "$kind: find_package(tracekit COMPONENTS <c>) for each component, and the README samples"
  consumer "$prefix" "$kind" "log;http;setup;otlp" "$work/readme"
  run "$work/build/$kind/component-log/consumer_log"
  run "$work/build/$kind/component-http/consumer_http"
  run "$work/build/$kind/component-setup/consumer_setup" >/dev/null
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$ui_port/" && break; sleep 0.1; done
  run "$work/build/$kind/component-otlp/consumer_otlp" "http://127.0.0.1:$http_port/v1/traces" "http://127.0.0.1:$grpc_port"
  for exe in "$work/build/$kind/readme"/readme_sample_*; do run "$exe"; done

  step "$kind: pkg-config alone (tracekit-core, then tracekit for a README sample)"
  export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
  g++ -std=c++20 -o "$work/pc-core-$kind" "$root/tests/consumer/core.cc" $(pkg-config --cflags --libs tracekit-core) \
    || fail "$kind: pkg-config tracekit-core"
  g++ -std=c++20 -o "$work/pc-readme-$kind" "$work/readme/readme_sample_1.cc" $(pkg-config --cflags --libs tracekit) \
    || fail "$kind: pkg-config tracekit"
  LD_LIBRARY_PATH="$prefix/lib" run "$work/pc-core-$kind"
  LD_LIBRARY_PATH="$prefix/lib" run "$work/pc-readme-$kind"
  unset PKG_CONFIG_PATH
done

step "shared: SONAME, and only tracekit's (and Boost's) symbols exported"
so="$work/shared/lib/libtracekit_core.so"
readelf -d "$so" | grep -q "SONAME.*libtracekit_core.so.0" || fail "libtracekit_core.so has no versioned SONAME"
readelf -d "$work/build/shared-core/component-core/consumer_core" | grep -q "NEEDED.*libtracekit_core.so" \
  || fail "the shared consumer does not use libtracekit_core.so"
for lib in "$work"/shared/lib/libtracekit_*.so; do
  leaked="$(nm -D --defined-only "$lib" | awk '{print $3}' | c++filt | grep -vE 'tracekit::|boost::|^_init$|^_fini$|^TRACEKIT_' || true)"
  [ -z "$leaked" ] || fail "$(basename "$lib") exports symbols outside tracekit:: and boost::: $(echo "$leaked" | head -5)"
done

step "Debian package root: core without third-party packages, README samples, pkg-config"
consumer "$work/debroot/usr" deb-core core "" poisoned
run "$work/build/deb-core/component-core/consumer_core"
consumer "$work/debroot/usr" deb-readme "" "$work/readme"
for exe in "$work/build/deb-readme/readme"/readme_sample_*; do run "$exe"; done
export PKG_CONFIG_PATH="$work/debroot/usr/lib/pkgconfig"
g++ -std=c++20 -o "$work/pc-core-deb" "$root/tests/consumer/core.cc" $(pkg-config --cflags --libs tracekit-core) \
  || fail "deb: pkg-config tracekit-core"
run "$work/pc-core-deb"
unset PKG_CONFIG_PATH

step "the apps package: skriptoteket-web run from its own root serves the installed page"
dpkg -x "$apps_deb" "$work/appsroot"
page="$work/appsroot/usr/share/tracekit/skriptoteket/static/index.html"
[ -f "$page" ] || fail "$(basename "$apps_deb") lacks /usr/share/tracekit/skriptoteket/static/index.html"
echo "<!-- consumer-test-marker -->" >>"$page"  # proves which copy is served
web_port="$(free_port)"
SKRIPTOTEKET_DATA_DIR="$work/apps-data" SKRIPTOTEKET_WEB_PORT="$web_port" \
  SKRIPTOTEKET_RUNNER_URL="http://127.0.0.1:9" "$work/appsroot/usr/bin/skriptoteket-web" \
  >"$work/apps-web.log" 2>&1 &
web_pid=$!
served=false
for _ in $(seq 100); do
  if curl -sfL "http://127.0.0.1:$web_port/" 2>/dev/null | grep -q "consumer-test-marker"; then
    served=true; break
  fi
  sleep 0.1
done
kill "$web_pid" 2>/dev/null || true
wait "$web_pid" 2>/dev/null || true
$served || { cat "$work/apps-web.log"; fail "the packaged skriptoteket-web does not serve its installed page"; }

step "passed"
