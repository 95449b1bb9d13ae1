#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What tracing adds to a request, counted in instructions: tracekit-http-load-server runs under
# callgrind, untraced and then traced (100 % sampled, batch processor, OTLP/gRPC to
# tracekit-otlp-sink), while wrk sends GET /hello; the counters are zeroed after a warm-up and
# dumped after the measured run, one file per thread. Prints the instructions per request of
# each thread role (I/O thread, batch worker, gRPC's threads) in both modes, and the functions
# whose cost differs most on the I/O thread.
#   scripts/load_instructions.sh             text report
#   scripts/load_instructions.sh --markdown  a Markdown section (scripts/bench.sh puts it into
#                                            docs/benchmarks.md)
# Why beside scripts/load.sh: on this shared 2-vCPU VM a request's CPU time drifts by ±0.5-1 µs
# between runs, more than most single changes to the traced path; the instruction count of a
# request is exact and repeats to within about 3 %, so a change to the hot path shows in one
# run. It is not the time: cache misses and the kernel (the loopback, the wake-ups) do not count
# here, and load.sh stays the measure of the goal.
# Environment: INSTR_DURATION (s, default 10), INSTR_CONNECTIONS (4), LOAD_BUILD_DIR
# (build/release; built if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

markdown=0
[ "${1:-}" = "--markdown" ] && markdown=1
duration="${INSTR_DURATION:-10}"
connections="${INSTR_CONNECTIONS:-4}"
build="${LOAD_BUILD_DIR:-build/release}"

for tool in wrk valgrind callgrind_control callgrind_annotate; do
  command -v "$tool" >/dev/null || {
    echo "load_instructions.sh: $tool is not installed (scripts/install-deps.sh)" >&2
    exit 1
  }
done
# shellcheck source=scripts/lib/load_common.sh
. scripts/lib/load_common.sh
load_setup

"$build/bench/tracekit-otlp-sink" > "$tmp/sink.out" 2>&1 &
pids+=("$!")
endpoint="$(wait_line "$tmp/sink.out" endpoint 10)"

# measure MODE: one server under callgrind; writes $tmp/MODE.requests and the dump files.
measure() {
  local mode="$1" flags=() envs=()
  if [ "$mode" = on ]; then
    flags=(--tracing)
    envs=(OTEL_TRACING_ENABLED=true OTEL_SERVICE_NAME=load-test OTEL_TRACES_SAMPLER=always_on
          OTEL_TRACES_EXPORTER=otlp OTEL_EXPORTER_OTLP_PROTOCOL=grpc
          OTEL_EXPORTER_OTLP_ENDPOINT="$endpoint")
  fi
  env "${envs[@]}" valgrind --tool=callgrind --separate-threads=yes \
    --callgrind-out-file="$tmp/cg.$mode.%p" "$build/bench/tracekit-http-load-server" "${flags[@]}" \
    > "$tmp/server.$mode.out" 2> "$tmp/server.$mode.err" &
  local pid=$!
  pids+=("$pid")
  local port
  port="$(wait_line "$tmp/server.$mode.out" port 60)"
  local url="http://127.0.0.1:$port/hello"
  wrk -t1 -c"$connections" -d3s "$url" > /dev/null
  callgrind_control -z "$pid" > /dev/null 2>&1
  wrk -t1 -c"$connections" -d"${duration}s" "$url" > "$tmp/wrk.$mode"
  callgrind_control -d "$pid" > /dev/null 2>&1
  kill -TERM "$pid"
  wait "$pid" || true
  awk '/requests in/ {print $1}' "$tmp/wrk.$mode" > "$tmp/$mode.requests"
}
measure off
measure on

python3 - "$tmp" "$markdown" "$duration" "$connections" <<'PY'
import glob, re, subprocess, sys
tmp, markdown, duration, conns = sys.argv[1], sys.argv[2] == "1", sys.argv[3], sys.argv[4]

def role(path):
    """A dump's thread role, from the functions it ran."""
    text = open(path, errors="replace").read()
    if "Server::start()::{lambda" in text:
        return "I/O thread"
    if "BatchWorker<" in text:
        return "batch worker"
    if "grpc" in text:
        return "gRPC threads"
    return "other"

