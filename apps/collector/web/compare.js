// SPDX-License-Identifier: Apache-2.0
// Two traces side by side as a structure diff: each span is known by its path of
// "service: name" from its root (the n-th sibling with the same name keeps its n), so the same
// request through the same code lines up however its ids differ. A path only in B is "added",
// only in A "missing"; in both, B is "slower" or "faster" when its duration differs from A's
// by more than 10 % and 1 ms, else "same".
import { serviceColour } from './colour.js';
import { treeOrder } from './trace_model.js';
import { el, formatDuration } from './format.js';

// Between the steps of a path: a character that span names do not hold (they may hold '/').
const SEP = '\u0001';

function paths(spans) {
  const { ordered } = treeOrder(spans);
  const out = new Map();  // path -> { span, depth }
  const stack = [];  // paths of the ancestors, by depth
  const seen = new Map();  // parent path + key -> count
  for (const { span, depth } of ordered) {
    stack.length = depth;
    const parent = depth ? stack[depth - 1] : '';
    const key = `${span.service}: ${span.name}`;
    const n = (seen.get(`${parent}\u0000${key}`) || 0) + 1;
    seen.set(`${parent}\u0000${key}`, n);
    const path = `${parent}${SEP}${key}#${n}`;
    stack[depth] = path;
    out.set(path, { span, depth, label: key });
  }
  return out;
}

// [{ path, label, depth, state, a, b }] in A's tree order; spans only in B come right under
// their parent (before its children in A).
export function diffTraces(spansA, spansB) {
  const a = paths(spansA);
  const b = paths(spansB);
  const rows = [];
  const state = (x, y) => {
    const da = Number(x.durationNs);
    const db = Number(y.durationNs);
    if (Math.abs(db - da) <= Math.max(1e6, 0.1 * da)) return 'same';
    return db > da ? 'slower' : 'faster';
  };
  // B's spans that A lacks, by their parent's path (in B's tree order).
  const added = new Map();
  for (const [p, v] of b) {
    if (a.has(p)) continue;
    const parent = p.slice(0, p.lastIndexOf(SEP));
    if (!added.has(parent)) added.set(parent, []);
    added.get(parent).push([p, v]);
  }
  const addedUnder = (parentPath) => {
    const stack = (added.get(parentPath) || []).slice().reverse();
    while (stack.length) {
      const [p, v] = stack.pop();
      rows.push({ path: p, label: v.label, depth: v.depth, state: 'added', a: null, b: v.span });
      for (const kid of (added.get(p) || []).slice().reverse()) stack.push(kid);
    }
  };
  addedUnder('');
  for (const [p, v] of a) {
    const other = b.get(p);
    rows.push({ path: p, label: v.label, depth: v.depth, state: other ? state(v.span, other.span) : 'missing', a: v.span, b: other ? other.span : null });
    addedUnder(p);
  }
  return rows;
}

export function renderDiff(container, rows) {
  const counts = { added: 0, missing: 0, slower: 0, faster: 0, same: 0 };
  for (const r of rows) counts[r.state]++;
  const table = el('table', { id: 'compare-table' },
    el('thead', {}, el('tr', {}, ...['Span (service: name)', 'A', 'B', 'Change'].map((t) => el('th', { text: t })))));
  const body = el('tbody');
  for (const r of rows) {
    const span = r.a || r.b;
    const c = serviceColour(span.service);
    const change = r.state === 'same' ? '' : r.state === 'added' ? 'added in B' : r.state === 'missing' ? 'missing in B'
      : `${r.state} by ${formatDuration(Math.abs(Number(r.b.durationNs) - Number(r.a.durationNs)))}`;
    body.append(el('tr', { className: `compare-row ${r.state}`, 'data-state': r.state },
      el('td', { style: { paddingLeft: `${8 + r.depth * 14}px` } },
        el('span', { className: 'tag', text: span.service, style: { background: c.background, color: c.text } }),
        el('span', { className: 'name', text: span.name })),
      el('td', { className: 'num', text: r.a ? formatDuration(Number(r.a.durationNs)) : '' }),
      el('td', { className: 'num', text: r.b ? formatDuration(Number(r.b.durationNs)) : '' }),
      el('td', { className: 'change', text: change })));
  }
  table.append(body);
  container.replaceChildren(
    el('p', { id: 'compare-summary', text: `${counts.added} added, ${counts.missing} missing, ${counts.slower} slower, ${counts.faster} faster, ${counts.same} unchanged` }),
    table);
}
