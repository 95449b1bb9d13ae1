// SPDX-License-Identifier: Apache-2.0
// Tracing for grpc++ services and clients: server and client interceptors (target
// tracekit::grpc).
//
//   // Server: every RPC gets a SERVER span, current while the handler runs.
//   grpc::ServerBuilder builder;
//   tracekit::grpc::add_server_interceptors(builder);
//
//   // Client: every call gets a CLIENT span, child of the caller's current context, and
//   // traceparent / tracestate / baggage in its metadata.
//   auto channel = tracekit::grpc::create_channel("127.0.0.1:50051",
//                                                 grpc::InsecureChannelCredentials());
//
// Spans are named "package.Service/Method" and carry the OpenTelemetry RPC conventions:
// rpc.system "grpc", rpc.service, rpc.method, rpc.grpc.status_code, server.address and
// server.port (clients: from the channel's target; servers: from the options when given).
// Status ERROR follows the conventions: a client span for every status but OK; a server span
// for UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE and DATA_LOSS (the
// server's own faults). Deadline exceeded and cancellation are recorded as those status codes
// (with an event "grpc.cancelled" when the call was cancelled rather than answered). A
// handler that throws is answered UNKNOWN by grpc++ itself, which keeps the exception; the span
// then records an exception event with grpc++'s message (catch in the handler and call
// Span::record_exception to keep the type and text). One span per streaming call.
//
// Context: the SERVER span is current (tracekit::Context::current()) while a synchronous
// handler runs and while a callback-API method runs up to its return (creating its reactor);
// code that runs later (reactor callbacks, other threads) takes it along with tracekit::wrap().
#pragma once

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/support/channel_arguments.h>
#include <grpcpp/support/client_interceptor.h>
#include <grpcpp/support/server_interceptor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace tracekit {
class Tracer;
}

namespace tracekit::grpc {

struct ClientTracingOptions {
  // The channel's target ("host:port", "dns:///host:port", "dns://resolver/host:port",
  // "ipv4:127.0.0.1:50051", "unix:/p"), for server.address and server.port (none for a socket's
  // port, nothing for other resolvers' schemes such as "xds:///"). create_channel() fills it in.
  std::string target;
  // Null: tracekit::get_tracer("tracekit.grpc").
  Tracer* tracer = nullptr;
};

struct ServerTracingOptions {
  // server.address / server.port on SERVER spans (the address clients use); left out when empty.
  std::string address;
  uint16_t port = 0;
  Tracer* tracer = nullptr;
};

std::unique_ptr<::grpc::experimental::ClientInterceptorFactoryInterface> client_interceptor_factory(
    const ClientTracingOptions& options = {});
std::unique_ptr<::grpc::experimental::ServerInterceptorFactoryInterface> server_interceptor_factory(
    const ServerTracingOptions& options = {});

// A channel whose calls are traced (grpc::CreateCustomChannelWithInterceptors with the tracing
// interceptor first).
std::shared_ptr<::grpc::Channel> create_channel(
    const std::string& target, const std::shared_ptr<::grpc::ChannelCredentials>& credentials,
    const ::grpc::ChannelArguments& arguments = {}, ClientTracingOptions options = {});

// Installs the tracing interceptor on a server builder. grpc++ keeps one list of interceptor
// factories per builder (SetInterceptorCreators replaces it): with interceptors of your own,
// build the list yourself with server_interceptor_factory() first.
void add_server_interceptors(::grpc::ServerBuilder& builder,
                             const ServerTracingOptions& options = {});

// "/package.Service/Method" -> ("package.Service", "Method"); a name without the two parts gives
// ("", name without its leading '/').
std::pair<std::string_view, std::string_view> split_method(std::string_view full_method) noexcept;

}  // namespace tracekit::grpc