def totals(path):
    for line in open(path, errors="replace"):
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    return 0

def functions(path):
    out = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", path],
                         capture_output=True, text=True).stdout
    d = {}
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\([^)]*\)\s+(.*)", line)
        if not m or "PROGRAM TOTALS" in line:
            continue
        name = re.sub(r"\s*\[.*\]$", "", m.group(2))
        # "file:function", the file "???" when unknown.
        name = re.sub(r"^(\?\?\?|\S*?\.(c|cc|cpp|h|hpp|S)):", "", name, count=1)
        # The thread's roots carry its whole cost: not a function's own.
        if re.match(r"^(0x[0-9a-f]+|start_thread|clone|\(below main\))$", name) or \
                name.startswith("std::thread::_State_impl"):
            continue
        d[name] = d.get(name, 0) + int(m.group(1).replace(",", ""))
    return d

per_role, io_file = {}, {}
for mode in ("off", "on"):
    requests = int(open(f"{tmp}/{mode}.requests").read().strip() or 0)
    roles = {}
    # The dump after the measured run: cg.MODE.PID.1-NN, one per thread.
    for path in glob.glob(f"{tmp}/cg.{mode}.*.1-*"):
        n = totals(path)
        if n == 0:
            continue
        r = role(path)
        roles[r] = roles.get(r, 0) + n
        if r == "I/O thread":
            io_file[mode] = path
    per_role[mode] = {r: n / requests for r, n in roles.items()} if requests else {}
    per_role[mode]["requests"] = requests

names = ["I/O thread", "batch worker", "gRPC threads", "other"]
off, on = per_role["off"], per_role["on"]
total_off = sum(off.get(r, 0) for r in names)
total_on = sum(on.get(r, 0) for r in names)
diff = {}
if "off" in io_file and "on" in io_file:
    a, b = functions(io_file["off"]), functions(io_file["on"])
    ra, rb = off["requests"], on["requests"]
    for k in set(a) | set(b):
        diff[k] = b.get(k, 0) / rb - a.get(k, 0) / ra
top = sorted(diff.items(), key=lambda kv: -abs(kv[1]))[:15]

def short(name):
    name = name.replace("(anonymous namespace)", "{anonymous}")
    name = re.sub(r"\(.*", "", name)  # drop the parameter list
    return name if len(name) <= 90 else name[:87] + "..."

if markdown:
    print(f"callgrind, {duration} s of `wrk -t1 -c{conns}` after a 3 s warm-up, "
          f"{off['requests']:,} untraced and {on['requests']:,} traced requests; instructions per "
          "request of each thread role (exact counts: no cache misses, no kernel).\n")
    print("| thread role | untraced | traced | added |")
    print("|---|---:|---:|---:|")
    for r in names:
        if off.get(r, 0) or on.get(r, 0):
            print(f"| {r} | {off.get(r, 0):,.0f} | {on.get(r, 0):,.0f} | "
                  f"{on.get(r, 0) - off.get(r, 0):+,.0f} |")
    print(f"| all | {total_off:,.0f} | {total_on:,.0f} | {total_on - total_off:+,.0f} |\n")
    if top:
        print("The I/O thread's largest differences (instructions per request, traced minus "
              "untraced, the functions' own cost):\n")
        print("| function | added |")
        print("|---|---:|")
        for k, v in top:
            print(f"| `{short(k)}` | {v:+,.0f} |")
        print()
else:
    print(f"instructions per request (callgrind, {duration} s, wrk -c{conns}; "
          f"{off['requests']} untraced, {on['requests']} traced requests)")
    for r in names:
        if off.get(r, 0) or on.get(r, 0):
            print(f"  {r:14s} {off.get(r, 0):10,.0f} {on.get(r, 0):10,.0f} "
                  f"{on.get(r, 0) - off.get(r, 0):+10,.0f}")
    print(f"  {'all':14s} {total_off:10,.0f} {total_on:10,.0f} {total_on - total_off:+10,.0f}")
    print("I/O thread, largest differences:")
    for k, v in top:
        print(f"  {v:+8,.0f}  {short(k)}")
PY
