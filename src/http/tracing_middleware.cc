// Stub (the API commit); the implementation follows.
#include "tracekit/http/tracing.h"

namespace tracekit::http {

Semconv semconv_from_env() {
  return Semconv::kOld;
}
Semconv parse_semconv(std::string_view) {
  return Semconv::kOld;
}
Middleware tracing_middleware(TracingOptions) {
  return
      [](Request& r, Next next) -> boost::asio::awaitable<Response> { co_return co_await next(r); };
}
std::string redacted_url(std::string_view, std::string_view, std::string_view,
                         const TracingOptions&) {
  return {};
}
Middleware access_log_middleware(AccessLogOptions) {
  return
      [](Request& r, Next next) -> boost::asio::awaitable<Response> { co_return co_await next(r); };
}

}  // namespace tracekit::http
