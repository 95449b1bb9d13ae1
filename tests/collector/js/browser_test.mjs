// SPDX-License-Identifier: Apache-2.0
// The viewer in real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core):
// search (deep links, scatter plot, trace rows as links), open a trace from the list, the
// waterfall shows every span under its parent, span details beside it, keyboard use (arrows,
// Enter, collapse), span deep links, find-in-trace, event marks, the critical path, stable
// service colours with WCAG AA label contrast, the sticky axis above the bars, OTLP/JSON
// download and file open, paste-a-trace-id, the XSS probes stay text, and a 5,000-span trace
// renders (timed).
//   node browser_test.mjs <tracekit-collector binary> <artifact dir>
// Writes <artifact dir>/collector-{trace,search,dependencies,operations}.png and
// collector_render.json.
// Exit 0: passed, 1: failed, 77: skipped (playwright-core or chromium missing).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { startCollector, waitForJson, watchdog } from './collector_process.mjs';

const [binary, artifactDir] = process.argv.slice(2);
const chromiumPath = process.env.TRACEKIT_CHROMIUM || '/usr/bin/chromium';
watchdog(80000, 'browser_test');
const require = createRequire(import.meta.url);
let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch (e) {
  console.log('SKIP: playwright-core is not installed in tests/collector/js/node_modules ' +
    '(scripts/install-deps.sh runs npm ci there; was the npm registry unreachable?)');
  process.exit(77);
}
if (!existsSync(chromiumPath)) {
  console.log(`SKIP: no Chromium at ${chromiumPath} (install Debian's chromium package)`);
  process.exit(77);
}
mkdirSync(artifactDir, { recursive: true });

const hex = (bytes) => randomBytes(bytes).toString('hex');
const XSS_NAME = '<script>alert(1)</script>';
const XSS_VALUE = '<img src=x onerror="window.__xss=1">';
const T0 = 1700000000000000000n;

function otlpSpan(traceId, spanId, parentSpanId, name, startOffsetNs, durationNs, extra = {}) {
  return {
    traceId, spanId, parentSpanId, name, kind: 2,
    startTimeUnixNano: String(T0 + BigInt(startOffsetNs)),
    endTimeUnixNano: String(T0 + BigInt(startOffsetNs + durationNs)),
    ...extra,
  };
}

function request(service, spans) {
  return {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [{ scope: { name: 'browser-test' }, spans }],
    }],
  };
}

async function post(url, body) {
  const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(r.status, 200, await r.text());
}

// Log records of the known trace (OTLP/JSON to /v1/logs): two under docker_runner.execute (one an
// XSS probe in its body and attributes), one under the root, all with a correlation id.
const CORRELATION = `corr-${hex(4)}`;
function logRecord(spanId, offsetNs, severityNumber, severityText, body, attributes = []) {
  return {
    timeUnixNano: String(T0 + BigInt(offsetNs)), observedTimeUnixNano: String(T0 + BigInt(offsetNs)),
    severityNumber, severityText, body: { stringValue: body }, traceId, spanId, flags: 1,
    attributes: [{ key: 'correlation_id', value: { stringValue: CORRELATION } }, ...attributes],
  };
}
function logsRequest(service, records) {
  return {
    resourceLogs: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeLogs: [{ scope: { name: 'browser-test' }, logRecords: records }],
    }],
  };
}

// The known trace: web GET /tools/{id} > execute_tool_version > docker_runner.execute > XSS probe,
// plus db SELECT (an error) under the root. Two services, five spans.
const traceId = hex(16);
const ids = { root: hex(8), exec: hex(8), docker: hex(8), xss: hex(8), db: hex(8) };
const expectedParent = { [ids.root]: '', [ids.exec]: ids.root, [ids.docker]: ids.exec, [ids.xss]: ids.docker, [ids.db]: ids.root };
const webSpans = [
  otlpSpan(traceId, ids.root, '', 'GET /tools/{id}', 0, 120e6, {
    attributes: [{ key: 'http.method', value: { stringValue: 'GET' } }, { key: 'http.status_code', value: { intValue: '200' } }],
  }),
  otlpSpan(traceId, ids.exec, ids.root, 'execute_tool_version', 10e6, 100e6, { kind: 1 }),
];
const runnerSpans = [
  otlpSpan(traceId, ids.docker, ids.exec, 'docker_runner.execute', 20e6, 80e6, {
    kind: 1,
    events: [
      { timeUnixNano: String(T0 + 25000000n), name: 'volume_created', attributes: [{ key: 'volume_name', value: { stringValue: 'vol-1' } }] },
      { timeUnixNano: String(T0 + 30000000n), name: 'container_started' },
    ],
  }),
  otlpSpan(traceId, ids.xss, ids.docker, XSS_NAME, 40e6, 10e6, {
    kind: 1,
    attributes: [{ key: 'payload', value: { stringValue: XSS_VALUE } }],
    links: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' }],
  }),
];
const dbSpans = [
  otlpSpan(traceId, ids.db, ids.root, 'SELECT tools', 5e6, 3e6, { kind: 3, status: { code: 2, message: 'deadlock' } }),
];

// A 5,000-span trace: a root with 50 children, each with 99 children of its own (the last 98).
const bigTraceId = hex(16);
const bigSpans = [];
const bigRoot = hex(8);
bigSpans.push(otlpSpan(bigTraceId, bigRoot, '', 'big root', 0, 5000e6));
for (let i = 0; i < 50; i++) {
  const mid = hex(8);
  bigSpans.push(otlpSpan(bigTraceId, mid, bigRoot, `stage ${i}`, i * 100e6, 100e6));
  for (let j = 0; j < (i === 49 ? 98 : 99); j++) {
    bigSpans.push(otlpSpan(bigTraceId, hex(8), mid, `step ${i}.${j}`, i * 100e6 + j * 1e6, 1e6, { kind: 1 }));
  }
}

