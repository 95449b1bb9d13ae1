// SPDX-License-Identifier: Apache-2.0
#include "grpc_receiver.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cctype>
#include <functional>
#include <optional>

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

// A message that does not decode is INVALID_ARGUMENT; one refused as too large to decode (too
// many records, too much memory: the decoders' "too large") RESOURCE_EXHAUSTED, as a message
// over the size limit is.
grpc::Status decode_failure(const Error& error) {
  return {error.message.starts_with("too large") ? grpc::StatusCode::RESOURCE_EXHAUSTED
                                                 : grpc::StatusCode::INVALID_ARGUMENT,
          error.message};
}

// The bytes of requests being read and decoded at once, across both services: a request that
// would take it past its bound is answered UNAVAILABLE at once (OTLP exporters retry that), so
// that many large requests arriving together cost the budget, not their number times their size.
class RequestBudget {
 public:
  explicit RequestBudget(uint64_t max_bytes) : max_bytes_(max_bytes) {}
  // One request larger than the whole budget still goes through when nothing else is decoding;
  // otherwise it could never be accepted.
  bool try_take(uint64_t bytes) {
    uint64_t used = used_.load(std::memory_order_relaxed);
    do {
      if (used > 0 && used + bytes > max_bytes_) return false;
    } while (!used_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
    return true;
  }
  void give_back(uint64_t bytes) { used_.fetch_sub(bytes, std::memory_order_relaxed); }
  uint64_t max_bytes() const { return max_bytes_; }

 private:
  const uint64_t max_bytes_;
  std::atomic<uint64_t> used_{0};
};

// What both services share: the store, the limits, the token and the byte budget.
struct Receiving {
  SpanStore& store;
  IngestLimits limits;
  std::string token;  // empty: none required
  RequestBudget budget;
};

// Decodes the message's bytes, sets the reply and queues the records with `done` (which may
// run before this returns); the error status when it cannot (a bad message, a full queue).
using Accept = std::function<std::optional<grpc::Status>(
    std::string_view bytes, grpc::ByteBuffer& response, OnWritten done)>;

void set_reply(grpc::ByteBuffer& response, const google::protobuf::Message& reply) {
  grpc::Slice slice(reply.SerializeAsString());
  response = grpc::ByteBuffer(&slice, 1);
}

// One Export call, traces or logs: the token, the byte budget, the message read (and inflated
// within the size limit), then `accept`; answered once the records are committed (or queued,
// with ack_after_commit off). Commit answers come from the writer thread: no thread waits, and
// every request that arrives during one commit joins the next.
grpc::ServerUnaryReactor* handle_export(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request, grpc::ByteBuffer* response,
                                        Receiving& receiving, const Accept& accept) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!receiving.token.empty() && !authorized(*context, receiving.token)) {
    reactor->Finish({grpc::StatusCode::UNAUTHENTICATED,
                     "a token is required: metadata authorization: Bearer <token>"});
    return reactor;
  }
  // A request costs its copy and the decoded records (about its size again) while it is
  // decoded; grpc++'s own buffer is released below, once copied. Its copy is counted first at
  // the size received; once inflated, at the inflated size (a compressed message decodes to
  // its inflated size, not to what crossed the wire).
  auto busy = [&] {
    return unavailable("the collector is reading other large requests (more than " +
                       std::to_string(receiving.budget.max_bytes()) +
                       " bytes at once); retry later");
  };
  uint64_t size = 2 * request->Length();
  if (!receiving.budget.try_take(size)) {
    reactor->Finish(busy());
    return reactor;
  }
  std::string bytes;
  grpc::Status read = read_export_message(*request, receiving.limits, bytes);
  // The bytes are copied: the call's own buffer would otherwise stay until the answer, which
  // waits for the commit. grpc++ hands the request as const, but it is the call's to release.
  const_cast<grpc::ByteBuffer*>(request)->Clear();
  if (const uint64_t inflated = 2 * static_cast<uint64_t>(bytes.size());
      read.ok() && inflated > size) {
    // The charge for the compressed copy is given back before the larger one is taken, so a
    // request alone still fits an empty budget whatever it inflates to.
    receiving.budget.give_back(size);
    size = 0;
    if (!receiving.budget.try_take(inflated)) {
      reactor->Finish(busy());
      return reactor;
    }
    size = inflated;
  }
  std::optional<grpc::Status> refused;
  if (!read.ok()) {
    refused = std::move(read);
  } else if (receiving.limits.ack_after_commit) {
    refused = accept(bytes, *response, [reactor](bool committed) {
      reactor->Finish(committed ? grpc::Status::OK
                                : unavailable(*write_failure_message(WriteOutcome::kFailed)));
    });
  } else {
    refused = accept(bytes, *response, {});
    if (!refused) reactor->Finish(grpc::Status::OK);
  }
  receiving.budget.give_back(size);
  if (refused) reactor->Finish(*refused);
  return reactor;
}

