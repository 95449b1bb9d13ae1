#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Reads OTLP/JSON lines (the console exporter's output) on stdin and prints each trace as an
indented tree of spans with durations, events and statuses.

  --trace ID          print only that trace
  --require A,B,...   exit 1 unless every named span is in the printed traces"""
import argparse
import json
import sys
from collections import defaultdict


def attr_value(v):
    for key in ("stringValue", "boolValue", "intValue", "doubleValue"):
        if key in v:
            return v[key]
    if "arrayValue" in v:
        return [attr_value(x) for x in v["arrayValue"].get("values", [])]
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--trace", default="")
    parser.add_argument("--require", default="")
    args = parser.parse_args()
    spans = []
    for line in sys.stdin:
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            req = json.loads(line)
        except json.JSONDecodeError:
            continue
        for rs in req.get("resourceSpans", []):
            service = "?"
            for a in rs.get("resource", {}).get("attributes", []):
                if a["key"] == "service.name":
                    service = attr_value(a["value"])
            for ss in rs.get("scopeSpans", []):
                for s in ss.get("spans", []):
                    s["_service"] = service
                    if not args.trace or s["traceId"] == args.trace:
                        spans.append(s)
    by_trace = defaultdict(list)
    for s in spans:
        by_trace[s["traceId"]].append(s)
    kinds = {1: "INTERNAL", 2: "SERVER", 3: "CLIENT", 4: "PRODUCER", 5: "CONSUMER"}
    for trace_id, members in by_trace.items():
        ids = {s["spanId"] for s in members}
        children = defaultdict(list)
        roots = []
        for s in members:
            parent = s.get("parentSpanId", "")
            if parent and parent in ids:
                children[parent].append(s)
            else:
                roots.append(s)
        print(f"trace {trace_id} ({len(members)} spans)")

        def show(s, depth):
            start, end = int(s["startTimeUnixNano"]), int(s["endTimeUnixNano"])
            status = {0: "", 1: " OK", 2: " ERROR"}.get(s.get("status", {}).get("code", 0), "")
            remote = f" (parent {s['parentSpanId']}, remote)" if depth == 0 and s.get("parentSpanId") else ""
            print(f"{'  ' * (depth + 1)}{s['name']} [{kinds.get(s.get('kind'), '?')}, "
                  f"{s['_service']}] {(end - start) / 1000:.1f} us{status}{remote}")
            for e in s.get("events", []):
                attrs = ", ".join(f"{a['key']}={attr_value(a['value'])}" for a in e.get("attributes", []))
                offset = (int(e["timeUnixNano"]) - start) / 1000
                print(f"{'  ' * (depth + 2)}- {e['name']} +{offset:.1f} us {attrs}")
            for c in sorted(children[s["spanId"]], key=lambda x: int(x["startTimeUnixNano"])):
                show(c, depth + 1)

        for r in sorted(roots, key=lambda x: int(x["startTimeUnixNano"])):
            show(r, 0)

    names = {s["name"] for s in spans}
    missing = [n for n in args.require.split(",") if n and n not in names]
    if missing:
        print(f"missing spans: {', '.join(missing)}", file=sys.stderr)
        return 1
    if args.trace and not spans:
        print(f"no spans of trace {args.trace}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
