// SPDX-License-Identifier: Apache-2.0
// Tracing and access-log middleware for tracekit::http::Server.
// The tracing rules themselves are tracekit/http/server_span.h (framework-free, shared with the
// adapters for other HTTP servers); this is their Beast form.
//
// tracing_middleware(): for every request whose path does not start with an excluded prefix it
//  - extracts the parent context from the headers with the global propagator
//    (OTEL_PROPAGATORS; W3C traceparent/tracestate and baggage by default);
//  - starts a SERVER span "{METHOD} {route pattern}" ("{METHOD}" alone when no route matched);
//  - makes the span's context the request's context (current in handler code);
//  - sets http.method, http.route, http.url and http.status_code (the pre-1.20 names, the default),
//  or with
//    OTEL_SEMCONV_STABILITY_OPT_IN=http the stable names (http.request.method, http.route,
//    url.full, url.path, url.query, url.scheme, server.address, server.port, client.address,
//    network.protocol.version, user_agent.original, http.response.status_code), with "http/dup"
//    both;
//  - marks the span ERROR when the status is >= error_status_threshold (400 by default;
//    OpenTelemetry's convention for servers is 500), records a thrown exception on the span
//    with status ERROR and its message, then lets the server answer 500;
//  - adds X-Trace-ID (32 hex) and X-Span-ID (16 hex) to every response, error responses too.
// Excluded paths (default /healthz, /metrics, /static) get no span and no trace headers.
#pragma once

#include <string>
#include <vector>

#include "tracekit/http/server.h"
#include "tracekit/http/server_span.h"

namespace tracekit::http {

Middleware tracing_middleware();
Middleware tracing_middleware(TracingOptions options);

struct AccessLogOptions {
  std::string logger_name = "http.access";
  // Paths starting with these are not logged (empty: log everything).
  std::vector<std::string> excluded_prefixes = {};
};

// One log line per request after the response is made: event "http.request" with method,
// path, route, status, duration_ms, bytes (response body), remote address; plus trace_id /
// span_id / correlation_id when present. Add it before tracing_middleware so the line carries
// the request's span ids.
Middleware access_log_middleware();
Middleware access_log_middleware(const AccessLogOptions& options);

}  // namespace tracekit::http
