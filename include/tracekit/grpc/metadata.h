// SPDX-License-Identifier: Apache-2.0
// grpc++ metadata as propagation carriers.
//
// Received metadata (ServerContext::client_metadata(), a
// std::multimap<grpc::string_ref, grpc::string_ref>) and metadata to send (the
// std::multimap<std::string, std::string> an interceptor sees) work with
// tracekit::propagation::extract / inject as they are. This header adds grpc::ClientContext, so
// code that makes calls without the interceptors can still propagate:
//
//   grpc::ClientContext ctx;
//   tracekit::propagation::inject(ctx);          // traceparent, tracestate, baggage
//   auto parent = tracekit::propagation::extract(server_ctx->client_metadata());
#pragma once

#include <grpcpp/client_context.h>

#include <string>
#include <string_view>

#include "tracekit/propagation/text_map.h"

namespace tracekit::propagation {

// ClientContext::AddMetadata appends; grpc++ offers no way to replace. Inject once per context,
// before the call starts (the propagators' keys are lower case, as gRPC requires).
class ClientContextSetter final : public TextMapSetter {
 public:
  explicit ClientContextSetter(::grpc::ClientContext& context) noexcept : context_(context) {}
  void set(std::string_view key, std::string_view value) noexcept override {
    try {
      context_.AddMetadata(std::string(key), std::string(value));
    } catch (...) {
    }
  }

 private:
  ::grpc::ClientContext& context_;
};

template <>
struct CarrierAdapter<::grpc::ClientContext> {
  using Setter = ClientContextSetter;
};

}  // namespace tracekit::propagation
