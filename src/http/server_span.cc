// SPDX-License-Identifier: Apache-2.0
// The framework-free server-span rules (see tracekit/http/server_span.h).
#include "tracekit/http/server_span.h"

#include <algorithm>
#include <cstdio>
#include <new>
#include <type_traits>

#include "semconv.h"
#include "tracekit/propagation/propagator.h"
#include "tracekit/semconv.h"
#include "tracekit/tracer.h"
#include "tracekit/tracer_provider.h"

namespace tracekit::http {

namespace {

// Up to this many attributes are set at span start.
constexpr size_t kMaxStartAttributes = 16;

// The slots are left uninitialized until added: value-initializing all sixteen was a 648-byte
// memset per request (`rep stos`, 7 % of ServerTracing::start in perf, 2026-12-07).
class AttributeBuffer {
 public:
  AttributeBuffer() noexcept {}  // NOLINT(modernize-use-equals-default): keeps items_ uninitialized
  void add(std::string_view key, const AttributeValue& v) noexcept {
    if (n_ < kMaxStartAttributes) new (&items_[n_++]) KeyValue{key, v};
  }
  AttributeList list() const noexcept { return std::span<const KeyValue>(items_, n_); }

 private:
  static_assert(std::is_trivially_destructible_v<KeyValue>);
  union {
    KeyValue items_[kMaxStartAttributes];
  };
  size_t n_ = 0;
};

// The span name and URL are built in buffers each thread keeps, so that a request does not
// allocate them (a typical URL is longer than std::string's inline 15 characters); the span
// copies what it keeps before start() returns.
struct StartBuffers {
  std::string name;
  std::string url;
};
thread_local StartBuffers t_start_buffers;

}  // namespace

ServerTracing::ServerTracing() : ServerTracing(TracingOptions{}) {}

ServerTracing::ServerTracing(TracingOptions options) : options_(std::move(options)) {
  const Semconv semconv = options_.semconv ? *options_.semconv : semconv_from_env();
  tracer_ = options_.tracer ? options_.tracer : &get_tracer("tracekit.http");
  old_names_ = semconv != Semconv::kStable;
  stable_names_ = semconv != Semconv::kOld;
}

bool ServerTracing::traces(std::string_view path) const noexcept {
  for (const auto& p : options_.excluded_prefixes)
    if (path.starts_with(p)) return false;
  return true;
}

ServerSpan ServerTracing::start(const ServerRequest& req) const {
  const TracingOptions& o = options_;
  const Context parent =
      req.headers ? propagation::global_propagator().extract(*req.headers, Context()) : Context();

  const std::string_view known_method = detail::known_method(req.method);
  const bool known = !known_method.empty();
  const std::string_view method = known ? known_method : req.method;
  StartBuffers& buffers = t_start_buffers;
  std::string& name = buffers.name;
  if (stable_names_ && !known) {
    name = "HTTP";  // the stable conventions' name for methods outside the known set
  } else {
    name.assign(method);
  }
  if (!req.route.empty()) name.append(" ").append(req.route);

  std::string_view scheme = o.scheme;
  if (req.forwarded_proto == "http" || req.forwarded_proto == "https") {
    scheme = req.forwarded_proto;
  }
  const std::string_view host = req.host.empty() ? req.local_address : req.host;
  const std::string& url = buffers.url;
  detail::assign_redacted_url(buffers.url, scheme, host, req.target, o);
  AttributeBuffer attrs;
  if (old_names_) {
    attrs.add(semconv::legacy::kHttpMethod, method);
    attrs.add(semconv::legacy::kHttpUrl, url);
  }
  if (!req.route.empty()) attrs.add(semconv::http::kRoute, req.route);
  // The stable conventions' attributes only: the old ones need none of the parsing (the
  // default, and most of a traced request's URL work).
  if (stable_names_) {
    // server.address/port from the authority as the URL has it: a Host header holding '/', '?',
    // '#' or whitespace ends there, so a query smuggled in it ("h/?password=...") reaches neither
    // attribute, and the port agrees with the URL's.
    const auto [server_address, server_port] =
        detail::split_host_port(detail::authority_of(host), scheme == "https" ? 443 : 80);
    std::string_view url_query;
    if (const size_t q = url.find('?'); q != std::string::npos) {
      url_query = std::string_view(url).substr(q + 1);
    }
    const std::string_view url_path = std::string_view(url).substr(
        0, url_query.empty() ? url.size() : url.size() - url_query.size() - 1);
    const size_t path_start = url.find('/', scheme.size() + 3);
    attrs.add(semconv::http::kRequestMethod, known ? method : semconv::http::kOtherMethod);
    if (!known) attrs.add(semconv::http::kRequestMethodOriginal, method);
    attrs.add(semconv::url::kFull, url);
    attrs.add(semconv::url::kPath, path_start == std::string::npos
                                       ? std::string_view("/")
                                       : url_path.substr(std::min(path_start, url_path.size())));
    if (!url_query.empty()) attrs.add(semconv::url::kQuery, url_query);
    attrs.add(semconv::url::kScheme, scheme);
    attrs.add(semconv::server::kAddress, server_address);
    attrs.add(semconv::server::kPort, static_cast<int64_t>(server_port));
    if (!req.remote_address.empty()) attrs.add(semconv::client::kAddress, req.remote_address);
    attrs.add(semconv::network::kProtocolVersion, req.protocol_version);
    if (!req.user_agent.empty()) attrs.add(semconv::user_agent::kOriginal, req.user_agent);
  }

  SpanOptions so;
  so.kind = SpanKind::kServer;
  so.parent = Parent(parent);
  so.attributes = attrs.list();
  ServerSpan out;
  out.tracing_ = this;
  out.span_ = tracer_->start_span(name, so);
  out.context_ = parent.with_span(out.span_.share());
  // A rare long URL does not keep its memory on the thread.
  constexpr size_t kKeptCapacity = 2048;
  if (buffers.url.capacity() > kKeptCapacity) std::string().swap(buffers.url);
  if (buffers.name.capacity() > kKeptCapacity) std::string().swap(buffers.name);
  return out;
}

void ServerSpan::fail(const std::exception& e) noexcept {
  if (!tracing_) return;
  failed_ = true;
  span_.record_exception(e);
  const char* what = e.what();
  span_.set_status(StatusCode::kError, what && *what ? std::string_view(what) : "exception");
  if (tracing_->stable_names()) {
    try {
      span_.set_attribute(semconv::error::kType, tracekit::detail::exception_type_name(e));
    } catch (...) {
    }
  }
}

void ServerSpan::fail_unknown() noexcept {
  if (!tracing_) return;
  failed_ = true;
  span_.record_exception("unknown", "unknown exception");
  span_.set_status(StatusCode::kError, "unknown exception");
}

void ServerSpan::end(int status) noexcept {
  if (!tracing_) return;
  if (tracing_->old_names())
    span_.set_attribute(semconv::legacy::kHttpStatusCode, static_cast<int64_t>(status));
  if (tracing_->stable_names()) {
    span_.set_attribute(semconv::http::kResponseStatusCode, static_cast<int64_t>(status));
  }
  if (status >= tracing_->options().error_status_threshold && !failed_) {
    span_.set_status(StatusCode::kError);
    if (tracing_->stable_names()) {
      char digits[12];
      const int n = std::snprintf(digits, sizeof digits, "%d", status);
      span_.set_attribute(semconv::error::kType, std::string_view(digits, n > 0 ? size_t(n) : 0));
    }
  }
  span_.end();
}

std::optional<ServerSpan::ResponseIds> ServerSpan::response_ids() const noexcept {
  const SpanContext& sc = context_.span_context();
  if (!tracing_ || !sc.is_valid()) return std::nullopt;
  return ResponseIds{sc.trace_id().hex_array(), sc.span_id().hex_array()};
}

}  // namespace tracekit::http
