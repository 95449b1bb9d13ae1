#include "grpc_receiver.h"

#include <grpcpp/grpcpp.h>

#include <cctype>

#include "log_decode.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.grpc.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "otlp_decode.h"
#include "tracekit/http/request_guard.h"

namespace tracekit::collector {

namespace {

using RawService =
    otlpv1::TraceService::WithRawCallbackMethod_Export<otlpv1::TraceService::Service>;
using RawLogsService =
    logsv1::LogsService::WithRawCallbackMethod_Export<logsv1::LogsService::Service>;

bool authorized(const grpc::CallbackServerContext& context, const std::string& token) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return false;
  const std::string_view value(it->second.data(), it->second.size());
  if (value.size() <= 7) return false;
  std::string scheme(value.substr(0, 7));  // the scheme is case-insensitive
  for (char& c : scheme)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return scheme == "bearer " && http::constant_time_equal(value.substr(7), token);
}

grpc::Status unavailable(const std::string& message) {
  return {grpc::StatusCode::UNAVAILABLE, message};
}

class TraceService final : public RawService {
 public:
  TraceService(SpanStore& store, IngestLimits limits, std::string token)
      : store_(store), limits_(limits), token_(std::move(token)) {}

  grpc::ServerUnaryReactor* Export(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    if (!token_.empty() && !authorized(*context, token_)) {
      reactor->Finish({grpc::StatusCode::UNAUTHENTICATED,
                       "a token is required: metadata authorization: Bearer <token>"});
      return reactor;
    }
    DecodedSpans decoded;
    if (grpc::Status bad = decode(*request, decoded); !bad.ok()) {
      reactor->Finish(bad);
      return reactor;
    }
    otlpv1::ExportTraceServiceResponse reply;
    if (std::string warning = partial_success_message(decoded); !warning.empty()) {
      reply.mutable_partial_success()->set_rejected_spans(decoded.rejected);
      reply.mutable_partial_success()->set_error_message(warning);
    }
    grpc::Slice slice(reply.SerializeAsString());
    *response = grpc::ByteBuffer(&slice, 1);
    if (!limits_.ack_after_commit) {
      reactor->Finish(store_.submit(std::move(decoded.spans))
                          ? grpc::Status::OK
                          : unavailable(*write_failure_message(WriteOutcome::kRefused)));
      return reactor;
    }
    // Answered from the writer thread once the spans are committed: no thread waits, and every
    // request that arrives during one commit joins the next.
    const bool queued = store_.submit(std::move(decoded.spans), [reactor](bool committed) {
      reactor->Finish(committed ? grpc::Status::OK
                                : unavailable(*write_failure_message(WriteOutcome::kFailed)));
    });
    if (!queued) reactor->Finish(unavailable(*write_failure_message(WriteOutcome::kRefused)));
    return reactor;
  }

 private:
  grpc::Status decode(const grpc::ByteBuffer& request, DecodedSpans& out) {
    return decode_export_message(request, limits_, out);
  }

  SpanStore& store_;
  IngestLimits limits_;
  std::string token_;  // empty: none required
};

// LogsService/Export: the same checks, limits and answers as TraceService/Export.
class LogsService final : public RawLogsService {
 public:
  LogsService(SpanStore& store, IngestLimits limits, std::string token)
      : store_(store), limits_(limits), token_(std::move(token)) {}

  grpc::ServerUnaryReactor* Export(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    if (!token_.empty() && !authorized(*context, token_)) {
      reactor->Finish({grpc::StatusCode::UNAUTHENTICATED,
                       "a token is required: metadata authorization: Bearer <token>"});
      return reactor;
    }
    std::string bytes;
    if (grpc::Status bad = read_export_message(*request, limits_, bytes); !bad.ok()) {
      reactor->Finish(bad);
      return reactor;
    }
    auto decoded = decode_logs_protobuf(bytes, limits_.span_limits);
    if (!decoded) {
      reactor->Finish({grpc::StatusCode::INVALID_ARGUMENT, decoded.error().message});
      return reactor;
    }
    logsv1::ExportLogsServiceResponse reply;
    if (std::string warning = logs_partial_success_message(*decoded); !warning.empty()) {
      reply.mutable_partial_success()->set_rejected_log_records(decoded->rejected);
      reply.mutable_partial_success()->set_error_message(warning);
    }
    grpc::Slice slice(reply.SerializeAsString());
    *response = grpc::ByteBuffer(&slice, 1);
    if (!limits_.ack_after_commit) {
      reactor->Finish(store_.submit_logs(std::move(decoded->logs))
                          ? grpc::Status::OK
                          : unavailable(*write_failure_message(WriteOutcome::kRefused)));
      return reactor;
    }
    const bool queued = store_.submit_logs(std::move(decoded->logs), [reactor](bool committed) {
      reactor->Finish(committed ? grpc::Status::OK
                                : unavailable(*write_failure_message(WriteOutcome::kFailed)));
    });
    if (!queued) reactor->Finish(unavailable(*write_failure_message(WriteOutcome::kRefused)));
    return reactor;
  }

