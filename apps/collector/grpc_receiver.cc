#include "grpc_receiver.h"

#include <grpcpp/grpcpp.h>

#include <cctype>

#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "otlp_decode.h"
#include "tracekit/http/request_guard.h"

namespace tracekit::collector {

namespace {

using RawService =
    otlpv1::TraceService::WithRawCallbackMethod_Export<otlpv1::TraceService::Service>;

class TraceService final : public RawService {
 public:
  TraceService(SpanStore& store, IngestLimits limits, std::string token)
      : store_(store), limits_(limits), token_(std::move(token)) {}

  grpc::ServerUnaryReactor* Export(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    if (!token_.empty() && !authorized(*context)) {
      reactor->Finish({grpc::StatusCode::UNAUTHENTICATED,
                       "a token is required: metadata authorization: Bearer <token>"});
      return reactor;
    }
    reactor->Finish(handle(*request, *response));
    return reactor;
  }

 private:
  bool authorized(const grpc::CallbackServerContext& context) const {
    const auto& metadata = context.client_metadata();
    auto it = metadata.find("authorization");
    if (it == metadata.end()) return false;
    const std::string_view value(it->second.data(), it->second.size());
    if (value.size() <= 7) return false;
    std::string scheme(value.substr(0, 7));  // the scheme is case-insensitive
    for (char& c : scheme)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return scheme == "bearer " && http::constant_time_equal(value.substr(7), token_);
  }

  grpc::Status handle(const grpc::ByteBuffer& request, grpc::ByteBuffer& response) {
    std::vector<grpc::Slice> slices;
    if (!request.Dump(&slices).ok())
      return {grpc::StatusCode::INVALID_ARGUMENT, "unreadable message"};
    std::string bytes;
    bytes.reserve(request.Length());
    for (const auto& s : slices)
      bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    auto decoded = decode_protobuf(bytes);
    if (!decoded) return {grpc::StatusCode::INVALID_ARGUMENT, decoded.error().message};
    otlpv1::ExportTraceServiceResponse reply;
    if (decoded->rejected > 0) {
      reply.mutable_partial_success()->set_rejected_spans(decoded->rejected);
      reply.mutable_partial_success()->set_error_message(
          std::to_string(decoded->rejected) + " span(s) refused: " + decoded->rejected_reason);
    }
    if (!store_.submit(std::move(decoded->spans))) {
      return {grpc::StatusCode::UNAVAILABLE, "the collector's write queue is full; retry later"};
    }
    const std::string out = reply.SerializeAsString();
    grpc::Slice slice(out);
    response = grpc::ByteBuffer(&slice, 1);
    return grpc::Status::OK;
  }

  SpanStore& store_;
  IngestLimits limits_;
  std::string token_;  // empty: none required
};

}  // namespace

struct GrpcReceiver::Impl {
  std::unique_ptr<TraceService> service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
};

Result<std::unique_ptr<GrpcReceiver>> GrpcReceiver::start(const std::string& address,
                                                          SpanStore& store,
                                                          const IngestLimits& limits,
                                                          const std::string& token) {
  auto impl = std::make_unique<Impl>();
  impl->service = std::make_unique<TraceService>(store, limits, token);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &impl->port);
  builder.RegisterService(impl->service.get());
  // Larger messages are refused by gRPC itself with RESOURCE_EXHAUSTED.
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(std::min<size_t>(limits.max_body_bytes, INT32_MAX)));
  impl->server = builder.BuildAndStart();
  if (!impl->server || impl->port == 0) {
    return Error{"cannot listen for OTLP/gRPC on " + address + " (address in use or not local?)"};
  }
  return std::unique_ptr<GrpcReceiver>(new GrpcReceiver(std::move(impl)));
}

GrpcReceiver::GrpcReceiver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

GrpcReceiver::~GrpcReceiver() {
  impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  impl_->server->Wait();
}

int GrpcReceiver::port() const {
  return impl_->port;
}

}  // namespace tracekit::collector
