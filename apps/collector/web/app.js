// The tracekit collector's viewer: search, trace list, waterfall, span details, log records
// (per span, per trace, and a log search).
// Span data only ever reaches the page through textContent and attributes set by DOM calls,
// never as markup, so a span named "<script>..." is shown as those characters.
'use strict';

const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'text') node.textContent = v;
    else if (k === 'className') node.className = v;
    else if (k === 'style') Object.assign(node.style, v);
    else if (k.startsWith('data-')) node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children) if (c != null) node.append(c);
  return node;
}

function showMessage(text) { $('message').textContent = text || ''; }

async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: 'application/json' } });
  let body = null;
  try { body = await response.json(); } catch (e) { /* not JSON */ }
  if (!response.ok) {
    throw new Error((body && body.error) || `${response.status} ${response.statusText}`);
  }
  return body;
}

// ---- formatting ----

function formatDuration(ns) {
  if (ns < 1e3) return `${ns} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(ns < 1e4 ? 2 : 1)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(ns < 1e7 ? 2 : 1)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

function formatTime(unixNanoText) {
  const ms = Number(BigInt(unixNanoText) / 1000000n);
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC');
}

function anyValueText(v) {
  if (!v || typeof v !== 'object') return '';
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return String(v.intValue);
  if ('doubleValue' in v) return String(v.doubleValue);
  if ('boolValue' in v) return String(v.boolValue);
  if ('bytesValue' in v) return `base64:${v.bytesValue}`;
  if ('arrayValue' in v) return `[${(v.arrayValue.values || []).map(anyValueText).join(', ')}]`;
  if ('kvlistValue' in v) {
    return `{${(v.kvlistValue.values || []).map((kv) => `${kv.key}: ${anyValueText(kv.value)}`).join(', ')}}`;
  }
  return '';
}

// A colour per service: distinct ones in order of first sight, then hues from the name.
const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f', '#bab0ac', '#e15759'];
const serviceColours = new Map();
function colourOf(service) {
  if (!serviceColours.has(service)) {
    let colour = PALETTE[serviceColours.size];
    if (!colour) {
      let h = 0;
      for (const ch of service) h = (h * 31 + ch.codePointAt(0)) >>> 0;
      colour = `hsl(${h % 360}, 55%, 58%)`;
    }
    serviceColours.set(service, colour);
  }
  return serviceColours.get(service);
}

// ---- search ----

async function loadServices() {
  try {
    const { data } = await getJson('/api/services');
    const select = $('service');
    const current = select.value;
    select.replaceChildren(el('option', { value: '', text: 'any' }));
    for (const s of data) select.append(el('option', { value: s, text: s }));
    if (data.includes(current)) select.value = current;
  } catch (e) {
    showMessage(`Could not load services: ${e.message}`);
  }
}

async function loadOperations() {
  const service = $('service').value;
  const select = $('operation');
  select.replaceChildren(el('option', { value: '', text: 'any' }));
  if (!service) return;
  try {
    const { data } = await getJson(`/api/services/${encodeURIComponent(service)}/operations`);
    const names = [...new Set(data.map((op) => op.name))];
    for (const name of names) select.append(el('option', { value: name, text: name }));
  } catch (e) {
    showMessage(`Could not load operations: ${e.message}`);
  }
}

function searchParams() {
  const p = new URLSearchParams();
  const add = (key, value) => { if (value) p.set(key, value); };
  add('service', $('service').value);
  add('operation', $('operation').value);
  add('attribute', $('attribute').value.trim());
  add('minDuration', $('min-duration').value.trim());
  add('maxDuration', $('max-duration').value.trim());
  add('lookback', $('lookback').value);
  if ($('errors').checked) p.set('errors', 'true');
  add('limit', $('limit').value);
  return p;
}

async function search(pushHistory = true) {
  $('logs-view').hidden = true;
  const params = searchParams();
  if (pushHistory) history.pushState({}, '', `/search?${params}`);
  showMessage('');
  $('trace-view').hidden = true;
  let traces;
  try {
    ({ data: traces } = await getJson(`/api/traces?${params}`));
  } catch (e) {
    showMessage(`Search failed: ${e.message}`);
    return;
  }
  const body = $('trace-list').querySelector('tbody');
  body.replaceChildren();
  for (const t of traces) {
    const row = el('tr', { className: 'trace-row', 'data-trace-id': t.traceId },
      el('td', {},
        el('div', { className: 'root-name', text: `${t.rootService}: ${t.rootName}` }),
        el('div', { className: 'trace-id', text: t.traceId })),
      el('td', {}, ...t.services.map((s) => el('span', { className: 'tag', text: s, style: { borderLeft: `4px solid ${colourOf(s)}` } }))),
      el('td', { className: 'span-count', text: String(t.spanCount) }),
      el('td', { className: t.errorCount ? 'error-count' : '', text: t.errorCount ? String(t.errorCount) : '' }),
      el('td', { text: formatDuration(Number(t.durationNs)) }),
      el('td', { text: formatTime(t.startTimeUnixNano) }));
    row.addEventListener('click', () => openTrace(t.traceId));
    body.append(row);
  }
  $('results-title').textContent = `${traces.length} trace${traces.length === 1 ? '' : 's'}`;
  $('results').hidden = false;
}

// ---- one trace ----

// Orders spans depth-first under their parents (children by start time); spans whose parent is
// not in the trace are roots. Returns [{span, depth}].
function treeOrder(spans) {
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
  const out = [];
  const seen = new Set();
  // Iterative, so a deep trace cannot overflow the stack; `seen` stops parent cycles.
  const stack = roots.slice().reverse().map((s) => [s, 0]);
  while (stack.length) {
    const [s, depth] = stack.pop();
    if (seen.has(s.spanId)) continue;
    seen.add(s.spanId);
    out.push({ span: s, depth });
    const kids = children.get(s.spanId) || [];
    for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i], depth + 1]);
  }
  for (const s of spans) if (!seen.has(s.spanId)) out.push({ span: s, depth: 0 });  // in a cycle
  return out;
}

function keyValueTable(attributes) {
  const table = el('table', { className: 'kv' });
  for (const kv of attributes || []) {
    table.append(el('tr', {}, el('td', { text: kv.key }), el('td', { text: anyValueText(kv.value) })));
  }
  return table;
}

function showSpanDetails(span, traceStart) {
  const d = $('span-details');
  const rows = [
    ['service', span.service],
    ['kind', span.kind],
    ['span id', span.spanId],
    ['parent span id', span.parentSpanId || '(root)'],
    ['start', `${formatDuration(Number(span.start - traceStart))} after the trace start (${formatTime(span.startTimeUnixNano)})`],
    ['duration', formatDuration(Number(span.durationNs))],
    ['status', span.status.message ? `${span.status.code}: ${span.status.message}` : span.status.code],
    ['scope', [span.scope.name, span.scope.version].filter(Boolean).join(' ')],
  ];
  if (span.traceState) rows.push(['trace state', span.traceState]);
  if (span.droppedAttributesCount) rows.push(['dropped attributes', String(span.droppedAttributesCount)]);
  if (span.droppedEventsCount) rows.push(['dropped events', String(span.droppedEventsCount)]);
  if (span.droppedLinksCount) rows.push(['dropped links', String(span.droppedLinksCount)]);
  const summary = el('table', { className: 'summary' });
  for (const [k, v] of rows) summary.append(el('tr', {}, el('td', { text: k }), el('td', { text: v })));

  const events = el('div', { className: 'events' });
  for (const e of span.events) {
    const offset = BigInt(e.timeUnixNano) - span.start;
    events.append(el('div', { className: 'event' },
      el('strong', { className: 'event-name', text: e.name }),
      el('span', { className: 'event-time', text: ` at ${formatDuration(Number(offset))} (${formatTime(e.timeUnixNano)})` }),
      keyValueTable(e.attributes)));
  }
  const links = el('div', { className: 'links' });
  for (const l of span.links) {
    const target = el('a', { href: `/trace/${l.traceId}`, className: 'link-target', text: `trace ${l.traceId} span ${l.spanId}` });
    target.addEventListener('click', (ev) => { ev.preventDefault(); openTrace(l.traceId); });
    links.append(el('div', { className: 'link' }, target, keyValueTable(l.attributes)));
  }
  const spanLogs = span.logs || [];
  d.replaceChildren(
    el('h3', { id: 'detail-name', text: span.name }),
    summary,
    el('h4', { text: `Logs (${spanLogs.length})` }), logTable(spanLogs, traceStart, false),
    el('h4', { text: `Attributes (${span.attributes.length})` }), keyValueTable(span.attributes),
    el('h4', { text: `Events (${span.events.length})` }), events,
    el('h4', { text: `Links (${span.links.length})` }), links,
    el('h4', { text: 'Resource' }), keyValueTable(span.resource.attributes));
  d.hidden = false;
}

// ---- log records ----

function severityClass(log) {
  const n = Number(log.severityNumber) || 0;
  return n >= 17 ? 'sev-error' : n >= 13 ? 'sev-warn' : 'sev-info';
}

function logAttributesText(log) {
  return (log.attributes || []).map((kv) => `${kv.key}=${anyValueText(kv.value)}`).join(' ');
}

// A table of log records: time (after the trace start when one is given), severity, service,
// body and attributes; with `linkSpans`, each row's span id selects that span in the waterfall.
function logTable(logs, traceStart, linkSpans) {
  const table = el('table', { className: 'logs' });
  for (const log of logs) {
    const when = traceStart != null
      ? `+${formatDuration(Number(BigInt(log.timeUnixNano) - traceStart))}`
      : formatTime(log.timeUnixNano);
    const row = el('tr', { className: `log-row ${severityClass(log)}`, 'data-span-id': log.spanId || '' },
      el('td', { className: 'log-time', text: when, title: formatTime(log.timeUnixNano) }),
      el('td', { className: 'log-severity', text: log.severityText || String(log.severityNumber) }),
      el('td', { className: 'log-service', text: log.service }),
      el('td', { className: 'log-body', text: log.body }),
      el('td', { className: 'log-attributes', text: logAttributesText(log) }));
    if (linkSpans && log.spanId) {
      const link = el('a', { href: '#', className: 'log-span', text: log.spanId });
      link.addEventListener('click', (ev) => { ev.preventDefault(); selectSpan(log.spanId); });
      row.append(el('td', {}, link));
    } else if (linkSpans) {
      row.append(el('td', { text: '' }));
    } else if (log.traceId) {
      const link = el('a', { href: `/trace/${log.traceId}`, className: 'log-trace', text: log.traceId });
      link.addEventListener('click', (ev) => { ev.preventDefault(); openTrace(log.traceId); });
      row.append(el('td', {}, link));
    }
    table.append(row);
  }
  return table;
}

// Selects a span's row as a click on it would (from a log's span link).
function selectSpan(spanId) {
  const row = document.querySelector(`#span-rows .span-row[data-span-id="${CSS.escape(spanId)}"]`);
  if (row) {
    row.click();
    row.scrollIntoView({ block: 'nearest' });
  }
}

