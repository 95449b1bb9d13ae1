// SPDX-License-Identifier: Apache-2.0
// The tracekit collector's viewer: search (form, scatter plot, list), one trace (waterfall,
// span details beside it, find, critical path, OTLP/JSON download and file open), log records
// (per span, per trace, and a log search). Pages are URLs: /search?..., /trace/{id}?span=...,
// /logs?....
// Span data only ever reaches the page through textContent and attributes set by DOM calls,
// never as markup, so a span named "<script>..." is shown as those characters.
import { dependencyTable, operationsTable, renderDependencyGraph } from './analytics.js';
import { serviceColour } from './colour.js';
import { diffTraces, renderDiff } from './compare.js';
import { anyValueText, el, formatDuration, formatTime, isPlainClick } from './format.js';
import { fromOtlpJson, toOtlpJson } from './otlp_json.js';
import { renderScatter } from './scatter.js';
import { Minimap } from './minimap.js';
import { prepareSpans } from './trace_model.js';
import { Waterfall } from './waterfall.js';

const $ = (id) => document.getElementById(id);

function showMessage(text) { $('message').textContent = text || ''; }

// The page shows what was asked for last. Each navigation (a search, a trace, a page) takes a
// turn, and an answer that arrives after a newer navigation began is dropped: a slow search
// must not replace the trace or the search the user asked for since.
let latestTurn = 0;
const takeTurn = () => ++latestTurn;
const superseded = (turn) => turn !== latestTurn;

async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: 'application/json' } });
  let body = null;
  try { body = await response.json(); } catch (e) { /* not JSON */ }
  if (!response.ok) {
    throw new Error((body && body.error) || `${response.status} ${response.statusText}`);
  }
  return body;
}

// Which page is shown: 'search', 'trace', 'logs', 'dependencies', 'operations' or 'compare'
// (the search form is only beside the search).
function showView(view) {
  document.body.dataset.view = view;
  $('results').hidden = view !== 'search';
  $('trace-view').hidden = view !== 'trace';
  $('logs-view').hidden = view !== 'logs';
  $('dependencies-view').hidden = view !== 'dependencies';
  $('operations-view').hidden = view !== 'operations';
  $('compare-view').hidden = view !== 'compare';
}

function serviceTag(service) {
  const c = serviceColour(service);
  return el('span', { className: 'tag', text: service, style: { background: c.background, color: c.text } });
}

// ---- search ----

