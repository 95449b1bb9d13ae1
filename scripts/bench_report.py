#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Renders docs/benchmarks.md from Google Benchmark JSON files (and load.md, if present) in the
directory given as the only argument. Goals come from the issues; each row says whether the
measured median meets its goal."""
import json
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone

# Every row of this report by benchmark name, for goals relative to another benchmark.
ROWS_BY_NAME = {}


def at_most_times(other, factor):
    """A check: this row's time is at most `factor` times `other`'s, measured in the same run."""
    return lambda r: other in ROWS_BY_NAME and r["ns"] <= factor * ROWS_BY_NAME[other]["ns"]


# name -> (goal text, check(row) -> bool). Times are in ns.
GOALS = {
    "BM_SpanStartEnd/attrs:0": ("<= 60 ns", lambda r: r["ns"] <= 60),
    "BM_SpanStartEnd/attrs:4": ("<= 100 ns", lambda r: r["ns"] <= 100),
    "BM_SpanUnsampled": ("<= 15 ns", lambda r: r["ns"] <= 15),
    "BM_TraceparentExtract": ("<= 40 ns", lambda r: r["ns"] <= 40),
    "BM_TraceparentInject": ("<= 25 ns", lambda r: r["ns"] <= 25),
    "BM_TracestateExtract/members:2": ("<= 150 ns", lambda r: r["ns"] <= 150),
    "BM_BatchProcessor/producers:2": ("stress figure (saturated): no goal", None),
    "BM_BatchProcessorPaced/producers:2/rate:1M": ("0 dropped", lambda r: r["counters"].get("dropped", 1) == 0),
    "BM_MiddlewarePath": ("<= 400 ns", lambda r: r["ns"] <= 400),
    "BM_OtlpEncode/protobuf": (">= 1 M spans/s", lambda r: r.get("items_per_second", 0) >= 1e6),
    "BM_OtlpEncode/json": (">= 1 M spans/s", lambda r: r.get("items_per_second", 0) >= 1e6),
    "BM_CollectorIngest": (">= 50,000 spans/s", lambda r: r.get("items_per_second", 0) >= 5e4),
    "BM_CollectorQueryTrace1000": ("< 50 ms", lambda r: r["ns"] < 50e6),
    "BM_CollectorDependencies1M/1": ("< 200 ms (last hour of 1 M spans)", lambda r: r["ns"] < 200e6),
    "BM_CollectorOperationStats1M/1": ("< 200 ms (last hour of 1 M spans)", lambda r: r["ns"] < 200e6),
    "BM_CollectorDependencies1M/24": ("whole store: no goal (within the 5 s query budget)", None),
    "BM_CollectorOperationStats1M/24": ("whole store: no goal (within the 5 s query budget)", None),
    "BM_LogLineStderrAndOtlp": ("<= 1.5x BM_LogLineStderrOnly",
                                at_most_times("BM_LogLineStderrOnly", 1.5)),
    "BM_CollectorLogIngest": (">= 50,000 records/s", lambda r: r.get("items_per_second", 0) >= 5e4),
    "BM_CollectorQueryTraceLogs1000": ("< 20 ms", lambda r: r["ns"] < 20e6),
}
# What the reference C++ SDK (opentelemetry-cpp) measured on this machine (shared/notes.md).
REFERENCE = {
    "BM_SpanStartEnd/attrs:0": "268 ns",
    "BM_SpanStartEnd/attrs:4": "525 ns",
    "BM_SpanUnsampled": "64 ns",
    "BM_TraceparentExtract": "258 ns",
    "BM_TraceparentInject": "40 ns",
    "BM_TracestateExtract/members:2": "2,400 ns",
    "BM_BatchProcessor/producers:2": "43-66 % dropped",
    "BM_MiddlewarePath": "1,740 ns",
}

TIME_UNITS = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}


def base_name(run_name):
    name = run_name
    for suffix in ("_median", "_mean", "_stddev", "_cv"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    # Drop google-benchmark's decorations (/real_time, /threads:N) for matching goals.
    parts = [p for p in name.split("/") if p not in ("real_time", "manual_time")
             and not p.startswith("threads:")
             and not p.startswith("min_time:") and not p.startswith("iterations:")]
    return "/".join(parts)


def load_rows(directory):
    rows = []
    contexts = {}
    for fname in sorted(os.listdir(directory)):
        if not fname.endswith(".json"):
            continue
        with open(os.path.join(directory, fname)) as f:
            data = json.load(f)
        contexts[fname[:-5]] = data.get("context", {})
        runs = data.get("benchmarks", [])
        have_median = any(r.get("aggregate_name") == "median" for r in runs)
        for r in runs:
            if have_median and r.get("aggregate_name") != "median":
                continue
            if r.get("run_type") == "aggregate" and r.get("aggregate_name") != "median":
                continue
            unit = TIME_UNITS.get(r.get("time_unit", "ns"), 1)
            counters = {k: v for k, v in r.items() if k not in {
                "name", "run_name", "run_type", "repetitions", "repetition_index", "threads",
                "iterations", "real_time", "cpu_time", "time_unit", "aggregate_name",
                "aggregate_unit", "family_index", "per_family_instance_index", "label",
                "items_per_second", "bytes_per_second"} and isinstance(v, (int, float))}
            rows.append({
                "binary": fname[:-5],
                "name": base_name(r["name"]),
                "ns": r["real_time"] * unit,
                "cpu_ns": r["cpu_time"] * unit,
                "items_per_second": r.get("items_per_second"),
                "counters": counters,
            })
    return rows, contexts


def fmt_rate(v):
    if v is None:
        return ""
    if v >= 1e6:
        return f"{v / 1e6:.2f} M/s"
    if v >= 1e3:
        return f"{v / 1e3:.1f} k/s"
    return f"{v:.0f}/s"


def fmt_counters(c):
    out = []
    for k, v in sorted(c.items()):
        if k == "drop_ratio":
            out.append(f"drop {v * 100:.2f} %")
        elif abs(v) >= 1000:
            out.append(f"{k} {v:,.0f}")
        else:
            out.append(f"{k} {v:.3g}")
    return ", ".join(out)


def sandbox_section(rows):
    """Skriptoteket's sandbox: what it adds to a run, from tracekit-bench-sandbox's p50/p99."""
    by_name = {r["name"]: r for r in rows if r["binary"] == "tracekit-bench-sandbox"}
    if not by_name:
        return
    print("## Skriptoteket's sandbox: cost per run (`tracekit-bench-sandbox`)\n")
    print("Start to exit of one run through `SandboxRunner::execute`, 60 runs per repetition. "
          "*sandboxed* is the default runner: the run takes a sandbox started ahead of time "
          "(runs paced so one is waiting); *fresh* starts a sandbox per run (what a run costs "
          "when they arrive faster than sandboxes are prepared); CPU is the runner's and all "
          "its children's per run, preparation included.\n")
    print("| script | plain p50 | sandboxed p50 | added p50 | fresh p50 | plain p99 | sandboxed p99 | "
          "fresh p99 | CPU plain / sandboxed | goal | met |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for script in ("echo", "python3"):
        plain = by_name.get(f"BM_SandboxRun/{script}_plain")
        boxed = by_name.get(f"BM_SandboxRun/{script}_sandboxed")
        fresh = by_name.get(f"BM_SandboxRun/{script}_fresh")
        if not plain or not boxed:
            continue
        p, b = plain["counters"], boxed["counters"]
        f = fresh["counters"] if fresh else {}
        added = b.get("p50_ms", 0) - p.get("p50_ms", 0)
        met = "yes" if added <= 5 else "**no**"
        print(f"| `{script}` | {p.get('p50_ms', 0):.2f} ms | {b.get('p50_ms', 0):.2f} ms | "
              f"{added:.2f} ms | {f.get('p50_ms', 0):.2f} ms | {p.get('p99_ms', 0):.2f} ms | "
              f"{b.get('p99_ms', 0):.2f} ms | {f.get('p99_ms', 0):.2f} ms | "
              f"{p.get('cpu_ms', 0):.1f} / {b.get('cpu_ms', 0):.1f} ms | "
              f"<= 5 ms added (p50) | {met} |")
    ten = by_name.get("BM_SandboxTenConcurrent")
    if ten:
        c = ten["counters"]
        met = "yes" if c.get("serialization", 10) < 3 else "**no**"
        print(f"\nTen concurrent sandboxed runs of `sleep 0.3`: {c.get('ten_runs_ms', 0):.0f} ms in all, "
              f"one alone {c.get('single_run_ms', 0):.0f} ms (ratio {c.get('serialization', 0):.2f}; "
              f"1 = fully overlapped, 10 = serialized; goal: they do not serialize, ratio < 3: {met}).\n")
    print()


def integrations_section(rows):
    """The integrations: process CPU per call traced minus untraced, from one run."""
    by_name = {r["name"]: r for r in rows if r["binary"] == "tracekit-bench-integrations"}
    if not by_name:
        return
    print("## Integrations: CPU added per call (`tracekit-bench-integrations`)\n")
    print("Client, server and the batch processor's worker run in one process; the figures are "
          "the process's CPU time (all threads, user + system) per call, with every thread held "
          "to one CPU (on two, each hand-off between threads either stayed on one CPU or woke "
          "the other, the mode flipped between blocks of calls, and the quartiles spanned tens "
          "of µs). The variants run interleaved: blocks of 300 calls of each in turn, 60 rounds, "
          "the order rotated each round; *added* is the median of the 60 per-round differences "
          "(traced minus the baseline), with its quartiles. A goal is met when the median is "
          "within it. The cpp-httplib rows give the whole process (its client reads the two "
          "response headers the adapter adds) and the server's side alone (the process minus "
          "the client's thread).\n")
    print("| call | baseline CPU | traced CPU | added (median) | quartiles of added | goal | met |")
    print("|---|---:|---:|---:|---|---|---|")
    rows_shown = (("gRPC unary over loopback TCP (client + server interceptors)",
                   "BM_GrpcUnary/in_process:0", ""),
                  ("gRPC unary, in-process transport (client + server interceptors)",
                   "BM_GrpcUnary/in_process:1", ""),
                  ("gRPC unary, in-process: tracekit over no-op interceptors",
                   "BM_GrpcUnary/in_process:1", "over_noop_"),
                  ("gRPC unary, in-process: grpc++ carrying one traceparent (no-op interceptors)",
                   "BM_GrpcUnary/in_process:1", "header_over_noop_"),
                  ("gRPC unary, in-process: tracekit over no-op interceptors sending the header",
                   "BM_GrpcUnary/in_process:1", "over_header_only_"),
                  ("cpp-httplib GET over loopback (adapter), client + server",
                   "BM_HttplibGet", ""),
                  ("cpp-httplib GET over loopback (adapter), the server's side",
                   "BM_HttplibGet", "server_"))
    for label, name, prefix in rows_shown:
        row = by_name.get(name)
        if not row:
            continue
        c = row["counters"]
        base = c.get({"": "untraced_us", "over_noop_": "noop_us", "header_over_noop_": "noop_us",
                      "over_header_only_": "header_only_us",
                      "server_": "server_untraced_us"}[prefix], 0)
        traced = c.get({"header_over_noop_": "header_only_us",
                        "server_": "server_traced_us"}.get(prefix, "traced_us"), 0)
        added = c.get(prefix + "added_us", 0)
        lo, hi = c.get(prefix + "added_p25_us", 0), c.get(prefix + "added_p75_us", 0)
        # The gRPC rows with a prefix split the in-process figure into parts: no goal of their own.
        has_goal = prefix in ("", "server_")
        goal, met = ("<= 1.5 µs", "yes" if added <= 1.5 else "**no**") if has_goal else ("—", "—")
        print(f"| {label} | {base:.2f} µs | {traced:.2f} µs | {added:+.2f} µs | "
              f"{lo:+.2f} … {hi:+.2f} µs | {goal} | {met} |")
    off = by_name.get("BM_HttplibHandler/traced:0/process_time")
    on = by_name.get("BM_HttplibHandler/traced:1/process_time")
    if off and on:
        scale = 1e-3  # rows hold ns
        a, b = off["cpu_ns"], on["cpu_ns"]
        added = (b - a) * scale
        met = "met" if added <= 1.5 else "**not met**"
        print(f"\nThe cpp-httplib adapter's own work, the handler called without sockets "
              f"(`BM_HttplibHandler`, process CPU, the batch worker included): "
              f"{a * scale:.2f} µs untraced, {b * scale:.2f} µs traced, {added:.2f} µs added "
              f"(goal <= 1.5 µs: {met}). Over loopback the server's side adds the writing of the "
              f"two response headers and the cold caches of a real request.")
    print()


def main():
    directory = sys.argv[1]
    rows, contexts = load_rows(directory)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = os.getloadavg()
    print("# Benchmarks\n")
    print("Generated by `scripts/bench.sh` — do not edit by hand; rerun the script.\n")
    print(f"- date: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}, commit `{commit}`")
    print(f"- machine: {os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}")
    print(f"- load average when the report was written: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          "each section gives the time and load of its own run (anything else running on the "
          "2 cores skews the numbers)")
    print("- each benchmark runs 3 times; the table shows the median. Time is wall-clock per "
          "operation (per span, per header, ...).\n")
    by_binary = {}
    for r in rows:
        by_binary.setdefault(r["binary"], []).append(r)
        ROWS_BY_NAME[r["name"]] = r
    for binary, items in by_binary.items():
        print(f"## {binary}\n")
        ctx = contexts.get(binary, {})
        if ctx:
            avg = ctx.get("load_avg") or []
            avg_text = " ".join(f"{v:.2f}" for v in avg) if avg else "unknown"
            print(f"Run {ctx.get('date', '?')}, load average {avg_text}.\n")
        print("| benchmark | time | CPU | rate | goal | met | reference C++ SDK | other |")
        print("|---|---:|---:|---:|---|---|---|---|")
        for r in items:
            goal, check = GOALS.get(r["name"], ("", None))
            met = ("yes" if check(r) else "**no**") if check else ""
            print(f"| `{r['name']}` | {r['ns']:.1f} ns | {r['cpu_ns']:.1f} ns | "
                  f"{fmt_rate(r['items_per_second'])} | {goal} | {met} | "
                  f"{REFERENCE.get(r['name'], '')} | {fmt_counters(r['counters'])} |")
        print()
        if binary.endswith("log") and {"BM_LogLineStderrOnly", "BM_LogLineStderrAndOtlp"} <= ROWS_BY_NAME.keys():
            ratio = ROWS_BY_NAME["BM_LogLineStderrAndOtlp"]["ns"] / ROWS_BY_NAME["BM_LogLineStderrOnly"]["ns"]
            print(f"A log line with OTLP export on costs {ratio:.2f}x the stderr-only line (same run).\n")
    sandbox_section(rows)
    integrations_section(rows)
    load_md = os.path.join(directory, "load.md")
    if os.path.exists(load_md):
        print("## Load test (`scripts/load.sh`)\n")
        with open(load_md) as f:
            print(f.read())
    instructions_md = os.path.join(directory, "instructions.md")
    if os.path.exists(instructions_md):
        print("## Load test in instructions (`scripts/load_instructions.sh`)\n")
        with open(instructions_md) as f:
            print(f.read())
    render = os.path.join(directory, "collector", "collector_render.json")
    if os.path.exists(render):
        with open(render) as f:
            r = json.load(f)
        met = "yes" if r["render_ms"] < 300 else "**no**"
        print("## Collector viewer in headless Chromium (`tests/collector/js/browser_test.mjs`)\n")
        print("| page | render (DOM built) | page load to rendered | goal | met |")
        print("|---|---:|---:|---|---|")
        print(f"| trace of {r['spans']:,} spans | {r['render_ms']:.0f} ms | {r['load_ms']:.0f} ms | < 300 ms | {met} |")
        if "search_render_ms" in r:
            met = "yes" if r["search_render_ms"] < 500 else "**no**"
            print(f"| search, {r['search_results']:,} results with scatter plot | {r['search_render_ms']:.0f} ms | "
                  f"{r['search_load_ms']:.0f} ms | < 500 ms | {met} |")
        print()
    notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "benchmarks-notes.md")
    if os.path.exists(notes):
        with open(notes) as f:
            print(f.read())


if __name__ == "__main__":
    main()