function renderTrace(trace) {
  const spans = trace.spans;
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
  const total = Number(traceEnd - traceStart) || 1;
  const logs = trace.logs || [];
  const bySpan = new Map(spans.map((s) => [s.spanId, s]));
  for (const s of spans) s.logs = [];
  for (const log of logs) {
    const owner = bySpan.get(log.spanId);
    if (owner) owner.logs.push(log);
  }
  const ordered = treeOrder(spans);
  const root = ordered[0].span;
  const services = new Set(spans.map((s) => s.service));
  const errors = spans.filter((s) => s.status.code === 'ERROR').length;
  $('trace-title').textContent = `${root.service}: ${root.name}`;
  $('trace-summary').textContent =
    `Trace ${trace.traceId} · ${spans.length} spans · ${services.size} service${services.size === 1 ? '' : 's'} · ` +
    `${formatDuration(total)} · ${errors} error${errors === 1 ? '' : 's'} · started ${formatTime(root.startTimeUnixNano)}`;

  const axis = $('time-axis').querySelector('.axis-col');
  axis.replaceChildren();
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    axis.append(el('span', { className: 'tick', text: formatDuration(Math.round(total * f)), style: { left: `${f * 100}%` } }));
  }

  const fragment = document.createDocumentFragment();
  let selected = null;
  for (const { span, depth } of ordered) {
    const left = (Number(span.start - traceStart) / total) * 100;
    const width = (Number(span.end - span.start) / total) * 100;
    const isError = span.status.code === 'ERROR';
    const bar = el('div', { className: isError ? 'bar error' : 'bar', style: { left: `${left}%`, width: `${width}%`, background: colourOf(span.service) } });
    const label = el('span', { className: 'bar-label', text: formatDuration(Number(span.durationNs)) });
    // After the bar when there is room, else before it, else inside its end.
    if (left + width <= 85) label.style.left = `calc(${left + width}% + 4px)`;
    else if (left >= 15) label.style.right = `calc(${100 - left}% + 4px)`;
    else {
      label.style.right = `calc(${100 - left - width}% + 4px)`;
      label.classList.add('inside');
    }
    const row = el('div', {
      className: isError ? 'span-row error' : 'span-row',
      'data-span-id': span.spanId,
      'data-parent-id': span.parentSpanId,
      'data-depth': String(depth),
    },
      el('div', { className: 'label-col', style: { paddingLeft: `${6 + depth * 14}px` }, title: `${span.service}: ${span.name}` },
        el('span', { className: 'service', text: `${span.service}: ` }),
        el('span', { className: 'name', text: span.name })),
      el('div', { className: 'bar-col' }, bar, label, ...span.logs.map((log) => {
        // A mark where the record was written, in the span's row; its body as the tooltip.
        const at = (Number(BigInt(log.timeUnixNano) - traceStart) / total) * 100;
        return el('span', {
          className: `log-mark ${severityClass(log)}`,
          title: `${log.severityText} ${log.body}`,
          style: { left: `${Math.min(100, Math.max(0, at))}%` },
        });
      })));
    row.addEventListener('click', () => {
      if (selected) selected.classList.remove('selected');
      selected = row;
      row.classList.add('selected');
      showSpanDetails(span, traceStart);
    });
    fragment.append(row);
  }
  $('span-rows').replaceChildren(fragment);
  $('trace-logs-title').textContent = `Logs (${logs.length})`;
  $('trace-logs').replaceChildren(logTable(logs, traceStart, true));
  $('span-details').hidden = true;
  $('results').hidden = true;
  $('logs-view').hidden = true;
  $('trace-view').hidden = false;
}

