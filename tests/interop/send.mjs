// SPDX-License-Identifier: Apache-2.0
// Sends one known set of spans or log records with the official OpenTelemetry JS SDK and each of
// its OTLP exporters for that signal (gRPC, HTTP/protobuf, HTTP/JSON), each without and then with
// gzip, to the receivers tracekit's interop test runs:
//   node send.mjs <traces|logs> <grpc endpoint> <http url for protobuf> <http url for json>
// The grpc endpoint gets two requests, the HTTP receiver four (protobuf, protobuf+gzip, JSON,
// JSON+gzip), in that order. Exits 0 when every exporter reported success.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { resourceFromAttributes } = require('@opentelemetry/resources');
const api = require('@opentelemetry/api');

const [signal, grpcUrl, protoUrl, jsonUrl] = process.argv.slice(2);
const T0 = [1700000000, 0];  // [seconds, nanoseconds]
const resource = () => resourceFromAttributes({ 'service.name': 'js-peer', 'host.cores': 8 });

function sendSpans(exporter) {
  const { BasicTracerProvider, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
  const provider = new BasicTracerProvider({
    resource: resource(),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('js.interop', '1.0.0');
  const server = tracer.startSpan('GET /js', { kind: api.SpanKind.SERVER, startTime: T0 });
  server.setAttributes({
    'http.method': 'GET',
    'http.status_code': 200,
    'ratio': 0.5,
    'cached': false,
    'strings': ['a', 'b'],
    'ints': [1, 2, 3],
  });
  server.addEvent('cache.miss', { key: 'user:1' }, [1700000000, 1000000]);
  server.addLink({
    context: {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
      isRemote: true,
    },
    attributes: { 'link.reason': 'batch' },
  });
  server.setStatus({ code: api.SpanStatusCode.ERROR, message: 'boom' });
  server.end([1700000000, 5000000]);
  return provider.forceFlush().then(() => provider.shutdown());
}

// Two loggers (two scopes): one record inside a span with every field a record has, one outside
// any span with a map as its body. The ids are fixed, so every send is the same request; the
// batch processor puts both records in it (forceFlush sends the batch at once).
function sendLogs(exporter) {
  const { LoggerProvider, BatchLogRecordProcessor } = require('@opentelemetry/sdk-logs');
  const provider = new LoggerProvider({
    resource: resource(),
    processors: [new BatchLogRecordProcessor({ exporter, scheduledDelayMillis: 60_000 })],
  });
  const context = api.trace.setSpanContext(api.ROOT_CONTEXT, {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: 1,
  });
  provider.getLogger('js.logs', '2.0.0').emit({
    timestamp: [1700000000, 1000000],
    observedTimestamp: [1700000000, 3000000],
    severityNumber: 17,
    severityText: 'ERROR',
    body: 'payment <failed> ä',
    eventName: 'payment.failed',
    context,
    attributes: {
      correlation_id: 'corr-42',
      attempt: 3,
      ratio: 0.5,
      ok: false,
      tags: ['a', 'b'],
    },
  });
  provider.getLogger('js.jobs').emit({
    timestamp: [1700000001, 0],
    observedTimestamp: [1700000001, 0],
    severityNumber: 9,
    severityText: 'INFO',
    body: { job: 'nightly', tries: 2 },
    context: api.ROOT_CONTEXT,
  });
  return provider.forceFlush().then(() => provider.shutdown());
}

const kinds = {
  traces: {
    send: sendSpans,
    grpc: () => require('@opentelemetry/exporter-trace-otlp-grpc').OTLPTraceExporter,
    proto: () => require('@opentelemetry/exporter-trace-otlp-proto').OTLPTraceExporter,
    json: () => require('@opentelemetry/exporter-trace-otlp-http').OTLPTraceExporter,
  },
  logs: {
    send: sendLogs,
    grpc: () => require('@opentelemetry/exporter-logs-otlp-grpc').OTLPLogExporter,
    proto: () => require('@opentelemetry/exporter-logs-otlp-proto').OTLPLogExporter,
    json: () => require('@opentelemetry/exporter-logs-otlp-http').OTLPLogExporter,
  },
};

// The SDK's processors only log a failed export; remember each, so that the exit code says.
const failures = [];
function reporting(exporter, what) {
  return {
    export(items, done) {
      exporter.export(items, (result) => {
        if (result.code !== 0) failures.push(`${what}: ${result.error ?? 'export failed'}`);
        done(result);
      });
    },
    forceFlush: () => exporter.forceFlush(),
    shutdown: () => exporter.shutdown(),
  };
}

async function main() {
  const kind = kinds[signal];
  if (!kind) throw new Error(`usage: node send.mjs <traces|logs> <grpc> <protobuf url> <json url>`);
  for (const [protocol, url] of [['grpc', grpcUrl], ['proto', protoUrl], ['json', jsonUrl]]) {
    for (const compression of ['none', 'gzip']) {
      const Exporter = kind[protocol]();
      const exporter = new Exporter({ url, compression, timeoutMillis: 5000 });
      await kind.send(reporting(exporter, `${signal} ${protocol} ${compression}`));
    }
  }
  if (failures.length) throw new Error(failures.join('\n'));
}

const timer = setTimeout(() => {
  console.error('send.mjs: timed out');
  process.exit(2);
}, 60_000);
main().then(
  () => {
    clearTimeout(timer);
    process.exit(0);
  },
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
