// SPDX-License-Identifier: Apache-2.0
// Sends one known set of spans with the official OpenTelemetry JS SDK and each of its OTLP trace
// exporters (gRPC, HTTP/protobuf, HTTP/JSON) to the receivers tracekit's interop test runs.
//   node send.mjs <grpc endpoint> <http url for protobuf> <http url for json>
// Exits 0 when every exporter reported success.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { BasicTracerProvider, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { SpanKind, SpanStatusCode } = require('@opentelemetry/api');
const grpcExporter = require('@opentelemetry/exporter-trace-otlp-grpc');
const protoExporter = require('@opentelemetry/exporter-trace-otlp-proto');
const httpExporter = require('@opentelemetry/exporter-trace-otlp-http');

const [grpcUrl, protoUrl, jsonUrl] = process.argv.slice(2);
const T0 = [1700000000, 0];  // [seconds, nanoseconds]

function send(exporter) {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'js-peer', 'host.cores': 8 }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('js.interop', '1.0.0');
  const server = tracer.startSpan('GET /js', { kind: SpanKind.SERVER, startTime: T0 });
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
  server.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  server.end([1700000000, 5000000]);
  return provider.forceFlush().then(() => provider.shutdown());
}

async function main() {
  await send(new grpcExporter.OTLPTraceExporter({ url: grpcUrl, timeoutMillis: 5000 }));
  await send(new protoExporter.OTLPTraceExporter({ url: protoUrl, timeoutMillis: 5000 }));
  await send(new httpExporter.OTLPTraceExporter({ url: jsonUrl, timeoutMillis: 5000 }));
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