// The top box: a trace id opens the trace; anything else is looked up as a correlation id.
async function openTraceOrCorrelation(text) {
  const value = text.trim();
  if (/^[0-9a-fA-F]{32}$/.test(value)) return openTrace(value);
  if (!value) return;
  let traces;
  try {
    traces = (await getJson(`/api/correlations/${encodeURIComponent(value)}`)).data;
  } catch (e) {
    showMessage(`Correlation id "${value}": ${e.message}`);
    return;
  }
  if (traces.length === 0) {
    showMessage(`"${value}" is neither a trace id (32 hex digits) nor a correlation id seen in any log.`);
    return;
  }
  if (traces.length === 1) return openTrace(traces[0]);
  showMessage(`Correlation id "${value}" was logged in ${traces.length} traces; showing its logs.`);
  searchLogs({ correlationId: value });
}

async function openTrace(traceId, pushHistory = true) {
  const id = traceId.trim().toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(id)) {
    showMessage(`"${traceId}" is not a trace id: it takes 32 hex digits.`);
    return;
  }
  if (pushHistory) history.pushState({}, '', `/trace/${id}`);
  showMessage('');
  let trace;
  try {
    trace = await getJson(`/api/traces/${id}`);
    // A large trace comes in pages (so the server's memory stays bounded), each in start order.
    if (trace.next) {
      for (let next = trace.next; next; ) {
        const page = await getJson(`/api/traces/${id}?after=${encodeURIComponent(next)}`);
        for (const span of page.spans) trace.spans.push(span);
        next = page.next;
      }
      const start = (s) => BigInt(s.startTimeUnixNano);
      trace.spans.sort((a, b) => (start(a) < start(b) ? -1 : start(a) > start(b) ? 1 : 0));
    }
    // The trace's log records, in time order; a trace without any still renders.
    try {
      trace.logs = (await getJson(`/api/traces/${id}/logs`)).logs;
    } catch (e) {
      trace.logs = [];
    }
  } catch (e) {
    $('trace-view').hidden = true;
    showMessage(`Trace ${id}: ${e.message}`);
    return;
  }
  const t0 = performance.now();
  renderTrace(trace);
  // Measured by the browser test (rendering a 5,000-span trace).
  window.tracekitLastRenderMs = performance.now() - t0;
  document.body.dataset.renderedTrace = id;
}