async function loadServices() {
  try {
    const { data, truncated } = await getJson('/api/services');
    if (truncated) showMessage(`Only the first ${data.length} services are listed (the list is too large for one answer).`);
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
    const { data, truncated } = await getJson(`/api/services/${encodeURIComponent(service)}/operations`);
    if (truncated) showMessage(`Only the first ${data.length} operations are listed (the list is too large for one answer).`);
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

// Trace links open in the page on a plain click, and as links otherwise (new tab, copy).
function traceLink(traceId, spanId, props) {
  const href = spanId ? `/trace/${traceId}?span=${spanId}` : `/trace/${traceId}`;
  const a = el('a', { href, ...props });
  a.addEventListener('click', (ev) => {
    if (!isPlainClick(ev)) return;
    ev.preventDefault();
    openTrace(traceId, true, spanId);
  });
  return a;
}

async function search(pushHistory = true) {
  const turn = takeTurn();
  const params = searchParams();
  if (pushHistory) history.pushState({}, '', `/search?${params}`);
  showMessage('');
  showView('search');
  let traces;
  let truncated;
  try {
    ({ data: traces, truncated } = await getJson(`/api/traces?${params}`));
  } catch (e) {
    if (!superseded(turn)) showMessage(`Search failed: ${e.message}`);
    return;
  }
  if (superseded(turn)) return;
  // The answer stops at a byte budget (names come from exporters and may be long).
  if (truncated) showMessage(`Only the newest ${traces.length} matching traces fit in one answer; narrow the search to see others.`);
  const t0 = performance.now();
  const body = $('trace-list').querySelector('tbody');
  body.replaceChildren();
  $('results-title').textContent = `${traces.length} trace${traces.length === 1 ? '' : 's'}`;
  $('results').hidden = false;
  renderScatter($('scatter-plot'), traces, Math.max(300, $('results').clientWidth));
  const rows = document.createDocumentFragment();
  for (const t of traces) {
    const link = el('a', { href: `/trace/${t.traceId}`, className: 'trace-link' },
      el('span', { className: 'root-name', text: `${t.rootService}: ${t.rootName}` }),
      el('span', { className: 'trace-id', text: t.traceId }));
    rows.append(el('tr', { className: 'trace-row', 'data-trace-id': t.traceId },
      el('td', {}, link),
      el('td', {}, ...t.services.map(serviceTag)),
      el('td', { className: 'span-count', text: String(t.spanCount) }),
      el('td', { className: t.errorCount ? 'error-count' : '', text: t.errorCount ? String(t.errorCount) : '' }),
      el('td', { text: formatDuration(Number(t.durationNs)) }),
      el('td', { text: formatTime(t.startTimeUnixNano) })));
  }
  body.append(rows);
  // Measured by the browser test (1,000 results): DOM built and laid out.
  void document.body.offsetHeight;
  window.tracekitLastSearchRenderMs = performance.now() - t0;
  document.body.dataset.renderedSearch = String(traces.length);
}

// ---- one trace ----

function keyValueTable(attributes) {
  const table = el('table', { className: 'kv' });
  for (const kv of attributes || []) {
    table.append(el('tr', {}, el('td', { text: kv.key }), el('td', { text: anyValueText(kv.value) })));
  }
  return table;
}

let current = null;  // { traceId, spans, traceStart, total, waterfall, minimap, local }

function showSpanDetails(span) {
  const { traceStart } = current;
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
  if (current.waterfall.critical.has(span.spanId)) rows.push(['critical path', 'on it']);
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
    const traceId = String(l.traceId || '').toLowerCase();
    const spanId = String(l.spanId || '').toLowerCase();
    const text = `${traceId === current.traceId ? 'this trace' : `trace ${traceId}`}, span ${spanId}`;
    const target = /^[0-9a-f]{32}$/.test(traceId) && /^[0-9a-f]{16}$/.test(spanId)
      ? traceLink(traceId, spanId, { className: 'link-target', text })
      : el('span', { className: 'link-target', text });
    links.append(el('div', { className: 'link' }, target, keyValueTable(l.attributes)));
  }
  const spanLogs = span.logs || [];
  d.replaceChildren(
    el('button', { type: 'button', className: 'close-details', text: '×', title: 'Close the details', 'aria-label': 'Close the details' }),
    el('h3', { id: 'detail-name', text: span.name }),
    summary,
    el('h4', { text: `Logs (${spanLogs.length})` }), logTable(spanLogs, traceStart, false),
    el('h4', { text: `Attributes (${span.attributes.length})` }), keyValueTable(span.attributes),
    el('h4', { text: `Events (${span.events.length})` }), events,
    el('h4', { text: `Links (${span.links.length})` }), links,
    el('h4', { text: 'Resource' }), keyValueTable(span.resource.attributes));
  d.querySelector('.close-details').addEventListener('click', () => {
    d.hidden = true;
    setSpanInUrl(null);
  });
  d.hidden = false;
  d.scrollTop = 0;
  setSpanInUrl(span.spanId);
}

// The selected span is part of the URL (a deep link), without a new history entry per click.
function setSpanInUrl(spanId) {
  if (!current || current.local) return;
  const url = spanId ? `/trace/${current.traceId}?span=${spanId}` : `/trace/${current.traceId}`;
  if (location.pathname + location.search !== url) history.replaceState({}, '', url);
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
      const link = el('a', { href: `/trace/${log.traceId}?span=${log.spanId}`, className: 'log-span', text: log.spanId });
      link.addEventListener('click', (ev) => {
        if (!isPlainClick(ev)) return;
        ev.preventDefault();
        current.waterfall.selectSpan(log.spanId);
      });
      row.append(el('td', {}, link));
    } else if (linkSpans) {
      row.append(el('td', { text: '' }));
    } else if (log.traceId) {
      row.append(el('td', {}, traceLink(log.traceId, log.spanId || null, { className: 'log-trace', text: log.traceId })));
    }
    table.append(row);
  }
  return table;
}

