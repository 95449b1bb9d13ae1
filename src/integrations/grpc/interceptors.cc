// SPDX-License-Identifier: Apache-2.0
// The tracing interceptors for grpc++ (see tracekit/grpc/interceptors.h).
#include "tracekit/grpc/interceptors.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <mutex>

#include "tracekit/context.h"
#include "tracekit/propagation/propagator.h"
#include "tracekit/semconv.h"
#include "tracekit/tracer.h"
#include "tracekit/tracer_provider.h"

namespace tracekit::grpc {

namespace ex = ::grpc::experimental;
using Hook = ex::InterceptionHookPoints;

namespace {

// grpc++ answers this when a synchronous or callback handler throws (GRPC_ALLOW_EXCEPTIONS).
constexpr std::string_view kHandlerThrew = "Unexpected error in RPC handling";

struct Endpoint {
  std::string address;
  int64_t port = 0;
};

// The server's address and port from a channel target: "host:port", "dns:///host:port",
// "dns://resolver/host:port", "dns:host:port", "ipv4:1.2.3.4:port", "ipv6:[::1]:port",
// "unix:/path", "unix:///path", "unix-abstract:name" (a socket: no port). A target of another
// scheme ("xds:///name", a custom resolver's) names no server: no address.
Endpoint endpoint_of(std::string_view target) {
  Endpoint out;
  for (std::string_view scheme : {"unix://", "unix:", "unix-abstract:"}) {
    if (target.starts_with(scheme)) {
      out.address = std::string(target.substr(scheme.size()));
      return out;
    }
  }
  if (target.starts_with("dns://")) {
    // "dns://[resolver]/host:port": the resolver is not the server.
    target.remove_prefix(6);
    const size_t slash = target.find('/');
    target = slash == std::string_view::npos ? std::string_view() : target.substr(slash + 1);
  } else {
    for (std::string_view scheme : {"dns:", "ipv4:", "ipv6:"}) {
      if (target.starts_with(scheme)) {
        target.remove_prefix(scheme.size());
        break;
      }
    }
  }
  if (const size_t sep = target.find("://"); sep != std::string_view::npos) return out;
  if (const size_t comma = target.find(','); comma != std::string_view::npos) {
    target = target.substr(0, comma);  // "ipv4:a:1,b:2": the first address names the server
  }
  std::string_view host = target;
  std::string_view port;
  if (target.starts_with('[')) {
    const size_t close = target.find(']');
    host = target.substr(1, close == std::string_view::npos ? target.size() - 1 : close - 1);
    if (close != std::string_view::npos && close + 1 < target.size() && target[close + 1] == ':') {
      port = target.substr(close + 2);
    }
  } else if (const size_t colon = target.rfind(':');
             colon != std::string_view::npos && target.find(':') == colon) {
    host = target.substr(0, colon);
    port = target.substr(colon + 1);
  }
  out.address = std::string(host);
  int64_t v = 0;
  for (char c : port) {
    if (c < '0' || c > '9' || v > 65535) {
      v = 0;
      break;
    }
    v = v * 10 + (c - '0');
  }
  out.port = v <= 65535 ? v : 0;
  if (out.port == 0 && port.empty() && !out.address.empty()) out.port = 443;  // gRPC's default
  return out;
}

// OpenTelemetry's RPC conventions: the status codes that make a SERVER span ERROR.
bool server_fault(::grpc::StatusCode code) noexcept {
  switch (code) {
    case ::grpc::StatusCode::UNKNOWN:
    case ::grpc::StatusCode::DEADLINE_EXCEEDED:
    case ::grpc::StatusCode::UNIMPLEMENTED:
    case ::grpc::StatusCode::INTERNAL:
    case ::grpc::StatusCode::UNAVAILABLE:
    case ::grpc::StatusCode::DATA_LOSS:
      return true;
    default:
      return false;
  }
}

std::string_view status_name(::grpc::StatusCode code) noexcept {
  static constexpr std::array<std::string_view, 17> kNames{"OK",
                                                           "CANCELLED",
                                                           "UNKNOWN",
                                                           "INVALID_ARGUMENT",
                                                           "DEADLINE_EXCEEDED",
                                                           "NOT_FOUND",
                                                           "ALREADY_EXISTS",
                                                           "PERMISSION_DENIED",
                                                           "RESOURCE_EXHAUSTED",
                                                           "FAILED_PRECONDITION",
                                                           "ABORTED",
                                                           "OUT_OF_RANGE",
                                                           "UNIMPLEMENTED",
                                                           "INTERNAL",
                                                           "UNAVAILABLE",
                                                           "DATA_LOSS",
                                                           "UNAUTHENTICATED"};
  const auto i = static_cast<size_t>(code);
  return i < kNames.size() ? kNames[i] : std::string_view("UNKNOWN");
}

// The description for an ERROR status: the message, else the code's name.
// A copy: grpc++ 1.51's Status::error_message() returns a new string, so a view of it would
// dangle (ASan found that).
std::string description(const ::grpc::Status& s) {
  std::string message = s.error_message();
  return message.empty() ? std::string(status_name(s.error_code())) : message;
}

Span start_rpc_span(Tracer& tracer, std::string_view full_method, SpanKind kind,
                    const Context& parent, const Endpoint* endpoint) {
  const auto [service, method] = split_method(full_method);
  std::array<KeyValue, 5> attrs{};
  size_t n = 0;
  attrs[n++] = {semconv::rpc::kSystem, semconv::rpc::kSystemGrpc};
  if (!service.empty()) attrs[n++] = {semconv::rpc::kService, service};
  attrs[n++] = {semconv::rpc::kMethod, method};
  if (endpoint && !endpoint->address.empty()) {
    attrs[n++] = {semconv::server::kAddress, endpoint->address};
    if (endpoint->port != 0) attrs[n++] = {semconv::server::kPort, endpoint->port};
  }
  SpanOptions so;
  so.kind = kind;
  so.parent = Parent(parent);
  so.attributes = std::span<const KeyValue>(attrs.data(), n);
  std::string_view name = full_method;
  if (name.starts_with('/')) name.remove_prefix(1);
  return tracer.start_span(name, so);
}

// ---- client ----------------------------------------------------------------------------------

struct ClientState {
  Tracer* tracer;
  Endpoint endpoint;
};

class ClientInterceptor final : public ex::Interceptor {
 public:
  // grpc++ makes the interceptors when the call is created, on the calling thread: the caller's
  // current context is the parent.
  ClientInterceptor(const ClientState& state, ex::ClientRpcInfo* info)
      : span_(start_rpc_span(*state.tracer, info->method(), SpanKind::kClient, Context::current(),
                             &state.endpoint)),
        context_(Context::current().with_span(span_.share())) {}