// ---- the logs search page ----

// Runs a log search from the form (or `preset` values) and shows it; the URL is /logs?....
async function searchLogs(preset = null, pushHistory = true) {
  const fields = [['service', 'logs-service'], ['severity', 'logs-severity'], ['text', 'logs-text'],
    ['lookback', 'logs-lookback'], ['correlationId', 'logs-correlation'], ['limit', 'logs-limit']];
  if (preset) for (const [key, id] of fields) $(id).value = preset[key] || (key === 'lookback' ? 'all' : key === 'limit' ? '100' : '');
  const params = new URLSearchParams();
  for (const [key, id] of fields) if ($(id).value) params.set(key, $(id).value);
  if (pushHistory) history.pushState({}, '', `/logs?${params}`);
  $('results').hidden = true;
  $('trace-view').hidden = true;
  $('logs-view').hidden = false;
  let logs;
  try {
    logs = (await getJson(`/api/logs?${params}`)).data;
  } catch (e) {
    showMessage(`Log search: ${e.message}`);
    $('log-list').replaceChildren();
    return;
  }
  if (!preset) showMessage('');
  $('logs-title').textContent = `Log records (${logs.length}, newest first)`;
  $('log-list').replaceChildren(logTable(logs, null, false));
  document.body.dataset.renderedLogs = String(logs.length);
}