// The critical-path trace: root 0-100 ms with children A 0-60 and B 10-90; B has C 20-30 and
// D 50-80. Walking back from the root's end: B (ends last), inside it D then C; A ends after B
// starts, so it is not on the path. The root's name and an event are XSS probes (they reach
// the search list, the scatter plot's tooltips and the event marks).
const cpTraceId = hex(16);
const cp = { root: hex(8), a: hex(8), b: hex(8), c: hex(8), d: hex(8) };
const cpSpans = [
  otlpSpan(cpTraceId, cp.root, '', XSS_NAME, 0, 100e6, {
    events: [{ timeUnixNano: String(T0 + 1000000n), name: XSS_VALUE, attributes: [{ key: XSS_NAME, value: { stringValue: XSS_VALUE } }] }],
  }),
  otlpSpan(cpTraceId, cp.a, cp.root, 'A', 0, 60e6, { kind: 3 }),
  otlpSpan(cpTraceId, cp.b, cp.root, 'B', 10e6, 80e6, { kind: 3 }),
  otlpSpan(cpTraceId, cp.c, cp.b, 'C', 20e6, 10e6, { kind: 1 }),
  otlpSpan(cpTraceId, cp.d, cp.b, 'D', 50e6, 30e6, { kind: 1 }),
];

// Two recent traces (for the last-hour pages): gateway GET /order > orders create > payments
// charge. In the second, everything but charge is slower, create fails, a refund (named as an
// XSS probe) is added and orders' audit is missing.
const NOW = BigInt(Date.now()) * 1000000n - 60000000000n;
const nowTraces = [hex(16), hex(16)];
function nowSpan(trace, spanId, parent, name, offsetMs, durationMs, error = false) {
  return {
    traceId: trace, spanId, parentSpanId: parent, name, kind: 2,
    startTimeUnixNano: String(NOW + BigInt(offsetMs * 1e6)),
    endTimeUnixNano: String(NOW + BigInt((offsetMs + durationMs) * 1e6)),
    ...(error ? { status: { code: 2 } } : {}),
  };
}
const nowIds = nowTraces.map(() => ({ root: hex(8), create: hex(8), charge: hex(8), extra: hex(8) }));
const gatewaySpans = nowTraces.map((t, i) => nowSpan(t, nowIds[i].root, '', 'GET /order', 0, i ? 200 : 100));
const ordersSpans = [
  nowSpan(nowTraces[0], nowIds[0].create, nowIds[0].root, 'create', 10, 80),
  nowSpan(nowTraces[0], nowIds[0].extra, nowIds[0].create, 'audit', 85, 4),
  nowSpan(nowTraces[1], nowIds[1].create, nowIds[1].root, 'create', 10, 180, true),
];
const paymentsSpans = [
  nowSpan(nowTraces[0], nowIds[0].charge, nowIds[0].create, 'charge', 20, 20),
  nowSpan(nowTraces[1], nowIds[1].charge, nowIds[1].create, 'charge', 20, 20),
  nowSpan(nowTraces[1], nowIds[1].extra, nowIds[1].create, XSS_NAME, 50, 10),
];