 private:
  SpanStore& store_;
  IngestLimits limits_;
  std::string token_;
};

}  // namespace

namespace {

// grpc++ keeps the message's compressed flag and the call's grpc-encoding to itself, so the
// bytes tell: gzip begins with 1f 8b, which no protobuf message can (wire type 7 does not
// exist); zlib ("deflate") with a header whose low four bits are 8 and which is a multiple of
// 31, which an ExportTraceServiceRequest from an exporter (first byte 0x0a) never is.
enum class Compression { kNone, kGzip, kZlib };
Compression compression_of(std::string_view bytes) {
  if (bytes.size() < 2) return Compression::kNone;
  const auto b0 = static_cast<unsigned char>(bytes[0]), b1 = static_cast<unsigned char>(bytes[1]);
  if (b0 == 0x1f && b1 == 0x8b) return Compression::kGzip;
  if ((b0 & 0x0f) == 8 && ((b0 << 8) | b1) % 31 == 0) return Compression::kZlib;
  return Compression::kNone;
}

}  // namespace

bool looks_compressed(std::string_view bytes) {
  return compression_of(bytes) != Compression::kNone;
}

// The message's bytes, inflated here when the client compressed it: grpc++'s own
// decompression is off (it would inflate the whole message before any size check), so a
// compressed message stops at the same limit as an OTLP/HTTP gzip body.
grpc::Status read_export_message(const grpc::ByteBuffer& request, const IngestLimits& limits,
                                 std::string& bytes) {
  std::vector<grpc::Slice> slices;
  if (!request.Dump(&slices).ok())
    return {grpc::StatusCode::INVALID_ARGUMENT, "unreadable message"};
  bytes.clear();
  bytes.reserve(request.Length());
  for (const auto& s : slices)
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  slices.clear();
  if (const Compression c = compression_of(bytes); c != Compression::kNone) {
    auto plain = gunzip(bytes, limits.max_body_bytes);
    if (plain) {
      bytes = std::move(*plain);
    } else if (plain.error().message.starts_with("too large")) {
      return {grpc::StatusCode::RESOURCE_EXHAUSTED, plain.error().message};
    } else if (c == Compression::kGzip) {
      return {grpc::StatusCode::INVALID_ARGUMENT, plain.error().message};
    }
    // Not a zlib stream after all: an uncompressed message that happens to begin like one.
  }
  return grpc::Status::OK;
}

grpc::Status decode_export_message(const grpc::ByteBuffer& request, const IngestLimits& limits,
                                   DecodedSpans& out) {
  std::string bytes;
  if (grpc::Status bad = read_export_message(request, limits, bytes); !bad.ok()) return bad;
  auto decoded = decode_protobuf(bytes, limits.span_limits);
  if (!decoded) return grpc::Status{grpc::StatusCode::INVALID_ARGUMENT, decoded.error().message};
  out = std::move(*decoded);
  return grpc::Status::OK;
}

struct GrpcReceiver::Impl {
  std::unique_ptr<TraceService> service;
  std::unique_ptr<LogsService> logs;
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
  impl->logs = std::make_unique<LogsService>(store, limits, token);
  builder.RegisterService(impl->logs.get());
  // Larger messages are refused by gRPC itself with RESOURCE_EXHAUSTED (compressed messages by
  // their compressed size here, and by their inflated size in decode()).
  builder.AddChannelArgument(GRPC_ARG_ENABLE_PER_MESSAGE_DECOMPRESSION, 0);
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