// ---- start ----

function route() {
  const path = location.pathname;
  if (path === '/logs') {
    const p = new URLSearchParams(location.search);
    searchLogs(Object.fromEntries(p.entries()), false);
  } else if (path.startsWith('/trace/')) {
    openTrace(decodeURIComponent(path.slice('/trace/'.length)), false);
  } else if (path === '/search') {
    const p = new URLSearchParams(location.search);
    for (const [key, id] of [['attribute', 'attribute'], ['minDuration', 'min-duration'], ['maxDuration', 'max-duration'], ['limit', 'limit']]) {
      if (p.has(key)) $(id).value = p.get(key);
    }
    if (p.has('lookback')) $('lookback').value = p.get('lookback');
    $('errors').checked = p.get('errors') === 'true';
    if (p.has('service')) {
      $('service').value = p.get('service');
      loadOperations().then(() => {
        if (p.has('operation')) $('operation').value = p.get('operation');
        search(false);
      });
      return;
    }
    search(false);
  } else {
    search(false);
  }
}

document.addEventListener('DOMContentLoaded', () => {
  $('search-form').addEventListener('submit', (e) => { e.preventDefault(); search(); });
  $('open-form').addEventListener('submit', (e) => { e.preventDefault(); openTraceOrCorrelation($('open-trace-id').value); });
  $('logs-form').addEventListener('submit', (e) => { e.preventDefault(); searchLogs(); });
  $('logs-link').addEventListener('click', (e) => { e.preventDefault(); searchLogs(); });
  $('service').addEventListener('change', loadOperations);
  window.addEventListener('popstate', route);
  loadServices().then(route);
});
