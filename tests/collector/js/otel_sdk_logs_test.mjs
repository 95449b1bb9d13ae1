// SPDX-License-Identifier: Apache-2.0
// The official OpenTelemetry JS SDK's log pipeline (packages from tests/interop) sends log
// records to tracekit-collector with each of its OTLP log exporters (gRPC, HTTP/protobuf,
// HTTP/JSON), each without and with gzip; the collector's API must give back every field.
//   node otel_sdk_logs_test.mjs <tracekit-collector binary> <tests/interop dir>
// Exit 0: passed, 1: failed, 77: skipped (the JS packages are not installed).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startCollector, waitForJson, watchdog } from './collector_process.mjs';

const [binary, interopDir] = process.argv.slice(2);
watchdog(50000, 'otel_sdk_logs_test');
for (const pkg of ['@opentelemetry/sdk-logs', '@opentelemetry/exporter-logs-otlp-grpc',
  '@opentelemetry/exporter-logs-otlp-proto', '@opentelemetry/exporter-logs-otlp-http']) {
  if (!existsSync(join(interopDir, 'node_modules', pkg))) {
    console.log(`SKIP: ${pkg} is not installed in ${interopDir}/node_modules ` +
      '(scripts/install-deps.sh runs npm ci there; was the npm registry unreachable?)');
    process.exit(77);
  }
}
const require = createRequire(resolve(interopDir, 'package.json'));
const { LoggerProvider, SimpleLogRecordProcessor } = require('@opentelemetry/sdk-logs');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const api = require('@opentelemetry/api');
const exporters = {
  grpc: require('@opentelemetry/exporter-logs-otlp-grpc'),
  proto: require('@opentelemetry/exporter-logs-otlp-proto'),
  json: require('@opentelemetry/exporter-logs-otlp-http'),
};

async function send(exporter) {
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'js-logs', 'host.cores': 8 }),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('js.logs', '3.0.0');
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  const context = api.trace.setSpanContext(api.ROOT_CONTEXT, { traceId, spanId, traceFlags: 1 });
  logger.emit({
    timestamp: [1700000000, 1000000], observedTimestamp: [1700000000, 3000000],
    severityNumber: 17, severityText: 'ERROR', body: 'payment <failed>',
    eventName: 'payment.failed', context,
    attributes: {
      correlation_id: `corr-${traceId.slice(0, 8)}`, attempt: 3, ratio: 0.5, ok: false,
      tags: ['a', 'b'],
    },
  });
  logger.emit({ timestamp: [1700000000, 2000000], severityNumber: 9, severityText: 'INFO', body: 'retrying', context });
  await provider.forceFlush();
  await provider.shutdown();
  return { traceId, spanId };
}

const attr = (log, key) => log.attributes.find((a) => a.key === key)?.value;

const collector = await startCollector(binary);
let failed = false;
try {
  const sends = Object.entries(exporters).flatMap(([protocol, mod]) =>
    ['none', 'gzip'].map((compression) => ({ protocol, mod, compression })));
  for (const { protocol, mod, compression } of sends) {
    const name = `${protocol}${compression === 'gzip' ? '+gzip' : ''}`;
    const url = protocol === 'grpc' ? collector.grpc_url : collector.otlp_url.replace('/v1/traces', '/v1/logs');
    const sent = await send(new mod.OTLPLogExporter({ url, compression, timeoutMillis: 10000 }));
    const got = await waitForJson(`${collector.ui_url}/api/traces/${sent.traceId}/logs`, (t) => t.logs.length === 2);
    try {
      const [a, b] = got.logs;
      assert.equal(a.body, 'payment <failed>');
      assert.equal(a.severityNumber, 17);
      assert.equal(a.severityText, 'ERROR');
      assert.equal(a.timeUnixNano, '1700000000001000000');
      assert.equal(a.observedTimeUnixNano, '1700000000003000000');
      assert.equal(a.eventName, 'payment.failed');
      assert.equal(a.traceId, sent.traceId);
      assert.equal(a.spanId, sent.spanId);
      assert.equal(a.flags, 1);
      assert.equal(a.service, 'js-logs');
      assert.equal(a.correlationId, `corr-${sent.traceId.slice(0, 8)}`);
      assert.deepEqual(attr(a, 'attempt'), { intValue: '3' });
      assert.deepEqual(attr(a, 'ratio'), { doubleValue: 0.5 });
      assert.deepEqual(attr(a, 'ok'), { boolValue: false });
      assert.deepEqual(attr(a, 'tags'), { arrayValue: { values: [{ stringValue: 'a' }, { stringValue: 'b' }] } });
      assert.equal(a.scope.name, 'js.logs');
      assert.equal(a.scope.version, '3.0.0');
      assert.deepEqual(a.resource.attributes.find((x) => x.key === 'host.cores').value, { intValue: '8' });
      assert.equal(b.body, 'retrying');
      assert.equal(b.severityText, 'INFO');
      console.log(`ok: ${name} log exporter, trace ${sent.traceId}`);
    } catch (e) {
      failed = true;
      console.error(`FAIL: ${name} log exporter: ${e.message}`);
    }
  }
  const search = await waitForJson(`${collector.ui_url}/api/logs?service=js-logs&severity=error`, (r) => r.data.length === 6);
  assert.ok(search.data.every((l) => l.body === 'payment <failed>'));
  console.log('ok: the log search finds the six error records');
} catch (e) {
  failed = true;
  console.error(`FAIL: ${e.stack}`);
} finally {
  await collector.stop();
}
process.exit(failed ? 1 : 0);
