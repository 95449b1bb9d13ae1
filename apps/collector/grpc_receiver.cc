#include "grpc_receiver.h"

#include <grpcpp/grpcpp.h>

#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "otlp_decode.h"

namespace tracekit::collector {

namespace {

using RawService =
    otlpv1::TraceService::WithRawCallbackMethod_Export<otlpv1::TraceService::Service>;

class TraceService final : public RawService {
 public:
  TraceService(SpanStore& store, IngestLimits limits) : store_(store), limits_(limits) {}

  grpc::ServerUnaryReactor* Export(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(handle(*request, *response));
    return reactor;
  }

 private:
  grpc::Status handle(const grpc::ByteBuffer& request, grpc::ByteBuffer& response) {
    auto decoded = decode_export_message(request);
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
};

}  // namespace

Result<DecodedSpans> decode_export_message(const grpc::ByteBuffer& request) {
  std::vector<grpc::Slice> slices;
  if (!request.Dump(&slices).ok()) return Error{"unreadable message"};
  std::string bytes;
  bytes.reserve(request.Length());
  for (const auto& s : slices)
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return decode_protobuf(bytes);
}

struct GrpcReceiver::Impl {
  std::unique_ptr<TraceService> service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
};

Result<std::unique_ptr<GrpcReceiver>> GrpcReceiver::start(const std::string& address,
                                                          SpanStore& store,
                                                          const IngestLimits& limits) {
  auto impl = std::make_unique<Impl>();
  impl->service = std::make_unique<TraceService>(store, limits);
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