std::optional<grpc::Status> refused_by_queue() {
  return unavailable(*write_failure_message(WriteOutcome::kRefused));
}

class TraceService final : public RawService {
 public:
  explicit TraceService(Receiving& receiving) : receiving_(receiving) {}

  grpc::ServerUnaryReactor* Export(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override {
    return handle_export(
        context, request, response, receiving_,
        [this](std::string_view bytes, grpc::ByteBuffer& reply_buffer,
               OnWritten done) -> std::optional<grpc::Status> {
          auto decoded = decode_protobuf(bytes, receiving_.limits.span_limits);
          if (!decoded) return decode_failure(decoded.error());
          otlpv1::ExportTraceServiceResponse reply;
          if (std::string warning = partial_success_message(*decoded); !warning.empty()) {
            reply.mutable_partial_success()->set_rejected_spans(decoded->rejected);
            reply.mutable_partial_success()->set_error_message(warning);
          }
          set_reply(reply_buffer, reply);
          if (!receiving_.store.submit(std::move(decoded->spans), std::move(done))) {
            return refused_by_queue();
          }
          return std::nullopt;
        });
  }

 private:
  Receiving& receiving_;
};

// LogsService/Export: the same checks, limits and answers as TraceService/Export.
class LogsService final : public RawLogsService {
 public:
  explicit LogsService(Receiving& receiving) : receiving_(receiving) {}

  grpc::ServerUnaryReactor* Export(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override {
    return handle_export(
        context, request, response, receiving_,
        [this](std::string_view bytes, grpc::ByteBuffer& reply_buffer,
               OnWritten done) -> std::optional<grpc::Status> {
          auto decoded = decode_logs_protobuf(bytes, receiving_.limits.span_limits);
          if (!decoded) return decode_failure(decoded.error());
          logsv1::ExportLogsServiceResponse reply;
          if (std::string warning = logs_partial_success_message(*decoded); !warning.empty()) {
            reply.mutable_partial_success()->set_rejected_log_records(decoded->rejected);
            reply.mutable_partial_success()->set_error_message(warning);
          }
          set_reply(reply_buffer, reply);
          if (!receiving_.store.submit_logs(std::move(decoded->logs), std::move(done))) {
            return refused_by_queue();
          }
          return std::nullopt;
        });
  }

 private:
  Receiving& receiving_;
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
  if (!decoded) return decode_failure(decoded.error());
  out = std::move(*decoded);
  return grpc::Status::OK;
}

struct GrpcReceiver::Impl {
  std::unique_ptr<Receiving> receiving;
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
  // NOLINTNEXTLINE(modernize-make-unique): make_unique cannot take designated initializers
  impl->receiving.reset(new Receiving{.store = store,
                                      .limits = limits,
                                      .token = token,
                                      .budget = RequestBudget(limits.max_decoding_bytes)});
  impl->service = std::make_unique<TraceService>(*impl->receiving);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &impl->port);
  builder.RegisterService(impl->service.get());
  impl->logs = std::make_unique<LogsService>(*impl->receiving);
  builder.RegisterService(impl->logs.get());
  // Larger messages are refused by gRPC itself with RESOURCE_EXHAUSTED (compressed messages by
  // their compressed size here, and by their inflated size in decode()).
  builder.AddChannelArgument(GRPC_ARG_ENABLE_PER_MESSAGE_DECOMPRESSION, 0);
  // The memory grpc++ may use for what it is still receiving, across all connections: under
  // pressure it shrinks the flow-control windows (senders wait) and past it cancels streams
  // (the client sees RESOURCE_EXHAUSTED), instead of buffering every large request at once.
  grpc::ResourceQuota quota("tracekit-collector-otlp-grpc");
  quota.Resize(static_cast<size_t>(limits.grpc_memory_quota_bytes));
  builder.SetResourceQuota(quota);
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