// `moreLogs`: the trace has more log records than were fetched (the title says so).
function renderTrace(traceId, spans, logs, local = false, moreLogs = false) {
  const { traceStart, total } = prepareSpans(spans);
  const bySpan = new Map(spans.map((s) => [s.spanId, s]));
  for (const s of spans) s.logs = [];
  for (const log of logs) {
    const owner = bySpan.get(log.spanId);
    if (owner) owner.logs.push(log);
  }
  let { waterfall, minimap } = current || {};
  if (!waterfall) {
    minimap = new Minimap($('minimap'), (from, to) => waterfall.setZoom(from, to));
    waterfall = new Waterfall($('span-rows'), $('time-axis').querySelector('.axis-col'), showSpanDetails, (zoom) => {
      minimap.show(zoom);
      $('reset-zoom').disabled = zoom.from <= 0 && zoom.to >= current.total;
    });
  }
  current = { traceId, spans, traceStart, total, waterfall, minimap, local };
  $('reset-zoom').disabled = true;
  showView('trace');
  waterfall.render(spans, traceStart, total);
  minimap.draw(waterfall.ordered, total);
  const root = waterfall.ordered[0].span;
  const services = new Set(spans.map((s) => s.service));
  const errors = spans.filter((s) => s.status.code === 'ERROR').length;
  $('trace-title').textContent = `${root.service}: ${root.name}`;
  $('trace-summary').textContent =
    `${local ? 'From a file · ' : ''}Trace ${traceId} · ${spans.length} spans · ${services.size} service${services.size === 1 ? '' : 's'} · ` +
    `${formatDuration(total)} · ${errors} error${errors === 1 ? '' : 's'} · started ${formatTime(root.startTimeUnixNano)}`;
  $('trace-services').replaceChildren(...[...services].sort().map(serviceTag));
  $('find-in-trace').value = '';
  $('find-count').textContent = '';
  $('trace-logs-title').textContent = moreLogs
    ? `Logs (the first ${logs.length}; the trace has more)`
    : `Logs (${logs.length})`;
  $('trace-logs').replaceChildren(logTable(logs, traceStart, true));
  $('span-details').hidden = true;
  waterfall.paint();  // the texts above moved the rows
}

// The top box: a trace id opens the trace; anything else is looked up as a correlation id.
async function openTraceOrCorrelation(text) {
  const value = text.trim();
  if (/^[0-9a-fA-F]{32}$/.test(value)) return openTrace(value);
  if (!value) return;
  const turn = takeTurn();
  let traces;
  try {
    traces = (await getJson(`/api/correlations/${encodeURIComponent(value)}`)).data;
  } catch (e) {
    if (!superseded(turn)) showMessage(`Correlation id "${value}": ${e.message}`);
    return;
  }
  if (superseded(turn)) return;
  if (traces.length === 0) {
    showMessage(`"${value}" is neither a trace id (32 hex digits) nor a correlation id seen in any log.`);
    return;
  }
  if (traces.length === 1) return openTrace(traces[0]);
  showMessage(`Correlation id "${value}" was logged in ${traces.length} traces; showing its logs.`);
  searchLogs({ correlationId: value });
}

// A trace's log records in time order, page by page: an answer stops at about 8 MiB and says
// where the next starts ("next"). Compact pages list each resource and scope once (a record
// names them by id), so a service with a large resource does not repeat it per record. At most
// kMaxTraceLogs records are fetched; `more` says the trace has others.
const kMaxTraceLogs = 10000;
async function loadTraceLogs(id) {
  const logs = [];
  let after = null;
  do {
    const page = await getJson(`/api/traces/${id}/logs?compact=true` +
      (after ? `&after=${encodeURIComponent(after)}` : ''));
    for (const log of page.logs) {
      log.resource = page.resources[log.resourceId];
      log.scope = page.scopes[log.scopeId];
      logs.push(log);
    }
    after = page.next;
  } while (after && logs.length < kMaxTraceLogs);
  return { logs, more: Boolean(after) };
}

// Every span of a trace: a large trace comes in pages (so the server's memory stays bounded),
// each in start order.
async function loadTrace(id) {
  const trace = await getJson(`/api/traces/${id}`);
  if (trace.next) {
    for (let next = trace.next; next; ) {
      const page = await getJson(`/api/traces/${id}?after=${encodeURIComponent(next)}`);
      for (const span of page.spans) trace.spans.push(span);
      next = page.next;
    }
    const start = (s) => BigInt(s.startTimeUnixNano);
    trace.spans.sort((a, b) => (start(a) < start(b) ? -1 : start(a) > start(b) ? 1 : 0));
  }
  return trace;
}

