// The tracing middleware: extract, SERVER span, request context, attributes, status, headers.
#include <array>

#include "semconv.h"
#include "tracekit/http/tracing.h"
#include "tracekit/log/logger.h"
#include "tracekit/propagation/propagator.h"
#include "tracekit/tracer.h"
#include "tracekit/tracer_provider.h"

namespace tracekit::http {

namespace {

struct TracingState {
  TracingOptions options;
  Semconv semconv;
  Tracer* tracer;
  bool old_names;
  bool stable_names;
};

bool has_prefix(std::string_view path, const std::vector<std::string>& prefixes) noexcept {
  for (const auto& p : prefixes)
    if (path.starts_with(p)) return true;
  return false;
}

const log::Logger& middleware_log() {
  static const log::Logger logger("tracekit.http");
  return logger;
}

// Up to this many attributes are set at span start.
constexpr size_t kMaxStartAttributes = 16;

class AttributeBuffer {
 public:
  void add(std::string_view key, const AttributeValue& v) noexcept {
    if (n_ < items_.size()) items_[n_++] = KeyValue{key, v};
  }
  AttributeList list() const noexcept { return std::span<const KeyValue>(items_.data(), n_); }

 private:
  std::array<KeyValue, kMaxStartAttributes> items_{};
  size_t n_ = 0;
};

// Everything from extraction to the started SERVER span, made current for the request. A plain
// function, not part of the coroutine below: GCC keeps every local of a coroutine in its heap
// frame, and these (the attribute buffer above all) made the frame larger than what Asio
// recycles per thread, so each request paid a malloc that also consolidated glibc's fastbins.
Span start_server_span(const TracingState& st, Request& req) {
  const TracingOptions& o = st.options;
  const Context parent =
      propagation::global_propagator().extract(FieldsGetter(req.headers()), Context());

  const std::string_view method = req.method();
  const bool known = detail::is_known_method(method);
  std::string name;
  if (st.stable_names && !known) {
    name = "HTTP";  // the stable conventions' name for methods outside the known set
  } else {
    name.assign(method);
  }
  if (!req.route().empty()) name.append(" ").append(req.route());

  std::string_view scheme = o.scheme;
  if (auto fwd = req.header("x-forwarded-proto"); fwd && (*fwd == "http" || *fwd == "https")) {
    scheme = *fwd;
  }
  const std::string_view host_header = req.host();
  const std::string_view host =
      host_header.empty() ? std::string_view(req.local_address()) : host_header;
  const std::string url = redacted_url(scheme, host, req.target(), o);
  const auto [server_address, server_port] =
      detail::split_host_port(host, scheme == "https" ? 443 : 80);
  std::string_view url_query;
  if (const size_t q = url.find('?'); q != std::string::npos) {
    url_query = std::string_view(url).substr(q + 1);
  }
  const std::string_view url_path = std::string_view(url).substr(
      0, url_query.empty() ? url.size() : url.size() - url_query.size() - 1);
  const size_t path_start = url.find('/', scheme.size() + 3);

  AttributeBuffer attrs;
  if (st.old_names) {
    attrs.add("http.method", method);
    attrs.add("http.url", url);
  }
  if (!req.route().empty()) attrs.add("http.route", req.route());
  if (st.stable_names) {
    attrs.add("http.request.method", known ? method : std::string_view("_OTHER"));
    if (!known) attrs.add("http.request.method_original", method);
    attrs.add("url.full", url);
    attrs.add("url.path", path_start == std::string::npos
                              ? std::string_view("/")
                              : url_path.substr(std::min(path_start, url_path.size())));
    if (!url_query.empty()) attrs.add("url.query", url_query);
    attrs.add("url.scheme", scheme);
    attrs.add("server.address", server_address);
    attrs.add("server.port", static_cast<int64_t>(server_port));
    if (!req.remote_address().empty()) attrs.add("client.address", req.remote_address());
    attrs.add("network.protocol.version",
              req.beast().version() == 10 ? std::string_view("1.0") : std::string_view("1.1"));
    if (auto ua = req.header("user-agent")) attrs.add("user_agent.original", *ua);
  }

  SpanOptions so;
  so.kind = SpanKind::kServer;
  so.parent = Parent(parent);
  so.attributes = attrs.list();
  Span span = st.tracer->start_span(name, so);
  req.set_context(parent.with_span(span));
  return span;
}

boost::asio::awaitable<Response> traced(std::shared_ptr<const TracingState> st, Request& req,
                                        Next next) {
  const TracingOptions& o = st->options;
  Span span = start_server_span(*st, req);

  Response resp;
  std::string failure;
  try {
    resp = co_await next(req);
  } catch (const std::exception& e) {
    span.record_exception(e);
    failure = e.what();
    if (failure.empty()) failure = "exception";
    if (st->stable_names) {
      span.set_attribute("error.type", tracekit::detail::exception_type_name(e));
    }
  } catch (...) {
    span.record_exception("unknown", "unknown exception");
    failure = "unknown exception";
  }
  if (!failure.empty()) {
    span.set_status(StatusCode::kError, failure);
    {
      Scope scope(req.context());
      log::CorrelationScope correlation(req.correlation_id());
      middleware_log().error("http.handler_exception",
                             {{"method", req.method()}, {"path", req.path()}, {"error", failure}});
    }
    resp = Response::error(500, "internal server error");
  }
  const int status = resp.status();
  if (st->old_names) span.set_attribute("http.status_code", static_cast<int64_t>(status));
  if (st->stable_names) {
    span.set_attribute("http.response.status_code", static_cast<int64_t>(status));
  }
  if (status >= o.error_status_threshold) {
    if (failure.empty()) span.set_status(StatusCode::kError);
    if (st->stable_names && failure.empty()) {
      span.set_attribute("error.type", std::to_string(status));
    }
  }
  const SpanContext& sc = span.context();
  if (sc.is_valid()) {
    const auto trace_hex = sc.trace_id().hex_array();
    const auto span_hex = sc.span_id().hex_array();
    resp.set_header("X-Trace-ID", std::string_view(trace_hex.data(), trace_hex.size()));
    resp.set_header("X-Span-ID", std::string_view(span_hex.data(), span_hex.size()));
  }
  span.end();
  co_return resp;
}

}  // namespace

Middleware tracing_middleware() {
  return tracing_middleware(TracingOptions{});
}

Middleware tracing_middleware(TracingOptions options) {
  auto st = std::make_shared<TracingState>();
  st->semconv = options.semconv ? *options.semconv : semconv_from_env();
  st->tracer = options.tracer ? options.tracer : &get_tracer("tracekit.http");
  st->old_names = st->semconv != Semconv::kStable;
  st->stable_names = st->semconv != Semconv::kOld;
  st->options = std::move(options);
  std::shared_ptr<const TracingState> state = std::move(st);
  return [state](Request& req, Next next) -> boost::asio::awaitable<Response> {
    if (has_prefix(req.path(), state->options.excluded_prefixes)) return next(req);
    return traced(state, req, next);
  };
}

}  // namespace tracekit::http
