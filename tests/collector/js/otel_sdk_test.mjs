// SPDX-License-Identifier: Apache-2.0
// The official OpenTelemetry JS SDK (packages from tests/interop) sends a known trace to
// tracekit-collector with each of its OTLP exporters (gRPC, HTTP/protobuf, HTTP/JSON); the
// collector's API must give back every field.
//   node otel_sdk_test.mjs <tracekit-collector binary> <tests/interop dir>
// Exit 0: passed, 1: failed, 77: skipped (the JS packages are not installed).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { startCollector, waitForJson, watchdog } from './collector_process.mjs';

const [binary, interopDir] = process.argv.slice(2);
watchdog(50000, 'otel_sdk_test');
for (const pkg of ['@opentelemetry/sdk-trace-base', '@opentelemetry/exporter-trace-otlp-grpc',
  '@opentelemetry/exporter-trace-otlp-proto', '@opentelemetry/exporter-trace-otlp-http']) {
  if (!existsSync(join(interopDir, 'node_modules', pkg))) {
    console.log(`SKIP: ${pkg} is not installed in ${interopDir}/node_modules ` +
      '(scripts/install-deps.sh runs npm ci there; was the npm registry unreachable?)');
    process.exit(77);
  }
}
const require = createRequire(resolve(interopDir, 'package.json'));
const { BasicTracerProvider, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const api = require('@opentelemetry/api');
const { SpanKind, SpanStatusCode } = api;
const exporters = {
  grpc: require('@opentelemetry/exporter-trace-otlp-grpc'),
  proto: require('@opentelemetry/exporter-trace-otlp-proto'),
  json: require('@opentelemetry/exporter-trace-otlp-http'),
};

const T0 = [1700000000, 0];

async function send(exporter) {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'js-peer', 'host.cores': 8 }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('js.collector', '2.0.0');
  const server = tracer.startSpan('GET /js', { kind: SpanKind.SERVER, startTime: T0 });
  server.setAttributes({
    'http.method': 'GET', 'http.status_code': 200, ratio: 0.5, cached: false,
    strings: ['a', 'b'], ints: [1, 2, 3],
  });
  server.addEvent('cache.miss', { key: 'user:1' }, [1700000000, 1000000]);
  server.addLink({
    context: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1, isRemote: true },
    attributes: { 'link.reason': 'batch' },
  });
  const child = tracer.startSpan('db.query', { kind: SpanKind.CLIENT, startTime: [1700000000, 2000000] },
    api.trace.setSpan(api.context.active(), server));
  child.end([1700000000, 3000000]);
  server.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  server.end([1700000000, 5000000]);
  await provider.forceFlush();
  await provider.shutdown();
  return { traceId: server.spanContext().traceId, serverId: server.spanContext().spanId, childId: child.spanContext().spanId };
}

function attr(span, key) {
  const kv = span.attributes.find((a) => a.key === key);
  assert.ok(kv, `attribute ${key} missing`);
  return kv.value;
}

const collector = await startCollector(binary);
let failed = false;
try {
  for (const [name, mod] of Object.entries(exporters)) {
    const url = name === 'grpc' ? collector.grpc_url : collector.otlp_url;
    const sent = await send(new mod.OTLPTraceExporter({ url, timeoutMillis: 10000 }));
    const trace = await waitForJson(`${collector.ui_url}/api/traces/${sent.traceId}`, (t) => t.spans.length === 2);
    const server = trace.spans.find((s) => s.spanId === sent.serverId);
    const child = trace.spans.find((s) => s.spanId === sent.childId);
    try {
      assert.equal(server.name, 'GET /js');
      assert.equal(server.kind, 'SERVER');
      assert.equal(server.service, 'js-peer');
      assert.equal(server.parentSpanId, '');
      assert.equal(server.startTimeUnixNano, '1700000000000000000');
      assert.equal(server.endTimeUnixNano, '1700000000005000000');
      assert.deepEqual(server.status, { code: 'ERROR', message: 'boom' });
      assert.deepEqual(attr(server, 'http.method'), { stringValue: 'GET' });
      assert.deepEqual(attr(server, 'http.status_code'), { intValue: '200' });
      assert.deepEqual(attr(server, 'ratio'), { doubleValue: 0.5 });
      assert.deepEqual(attr(server, 'cached'), { boolValue: false });
      assert.deepEqual(attr(server, 'strings'), { arrayValue: { values: [{ stringValue: 'a' }, { stringValue: 'b' }] } });
      assert.deepEqual(attr(server, 'ints'), { arrayValue: { values: [{ intValue: '1' }, { intValue: '2' }, { intValue: '3' }] } });
      assert.equal(server.events.length, 1);
      assert.equal(server.events[0].name, 'cache.miss');
      assert.equal(server.events[0].timeUnixNano, '1700000000001000000');
      assert.deepEqual(server.events[0].attributes, [{ key: 'key', value: { stringValue: 'user:1' } }]);
      assert.equal(server.links.length, 1);
      assert.equal(server.links[0].traceId, '0af7651916cd43dd8448eb211c80319c');
      assert.equal(server.links[0].spanId, 'b7ad6b7169203331');
      assert.deepEqual(server.links[0].attributes, [{ key: 'link.reason', value: { stringValue: 'batch' } }]);
      assert.equal(server.scope.name, 'js.collector');
      assert.equal(server.scope.version, '2.0.0');
      assert.deepEqual(server.resource.attributes.find((a) => a.key === 'host.cores').value, { intValue: '8' });
      assert.equal(child.parentSpanId, sent.serverId);
      assert.equal(child.kind, 'CLIENT');
      assert.equal(child.durationNs, '1000000');
      console.log(`ok: ${name} exporter, trace ${sent.traceId}`);
    } catch (e) {
      failed = true;
      console.error(`FAIL: ${name} exporter: ${e.message}`);
    }
  }
  const search = await waitForJson(`${collector.ui_url}/api/traces?service=js-peer&errors=true`, (r) => r.data.length === 3);
  assert.ok(search.data.every((t) => t.rootName === 'GET /js' && t.spanCount === 2 && t.errorCount === 1));
  console.log('ok: search finds the three traces');
} catch (e) {
  failed = true;
  console.error(`FAIL: ${e.stack}`);
} finally {
  await collector.stop();
}
process.exit(failed ? 1 : 0);
