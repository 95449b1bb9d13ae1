#!/usr/bin/env bash
# Load test: wrk against GET /hello of tracekit-http-load-server, tracing off and on (100 %
# sampled, batch processor, OTLP/gRPC to a local receiver, tracekit-otlp-sink). Rounds
# alternate off/on so drift on a shared machine hits both: the traced share is the median of
# each round's on/off ratio (neighbours in time share the machine's state), and the median
# throughput of each mode is reported beside it.
#   scripts/load.sh                  text report
#   scripts/load.sh --markdown       a Markdown section (scripts/bench.sh puts it into
#                                    docs/benchmarks.md)
# Environment: LOAD_DURATION (s, default 5), LOAD_ROUNDS (default 7), LOAD_CONNECTIONS (32),
# LOAD_THREADS (wrk threads, 1), LOAD_BUILD_DIR (build/release; built if missing),
# LOAD_KEEP_TMP (non-empty: keep the raw wrk, server and sink output in the temporary directory).
set -euo pipefail
cd "$(dirname "$0")/.."

markdown=0
[ "${1:-}" = "--markdown" ] && markdown=1
duration="${LOAD_DURATION:-5}"
rounds="${LOAD_ROUNDS:-7}"
connections="${LOAD_CONNECTIONS:-32}"
wrk_threads="${LOAD_THREADS:-1}"
build="${LOAD_BUILD_DIR:-build/release}"

command -v wrk >/dev/null || { echo "load.sh: wrk is not installed (scripts/install-deps.sh)" >&2; exit 1; }
if [ ! -x "$build/bench/tracekit-http-load-server" ] || [ ! -x "$build/bench/tracekit-otlp-sink" ]; then
  cmake --preset release >/dev/null
  cmake --build --preset release --target tracekit-http-load-server tracekit-otlp-sink -j 2 >&2
fi

