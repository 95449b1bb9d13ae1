// SPDX-License-Identifier: Apache-2.0
// One JSON access-log line per request, with the request's trace ids and correlation id.
#include <chrono>

#include "tracekit/http/tracing.h"
#include "tracekit/log/logger.h"

namespace tracekit::http {

namespace {

struct AccessLogState {
  AccessLogOptions options;
  log::Logger logger;
};

boost::asio::awaitable<Response> logged(std::shared_ptr<const AccessLogState> st, Request& req,
                                        Next next) {
  const auto start = std::chrono::steady_clock::now();
  int status = 500;
  size_t bytes = 0;
  auto write_line = [&] {
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    // The request's context is re-entered explicitly: this line may run before the connection
    // coroutine resumed with it.
    Scope scope(req.context());
    log::CorrelationScope correlation(req.correlation_id());
    st->logger.log(status >= 500 ? log::Level::kError : log::Level::kInfo, "http.request",
                   {{"method", req.method()},
                    {"path", req.path()},
                    {"route", req.route()},
                    {"status", status},
                    {"duration_ms", ms},
                    {"bytes", bytes},
                    {"remote_addr", req.remote_address()}});
  };
  try {
    Response resp = co_await next(req);
    status = resp.status();
    bytes = resp.body().size();
    write_line();
    co_return resp;
  } catch (...) {
    write_line();  // the server answers 500
    throw;
  }
}

}  // namespace

Middleware access_log_middleware() {
  return access_log_middleware(AccessLogOptions{});
}

Middleware access_log_middleware(const AccessLogOptions& options) {
  auto st = std::make_shared<const AccessLogState>(
      AccessLogState{options, log::Logger(options.logger_name)});
  return [st](Request& req, Next next) -> boost::asio::awaitable<Response> {
    for (const auto& p : st->options.excluded_prefixes)
      if (req.path().starts_with(p)) return next(req);
    return logged(st, req, next);
  };
}

}  // namespace tracekit::http