  ~ClientInterceptor() override { span_.end(); }  // no status came (the call never started)

  void Intercept(ex::InterceptorBatchMethods* m) override {
    if (m->QueryInterceptionHookPoint(Hook::PRE_SEND_INITIAL_METADATA)) {
      if (auto* metadata = m->GetSendInitialMetadata()) {
        propagation::MultimapSetter setter(*metadata);
        propagation::global_propagator().inject(setter, context_);
      }
    }
    if (m->QueryInterceptionHookPoint(Hook::PRE_SEND_CANCEL)) {
      // On the thread that called TryCancel(), while the call may complete (and end span_) on
      // another: through the context's shared reference, not the Span object that end() changes.
      context_.span().add_event("grpc.cancelled");
    }
    if (m->QueryInterceptionHookPoint(Hook::POST_RECV_STATUS)) {
      if (const ::grpc::Status* status = m->GetRecvStatus()) {
        span_.set_attribute(semconv::rpc::kGrpcStatusCode,
                            static_cast<int64_t>(status->error_code()));
        if (!status->ok()) span_.set_status(StatusCode::kError, description(*status));
      }
      span_.end();
    }
    m->Proceed();
  }

 private:
  Span span_;
  Context context_;
};

class ClientFactory final : public ex::ClientInterceptorFactoryInterface {
 public:
  explicit ClientFactory(ClientState state) : state_(std::move(state)) {}
  ex::Interceptor* CreateClientInterceptor(ex::ClientRpcInfo* info) override {
    return new ClientInterceptor(state_, info);
  }