tmp="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "${LOAD_KEEP_TMP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT

# wait_line FILE PREFIX: prints the rest of the first line of FILE starting with PREFIX (10 s).
wait_line() {
  for _ in $(seq 1 200); do
    local v
    v="$(sed -n "s/^$2 //p" "$1" | head -n1)"
    [ -n "$v" ] && { echo "$v"; return 0; }
    sleep 0.05
  done
  echo "load.sh: no '$2' line in $1" >&2
  return 1
}

"$build/bench/tracekit-otlp-sink" > "$tmp/sink.out" 2>&1 &
sink_pid=$!
pids+=("$sink_pid")
endpoint="$(wait_line "$tmp/sink.out" endpoint)"

# cpu_ticks PID: user + system CPU time of a process so far, in clock ticks.
clk_tck="$(getconf CLK_TCK)"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run_round MODE N: one server, a warm-up, one measured wrk run; appends
# "rps p50 p99 cpu_us_per_request" to $tmp/MODE.results.
run_round() {
  local mode="$1" n="$2" flags=() envs=()
  if [ "$mode" = on ]; then
    flags=(--tracing)
    envs=(OTEL_TRACING_ENABLED=true OTEL_SERVICE_NAME=load-test OTEL_TRACES_SAMPLER=always_on
          OTEL_TRACES_EXPORTER=otlp OTEL_EXPORTER_OTLP_PROTOCOL=grpc
          OTEL_EXPORTER_OTLP_ENDPOINT="$endpoint")
  fi
  env "${envs[@]}" "$build/bench/tracekit-http-load-server" "${flags[@]}" \
    > "$tmp/server.$mode.$n.out" 2> "$tmp/server.$mode.$n.err" &
  local pid=$!
  pids+=("$pid")
  local port
  port="$(wait_line "$tmp/server.$mode.$n.out" port)"
  local url="http://127.0.0.1:$port/hello"
  wrk -t"$wrk_threads" -c"$connections" -d2s "$url" > /dev/null
  local cpu_before cpu_after
  cpu_before="$(cpu_ticks "$pid")"
  wrk -t"$wrk_threads" -c"$connections" -d"${duration}s" --latency "$url" > "$tmp/wrk.$mode.$n"
  cpu_after="$(cpu_ticks "$pid")"
  kill -TERM "$pid"
  wait "$pid" || true
  local rps p50 p99 errors requests
  rps="$(awk '/^Requests\/sec:/ {print $2}' "$tmp/wrk.$mode.$n")"
  requests="$(awk '/requests in/ {print $1}' "$tmp/wrk.$mode.$n")"
  p50="$(awk '$1 == "50%" {print $2}' "$tmp/wrk.$mode.$n")"
  p99="$(awk '$1 == "99%" {print $2}' "$tmp/wrk.$mode.$n")"
  errors="$(awk '/Non-2xx or 3xx responses:/ {print $5} /Socket errors:/ {print "socket-errors"}' "$tmp/wrk.$mode.$n" | tr '\n' ' ')"
  [ -n "$errors" ] && echo "load.sh: $mode round $n: $errors" >&2
  # The server's CPU time per request (all its threads: I/O, and with tracing the batch worker
  # and the OTLP exporter), in microseconds.
  local cpu_us
  cpu_us="$(awk -v t="$((cpu_after - cpu_before))" -v hz="$clk_tck" -v r="$requests" \
    'BEGIN {printf "%.1f", (r > 0 ? t / hz * 1e6 / r : 0)}')"
  echo "$rps $p50 $p99 $cpu_us" >> "$tmp/$mode.results"
  if [ "$mode" = on ]; then cat "$tmp/server.$mode.$n.err" >> "$tmp/tracer.stats"; fi
}

for n in $(seq 1 "$rounds"); do
  run_round off "$n"
  run_round on "$n"
done
sink_ticks="$(cpu_ticks "$sink_pid")"
kill -TERM "$sink_pid"
wait "$sink_pid" || true
spans="$(sed -n 's/^spans //p' "$tmp/sink.out")"
sink_cpu_s="$(awk -v t="$sink_ticks" -v hz="$clk_tck" 'BEGIN {printf "%.2f", t / hz}')"
ended="$(awk '/^spans_ended/ {e += $2; d += $4} END {print e+0, d+0}' "$tmp/tracer.stats")"

python3 - "$tmp" "$markdown" "$duration" "$rounds" "$connections" "$wrk_threads" "$spans" \
  "$sink_cpu_s" $ended <<'PY'
import statistics, sys
tmp, markdown, duration, rounds, conns, threads, spans, sink_cpu, ended, dropped = sys.argv[1:11]
def rows(mode):
    return [l.split() for l in open(f"{tmp}/{mode}.results") if l.strip()]
def median_rps(mode):
    return statistics.median(float(r[0]) for r in rows(mode))
def median_row(mode):
    rs = sorted(rows(mode), key=lambda r: float(r[0]))
    return rs[len(rs) // 2]
off, on = median_rps("off"), median_rps("on")
pairs = [float(b[0]) / float(a[0]) for a, b in zip(rows("off"), rows("on")) if float(a[0]) > 0]
ratio = statistics.median(pairs) if pairs else 0
all_ratios = ", ".join(f"{r * 100:.0f} %" for r in pairs)
goal = "met" if ratio >= 0.95 else "NOT met"
o, t = median_row("off"), median_row("on")
all_off = ", ".join(f"{float(r[0]):,.0f}" for r in rows("off"))
all_on = ", ".join(f"{float(r[0]):,.0f}" for r in rows("on"))
if markdown == "1":
    print(f"wrk -t{threads} -c{conns} -d{duration}s against `GET /hello` of "
          f"`tracekit-http-load-server` (one I/O thread), {rounds} alternating off/on rounds. "
          f"Tracing on: `always_on` sampler, batch processor, OTLP/gRPC to `tracekit-otlp-sink` "
          f"on the same machine.\n")
    print("| tracing | requests/s | p50 | p99 | server CPU per request | all rounds (req/s) |")
    print("|---|---:|---:|---:|---:|---|")
    print(f"| off | {off:,.0f} | {o[1]} | {o[2]} | {o[3]} µs | {all_off} |")
    print(f"| on | {on:,.0f} | {t[1]} | {t[2]} | {t[3]} µs | {all_on} |")
    print(f"\nTraced throughput: **{ratio * 100:.1f} %** of untraced, the median of the rounds' "
          f"ratios ({all_ratios}; goal >= 95 %: {goal}). "
          f"Spans ended {int(ended):,}, dropped {int(dropped):,}, received by the sink "
          f"{int(spans or 0):,}; the sink used {sink_cpu} s of CPU in all.\n")
else:
    print(f"tracing off: {off:,.0f} req/s (p50 {o[1]}, p99 {o[2]}, {o[3]} µs CPU/request; "
          f"rounds {all_off})")
    print(f"tracing on:  {on:,.0f} req/s (p50 {t[1]}, p99 {t[2]}, {t[3]} µs CPU/request; "
          f"rounds {all_on})")
    print(f"ratio {ratio * 100:.1f} %, median of {all_ratios} (goal >= 95 %: {goal}); "
          f"spans ended {ended}, "
          f"dropped {dropped}, received {spans}; sink CPU {sink_cpu} s")
PY