async function openTrace(traceId, pushHistory = true, spanId = null) {
  const id = traceId.trim().toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(id)) {
    showMessage(`"${traceId}" is not a trace id: it takes 32 hex digits.`);
    return;
  }
  const turn = takeTurn();
  if (current && current.traceId === id && !current.local && !$('trace-view').hidden && spanId) {
    if (pushHistory) history.pushState({}, '', `/trace/${id}?span=${spanId}`);
    if (!current.waterfall.selectSpan(spanId)) showMessage(`Span ${spanId} is not in this trace.`);
    return;
  }
  if (pushHistory) history.pushState({}, '', spanId ? `/trace/${id}?span=${spanId}` : `/trace/${id}`);
  showMessage('');
  let trace;
  try {
    trace = await loadTrace(id);
    // The trace's log records, in time order; a trace without any still renders.
    try {
      ({ logs: trace.logs, more: trace.moreLogs } = await loadTraceLogs(id));
    } catch (e) {
      trace.logs = [];
    }
  } catch (e) {
    if (superseded(turn)) return;
    showView('trace');
    $('trace-view').hidden = true;
    showMessage(`Trace ${id}: ${e.message}`);
    return;
  }
  if (superseded(turn)) return;
  const t0 = performance.now();
  renderTrace(id, trace.spans, trace.logs, false, Boolean(trace.moreLogs));
  // Measured by the browser test (rendering a 5,000-span trace).
  window.tracekitLastRenderMs = performance.now() - t0;
  if (spanId && !current.waterfall.selectSpan(spanId)) showMessage(`Span ${spanId} is not in this trace.`);
  document.body.dataset.renderedTrace = id;
}

