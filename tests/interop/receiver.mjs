// SPDX-License-Identifier: Apache-2.0
// An OTLP receiver built from the official OpenTelemetry JS packages, for tracekit's interop test,
// for both signals it exports: spans and log records.
//
// gRPC: @grpc/grpc-js serves opentelemetry.proto.collector.trace.v1.TraceService/Export and
//       opentelemetry.proto.collector.logs.v1.LogsService/Export.
// HTTP: node:http serves POST /v1/traces and POST /v1/logs with application/x-protobuf or
//       application/json bodies, gzip or not.
// Requests are decoded with the protobufjs code that @opentelemetry/otlp-transformer 0.214.0
// generated from opentelemetry-proto (the last release that ships it for logs as well as traces;
// JSON bodies go through fromObject, after turning the hex ids OTLP/JSON uses into bytes), then
// encoded again with the same code. For every request one line goes to stdout:
//   <transport> <signal> <content-type> <content-encoding> <base64 of the re-encoded request>
// with transport "grpc" or "http" and signal "traces" or "logs", so the C++ test can check every
// field with libprotobuf; a request that could not be decoded gives
//   error <signal> <content-type> <content-encoding> <base64 of the error text>
// The first line is "ports <grpc> <http>". The process ends when its standard input closes, or
// after 120 s.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';

const require = createRequire(import.meta.url);
const grpc = require('@grpc/grpc-js');
const root = require('otlp-transformer-214/build/src/generated/root.js');
const collector = root.opentelemetry.proto.collector;

function hexToBase64(hex, bytes) {
  if (typeof hex !== 'string' || hex.length !== 2 * bytes || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new Error(`not a ${bytes}-byte hex id: ${JSON.stringify(hex)}`);
  }
  return Buffer.from(hex, 'hex').toString('base64');
}

// An optional id (a log record outside any span has none): absent or "" stays empty.
function optionalHexToBase64(hex, bytes) {
  return hex === undefined || hex === '' ? undefined : hexToBase64(hex, bytes);
}

// OTLP/JSON ids (hex) -> the bytes (base64) protobufjs' fromObject takes, per signal.
function spanIdsToBytes(obj) {
  for (const rs of obj.resourceSpans ?? []) {
    for (const ss of rs.scopeSpans ?? []) {
      for (const span of ss.spans ?? []) {
        span.traceId = hexToBase64(span.traceId, 16);
        span.spanId = hexToBase64(span.spanId, 8);
        if (span.parentSpanId) span.parentSpanId = hexToBase64(span.parentSpanId, 8);
        for (const link of span.links ?? []) {
          link.traceId = hexToBase64(link.traceId, 16);
          link.spanId = hexToBase64(link.spanId, 8);
        }
      }
    }
  }
}

function logIdsToBytes(obj) {
  for (const rl of obj.resourceLogs ?? []) {
    for (const sl of rl.scopeLogs ?? []) {
      for (const record of sl.logRecords ?? []) {
        record.traceId = optionalHexToBase64(record.traceId, 16);
        record.spanId = optionalHexToBase64(record.spanId, 8);
      }
    }
  }
}

const signals = {
  traces: {
    grpcPath: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    Request: collector.trace.v1.ExportTraceServiceRequest,
    Response: collector.trace.v1.ExportTraceServiceResponse,
    idsToBytes: spanIdsToBytes,
  },
  logs: {
    grpcPath: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
    Request: collector.logs.v1.ExportLogsServiceRequest,
    Response: collector.logs.v1.ExportLogsServiceResponse,
    idsToBytes: logIdsToBytes,
  },
};

// OTLP/JSON -> the message. fromObject takes 64-bit integers as strings or numbers, as the
// protobuf JSON mapping does (verify() would insist on numbers, which is not the JSON mapping).
function fromOtlpJson(signal, text) {
  const obj = JSON.parse(text);
  signal.idsToBytes(obj);
  return signal.Request.fromObject(obj);
}

function report(transport, name, contentType, encoding, message) {
  const bytes = Buffer.from(signals[name].Request.encode(message).finish());
  process.stdout.write(
    `${transport} ${name} ${contentType || '-'} ${encoding || '-'} ${bytes.toString('base64')}\n`);
}

// ---- gRPC: one Export service per signal
const grpcServer = new grpc.Server();
for (const [name, signal] of Object.entries(signals)) {
  const { Request, Response } = signal;
  const service = {
    Export: {
      path: signal.grpcPath,
      requestStream: false,
      responseStream: false,
      requestSerialize: (m) => Buffer.from(Request.encode(m).finish()),
      requestDeserialize: (b) => Request.decode(b),
      responseSerialize: (m) => Buffer.from(Response.encode(m).finish()),
      responseDeserialize: (b) => Response.decode(b),
    },
  };
  grpcServer.addService(service, {
    Export(call, callback) {
      const encoding = call.metadata.get('grpc-encoding')[0] ?? '-';
      report('grpc', name, 'application/grpc', encoding, call.request);
      callback(null, Response.create({}));
    },
  });
}

// ---- HTTP: POST /v1/<signal>
const httpServer = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const contentType = req.headers['content-type'] ?? '';
    const encoding = req.headers['content-encoding'] ?? '';
    const name = req.url === '/v1/logs' ? 'logs' : 'traces';
    try {
      if (req.method !== 'POST' || (req.url !== '/v1/traces' && req.url !== '/v1/logs')) {
        throw new Error(`unexpected ${req.method} ${req.url}`);
      }
      const { Request, Response } = signals[name];
      let body = Buffer.concat(chunks);
      if (encoding === 'gzip') body = gunzipSync(body);
      const json = contentType.startsWith('application/json');
      const message = json ? fromOtlpJson(signals[name], body.toString('utf8')) : Request.decode(body);
      report('http', name, contentType, encoding, message);
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : Buffer.from(Response.encode(Response.create({})).finish()));
    } catch (e) {
      process.stdout.write(
        `error ${name} ${contentType || '-'} ${encoding || '-'} ${Buffer.from(String(e)).toString('base64')}\n`);
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(String(e));
    }
  });
});

grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, grpcPort) => {
  if (err) throw err;
  httpServer.listen(0, '127.0.0.1', () => {
    process.stdout.write(`ports ${grpcPort} ${httpServer.address().port}\n`);
  });
});

function stop() {
  grpcServer.forceShutdown();
  httpServer.close();
  process.exit(0);
}
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
setTimeout(stop, 120_000).unref();
