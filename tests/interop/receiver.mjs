// SPDX-License-Identifier: Apache-2.0
// An OTLP receiver built from the official OpenTelemetry JS packages, for tracekit's interop test.
//
// gRPC: @grpc/grpc-js serves opentelemetry.proto.collector.trace.v1.TraceService/Export.
// HTTP: node:http serves POST /v1/traces with application/x-protobuf or application/json bodies,
//       gzip or not.
// Requests are decoded with the protobufjs code that @opentelemetry/otlp-transformer 0.216.0
// generated from opentelemetry-proto (JSON bodies through fromObject, after turning the hex ids
// OTLP/JSON uses into bytes), then encoded again with the same code. For every request one line
// goes to stdout:
//   <transport> <content-type> <content-encoding> <base64 of the re-encoded request>
// so the C++ test can check every field with libprotobuf. The first line is "ports <grpc> <http>".
// The process ends when its standard input closes, or after 120 s.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';

const require = createRequire(import.meta.url);
const grpc = require('@grpc/grpc-js');
const root = require('otlp-transformer-216/build/src/generated/root.js');

const v1 = root.opentelemetry.proto.collector.trace.v1;
const Request = v1.ExportTraceServiceRequest;
const Response = v1.ExportTraceServiceResponse;

function hexToBase64(hex, bytes) {
  if (typeof hex !== 'string' || hex.length !== 2 * bytes || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new Error(`not a ${bytes}-byte hex id: ${JSON.stringify(hex)}`);
  }
  return Buffer.from(hex, 'hex').toString('base64');
}

// OTLP/JSON -> the object shape protobufjs' fromObject takes (bytes as base64).
function fromOtlpJson(text) {
  const obj = JSON.parse(text);
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
  // fromObject takes 64-bit integers as strings or numbers, as the protobuf JSON mapping does
  // (verify() would insist on numbers, which is not the JSON mapping).
  return Request.fromObject(obj);
}

function report(transport, contentType, encoding, message) {
  const bytes = Buffer.from(Request.encode(message).finish());
  process.stdout.write(`${transport} ${contentType || '-'} ${encoding || '-'} ${bytes.toString('base64')}\n`);
}

// ---- gRPC
const service = {
  Export: {
    path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    requestStream: false,
    responseStream: false,
    requestSerialize: (m) => Buffer.from(Request.encode(m).finish()),
    requestDeserialize: (b) => Request.decode(b),
    responseSerialize: (m) => Buffer.from(Response.encode(m).finish()),
    responseDeserialize: (b) => Response.decode(b),
  },
};
const grpcServer = new grpc.Server();
grpcServer.addService(service, {
  Export(call, callback) {
    const encoding = call.metadata.get('grpc-encoding')[0] ?? '-';
    report('grpc', 'application/grpc', encoding, call.request);
    callback(null, Response.create({}));
  },
});

// ---- HTTP
const httpServer = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const contentType = req.headers['content-type'] ?? '';
    const encoding = req.headers['content-encoding'] ?? '';
    try {
      if (req.method !== 'POST' || req.url !== '/v1/traces') throw new Error(`unexpected ${req.method} ${req.url}`);
      let body = Buffer.concat(chunks);
      if (encoding === 'gzip') body = gunzipSync(body);
      const json = contentType.startsWith('application/json');
      const message = json ? fromOtlpJson(body.toString('utf8')) : Request.decode(body);
      report('http', contentType, encoding, message);
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : Buffer.from(Response.encode(Response.create({})).finish()));
    } catch (e) {
      process.stdout.write(`error ${contentType || '-'} ${encoding || '-'} ${Buffer.from(String(e)).toString('base64')}\n`);
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
