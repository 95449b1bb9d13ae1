// SPDX-License-Identifier: Apache-2.0
// Pure functions over a trace's spans (no DOM): the tree order the waterfall shows, and the
// critical path. Span times are BigInt nanoseconds (start, end); rs/re are Numbers relative to
// the trace start, set by prepareSpans().

export function prepareSpans(spans) {
  for (const s of spans) {
    s.start = BigInt(s.startTimeUnixNano);
    s.end = BigInt(s.endTimeUnixNano);
  }
  let traceStart = spans[0].start;
  let traceEnd = spans[0].end;
  for (const s of spans) {
    if (s.start < traceStart) traceStart = s.start;
    if (s.end > traceEnd) traceEnd = s.end;
  }
  for (const s of spans) {
    s.rs = Number(s.start - traceStart);
    s.re = Math.max(s.rs, Number(s.end - traceStart));
  }
  return { traceStart, total: Number(traceEnd - traceStart) || 1 };
}

// Orders spans depth-first under their parents (children by start time); spans whose parent is
// not in the trace are roots. Returns { ordered: [{span, depth}], roots, children }.
export function treeOrder(spans) {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const children = new Map();
  const roots = [];
  for (const s of spans) {
    if (s.parentSpanId && byId.has(s.parentSpanId) && s.parentSpanId !== s.spanId) {
      if (!children.has(s.parentSpanId)) children.set(s.parentSpanId, []);
      children.get(s.parentSpanId).push(s);
    } else {
      roots.push(s);
    }
  }
  const byStart = (a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0);
  roots.sort(byStart);
  for (const list of children.values()) list.sort(byStart);
  const ordered = [];
  const seen = new Set();
  // Iterative, so a deep trace cannot overflow the stack; `seen` stops parent cycles.
  const stack = roots.slice().reverse().map((s) => [s, 0]);
  while (stack.length) {
    const [s, depth] = stack.pop();
    if (seen.has(s.spanId)) continue;
    seen.add(s.spanId);
    ordered.push({ span: s, depth });
    const kids = children.get(s.spanId) || [];
    for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i], depth + 1]);
  }
  for (const s of spans) if (!seen.has(s.spanId)) ordered.push({ span: s, depth: 0 });  // a cycle
  return { ordered, roots, children };
}

// The critical path (as Jaeger computes it): from the root that ends last, walk back from its
// end; the child that finished last before the cursor is on the path (and so, recursively, is
// its own critical path), the cursor moves to that child's start, and so on. Children that end
// after their parent are clipped to it. Returns the set of span ids on the path.
export function criticalPath(roots, children) {
  const on = new Set();
  if (!roots.length) return on;
  const root = roots.reduce((a, b) => (b.re > a.re ? b : a));
  const byEndDesc = (s) => (children.get(s.spanId) || []).slice().sort((a, b) => b.re - a.re);
  on.add(root.spanId);
  const stack = [{ span: root, cursor: root.re, kids: byEndDesc(root), i: 0 }];
  while (stack.length) {
    const f = stack[stack.length - 1];
    let next = null;
    while (f.i < f.kids.length) {
      const k = f.kids[f.i++];
      if (Math.min(k.re, f.span.re) <= f.cursor && !on.has(k.spanId)) {
        next = k;
        break;
      }
    }
    if (!next) {
      stack.pop();
      continue;
    }
    on.add(next.spanId);
    f.cursor = next.rs;
    stack.push({ span: next, cursor: Math.min(next.re, f.span.re), kids: byEndDesc(next), i: 0 });
  }
  return on;
}

// Whether a span mentions `needle` (lower case) in its name, service, ids or attribute keys and
// values (find-in-trace).
export function spanMatches(span, needle, anyValueText) {
  if (!needle) return false;
  const has = (t) => String(t).toLowerCase().includes(needle);
  if (has(span.name) || has(span.service) || span.spanId === needle) return true;
  for (const kv of span.attributes || []) if (has(kv.key) || has(anyValueText(kv.value))) return true;
  return false;
}
