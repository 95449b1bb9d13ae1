// SPDX-License-Identifier: Apache-2.0
// The tracing middleware: the Beast form of the framework-free rules in server_span.h.
#include "tracing_middleware.h"

#include "tracekit/http/tracing.h"
#include "tracekit/log/logger.h"
#include "tracekit/propagation/propagator.h"

namespace tracekit::http {

namespace {

const log::Logger& middleware_log() {
  static const log::Logger logger("tracekit.http");
  return logger;
}

}  // namespace

namespace detail {

// From extraction to the started SERVER span, made the request's context. A plain function, not
// part of the coroutine below: GCC keeps every local of a coroutine in its heap frame, and the
// request description and attribute buffer made the frame larger than what Asio recycles per
// thread, so each request paid a malloc that also consolidated glibc's fastbins.
ServerSpan start_server_span(const ServerTracing& tracing, Request& req) {
  const FieldsGetter headers(req.headers());
  ServerRequest r;
  r.method = req.method();
  r.target = req.target();
  r.route = req.route();
  r.local_address = req.local_address();
  r.remote_address = req.remote_address();
  if (tracing.stable_names()) r.protocol_version = req.beast().version() == 10 ? "1.0" : "1.1";
  // Extraction is skipped for a request that carries none of the header names the global
  // propagator reads, when it reads no others (global_extraction_fields): most requests at a
  // service's edge carry no trace context, and extracting from them found nothing for ~350
  // instructions (two lookups in Beast's index, the propagators' Context copies).
  const std::vector<std::string>* extraction_fields = propagation::global_extraction_fields();
  bool carries_context = extraction_fields == nullptr;
  // One pass over the fields for the three the rules read, the first of each (as Request::header
  // finds it), and the propagator's: a lookup by name searches Beast's case-insensitive index,
  // ~130 instructions each.
  for (const auto& field : req.headers()) {
    std::string_view* slot = nullptr;
    const std::string_view name(field.name_string().data(), field.name_string().size());
    switch (field.name()) {
      case beast_http::field::host:
        slot = &r.host;
        break;
      case beast_http::field::user_agent:
        slot = &r.user_agent;
        break;
      case beast_http::field::unknown:
        if (propagation::iequals(name, "x-forwarded-proto")) slot = &r.forwarded_proto;
        break;
      default:
        break;
    }
    if (slot && slot->data() == nullptr) *slot = {field.value().data(), field.value().size()};
    if (!carries_context) {
      for (const std::string& f : *extraction_fields) {
        if (name.size() == f.size() && propagation::iequals(name, f)) carries_context = true;
      }
    }
  }
  if (carries_context) r.headers = &headers;
  ServerSpan span = tracing.start(r);
  req.set_context(span.share_context());
  return span;
}

// X-Trace-ID and X-Span-ID, beside the fields (Response::set_trace_ids says why).
void finish_server_span(ServerSpan& span, Response& resp) {
  span.end(resp.status());
  const SpanContext& ids = span.context().span_context();
  if (ids.is_valid()) resp.set_trace_ids(ids);
}

void fail_server_span(ServerSpan& span, const std::exception* e) {
  if (e) {
    span.fail(*e);
  } else {
    span.fail_unknown();
  }
}

// The 500 for a handler that threw: logged with the request's context, the span ended. Apart
// from the coroutine below, so that its frame holds one Response, not two (a frame larger than
// what Asio recycles per thread costs a malloc per request, see start_server_span).
Response failed_response(ServerSpan& span, Request& req, std::string_view failure) {
  {
    Scope scope(req.context());
    log::CorrelationScope correlation(req.correlation_id());
    middleware_log().error("http.handler_exception",
                           {{"method", req.method()}, {"path", req.path()}, {"error", failure}});
  }
  Response resp = Response::error(500, "internal server error");
  finish_server_span(span, resp);
  return resp;
}

namespace {
// `tracing` is the middleware's own, which the server keeps as long as any request runs: a
// reference, not a shared_ptr copy (two atomic counts per request, each waiting for the span
// record's stores to drain).
boost::asio::awaitable<Response> traced(const ServerTracing& tracing, Request& req, Next next) {
  ServerSpan span = start_server_span(tracing, req);
  std::string failure;
  try {
    Response resp = co_await next(req);
    finish_server_span(span, resp);
    co_return resp;
  } catch (const std::exception& e) {
    fail_server_span(span, &e);
    failure = e.what();
    if (failure.empty()) failure = "exception";
  } catch (...) {
    fail_server_span(span, nullptr);
    failure = "unknown exception";
  }
  co_return failed_response(span, req, failure);
}
}  // namespace

boost::asio::awaitable<Response> TracingMiddleware::operator()(Request& req, Next next) const {
  if (!tracing->traces(req.path())) return next(req);
  return traced(*tracing, req, next);
}

}  // namespace detail

Middleware tracing_middleware() {
  return tracing_middleware(TracingOptions{});
}

Middleware tracing_middleware(TracingOptions options) {
  return detail::TracingMiddleware{std::make_shared<const ServerTracing>(std::move(options))};
}

}  // namespace tracekit::http