 private:
  ClientState state_;
};

// ---- server ----------------------------------------------------------------------------------

struct ServerState {
  Tracer* tracer;
  Endpoint endpoint;
};

// grpc++'s deadline for a call that has none.
constexpr auto kNoDeadline = std::chrono::system_clock::time_point::max();

class ServerInterceptor final : public ex::Interceptor {
 public:
  ServerInterceptor(const ServerState& state, ex::ServerRpcInfo* info)
      : state_(state), info_(info) {}

  ~ServerInterceptor() override { span_.end(); }

  void Intercept(ex::InterceptorBatchMethods* m) override {
    if (m->QueryInterceptionHookPoint(Hook::POST_RECV_INITIAL_METADATA)) {
      Context parent;
      if (const auto* metadata = m->GetRecvInitialMetadata()) {
        parent = propagation::global_propagator().extract(
            propagation::RangeGetter<std::multimap<::grpc::string_ref, ::grpc::string_ref>>(
                *metadata),
            Context());
      }
      {
        std::lock_guard lock(mu_);
        // Only a call with a deadline needs its start (deadline_passed); most have none, and
        // the clock read is ~30 ns a call on a VM.
        if (info_->server_context()->deadline() != kNoDeadline) {
          started_ = std::chrono::system_clock::now();
        }
        span_ = start_rpc_span(*state_.tracer, info_->method(), SpanKind::kServer, parent,
                               &state_.endpoint);
        context_ = parent.with_span(span_.share());
      }
      // Synchronous handlers and callback-API methods run inside this Proceed (grpc++ calls them
      // when the last interceptor lets the first batch go on): the span is current there.
      Scope scope(context_);
      m->Proceed();
      return;
    }
    if (m->QueryInterceptionHookPoint(Hook::PRE_SEND_STATUS)) {
      finish_with(m->GetSendStatus());
    }
    if (m->QueryInterceptionHookPoint(Hook::POST_RECV_CLOSE)) {
      // The call is over. Without a status sent first, the client cancelled or the deadline
      // passed.
      finish_cancelled();
    }
    m->Proceed();
  }

 private:
  // Whether a cancellation is the deadline's. The client gives up at its deadline and cancels
  // the stream, which reaches the server a little before the server's own copy of the deadline
  // (the client's plus the transit, plus any delay between the client computing grpc-timeout and
  // sending it: 47 ms seen on a loaded 2-core machine under ThreadSanitizer). A cancellation within
  // the last tenth of the call's time (at least 50 ms) counts as the deadline, an earlier one as
  // the client's cancellation.
  bool deadline_passed() const {
    const auto deadline = info_->server_context()->deadline();
    const auto now = std::chrono::system_clock::now();
    if (deadline <= now) return true;
    if (deadline == kNoDeadline) return false;
    const auto slack = std::max<std::chrono::system_clock::duration>(std::chrono::milliseconds(50),
                                                                     (deadline - started_) / 10);
    return deadline - now <= slack;
  }

  // Whether the call is known to be over without the status reaching the client. The callback
  // API knows it cheaply. The synchronous API's IsCancelled() polls the call's completion queue
  // (an epoll_wait and a wake-up of grpc's threads: it tripled a loopback RPC's cost), so there
  // only the deadline is checked here; a cancellation the handler saw through IsCancelled() has
  // already ended the span (POST_RECV_CLOSE runs inside that call).
  bool cancelled_before_status() const {
    auto* context = info_->server_context();
    if (dynamic_cast<::grpc::CallbackServerContext*>(context) != nullptr) {
      return context->IsCancelled();
    }
    const auto deadline = context->deadline();
    return deadline != kNoDeadline && deadline <= std::chrono::system_clock::now();
  }

