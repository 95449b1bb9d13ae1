// SPDX-License-Identifier: Apache-2.0
// The HTTP server-span rules without any HTTP framework: tracekit's own Beast middleware is built
// on this, and so is any adapter for another server (cpp-httplib, Drogon, Crow, a home-grown one).
//
// A server makes one ServerTracing from its options, then per request:
//
//   tracekit::http::ServerTracing tracing;              // once
//   if (tracing.traces(path)) {                          // excluded prefixes get nothing
//     tracekit::propagation::RangeGetter<Headers> headers(req.headers);
//     auto span = tracing.start({.method = m, .target = t, .route = r, .host = h,
//                                .headers = &headers});
//     { tracekit::Scope scope(span.context()); run_handler(); }   // or span.fail(e)
//     span.end(status);
//     if (auto ids = span.response_ids()) { add "X-Trace-ID"/"X-Span-ID" from *ids }
//   }
//
// The rules: the parent comes from the headers through the global
// propagator (OTEL_PROPAGATORS); a SERVER span "{METHOD} {route}" ("{METHOD}" alone without a
// route; "HTTP" for an unknown method under the stable names); http.method, http.route,
// http.url, http.status_code (the pre-1.20 names, the default), or the stable names with
// OTEL_SEMCONV_STABILITY_OPT_IN=http, both with http/dup; URL attributes never carry
// credentials and redact the configured query parameters; status >= error_status_threshold is
// ERROR; an exception is recorded with status ERROR and its message.
#pragma once

#include <array>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tracekit/context.h"
#include "tracekit/propagation/text_map.h"
#include "tracekit/span.h"

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

// The query parameters whose values URL attributes (http.url, url.full, url.query) show as
// "REDACTED" unless told otherwise: OpenTelemetry's list (AWSAccessKeyId, Signature, sig,
// X-Goog-Signature, X-Amz-Signature, X-Amz-Credential, X-Amz-Security-Token) and common
// secrets (token, access_token, api_key, apikey, password, secret). Compared
// case-insensitively, after percent-decoding.
std::vector<std::string> default_redacted_query_params();

struct TracingOptions {
  // Paths starting with any of these are not traced.
  std::vector<std::string> excluded_prefixes = {"/healthz", "/metrics", "/static"};
  // Responses with a status >= this mark the span ERROR.
  int error_status_threshold = 400;
  // Query parameters whose values are replaced by "REDACTED" in http.url / url.full / url.query.
  std::vector<std::string> redacted_query_params = default_redacted_query_params();
  // Drop the whole query string from the URL attributes.
  bool omit_query = false;
  // The scheme for http.url when no X-Forwarded-Proto says otherwise.
  std::string scheme = "http";
  // Attribute names; nullopt reads OTEL_SEMCONV_STABILITY_OPT_IN once, when the middleware is made.
  std::optional<Semconv> semconv;
  // Null: tracekit::get_tracer("tracekit.http").
  Tracer* tracer = nullptr;
};

// The URL for span attributes: scheme://host/path?query without userinfo, with the configured
// query values redacted.
std::string redacted_url(std::string_view scheme, std::string_view host, std::string_view target,
                         const TracingOptions& options);

// What the server knows about one request. Views: they need to live only during start().
struct ServerRequest {
  std::string_view method;           // "GET", as received
  std::string_view target;           // "/path?query" as received (absolute form accepted)
  std::string_view route;            // the matched pattern ("/tools/{id}"); empty when none
  std::string_view host;             // the Host header; empty: local_address is used
  std::string_view local_address;    // the server's address for this connection
  std::string_view remote_address;   // the peer's address (client.address)
  std::string_view user_agent;       // User-Agent, empty when absent
  std::string_view forwarded_proto;  // X-Forwarded-Proto, empty when absent
  std::string_view protocol_version = "1.1";  // "1.0", "1.1", "2"
  // The request headers, for the propagator. Null: no parent is extracted.
  const propagation::TextMapGetter* headers = nullptr;
};

class ServerTracing;

// One request's SERVER span. Default-constructed (or for an excluded path) it does nothing:
// every call is then a no-op and response_ids() is empty.
class ServerSpan {
 public:
  ServerSpan() = default;
  ServerSpan(ServerSpan&&) noexcept = default;
  ServerSpan& operator=(ServerSpan&&) noexcept = default;

  // The request's context: the extracted baggage with this span as its span. Make it current
  // (tracekit::Scope) around handler code so its spans and logs join the trace.
  const Context& context() const noexcept { return context_; }
  // A copy of context() for the request to keep, counted without a locked instruction while this
  // ServerSpan holds every reference to its record (Span::share).
  Context share_context() noexcept { return Context(span_.share(2), context_.baggage()); }
  SpanRef span() const noexcept { return context_.span(); }

  // The handler threw: records the exception, status ERROR with its message (and error.type
  // under the stable names). The response the server then sends still goes to end().
  void fail(const std::exception& e) noexcept;
  // A throw of something that is not a std::exception.
  void fail_unknown() noexcept;
  // Sets the status-code attribute, applies the ERROR rule, and ends the span. Once.
  void end(int status) noexcept;

  // The values for the X-Trace-ID (32 hex digits) and X-Span-ID (16) response headers; nullopt
  // when the span is not valid (tracing off, excluded path).
  struct ResponseIds {
    std::array<char, 32> trace_id;
    std::array<char, 16> span_id;
    std::string_view trace_id_view() const noexcept { return {trace_id.data(), trace_id.size()}; }
    std::string_view span_id_view() const noexcept { return {span_id.data(), span_id.size()}; }
  };
  std::optional<ResponseIds> response_ids() const noexcept;

 private:
  friend class ServerTracing;
  const ServerTracing* tracing_ = nullptr;
  Span span_;
  Context context_;
  bool failed_ = false;
};

// The rules for one server, made once from its options (reads OTEL_SEMCONV_STABILITY_OPT_IN
// then, when options.semconv is unset). Thread-safe: start() may run on many threads at once.
class ServerTracing {
 public:
  ServerTracing();
  explicit ServerTracing(TracingOptions options);

  // False for paths under an excluded prefix: such requests get no span and no ids.
  bool traces(std::string_view path) const noexcept;
  // Extracts the parent and starts the SERVER span with the request attributes.
  ServerSpan start(const ServerRequest& request) const;

  const TracingOptions& options() const noexcept { return options_; }
  bool old_names() const noexcept { return old_names_; }
  bool stable_names() const noexcept { return stable_names_; }

 private:
  TracingOptions options_;
  Tracer* tracer_;
  bool old_names_;
  bool stable_names_;
};

}  // namespace tracekit::http
