// Tracing and access-log middleware for tracekit::http::Server (the seed's §3, §7, §9, §10).
//
// tracing_middleware(): for every request whose path does not start with an excluded prefix it
//  - extracts the parent context from the headers with the global propagator
//    (OTEL_PROPAGATORS; W3C traceparent/tracestate and baggage by default);
//  - starts a SERVER span "{METHOD} {route pattern}" ("{METHOD}" alone when no route matched);
//  - makes the span's context the request's context (current in handler code);
//  - sets http.method, http.route, http.url and http.status_code (the seed's names), or with
//    OTEL_SEMCONV_STABILITY_OPT_IN=http the stable names (http.request.method, http.route,
//    url.full, url.path, url.query, url.scheme, server.address, server.port, client.address,
//    network.protocol.version, user_agent.original, http.response.status_code), with "http/dup"
//    both;
//  - marks the span ERROR when the status is >= error_status_threshold (400, the seed's rule;
//    OpenTelemetry's convention for servers is 500), records a thrown exception on the span
//    with status ERROR and its message, then lets the server answer 500;
//  - adds X-Trace-ID (32 hex) and X-Span-ID (16 hex) to every response, error responses too.
// Excluded paths (default /healthz, /metrics, /static) get no span and no trace headers.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tracekit/http/server.h"

namespace tracekit {
class Tracer;
}

namespace tracekit::http {

// Which attribute names HTTP spans carry (OTEL_SEMCONV_STABILITY_OPT_IN).
enum class Semconv : uint8_t { kOld, kStable, kDuplicate };
// From OTEL_SEMCONV_STABILITY_OPT_IN (a comma-separated list): "http/dup" -> kDuplicate,
// "http" -> kStable, otherwise kOld. Unknown entries are ignored (they may be for other areas).
Semconv semconv_from_env();
Semconv parse_semconv(std::string_view opt_in);

struct TracingOptions {
  // Paths starting with any of these are not traced.
  std::vector<std::string> excluded_prefixes = {"/healthz", "/metrics", "/static"};
  // Responses with a status >= this mark the span ERROR.
  int error_status_threshold = 400;
  // Query parameters whose values are replaced by "REDACTED" in http.url / url.full / url.query
  // (OpenTelemetry's default list plus common secrets). Compared case-insensitively.
  std::vector<std::string> redacted_query_params = {
      "AWSAccessKeyId", "Signature", "sig",    "X-Goog-Signature", "token",
      "access_token",   "api_key",   "apikey", "password",         "secret"};
  // Drop the whole query string from the URL attributes.
  bool omit_query = false;
  // The scheme for http.url when no X-Forwarded-Proto says otherwise.
  std::string scheme = "http";
  // Attribute names; nullopt reads OTEL_SEMCONV_STABILITY_OPT_IN once, when the middleware is made.
  std::optional<Semconv> semconv;
  // Null: tracekit::get_tracer("tracekit.http").
  Tracer* tracer = nullptr;
};

Middleware tracing_middleware();
Middleware tracing_middleware(TracingOptions options);

// The URL for span attributes: scheme://host/path?query without userinfo, with the configured
// query values redacted. Exposed for tests.
std::string redacted_url(std::string_view scheme, std::string_view host, std::string_view target,
                         const TracingOptions& options);

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
Middleware access_log_middleware(AccessLogOptions options);

}  // namespace tracekit::http
