// SPDX-License-Identifier: Apache-2.0
// The tracing middleware's parts, for the server to run them itself. When the tracing middleware
// is the first (outermost) one, the server starts and ends its span in the connection's own
// coroutine instead of calling the middleware: the same steps, without a coroutine frame, a
// std::function call and two moves of the Response per request (~700 of the ~4,400 instructions
// tracing adds to a request, scripts/load_instructions.sh).
#pragma once

#include <memory>
#include <string_view>

#include "tracekit/http/server.h"
#include "tracekit/http/server_span.h"

namespace tracekit::http::detail {

// What tracing_middleware() returns, so that the server can recognise it
// (Middleware::target<TracingMiddleware>()).
struct TracingMiddleware {
  std::shared_ptr<const ServerTracing> tracing;
  boost::asio::awaitable<Response> operator()(Request& req, Next next) const;
};

// From extraction to the started SERVER span, made the request's context.
ServerSpan start_server_span(const ServerTracing& tracing, Request& req);
// The span ended with the response's status, and the response given the trace ids.
void finish_server_span(ServerSpan& span, Response& resp);
// A handler below threw: the span records it, the failure is logged with the request's context,
// and the answer is a 500 with the trace ids.
void fail_server_span(ServerSpan& span, const std::exception* e);
Response failed_response(ServerSpan& span, Request& req, std::string_view failure);

}  // namespace tracekit::http::detail