  void finish_with(const ::grpc::Status& sent) {
    // A status sent after the client went away (or the deadline passed) never reaches it: the
    // call's outcome is the cancellation.
    const bool cancelled = cancelled_before_status();
    std::lock_guard lock(mu_);
    if (ended_) return;
    ended_ = true;
    if (cancelled) {
      record_cancelled();
    } else {
      const ::grpc::StatusCode code = sent.error_code();
      span_.set_attribute(semconv::rpc::kGrpcStatusCode, static_cast<int64_t>(code));
      if (code == ::grpc::StatusCode::UNKNOWN && sent.error_message() == kHandlerThrew) {
        span_.record_exception("unknown", "the handler threw: grpc++ answered UNKNOWN");
      }
      if (server_fault(code)) span_.set_status(StatusCode::kError, description(sent));
    }
    span_.end();
  }

  void finish_cancelled() {
    std::lock_guard lock(mu_);
    if (ended_) return;
    ended_ = true;
    record_cancelled();
    span_.end();
  }

  void record_cancelled() {
    span_.add_event("grpc.cancelled");
    if (deadline_passed()) {
      span_.set_attribute(semconv::rpc::kGrpcStatusCode,
                          static_cast<int64_t>(::grpc::StatusCode::DEADLINE_EXCEEDED));
      span_.set_status(StatusCode::kError, "DEADLINE_EXCEEDED");
    } else {
      span_.set_attribute(semconv::rpc::kGrpcStatusCode,
                          static_cast<int64_t>(::grpc::StatusCode::CANCELLED));
    }
  }

  const ServerState& state_;
  ex::ServerRpcInfo* info_;
  std::mutex mu_;  // the handler's thread and grpc's completion thread may both finish the span
  Span span_;
  Context context_;
  std::chrono::system_clock::time_point started_;
  bool ended_ = false;
};

class ServerFactory final : public ex::ServerInterceptorFactoryInterface {
 public:
  explicit ServerFactory(ServerState state) : state_(std::move(state)) {}
  ex::Interceptor* CreateServerInterceptor(ex::ServerRpcInfo* info) override {
    return new ServerInterceptor(state_, info);
  }

 private:
  ServerState state_;
};

}  // namespace

std::pair<std::string_view, std::string_view> split_method(std::string_view full) noexcept {
  if (full.starts_with('/')) full.remove_prefix(1);
  const size_t slash = full.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return {std::string_view(), full};
  return {full.substr(0, slash), full.substr(slash + 1)};
}

std::unique_ptr<ex::ClientInterceptorFactoryInterface> client_interceptor_factory(
    const ClientTracingOptions& options) {
  ClientState state{options.tracer ? options.tracer : &get_tracer("tracekit.grpc"),
                    endpoint_of(options.target)};
  return std::make_unique<ClientFactory>(std::move(state));
}

std::unique_ptr<ex::ServerInterceptorFactoryInterface> server_interceptor_factory(
    const ServerTracingOptions& options) {
  ServerState state{options.tracer ? options.tracer : &get_tracer("tracekit.grpc"),
                    Endpoint{options.address, options.port}};
  return std::make_unique<ServerFactory>(std::move(state));
}

std::shared_ptr<::grpc::Channel> create_channel(
    const std::string& target, const std::shared_ptr<::grpc::ChannelCredentials>& credentials,
    const ::grpc::ChannelArguments& arguments, ClientTracingOptions options) {
  if (options.target.empty()) options.target = target;
  std::vector<std::unique_ptr<ex::ClientInterceptorFactoryInterface>> factories;
  factories.push_back(client_interceptor_factory(options));
  return ::grpc::experimental::CreateCustomChannelWithInterceptors(target, credentials, arguments,
                                                                   std::move(factories));
}

void add_server_interceptors(::grpc::ServerBuilder& builder, const ServerTracingOptions& options) {
  std::vector<std::unique_ptr<ex::ServerInterceptorFactoryInterface>> factories;
  factories.push_back(server_interceptor_factory(options));
  builder.experimental().SetInterceptorCreators(std::move(factories));
}

}  // namespace tracekit::grpc