// WCAG 2 contrast of two CSS colours "rgb(r, g, b)" (computed styles).
function contrastRatio(fg, bg) {
  const rgb = (c) => c.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => {
    const lin = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  const [a, b] = [lum(rgb(fg)), lum(rgb(bg))].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}

// Pages of 2,000 spans: the 5,000-span trace reaches the viewer in three pages, which it joins.
const collector = await startCollector(binary, ['--trace-page-spans', '2000']);
let browser;
let failed = false;
const check = async (what, fn) => {
  try {
    await fn();
    console.log(`ok: ${what}`);
  } catch (e) {
    failed = true;
    console.error(`FAIL: ${what}: ${e.stack}`);
  }
};
try {
  await post(collector.otlp_url, request('web', webSpans));
  await post(collector.otlp_url, request('runner', runnerSpans));
  await post(collector.otlp_url, request('db', dbSpans));
  await post(collector.otlp_url, request('bulk', bigSpans));
  await post(collector.otlp_url, request('checkout', cpSpans));
  await post(collector.otlp_url, request('gateway', gatewaySpans));
  await post(collector.otlp_url, request('orders', ordersSpans));
  await post(collector.otlp_url, request('payments', paymentsSpans));
  // Three hours ago (outside the last hour): a service named as an XSS probe calls payments.
  const probeTrace = hex(16);
  const probeRoot = hex(8);
  await post(collector.otlp_url, request(XSS_VALUE, [nowSpan(probeTrace, probeRoot, '', XSS_NAME, -3 * 3600e3, 5)]));
  await post(collector.otlp_url, request('payments', [nowSpan(probeTrace, hex(8), probeRoot, 'charge', -3 * 3600e3 + 1, 2)]));
  await waitForJson(`${collector.ui_url}/api/traces/${traceId}`, (t) => t.spans.length === 5);
  const logsUrl = collector.otlp_url.replace('/v1/traces', '/v1/logs');
  await post(logsUrl, logsRequest('web', [logRecord(ids.root, 1_000_000, 9, 'INFO', 'request.received')]));
  await post(logsUrl, logsRequest('runner', [
    logRecord(ids.docker, 6_000_000, 9, 'INFO', 'container.started', [{ key: 'container_id', value: { stringValue: '3f2a9c' } }]),
    logRecord(ids.docker, 7_000_000, 17, 'ERROR', XSS_NAME, [{ key: 'probe', value: { stringValue: XSS_VALUE } }]),
  ]));
  await waitForJson(`${collector.ui_url}/api/traces/${traceId}/logs`, (t) => t.logs.length === 3);
  // A trace with more logs than one answer holds (7,000 records of 1.5 KB: about 13 MB, two pages of
  // about 8 MiB), each record under a 32 KB resource that a compact answer lists once.
  const manyLogsTrace = hex(16);
  const manyLogsSpan = hex(8);
  await post(collector.otlp_url, request('chatty', [otlpSpan(manyLogsTrace, manyLogsSpan, '', 'chatter', 0, 50e6)]));
  for (let batch = 0; batch < 4; ++batch) {
    const records = [];
    for (let i = batch * 1750; i < (batch + 1) * 1750; ++i) {
      records.push({
        timeUnixNano: String(T0 + BigInt(i)), severityNumber: 9, severityText: 'INFO',
        body: { stringValue: `line ${i} ` + 'x'.repeat(1500) }, traceId: manyLogsTrace, spanId: manyLogsSpan,
      });
    }
    await post(logsUrl, {
      resourceLogs: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'chatty' } },
          { key: 'big', value: { stringValue: 'r'.repeat(32000) } }] },
        scopeLogs: [{ scope: { name: 'browser-test' }, logRecords: records }],
      }],
    });
  }
  await waitForJson(`${collector.ui_url}/api/traces/${manyLogsTrace}/logs?compact=true`, (t) => Boolean(t.next));
  await waitForJson(`${collector.ui_url}/api/traces/${bigTraceId}`, (t) => t.spans.length === 2000 && t.next);

  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    timeout: 20000,
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(10000);
  const dialogs = [];
  const pageErrors = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  page.on('pageerror', (e) => pageErrors.push(e.message));

  await check('search lists the trace with its root, services, span count and errors', async () => {
    await page.goto(collector.ui_url + '/');
    await page.waitForSelector('#service option[value="web"]', { state: 'attached' });
    await page.selectOption('#service', 'web');
    await page.click('#search-button');
    // The page's own search on load (any service) lists this trace too: wait for the answer to
    // the search asked for.
    await page.waitForSelector('body[data-rendered-search="1"]');
    const row = page.locator(`tr.trace-row[data-trace-id="${traceId}"]`);
    assert.equal(await row.locator('.root-name').textContent(), 'web: GET /tools/{id}');
    assert.equal(await row.locator('.span-count').textContent(), '5');
    assert.equal(await row.locator('.error-count').textContent(), '1');
    const services = await row.locator('.tag').allTextContents();
    assert.deepEqual(services.sort(), ['db', 'runner', 'web']);
    assert.equal(await page.locator('tr.trace-row').count(), 1, 'only the web trace matches service=web');
  });

  await check('opening the trace shows every span under its parent', async () => {
    await page.click(`tr.trace-row[data-trace-id="${traceId}"]`);
    await page.waitForSelector(`body[data-rendered-trace="${traceId}"]`);
    assert.ok(page.url().endsWith(`/trace/${traceId}`));
    const rows = await page.$$eval('#span-rows .span-row', (els) => els.map((e) => ({
      id: e.dataset.spanId, parent: e.dataset.parentId, depth: Number(e.dataset.depth),
      name: e.querySelector('.name').textContent,
    })));
    assert.equal(rows.length, 5);
    const position = new Map(rows.map((r, i) => [r.id, i]));
    for (const r of rows) {
      assert.equal(r.parent, expectedParent[r.id], `parent of ${r.name}`);
      if (r.parent) {
        const p = rows[position.get(r.parent)];
        assert.ok(position.get(r.parent) < position.get(r.id), `${r.name} comes after its parent`);
        assert.equal(r.depth, p.depth + 1, `${r.name} is one level under ${p.name}`);
      } else {
        assert.equal(r.depth, 0);
      }
    }
    assert.deepEqual(rows.map((r) => r.name),
      ['GET /tools/{id}', 'SELECT tools', 'execute_tool_version', 'docker_runner.execute', XSS_NAME],
      'depth first, children by start time');
    // Bars sit on the time axis: the root spans the whole width.
    const rootBar = await page.$eval(`.span-row[data-span-id="${ids.root}"] .bar`, (b) => [b.style.left, b.style.width]);
    assert.deepEqual(rootBar, ['0%', '100%']);
    const dockerBar = await page.$eval(`.span-row[data-span-id="${ids.docker}"] .bar`, (b) => parseFloat(b.style.left));
    assert.ok(Math.abs(dockerBar - (20 / 120) * 100) < 0.01, `docker bar at ${dockerBar}%`);
    assert.equal(await page.locator(`.span-row[data-span-id="${ids.db}"].error`).count(), 1);
  });

  await check('span details show attributes, events with times, status, resource and links', async () => {
    await page.click(`.span-row[data-span-id="${ids.docker}"]`);
    const details = page.locator('#span-details');
    await details.waitFor();
    assert.equal(await page.locator('#detail-name').textContent(), 'docker_runner.execute');
    const text = await details.textContent();
    for (const want of ['volume_created', 'vol-1', 'container_started', 'at 5.00 ms', 'service.name', 'runner', ids.exec]) {
      assert.ok(text.includes(want), `details mention ${want}`);
    }
    await page.click(`.span-row[data-span-id="${ids.db}"]`);
    assert.ok((await details.textContent()).includes('ERROR: deadlock'));
  });

  await check('the XSS probe renders as text and runs nothing', async () => {
    const row = page.locator(`.span-row[data-span-id="${ids.xss}"]`);
    assert.equal(await row.locator('.name').textContent(), XSS_NAME);
    await row.click();
    assert.equal(await page.locator('#detail-name').textContent(), XSS_NAME);
    assert.ok((await page.locator('#span-details').textContent()).includes(XSS_VALUE));
    assert.equal(await page.locator('#span-details .link-target').count(), 1);
    assert.equal(await page.locator('script').count(), 1, 'only app.js');
    assert.equal(await page.locator('#content img').count(), 0);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    assert.deepEqual(dialogs, []);
    await page.screenshot({ path: join(artifactDir, 'collector-trace.png'), fullPage: true });
  });

  await check('a span shows its logs in its details and as marks on its bar; the trace lists all its logs', async () => {
    await page.goto(`${collector.ui_url}/trace/${traceId}`);
    await page.waitForSelector(`body[data-rendered-trace="${traceId}"]`);
    assert.equal(await page.locator(`.span-row[data-span-id="${ids.docker}"] .log-mark`).count(), 2);
    assert.equal(await page.locator(`.span-row[data-span-id="${ids.root}"] .log-mark`).count(), 1);
    assert.equal(await page.locator(`.span-row[data-span-id="${ids.docker}"] .log-mark.sev-error`).count(), 1);
    // The trace's logs in time order, each linked to its span.
    const bodies = await page.$$eval('#trace-logs .log-body', (els) => els.map((e) => e.textContent));
    assert.deepEqual(bodies, ['request.received', 'container.started', XSS_NAME]);
    await page.click(`#trace-logs tr.log-row:nth-child(2) .log-span`);
    assert.equal(await page.locator('#detail-name').textContent(), 'docker_runner.execute');
    const details = await page.locator('#span-details').textContent();
    assert.ok(details.includes('Logs (2)') && details.includes('container.started') && details.includes('container_id=3f2a9c'), details);
    // Log bodies and attributes are text, never markup.
    assert.ok(details.includes(XSS_VALUE));
    assert.equal(await page.locator('#content img').count(), 0);
    assert.equal(await page.locator('script').count(), 1, 'only app.js');
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    assert.deepEqual(dialogs, []);
  });

  await check('a trace whose logs take several answers shows them all (the viewer follows "next")', async () => {
    await page.goto(`${collector.ui_url}/trace/${manyLogsTrace}`);
    await page.waitForSelector(`body[data-rendered-trace="${manyLogsTrace}"]`);
    assert.equal(await page.locator('#trace-logs-title').textContent(), 'Logs (7000)');
    const first = await page.locator('#trace-logs tr.log-row:first-child .log-body').textContent();
    const last = await page.locator('#trace-logs tr.log-row:last-child .log-body').textContent();
    assert.ok(first.startsWith('line 0 ') && last.startsWith('line 6999 '), `${first.slice(0, 12)} … ${last.slice(0, 12)}`);
  });

  await check('the logs page searches by severity, text and service', async () => {
    await page.goto(`${collector.ui_url}/logs?severity=error`);
    await page.waitForSelector('body[data-rendered-logs]');
    assert.deepEqual(await page.$$eval('#log-list .log-body', (els) => els.map((e) => e.textContent)), [XSS_NAME]);
    await page.fill('#logs-text', 'container');
    await page.selectOption('#logs-severity', '');
    await page.click('#logs-button');
    await page.waitForFunction(() => document.querySelectorAll('#log-list .log-body').length === 1 &&
      document.querySelector('#log-list .log-body').textContent === 'container.started');
    // A record's trace link opens the trace.
    await page.click('#log-list .log-trace');
    await page.waitForSelector(`body[data-rendered-trace="${traceId}"]`);
  });

  await check('a correlation id pasted in the top box opens its trace', async () => {
    await page.goto(collector.ui_url + '/');
    await page.fill('#open-trace-id', CORRELATION);
    await page.press('#open-trace-id', 'Enter');
    await page.waitForSelector(`body[data-rendered-trace="${traceId}"]`);
    await page.fill('#open-trace-id', 'no-such-correlation');
    await page.press('#open-trace-id', 'Enter');
    await page.waitForFunction(() => document.getElementById('message').textContent.includes('neither a trace id'));
  });

  await check('a pasted trace id (any case) opens its trace; a bad one says why', async () => {
    await page.goto(collector.ui_url + '/');
    await page.fill('#open-trace-id', ` ${traceId.toUpperCase()} `);
    await page.press('#open-trace-id', 'Enter');
    await page.waitForSelector(`body[data-rendered-trace="${traceId}"]`);
    assert.equal(await page.locator('#span-rows .span-row').count(), 5);
    await page.fill('#open-trace-id', 'not-a-trace');
    await page.press('#open-trace-id', 'Enter');
    await page.waitForFunction(() => document.getElementById('message').textContent.includes('32 hex digits'));
    await page.fill('#open-trace-id', '0'.repeat(31) + '1');
    await page.press('#open-trace-id', 'Enter');
    await page.waitForFunction(() => document.getElementById('message').textContent.includes('no trace'));
  });

  await check('a slow answer never replaces a newer page: a search held back, a trace opened since', async () => {
    await page.goto(collector.ui_url + '/');
    await page.waitForSelector('#service option[value="bulk"]', { state: 'attached' });
    await page.waitForSelector('body[data-rendered-search]');
    const listedBefore = await page.evaluate(() => document.body.dataset.renderedSearch);
    let release;
    const held = new Promise((resolve) => { release = resolve; });
    let asked;
    const searchAsked = new Promise((resolve) => { asked = resolve; });
    const slowSearch = (url) => url.pathname === '/api/traces' && url.searchParams.get('service') === 'bulk';
    await page.route(slowSearch, async (route) => { asked(); await held; await route.continue(); });
    try {
      await page.selectOption('#service', 'bulk');
      await page.click('#search-button');
      await searchAsked;
      await page.fill('#open-trace-id', traceId);
      await page.press('#open-trace-id', 'Enter');
      await page.waitForSelector(`body[data-rendered-trace="${traceId}"]`);
      const answered = page.waitForResponse((r) => slowSearch(new URL(r.url())));
      release();
      await answered;
      // The page has the answer; give it time to (wrongly) show it.
      await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 300)));
      assert.equal(await page.evaluate(() => document.body.dataset.view), 'trace');
      assert.equal(await page.locator('#results').isHidden(), true, 'the search list stays hidden');
      assert.equal(await page.evaluate(() => document.body.dataset.renderedSearch), listedBefore);
      assert.equal(await page.locator('#span-rows .span-row').count(), 5);
    } finally {
      release();
      await page.unroute(slowSearch);
    }
  });

  await check('search deep link: the URL holds the query; rows are links; the scatter plot opens a trace', async () => {
    await page.goto(`${collector.ui_url}/search?service=checkout&lookback=all&limit=7`);
    await page.waitForSelector('body[data-rendered-search="1"]');
    assert.equal(await page.inputValue('#service'), 'checkout');
    assert.equal(await page.inputValue('#limit'), '7');
    const link = page.locator(`tr.trace-row[data-trace-id="${cpTraceId}"] a.trace-link`);
    assert.equal(await link.getAttribute('href'), `/trace/${cpTraceId}`);
    assert.equal(await link.locator('.root-name').textContent(), `checkout: ${XSS_NAME}`);
    // The search form is a URL: submitting changes it, and the address opens the same search.
    await page.selectOption('#service', 'web');
    await page.click('#search-button');
    await page.waitForFunction(() => location.search.includes('service=web'));
    await page.waitForSelector(`tr.trace-row[data-trace-id="${traceId}"]`);
    await page.goto(`${collector.ui_url}/search?lookback=all`);
    await page.waitForSelector('body[data-rendered-search]');
    const points = await page.$$eval('#scatter a.scatter-point', (as) => as.map((a) => ({
      id: a.dataset.traceId, href: a.getAttribute('href'), error: a.querySelector('circle').classList.contains('error'),
      title: a.querySelector('title').textContent,
    })));
    const rows = await page.locator('tr.trace-row').count();
    await page.screenshot({ path: join(artifactDir, 'collector-search.png') });
    assert.equal(points.length, rows, 'one point per listed trace');
    const known = points.find((p) => p.id === traceId);
    assert.equal(known.href, `/trace/${traceId}`);
    assert.equal(known.error, true, 'the trace with an error is marked');
    assert.equal(points.find((p) => p.id === bigTraceId).error, false);
    assert.ok(points.find((p) => p.id === cpTraceId).title.includes(XSS_NAME), 'tooltips are text');
    // The test's traces all start at the same instant, so their points overlap: the keyboard
    // reaches each one (a point is a link).
    await page.focus(`#scatter a.scatter-point[data-trace-id="${cpTraceId}"]`);
    await page.keyboard.press('Enter');
    await page.waitForSelector(`body[data-rendered-trace="${cpTraceId}"]`);
    assert.ok(page.url().endsWith(`/trace/${cpTraceId}`));
    assert.equal(await page.locator('#content img').count(), 0);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
  });

  await check('service colours are derived from the name (same on every page) and labels reach WCAG AA', async () => {
    // Two loads that see the services in different orders give each one the same colour.
    const tagColours = async () => Object.fromEntries(await page.$$eval('#trace-list .tag',
      (els) => els.map((e) => [e.textContent, getComputedStyle(e).backgroundColor])));
    await page.goto(`${collector.ui_url}/search?service=db&lookback=all`);
    await page.waitForSelector('body[data-rendered-search="1"]');
    const first = await tagColours();
    await page.goto(`${collector.ui_url}/search?lookback=all`);
    await page.waitForSelector('body[data-rendered-search]');
    const second = await tagColours();
    for (const s of ['web', 'runner', 'db']) assert.equal(first[s], second[s], `colour of ${s}`);
    assert.notEqual(second.web, second.runner);
    await page.goto(`${collector.ui_url}/trace/${traceId}`);
    await page.waitForSelector(`body[data-rendered-trace="${traceId}"]`);
    const barColour = await page.$eval(`.span-row[data-span-id="${ids.docker}"] .bar`, (b) => getComputedStyle(b).backgroundColor);
    assert.equal(barColour, second.runner, 'the waterfall uses the search page\'s colour');
    // Every text drawn on a service colour: tags, the rows' service chips, labels inside bars.
    const pairs = await page.$$eval('#trace-services .tag, .span-row .service, .bar-label.inside', (els) => els.map((e) => {
      const bg = e.classList.contains('bar-label') ? e.parentElement.querySelector('.bar') : e;
      return [e.textContent, getComputedStyle(e).color, getComputedStyle(bg).backgroundColor];
    }));
    assert.ok(pairs.some(([t]) => t.endsWith('ms')), 'the root\'s label is inside its bar');
    for (const [text, fg, bg] of pairs) {
      const ratio = contrastRatio(fg, bg);
      assert.ok(ratio >= 4.5, `"${text}": ${fg} on ${bg} is ${ratio.toFixed(2)}:1`);
    }
  });

  await check('the trace page: no search column, details beside the waterfall, axis above the bars, favicon', async () => {
    assert.equal(await page.locator('#search-panel').isVisible(), false);
    const waterfall = await page.locator('#waterfall').boundingBox();
    assert.ok(waterfall.width > 1400 * 0.9, `the waterfall takes the width (${waterfall.width} px)`);
    await page.click(`.span-row[data-span-id="${ids.exec}"]`);
    const details = await page.locator('#span-details').boundingBox();
    const narrowed = await page.locator('#waterfall').boundingBox();
    assert.ok(details.x >= narrowed.x + narrowed.width - 1, 'details are to the right of the waterfall');
    assert.ok(details.y < narrowed.y + 40, 'details start at the waterfall\'s top');
    // The name column can be resized: dragged at the axis, or with the arrow keys.
    const handle = await page.locator('#label-resizer').boundingBox();
    await page.mouse.move(handle.x + 3, handle.y + 5);
    await page.mouse.down();
    await page.mouse.move(narrowed.x + narrowed.width * 0.5, handle.y + 5, { steps: 4 });
    await page.mouse.up();
    const labelWidth = async () => (await page.locator(`.span-row[data-span-id="${ids.exec}"] .label-col`).boundingBox()).width;
    assert.ok(Math.abs(await labelWidth() - narrowed.width * 0.5) < 0.02 * narrowed.width, `label column ${await labelWidth()} of ${narrowed.width}`);
    await page.focus('#label-resizer');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await page.getAttribute('#label-resizer', 'aria-valuenow'), '48');
    assert.equal(await page.getAttribute('link[rel="icon"]', 'href'), '/favicon.svg');
    const icon = await fetch(`${collector.ui_url}/favicon.svg`);
    assert.equal(icon.status, 200);
    assert.equal(icon.headers.get('content-type'), 'image/svg+xml');
  });

  await check('keyboard: rows are a tree of focusable items; arrows move, Enter selects, left/right collapse', async () => {
    await page.goto(`${collector.ui_url}/trace/${traceId}`);
    await page.waitForSelector(`body[data-rendered-trace="${traceId}"]`);
    assert.equal(await page.getAttribute('#span-rows', 'role'), 'tree');
    const first = page.locator('#span-rows .span-row').first();
    assert.equal(await first.getAttribute('role'), 'treeitem');
    assert.equal(await first.getAttribute('tabindex'), '0');
    assert.equal(await first.getAttribute('aria-level'), '1');
    assert.equal(await first.getAttribute('aria-expanded'), 'true');
    await first.focus();
    await page.keyboard.press('ArrowDown');  // SELECT tools
    await page.keyboard.press('ArrowDown');  // execute_tool_version
    await page.keyboard.press('Enter');
    assert.equal(await page.locator('#detail-name').textContent(), 'execute_tool_version');
    assert.equal(await page.evaluate(() => document.activeElement.dataset.spanId), ids.exec);
    assert.equal(await page.getAttribute(`.span-row[data-span-id="${ids.exec}"]`, 'aria-selected'), 'true');
    assert.ok(page.url().endsWith(`/trace/${traceId}?span=${ids.exec}`), page.url());
    await page.keyboard.press('ArrowLeft');  // collapses execute_tool_version's subtree
    assert.equal(await page.getAttribute(`.span-row[data-span-id="${ids.exec}"]`, 'aria-expanded'), 'false');
    assert.equal(await page.locator('#span-rows .span-row:visible').count(), 3);
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.locator('#span-rows .span-row:visible').count(), 5);
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');  // on a collapsed row: to its parent
    assert.equal(await page.evaluate(() => document.activeElement.dataset.spanId), ids.root);
    // The toggle collapses with the mouse too; "expand all" brings everything back.
    await page.click(`.span-row[data-span-id="${ids.root}"] .toggle`);
    assert.equal(await page.locator('#span-rows .span-row:visible').count(), 1);
    await page.click('#expand-all');
    await page.click(`.span-row[data-span-id="${ids.root}"] .toggle`);
    await page.click('#expand-all');
    assert.equal(await page.locator('#span-rows .span-row:visible').count(), 5);
  });

  await check('events are marks on their bar; links lead to the linked span; find-in-trace highlights', async () => {
    const marks = await page.$$eval(`.span-row[data-span-id="${ids.docker}"] .event-mark`, (els) => els.map((e) => e.title));
    assert.equal(marks.length, 2);
    assert.ok(marks[0].startsWith('volume_created at +5.00 ms') && marks[0].includes('volume_name=vol-1'), marks[0]);
    await page.click(`.span-row[data-span-id="${ids.xss}"]`);
    assert.equal(await page.getAttribute('#span-details .link-target', 'href'),
      '/trace/0af7651916cd43dd8448eb211c80319c?span=b7ad6b7169203331');
    await page.fill('#find-in-trace', 'DOCKER');
    assert.equal(await page.locator('#span-rows .span-row.match').count(), 1);
    assert.equal(await page.textContent('#find-count'), '1 of 5 spans match');
    await page.fill('#find-in-trace', 'vol');  // no span has it in name or attributes
    assert.equal(await page.locator('#span-rows .span-row.match').count(), 0);
    await page.fill('#find-in-trace', 'GET');  // an attribute value (http.method) and a name
    await page.press('#find-in-trace', 'Enter');
    assert.equal(await page.locator('#detail-name').textContent(), 'GET /tools/{id}');
    await page.fill('#find-in-trace', '');
    assert.equal(await page.locator('#span-rows.finding').count(), 0);
  });

  await check('the critical path is highlighted', async () => {
    await page.goto(`${collector.ui_url}/trace/${cpTraceId}`);
    await page.waitForSelector(`body[data-rendered-trace="${cpTraceId}"]`);
    const critical = await page.$$eval('#span-rows .span-row.critical', (els) => els.map((e) => e.dataset.spanId));
    assert.deepEqual(critical.sort(), [cp.root, cp.b, cp.c, cp.d].sort());
    assert.equal(await page.locator(`#waterfall.show-critical .span-row[data-span-id="${cp.d}"] .bar.critical`).count(), 1);
    await page.uncheck('#show-critical');
    assert.equal(await page.locator('#waterfall.show-critical').count(), 0);
    // The probe in the root's name and event stays text.
    const mark = await page.$eval(`.span-row[data-span-id="${cp.root}"] .event-mark`, (e) => e.title);
    assert.ok(mark.startsWith(XSS_VALUE) && mark.includes(`${XSS_NAME}=${XSS_VALUE}`));
    assert.equal(await page.locator('#content img').count(), 0);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
  });

  await check('download as OTLP/JSON, then open that file: the same trace', async () => {
    await page.goto(`${collector.ui_url}/trace/${traceId}`);
    await page.waitForSelector(`body[data-rendered-trace="${traceId}"]`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-trace')]);
    assert.equal(download.suggestedFilename(), `trace-${traceId}.json`);
    const file = join(artifactDir, 'downloaded-trace.json');
    await download.saveAs(file);
    const body = JSON.parse(readFileSync(file, 'utf8'));
    const spans = body.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
    assert.equal(spans.length, 5);
    assert.equal(body.resourceSpans.length, 3, 'one resource per service');
    assert.equal(spans.find((s) => s.spanId === ids.db).status.code, 2);
    // The file is valid input for /v1/traces too.
    const r = await fetch(collector.otlp_url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(r.status, 200);
    await page.goto(collector.ui_url + '/');
    await page.setInputFiles('#open-file', file);
    await page.waitForSelector(`body[data-rendered-trace="${traceId}"]`);
    assert.equal(await page.locator('#span-rows .span-row').count(), 5);
    assert.ok((await page.textContent('#trace-summary')).startsWith('From a file'));
    assert.equal(await page.locator(`.span-row[data-span-id="${ids.xss}"] .name`).textContent(), XSS_NAME);
    await page.setInputFiles('#open-file', { name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from('{"x":1}') });
    await page.waitForFunction(() => document.getElementById('message').textContent.includes('no resourceSpans'));
    assert.equal(await page.evaluate(() => window.__xss), undefined);
  });

  await check('dependencies: the graph and list show calls and failures between services', async () => {
    await page.goto(`${collector.ui_url}/dependencies?lookback=1h`);
    await page.waitForSelector('body[data-rendered-dependencies]');
    const edges = await page.$$eval('#dependency-graph g.edge', (gs) => gs.map((g) => ({
      parent: g.dataset.parent, child: g.dataset.child, error: g.classList.contains('error'),
      label: g.querySelector('.edge-label').textContent,
    })));
    edges.sort((a, b) => a.parent.localeCompare(b.parent));
    assert.deepEqual(edges, [
      { parent: 'gateway', child: 'orders', error: true, label: '2 (1 failed)' },
      { parent: 'orders', child: 'payments', error: false, label: '3' },
    ]);
    const nodes = await page.$$eval('#dependency-graph a.service-node', (as) => as.map((a) => [a.dataset.service, a.getAttribute('href')]));
    assert.deepEqual(nodes.map((n) => n[0]).sort(), ['gateway', 'orders', 'payments']);
    assert.ok(nodes.every(([s, href]) => href === `/search?service=${s}&lookback=1h`));
    assert.equal(await page.locator('#dependency-table tr.dependency-row').count(), 2);
    await page.screenshot({ path: join(artifactDir, 'collector-dependencies.png') });
    // A node's text is drawn on the service's colour with AA contrast.
    const [fg, bg] = await page.$eval('#dependency-graph a.service-node text', (t) =>
      [getComputedStyle(t).fill, getComputedStyle(t.parentElement.querySelector('circle')).fill]);
    assert.ok(contrastRatio(fg, bg) >= 4.5, `${fg} on ${bg}`);
    assert.equal(await page.locator('#search-panel').isVisible(), false);
    // Six hours back the probe service appears: its name is text in the graph and the table.
    await page.selectOption('#dependencies-lookback', '6h');
    await page.click('#dependencies-form button');
    await page.waitForSelector('#dependency-graph g.edge:nth-of-type(3)');
    assert.ok(page.url().endsWith('/dependencies?lookback=6h'));
    assert.equal(await page.$eval('#dependency-graph a.service-node[data-service^="<img"] title', (t) => t.textContent), XSS_VALUE);
    assert.equal(await page.locator('#dependency-table td', { hasText: XSS_VALUE }).count(), 1);
    assert.equal(await page.locator('#content img').count(), 0);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
  });

  await check('operations: rate, error ratio and percentiles per service and operation', async () => {
    await page.goto(`${collector.ui_url}/operations?lookback=1h`);
    await page.waitForSelector('body[data-rendered-operations]');
    const row = page.locator('tr.operation-row[data-service="gateway"][data-operation="GET /order"]');
    assert.equal(await row.locator('td').nth(2).textContent(), '2');
    assert.equal(await row.locator('.p50').textContent(), '100.0 ms');
    assert.equal(await row.locator('.p99').textContent(), '200.0 ms');
    const create = page.locator('tr.operation-row[data-service="orders"][data-operation="create"]');
    assert.equal(await create.locator('td').nth(4).textContent(), '50.0 %');
    assert.equal(await page.locator(`tr.operation-row[data-operation="${XSS_NAME}"] .operation-link`).textContent(), XSS_NAME);
    assert.equal(await row.locator('.operation-link').getAttribute('href'), '/search?service=gateway&operation=GET+%2Forder&lookback=1h');
    await page.screenshot({ path: join(artifactDir, 'collector-operations.png') });
    await page.fill('#operations-service', 'payments');
    await page.press('#operations-service', 'Enter');
    await page.waitForFunction(() => location.search.includes('service=payments'));
    await page.waitForFunction(() => document.querySelectorAll('tr.operation-row').length === 2);
    assert.equal(await page.locator('#content img').count(), 0);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
  });

  await check('compare two traces: added, missing, slower spans', async () => {
    await page.goto(`${collector.ui_url}/trace/${nowTraces[0]}`);
    await page.waitForSelector(`body[data-rendered-trace="${nowTraces[0]}"]`);
    await page.fill('#compare-with', nowTraces[1]);
    await page.press('#compare-with', 'Enter');
    await page.waitForSelector(`body[data-rendered-compare="${nowTraces[0]}/${nowTraces[1]}"]`);
    assert.ok(page.url().endsWith(`/compare/${nowTraces[0]}/${nowTraces[1]}`));
    const rows = await page.$$eval('tr.compare-row', (trs) => trs.map((tr) => [tr.querySelector('.name').textContent, tr.dataset.state]));
    assert.deepEqual(rows, [
      ['GET /order', 'slower'], ['create', 'slower'], [XSS_NAME, 'added'], ['charge', 'same'], ['audit', 'missing'],
    ], 'A\'s tree order; a span only in B right under its parent');
    assert.equal(await page.textContent('#compare-summary'), '1 added, 1 missing, 2 slower, 0 faster, 1 unchanged');
    assert.equal(await page.locator('#content img').count(), 0);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
  });

  await check('a 5,000-span trace renders', async () => {
    const t0 = Date.now();
    await page.goto(`${collector.ui_url}/trace/${bigTraceId}`);
    await page.waitForSelector(`body[data-rendered-trace="${bigTraceId}"]`, { timeout: 30000 });
    const loadMs = Date.now() - t0;
    const renderMs = await page.evaluate(() => window.tracekitLastRenderMs);
    // Virtualized: all 5,000 rows are laid out, only those near the viewport are built.
    assert.equal(await page.getAttribute('#span-rows', 'data-rows'), '5000');
    const built = await page.locator('#span-rows .span-row').count();
    assert.ok(built > 20 && built < 200, `${built} row elements`);
    const height = await page.$eval('#span-rows', (e) => e.getBoundingClientRect().height);
    assert.equal(height, 5000 * 21);
    const depths = await page.$$eval('#span-rows .span-row', (els) => els.map((e) => Number(e.dataset.depth)));
    assert.deepEqual(depths.slice(0, 3), [0, 1, 2]);
    // The keyboard reaches the last row (End), which is then built and focused.
    await page.focus('#span-rows .span-row[tabindex="0"]');
    await page.keyboard.press('End');
    assert.equal(await page.evaluate(() => document.activeElement.querySelector('.name').textContent), 'step 49.97');
    await page.keyboard.press('ArrowUp');
    assert.equal(await page.evaluate(() => document.activeElement.querySelector('.name').textContent), 'step 49.96');
    await page.keyboard.press('Home');
    assert.equal(await page.evaluate(() => document.activeElement.querySelector('.name').textContent), 'big root');
    // Collapsing the stages leaves 51 rows.
    await page.click('#collapse-all');
    assert.equal(await page.$eval('#span-rows', (e) => e.getBoundingClientRect().height), 51 * 21);
    await page.click('#expand-all');
    writeFileSync(join(artifactDir, 'collector_render.json'),
      JSON.stringify({ spans: 5000, render_ms: renderMs, load_ms: loadMs }, null, 2));
    console.log(`5,000-span trace: rendered in ${renderMs.toFixed(1)} ms, page load to rendered ${loadMs} ms`);
  });

  await check('the minimap: dragging across it zooms the time axis; the keyboard zooms and resets', async () => {
    await page.goto(`${collector.ui_url}/trace/${traceId}`);
    await page.waitForSelector(`body[data-rendered-trace="${traceId}"]`);
    const box = await page.locator('#minimap').boundingBox();
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width * 0.25, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.4, y, { steps: 3 });
    await page.mouse.move(box.x + box.width * 0.5, y, { steps: 3 });
    await page.mouse.up();
    const ticks = await page.$$eval('#time-axis .tick', (els) => els.map((e) => parseFloat(e.textContent)));
    assert.ok(Math.abs(ticks[0] - 30) < 1.5 && Math.abs(ticks[4] - 60) < 1.5, `zoomed to ${ticks}`);
    assert.equal(await page.locator('#minimap .minimap-window').isVisible(), true);
    // The root (0-120 ms) fills the zoomed axis; SELECT tools (5-8 ms) is out of it.
    assert.deepEqual(await page.$eval(`.span-row[data-span-id="${ids.root}"] .bar`, (b) => [b.style.left, b.style.width]), ['0%', '100%']);
    assert.equal(await page.$eval(`.span-row[data-span-id="${ids.db}"] .bar`, (b) => b.style.width), '0%');
    await page.keyboard.press('0');
    assert.equal(await page.textContent('#time-axis .tick:last-child'), '120.0 ms');
    await page.keyboard.press('+');
    const zoomed = await page.$$eval('#time-axis .tick', (els) => els.map((e) => e.textContent));
    assert.deepEqual([zoomed[0], zoomed[4]], ['30.0 ms', '90.0 ms']);
    await page.click('#reset-zoom');
    assert.equal(await page.textContent('#time-axis .tick:first-child'), '0 ns');
    assert.equal(await page.isDisabled('#reset-zoom'), true);
  });

  await check('a span deep link into the 5,000-span trace selects the span, details in view, axis above the rows', async () => {
    const deep = bigSpans[4000];
    await page.goto(`${collector.ui_url}/trace/${bigTraceId}?span=${deep.spanId}`);
    await page.waitForSelector(`body[data-rendered-trace="${bigTraceId}"]`, { timeout: 30000 });
    assert.equal(await page.locator('#detail-name').textContent(), deep.name);
    assert.equal(await page.locator('#span-rows .span-row.selected').getAttribute('data-span-id'), deep.spanId);
    const box = await page.locator('#span-details').boundingBox();
    assert.ok(box.y >= 0 && box.y < 900, `details at y=${box.y}, in the viewport`);
    // The page is scrolled far down: the sticky axis is at the top and paints over the rows.
    const axis = await page.locator('#time-axis .tick:nth-child(3)').boundingBox();
    assert.ok(axis.y >= 0 && axis.y < 30, `axis at y=${axis.y}`);
    const onTop = await page.evaluate(([x, y]) => !!document.elementFromPoint(x, y).closest('#time-axis'),
      [axis.x + axis.width / 2, axis.y + axis.height / 2]);
    assert.ok(onTop, 'the axis tick is the topmost element where it is drawn');
  });

  await check('the search page lists and plots 1,000 traces', async () => {
    const many = [];
    for (let i = 0; i < 1000; i++) {
      many.push(otlpSpan(hex(16), hex(8), '', `request ${i}`, -86400e9 + i * 1e9, (1 + (i % 97)) * 1e6,
        i % 13 === 0 ? { status: { code: 2 } } : {}));
    }
    await post(collector.otlp_url, request('many', many));
    await waitForJson(`${collector.ui_url}/api/traces?service=many&limit=1000`, (r) => r.data.length === 1000);
    const t0 = Date.now();
    await page.goto(`${collector.ui_url}/search?service=many&lookback=all&limit=1000`);
    await page.waitForSelector('body[data-rendered-search="1000"]', { timeout: 30000 });
    const loadMs = Date.now() - t0;
    const renderMs = await page.evaluate(() => window.tracekitLastSearchRenderMs);
    assert.equal(await page.locator('#scatter a.scatter-point').count(), 1000);
    assert.equal(await page.locator('#scatter circle.error').count(), 77);
    const file = join(artifactDir, 'collector_render.json');
    const figures = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
    writeFileSync(file, JSON.stringify({ ...figures, search_results: 1000, search_render_ms: renderMs, search_load_ms: loadMs }, null, 2));
    console.log(`search with 1,000 results: list and scatter plot rendered in ${renderMs.toFixed(1)} ms, page load to rendered ${loadMs} ms`);
  });

  assert.deepEqual(pageErrors, [], 'no script errors on the page');
} catch (e) {
  failed = true;
  console.error(`FAIL: ${e.stack}`);
} finally {
  if (browser) await browser.close();
  await collector.stop();
}
process.exit(failed ? 1 : 0);
