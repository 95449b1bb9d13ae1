// SPDX-License-Identifier: Apache-2.0
// The system pages: the service dependency graph (/dependencies) and per-operation rate, error
// ratio and latency percentiles (/operations), from /api/dependencies and
// /api/operations/stats. The graph is SVG drawn here: services in layers (callers left of the
// services they call), one arrow per caller/callee pair, red when some calls failed.
import { serviceColour } from './colour.js';
import { el, formatDuration, svg } from './format.js';

// Layer of each service: 0 for services nobody calls, else one more than its deepest caller
// (cycles are cut where first met).
function layers(services, edges) {
  const callers = new Map(services.map((s) => [s, []]));
  for (const e of edges) callers.get(e.child).push(e.parent);
  const layer = new Map();
  const visiting = new Set();
  const depth = (s) => {
    if (layer.has(s)) return layer.get(s);
    if (visiting.has(s)) return 0;
    visiting.add(s);
    let d = 0;
    for (const c of callers.get(s)) d = Math.max(d, depth(c) + 1);
    visiting.delete(s);
    layer.set(s, d);
    return d;
  };
  for (const s of services) depth(s);
  return layer;
}

export function renderDependencyGraph(container, edges, width) {
  const services = [...new Set(edges.flatMap((e) => [e.parent, e.child]))].sort();
  const layer = layers(services, edges);
  const columns = [];
  for (const s of services) (columns[layer.get(s)] ||= []).push(s);
  const rowsMax = Math.max(1, ...columns.map((c) => (c ? c.length : 0)));
  const height = Math.max(160, rowsMax * 70 + 20);
  const colWidth = width / Math.max(1, columns.length);
  const at = new Map();
  columns.forEach((col, i) => (col || []).forEach((s, j) => {
    at.set(s, { x: colWidth * (i + 0.5), y: (height / (col.length + 1)) * (j + 1) });
  }));
  const graph = svg('svg', {
    id: 'dependency-graph', width: String(width), height: String(height), viewBox: `0 0 ${width} ${height}`,
    role: 'img', 'aria-label': `Calls between ${services.length} services`,
  },
  svg('defs', {}, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: '10', refY: '5', markerWidth: '10', markerHeight: '10', markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' },
    svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrow-head' }))));
  const maxCalls = Math.max(1, ...edges.map((e) => e.callCount));
  const r = 26;
  for (const e of edges) {
    const a = at.get(e.parent);
    const b = at.get(e.child);
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const len = Math.hypot(dx, dy) || 1;
    const [x1, y1, x2, y2] = [a.x + (dx / len) * r, a.y + (dy / len) * r, b.x - (dx / len) * r, b.y - (dy / len) * r];
    graph.append(svg('g', { class: `edge${e.errorCount ? ' error' : ''}`, 'data-parent': e.parent, 'data-child': e.child },
      svg('line', { x1, y1, x2, y2, 'stroke-width': (1 + 4 * Math.sqrt(e.callCount / maxCalls)).toFixed(1), 'marker-end': 'url(#arrow)' }),
      svg('text', { x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 6, 'text-anchor': 'middle', class: 'edge-label',
        text: `${e.callCount}${e.errorCount ? ` (${e.errorCount} failed)` : ''}` }),
      svg('title', { text: `${e.parent} → ${e.child}: ${e.callCount} calls, ${e.errorCount} failed` })));
  }
  for (const s of services) {
    const { x, y } = at.get(s);
    const c = serviceColour(s);
    graph.append(svg('a', { href: `/search?service=${encodeURIComponent(s)}&lookback=1h`, class: 'service-node', 'data-service': s },
      svg('circle', { cx: x, cy: y, r, fill: c.background }),
      svg('text', { x, y: y + 4, 'text-anchor': 'middle', fill: c.text, class: 'node-label', text: s.length > 12 ? `${s.slice(0, 11)}…` : s }),
      svg('title', { text: s })));
  }
  container.replaceChildren(graph);
}

export function dependencyTable(edges) {
  const table = el('table', { id: 'dependency-table' },
    el('thead', {}, el('tr', {}, ...['Caller', 'Callee', 'Calls', 'Failed'].map((t) => el('th', { text: t })))));
  const body = el('tbody');
  for (const e of edges) {
    body.append(el('tr', { className: 'dependency-row' },
      el('td', { text: e.parent }), el('td', { text: e.child }),
      el('td', { className: 'num', text: String(e.callCount) }),
      el('td', { className: e.errorCount ? 'num error-count' : 'num', text: String(e.errorCount) })));
  }
  table.append(body);
  return table;
}

export function operationsTable(ops, lookback) {
  const head = ['Service', 'Operation', 'Spans', 'Rate', 'Errors', 'p50', 'p95', 'p99', 'Max'];
  const table = el('table', { id: 'operations-table' },
    el('thead', {}, el('tr', {}, ...head.map((t) => el('th', { text: t })))));
  const body = el('tbody');
  for (const o of ops) {
    const c = serviceColour(o.service);
    const search = `/search?${new URLSearchParams({ service: o.service, operation: o.operation, lookback })}`;
    body.append(el('tr', { className: 'operation-row', 'data-service': o.service, 'data-operation': o.operation },
      el('td', {}, el('span', { className: 'tag', text: o.service, style: { background: c.background, color: c.text } })),
      el('td', {}, el('a', { href: search, className: 'operation-link', text: o.operation })),
      el('td', { className: 'num', text: String(o.count) }),
      el('td', { className: 'num', text: `${o.ratePerSecond < 1 ? (o.ratePerSecond * 60).toPrecision(3) + '/min' : o.ratePerSecond.toPrecision(3) + '/s'}` }),
      el('td', { className: o.errorCount ? 'num error-count' : 'num', text: `${(o.errorRatio * 100).toFixed(1)} %` }),
      el('td', { className: 'num p50', text: formatDuration(o.p50Ns) }),
      el('td', { className: 'num p95', text: formatDuration(o.p95Ns) }),
      el('td', { className: 'num p99', text: formatDuration(o.p99Ns) }),
      el('td', { className: 'num', text: formatDuration(o.maxNs) })));
  }
  table.append(body);
  return table;
}