// Download: the trace as OTLP/JSON, which /v1/traces (of this or any collector) takes back.
function downloadTrace() {
  if (!current) return;
  const blob = new Blob([JSON.stringify(toOtlpJson(current.spans))], { type: 'application/json' });
  const a = el('a', { href: URL.createObjectURL(blob), download: `trace-${current.traceId}.json` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

// Open: an OTLP/JSON file (dropped on the page or chosen) is shown as a trace, without storing
// it. A file with several traces shows the one with the most spans.
async function openFile(file) {
  const turn = takeTurn();
  let spans;
  try {
    spans = fromOtlpJson(JSON.parse(await file.text()));
  } catch (e) {
    if (!superseded(turn)) showMessage(`${file.name}: ${e.message}`);
    return;
  }
  if (superseded(turn)) return;
  if (spans.length === 0) {
    showMessage(`${file.name} holds no spans.`);
    return;
  }
  const counts = new Map();
  for (const s of spans) counts.set(s.traceId, (counts.get(s.traceId) || 0) + 1);
  const traceId = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
  showMessage(counts.size > 1 ? `${file.name} holds ${counts.size} traces; showing ${traceId}.` : '');
  renderTrace(traceId, spans.filter((s) => s.traceId === traceId), [], true);
  document.body.dataset.renderedTrace = traceId;
}

function findInTrace(jump) {
  if (!current) return;
  const matches = current.waterfall.find($('find-in-trace').value);
  const text = $('find-in-trace').value.trim();
  $('find-count').textContent = text ? `${matches.length} of ${current.spans.length} spans match` : '';
  if (jump && matches.length) {
    const after = matches.find((i) => i > current.waterfall.selected);
    current.waterfall.select(after !== undefined ? after : matches[0]);
  }
}

// The name column's width (a share of the waterfall), dragged at the axis or set with the arrows.
function setupLabelResizer() {
  const handle = $('label-resizer');
  const set = (pct) => {
    const value = Math.round(Math.min(70, Math.max(15, pct)));
    $('waterfall').style.setProperty('--label-width', `${value}%`);
    handle.setAttribute('aria-valuenow', String(value));
  };
  handle.addEventListener('pointerdown', (e) => {
    e.preventDefault();
    const box = $('waterfall').getBoundingClientRect();
    const move = (ev) => set(((ev.clientX - box.left) / box.width) * 100);
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  });
  handle.addEventListener('click', (e) => e.stopPropagation());
  handle.addEventListener('keydown', (e) => {
    const now = Number(handle.getAttribute('aria-valuenow'));
    if (e.key === 'ArrowLeft') set(now - 2);
    else if (e.key === 'ArrowRight') set(now + 2);
    else return;
    e.preventDefault();
  });
}

// ---- compare two traces ----

async function compareTraces(idA, idB, pushHistory = true) {
  const [a, b] = [idA, idB].map((t) => t.trim().toLowerCase());
  for (const id of [a, b]) {
    if (!/^[0-9a-f]{32}$/.test(id)) {
      showMessage(`"${id}" is not a trace id: it takes 32 hex digits.`);
      return;
    }
  }
  const turn = takeTurn();
  if (pushHistory) history.pushState({}, '', `/compare/${a}/${b}`);
  showMessage('');
  showView('compare');
  $('compare-a').textContent = a;
  $('compare-a').href = `/trace/${a}`;
  $('compare-b').textContent = b;
  $('compare-b').href = `/trace/${b}`;
  let traces;
  try {
    traces = await Promise.all([loadTrace(a), loadTrace(b)]);
  } catch (e) {
    if (superseded(turn)) return;
    showMessage(`Compare: ${e.message}`);
    $('compare-result').replaceChildren();
    return;
  }
  if (superseded(turn)) return;
  renderDiff($('compare-result'), diffTraces(traces[0].spans, traces[1].spans));
  document.body.dataset.renderedCompare = `${a}/${b}`;
}

// ---- dependencies and operation statistics ----

async function showDependencies(pushHistory = true) {
  const turn = takeTurn();
  const lookback = $('dependencies-lookback').value;
  if (pushHistory) history.pushState({}, '', `/dependencies?lookback=${encodeURIComponent(lookback)}`);
  showMessage('');
  showView('dependencies');
  let edges;
  let truncated;
  try {
    ({ data: edges, truncated } = await getJson(`/api/dependencies?lookback=${encodeURIComponent(lookback)}`));
  } catch (e) {
    if (!superseded(turn)) showMessage(`Dependencies: ${e.message}`);
    return;
  }
  if (superseded(turn)) return;
  if (truncated) showMessage('Only part of the graph fits in one answer (the service names are very long).');
  $('dependencies-title').textContent = edges.length ? `${edges.length} caller → callee pairs` : 'No calls between services in this time range';
  renderDependencyGraph($('dependencies-graph'), edges, Math.max(400, $('dependencies-view').clientWidth));
  $('dependencies-list').replaceChildren(dependencyTable(edges));
  document.body.dataset.renderedDependencies = String(edges.length);
}

async function showOperations(pushHistory = true) {
  const turn = takeTurn();
  const lookback = $('operations-lookback').value;
  const service = $('operations-service').value.trim();
  const params = new URLSearchParams({ lookback });
  if (service) params.set('service', service);
  if (pushHistory) history.pushState({}, '', `/operations?${params}`);
  showMessage('');
  showView('operations');
  let ops;
  let truncated;
  try {
    ({ data: ops, truncated } = await getJson(`/api/operations/stats?${params}`));
  } catch (e) {
    if (!superseded(turn)) showMessage(`Operations: ${e.message}`);
    return;
  }
  if (superseded(turn)) return;
  if (truncated) showMessage(`Only ${ops.length} operations fit in one answer; choose a service to see others.`);
  $('operations-list').replaceChildren(operationsTable(ops, lookback));
  document.body.dataset.renderedOperations = String(ops.length);
}

// ---- the logs search page ----

// Runs a log search from the form (or `preset` values) and shows it; the URL is /logs?....
async function searchLogs(preset = null, pushHistory = true) {
  const fields = [['service', 'logs-service'], ['severity', 'logs-severity'], ['text', 'logs-text'],
    ['lookback', 'logs-lookback'], ['correlationId', 'logs-correlation'], ['limit', 'logs-limit']];
  const turn = takeTurn();
  if (preset) for (const [key, id] of fields) $(id).value = preset[key] || (key === 'lookback' ? 'all' : key === 'limit' ? '100' : '');
  const params = new URLSearchParams();
  for (const [key, id] of fields) if ($(id).value) params.set(key, $(id).value);
  if (pushHistory) history.pushState({}, '', `/logs?${params}`);
  showView('logs');
  let logs, answer;
  try {
    // Compact: each resource once per answer. An answer stops at about 8 MiB (and at the
    // limit); "next" then says more records match than are shown.
    params.set('compact', 'true');
    answer = await getJson(`/api/logs?${params}`);
    logs = answer.data;
  } catch (e) {
    if (superseded(turn)) return;
    showMessage(`Log search: ${e.message}`);
    $('log-list').replaceChildren();
    return;
  }
  if (superseded(turn)) return;
  if (!preset) showMessage('');
  $('logs-title').textContent = answer.next
    ? `Log records (the newest ${logs.length}; more match: narrow the search or raise the limit)`
    : `Log records (${logs.length}, newest first)`;
  $('log-list').replaceChildren(logTable(logs, null, false));
  document.body.dataset.renderedLogs = String(logs.length);
}

// ---- start ----

function route() {
  const path = location.pathname;
  const p = new URLSearchParams(location.search);
  if (path === '/logs') {
    searchLogs(Object.fromEntries(p.entries()), false);
  } else if (path === '/dependencies') {
    if (p.has('lookback')) $('dependencies-lookback').value = p.get('lookback');
    showDependencies(false);
  } else if (path === '/operations') {
    if (p.has('lookback')) $('operations-lookback').value = p.get('lookback');
    $('operations-service').value = p.get('service') || '';
    showOperations(false);
  } else if (path.startsWith('/compare/')) {
    const [a, b] = path.slice('/compare/'.length).split('/').map(decodeURIComponent);
    compareTraces(a || '', b || '', false);
  } else if (path.startsWith('/trace/')) {
    openTrace(decodeURIComponent(path.slice('/trace/'.length)), false, p.get('span'));
  } else if (path === '/search') {
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
  // Trace rows and scatter points open their trace in the page on a plain click; a row is a
  // target for the mouse as a whole, its link the one for the keyboard (and new tabs).
  $('trace-list').addEventListener('click', (ev) => {
    const row = ev.target.closest('tr.trace-row');
    if (!row || !isPlainClick(ev)) return;
    ev.preventDefault();
    openTrace(row.dataset.traceId);
  });
  $('scatter-plot').addEventListener('click', (ev) => {
    const a = ev.target.closest('a.scatter-point');
    if (!a || !isPlainClick(ev)) return;
    ev.preventDefault();
    openTrace(a.dataset.traceId);
  });
  $('open-form').addEventListener('submit', (e) => { e.preventDefault(); openTraceOrCorrelation($('open-trace-id').value); });
  $('logs-form').addEventListener('submit', (e) => { e.preventDefault(); searchLogs(); });
  $('logs-link').addEventListener('click', (e) => { if (isPlainClick(e)) { e.preventDefault(); searchLogs(); } });
  $('home').addEventListener('click', (e) => { if (isPlainClick(e)) { e.preventDefault(); search(); } });
  $('service').addEventListener('change', loadOperations);
  $('find-in-trace').addEventListener('input', () => findInTrace(false));
  $('find-in-trace').addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); findInTrace(true); } });
  $('show-critical').addEventListener('change', () => $('waterfall').classList.toggle('show-critical', $('show-critical').checked));
  $('collapse-all').addEventListener('click', () => current && current.waterfall.collapseAll(true));
  $('expand-all').addEventListener('click', () => current && current.waterfall.collapseAll(false));
  $('download-trace').addEventListener('click', downloadTrace);
  $('reset-zoom').addEventListener('click', () => current && current.waterfall.setZoom());
  setupLabelResizer();
  $('compare-form').addEventListener('submit', (e) => {
    e.preventDefault();
    if (current && !current.local) compareTraces(current.traceId, $('compare-with').value);
  });
  $('dependencies-link').addEventListener('click', (e) => { if (isPlainClick(e)) { e.preventDefault(); showDependencies(); } });
  $('operations-link').addEventListener('click', (e) => { if (isPlainClick(e)) { e.preventDefault(); showOperations(); } });
  $('dependencies-form').addEventListener('submit', (e) => { e.preventDefault(); showDependencies(); });
  $('operations-form').addEventListener('submit', (e) => { e.preventDefault(); showOperations(); });
  $('open-file').addEventListener('change', () => { if ($('open-file').files[0]) openFile($('open-file').files[0]); });
  document.addEventListener('dragover', (e) => { if (e.dataTransfer && [...e.dataTransfer.types].includes('Files')) e.preventDefault(); });
  document.addEventListener('drop', (e) => {
    if (!e.dataTransfer || !e.dataTransfer.files.length) return;
    e.preventDefault();
    openFile(e.dataTransfer.files[0]);
  });
  window.addEventListener('popstate', route);
  // The page's first view, unless the user has already gone somewhere (pasted a trace id,
  // opened a file) while the services were loading.
  const turnAtLoad = latestTurn;
  loadServices().then(() => { if (!superseded(turnAtLoad)) route(); });
});
