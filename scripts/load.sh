#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
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
# Besides throughput it prints where the server's CPU goes per thread role (the I/O thread, the
# batch worker `tk-batch`, gRPC's own threads, the rest), per request and, for the exporting
# side, per span; and for every traced round the spans ended, dropped and received by the sink
# (lost = ended - received: the goal is 0 in every round).
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
# shellcheck source=scripts/lib/load_common.sh
. scripts/lib/load_common.sh
load_setup

"$build/bench/tracekit-otlp-sink" > "$tmp/sink.out" 2>&1 &
sink_pid=$!
pids+=("$sink_pid")
endpoint="$(wait_line "$tmp/sink.out" endpoint)"

# cpu_ticks PID: user + system CPU time of a process so far, in clock ticks.
clk_tck="$(getconf CLK_TCK)"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# thread_ticks PID: "name<TAB>ticks" for each of its threads (the name may hold spaces; the
# fields after the name's closing parenthesis start at the state, so utime/stime are 12 and 13).
thread_ticks() {
  local t
  for t in /proc/"$1"/task/*; do
    { printf '%s\t' "$(cat "$t/comm")"; sed 's/.*) //' "$t/stat" | awk '{print $12 + $13}'; } 2>/dev/null || true
  done
}
# sink_count: the spans the sink has received so far (it answers SIGUSR1 with a "count" line).
sink_count() {
  local before
  before="$(grep -c '^count ' "$tmp/sink.out" || true)"
  kill -USR1 "$sink_pid"
  for _ in $(seq 1 100); do
    [ "$(grep -c '^count ' "$tmp/sink.out" || true)" -gt "$before" ] && break
    sleep 0.05
  done
  sed -n 's/^count //p' "$tmp/sink.out" | tail -n1
}

# run_round MODE N: one server, a warm-up, one measured wrk run; appends
# "rps p50 p99 cpu_us_per_request" to $tmp/MODE.results.
run_round() {
  local mode="$1" n="$2" flags=() envs=() received_before=0
  # Before the server starts: its every span, the warm-up's too, counts against its spans_ended.
  [ "$mode" = on ] && received_before="$(sink_count)"
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
  thread_ticks "$pid" > "$tmp/threads.$mode.$n.before"
  cpu_before="$(cpu_ticks "$pid")"
  wrk -t"$wrk_threads" -c"$connections" -d"${duration}s" --latency "$url" > "$tmp/wrk.$mode.$n"
  cpu_after="$(cpu_ticks "$pid")"
  thread_ticks "$pid" > "$tmp/threads.$mode.$n.after"
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
  echo "$rps $p50 $p99 $cpu_us $requests" >> "$tmp/$mode.results"
  if [ "$mode" = on ]; then
    # The server flushed its spans before it exited (shutdown_tracing): what the sink has now,
    # minus what it had before the round, is this round's.
    local received_after ended_dropped
    received_after="$(sink_count)"
    cat "$tmp/server.$mode.$n.err" >> "$tmp/tracer.stats"
    ended_dropped="$(awk '/^spans_ended/ {print $2, $4}' "$tmp/server.$mode.$n.err")"
    echo "$n ${ended_dropped:-0 0} $((received_after - received_before))" >> "$tmp/spans.rounds"
  fi
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
  "$sink_cpu_s" "$clk_tck" $ended <<'PY'
import collections, statistics, sys
(tmp, markdown, duration, rounds, conns, threads, spans, sink_cpu, hz, ended,
 dropped) = sys.argv[1:12]
hz = float(hz)
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
o, t = median_row("off"), median_row("on")
added_cpu = float(t[3]) - float(o[3])
goal = "met" if added_cpu <= 1.0 and ratio >= 0.92 else "NOT met"
all_off = ", ".join(f"{float(r[0]):,.0f}" for r in rows("off"))
all_on = ", ".join(f"{float(r[0]):,.0f}" for r in rows("on"))

# CPU per thread role and round, from the threads' ticks before and after the measured run.
def role(name):
    if name == "tk-http-io":
        return "I/O thread (tk-http-io)"
    if name == "tk-batch":
        return "batch worker (tk-batch)"
    # gRPC core names its threads (cut to 15 characters by the kernel).
    if name.startswith(("grpc", "default-exec", "resolver-exec", "event_engine", "timer_manager",
                        "nexting_thread")):
        return "gRPC threads"
    return "main and other"
def ticks(path):
    """Each thread's (name, ticks); several threads may share a name."""
    out = []
    for line in open(path):
        name, _, value = line.rstrip("\n").rpartition("\t")
        if name and value.isdigit():
            out.append((name, int(value)))
    return out
def role_us(mode):
    """Median over rounds of each role's CPU per request (µs), and per round the exporting side's
    CPU (batch worker + gRPC threads) in seconds."""
    per_role, exporting = collections.defaultdict(list), []
    for n, row in enumerate(rows(mode), start=1):
        before = collections.Counter()
        for name, v in ticks(f"{tmp}/threads.{mode}.{n}.before"):
            before[name] += v
        after = collections.Counter()
        for name, v in ticks(f"{tmp}/threads.{mode}.{n}.after"):
            after[name] += v
        requests = float(row[4]) if len(row) > 4 else 0
        by_role = collections.Counter()
        for name in after:
            by_role[role(name)] += max(0, after[name] - before.get(name, 0))
        for r in ("I/O thread (tk-http-io)", "batch worker (tk-batch)", "gRPC threads", "main and other"):
            per_role[r].append(by_role[r] / hz * 1e6 / requests if requests else 0)
        exporting.append((by_role["batch worker (tk-batch)"] + by_role["gRPC threads"]) / hz)
    return {r: statistics.median(v) for r, v in per_role.items()}, exporting
roles_off, _ = role_us("off")
roles_on, exporting_s = role_us("on")
span_rounds = [l.split() for l in open(f"{tmp}/spans.rounds") if l.strip()]
# One span per request: the exporting side's CPU over the measured run, per request of it.
per_span = [secs * 1e6 / float(row[4]) for row, secs in zip(rows("on"), exporting_s)
            if len(row) > 4 and float(row[4]) > 0]
export_us = statistics.median(per_span) if per_span else 0
lost = [int(e) - int(rcv) for n, e, d, rcv in span_rounds]
lost_goal = "met" if lost and all(x == 0 for x in lost) else "NOT met"

if markdown == "1":
    print(f"wrk -t{threads} -c{conns} -d{duration}s against `GET /hello` of "
          f"`tracekit-http-load-server` (one I/O thread), {rounds} alternating off/on rounds. "
          f"Tracing on: `always_on` sampler, batch processor, OTLP/gRPC to `tracekit-otlp-sink` "
          f"on the same machine.\n")
    print("| tracing | requests/s | p50 | p99 | server CPU per request | all rounds (req/s) |")
    print("|---|---:|---:|---:|---:|---|")
    print(f"| off | {off:,.0f} | {o[1]} | {o[2]} | {o[3]} µs | {all_off} |")
    print(f"| on | {on:,.0f} | {t[1]} | {t[2]} | {t[3]} µs | {all_on} |")
    print(f"\nTracing adds **{added_cpu:.1f} µs** of server CPU per request (median rounds) and "
          f"keeps **{ratio * 100:.1f} %** of untraced throughput, the median of the rounds' "
          f"ratios ({all_ratios}); goal <= 1.0 µs and >= 92 %: {goal}.\n")
    print("Where the server's CPU goes, per request (median of the rounds):\n")
    print("| thread role | off | on | added |")
    print("|---|---:|---:|---:|")
    for r in roles_on:
        print(f"| {r} | {roles_off.get(r, 0):.2f} µs | {roles_on[r]:.2f} µs | "
              f"{roles_on[r] - roles_off.get(r, 0):+.2f} µs |")
    print(f"\nThe exporting side (batch worker and gRPC threads: drain, encode, send) used "
          f"**{export_us:.2f} µs per span** (median of the rounds; goal <= 0.3 µs).\n")
    print("| traced round | spans ended | dropped (queue full) | received by the sink | lost |")
    print("|---:|---:|---:|---:|---:|")
    for (n, e, d, rcv), l in zip(span_rounds, lost):
        print(f"| {n} | {int(e):,} | {int(d):,} | {int(rcv):,} | {l:,} |")
    print(f"\nLost spans in every round: goal 0, {lost_goal}. The sink used {sink_cpu} s of CPU "
          f"in all (it runs beside the server on the same two vCPUs).\n")
else:
    print(f"tracing off: {off:,.0f} req/s (p50 {o[1]}, p99 {o[2]}, {o[3]} µs CPU/request; "
          f"rounds {all_off})")
    print(f"tracing on:  {on:,.0f} req/s (p50 {t[1]}, p99 {t[2]}, {t[3]} µs CPU/request; "
          f"rounds {all_on})")
    print(f"tracing adds {added_cpu:.1f} µs CPU/request; ratio {ratio * 100:.1f} %, median of "
          f"{all_ratios} (goal <= 1.0 µs and >= 92 %: {goal})")
    print("CPU per request by thread role (off -> on):")
    for r in roles_on:
        print(f"  {r:26s} {roles_off.get(r, 0):6.2f} -> {roles_on[r]:6.2f} µs "
              f"({roles_on[r] - roles_off.get(r, 0):+.2f})")
    print(f"exporting side: {export_us:.2f} µs CPU per span (goal <= 0.3)")
    for (n, e, d, rcv), l in zip(span_rounds, lost):
        print(f"  round {n}: ended {e}, dropped {d}, received {rcv}, lost {l}")
    print(f"lost in every round 0: {lost_goal}; spans ended {ended}, dropped {dropped}, "
          f"received {spans}; sink CPU {sink_cpu} s")
PY
