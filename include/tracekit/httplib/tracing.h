// SPDX-License-Identifier: Apache-2.0
// Tracing for cpp-httplib servers (header-only here; include <httplib.h> first, link
// tracekit::http and cpp-httplib).
// A thin adapter over the framework-free rules in tracekit/http/server_span.h, the same rules
// tracekit's own Beast middleware runs on.
//
//   httplib::Server server;
//   tracekit::httplib::Tracing tracing;   // TracingOptions as for tracing_middleware()
//   server.Get(R"(/tools/(\d+))", tracing.traced("/tools/{id}", [](const auto& req, auto& res) {
//     res.set_content(lookup(req.matches[1]), "application/json");   // the span is current here
//   }));
//
// Each wrapped handler gets a SERVER span "{METHOD} {route}" (the route as given: cpp-httplib's
// patterns are regular expressions, so name the route as people read it), the parent extracted
// from the request headers, the HTTP attributes, status ERROR for status >= 400, and the
// X-Trace-ID / X-Span-ID response headers; excluded paths (/healthz, /metrics, /static by
// default) get none. A handler that throws is recorded on the span and answered 500, as the
// Beast middleware does. Requests no handler matched (404s) are not traced.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "tracekit/context.h"
#include "tracekit/http/server_span.h"
#include "tracekit/propagation/text_map.h"

namespace tracekit::httplib {

class Tracing {
 public:
  Tracing() : Tracing(http::TracingOptions{}) {}
  explicit Tracing(http::TracingOptions options)
      : rules_(std::make_shared<const http::ServerTracing>(std::move(options))) {}

  // `handler` run inside the request's SERVER span, for requests matched as `route`.
  ::httplib::Server::Handler traced(std::string route, ::httplib::Server::Handler handler) const {
    return [rules = rules_, route = std::move(route), handler = std::move(handler)](
               const ::httplib::Request& req, ::httplib::Response& res) {
      if (!rules->traces(req.path)) {
        handler(req, res);
        return;
      }
      const propagation::RangeGetter<::httplib::Headers> headers(req.headers);
      http::ServerRequest request = describe(req, route);
      request.headers = &headers;
      http::ServerSpan span = rules->start(request);
      try {
        Scope scope(span.context());
        handler(req, res);
      } catch (const std::exception& e) {
        span.fail(e);
        answer_500(res);
      } catch (...) {
        span.fail_unknown();
        answer_500(res);
      }
      if (res.status == -1) res.status = 200;  // cpp-httplib's "not set": it would answer 200
      span.end(res.status);
      if (const auto ids = span.response_ids()) {
        // What Response::set_header does, less its CR/LF check (hex digits need none) and its
        // temporary strings. end() is the right hint unless the handler set a header that sorts
        // after these (a wrong hint costs the usual search), so X-Span-ID goes first: it sorts
        // before X-Trace-ID, whose hint then holds too. Each comparison in cpp-httplib's
        // case-insensitive order is a libc tolower() call per character.
        res.headers.emplace_hint(res.headers.end(), "X-Span-ID", ids->span_id_view());
        res.headers.emplace_hint(res.headers.end(), "X-Trace-ID", ids->trace_id_view());
      }
    };
  }

  const http::ServerTracing& rules() const noexcept { return *rules_; }

 private:
  // A view of the request for the rules; valid while `req` is.
  static http::ServerRequest describe(const ::httplib::Request& req, std::string_view route) {
    http::ServerRequest r;
    r.method = req.method;
    r.target = req.target.empty() ? std::string_view(req.path) : std::string_view(req.target);
    r.route = route;
    // One pass for the three headers, the first of each as Headers::find gives it: find()
    // would compare through cpp-httplib's case-insensitive ordering, a libc tolower() call per
    // character, which was an eighth of a traced request's CPU (perf, BM_HttplibHandler).
    for (const auto& [name, value] : req.headers) {
      std::string_view* slot = nullptr;
      if (propagation::iequals(name, "Host")) {
        slot = &r.host;
      } else if (propagation::iequals(name, "User-Agent")) {
        slot = &r.user_agent;
      } else if (propagation::iequals(name, "X-Forwarded-Proto")) {
        slot = &r.forwarded_proto;
      }
      if (slot && slot->data() == nullptr) *slot = value;
    }
    r.local_address = req.local_addr;
    r.remote_address = req.remote_addr;
    std::string_view version = req.version;
    if (version.starts_with("HTTP/")) version.remove_prefix(5);
    r.protocol_version = version;
    return r;
  }

  static void answer_500(::httplib::Response& res) {
    res.status = 500;
    res.set_content("{\"error\":\"internal server error\",\"status\":500}", "application/json");
  }

  std::shared_ptr<const http::ServerTracing> rules_;
};

}  // namespace tracekit::httplib
