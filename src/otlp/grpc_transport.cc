// SPDX-License-Identifier: Apache-2.0
// OTLP/gRPC with grpc++: the request body is our own protobuf encoding, sent through the generic
// stub as bytes, so no message objects are built. gRPC's own retries are off: the exporter's
// retry loop follows the OTLP rules and the export deadline.
#include <grpc/support/time.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <mutex>

#include "transport.h"

namespace tracekit::otlp::detail {

namespace {

const char* export_method(Signal signal) {
  return signal == Signal::kLogs ? "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
                                 : "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
}

struct Target {
  bool tls = false;
  std::string authority;  // host:port
};

Result<Target> parse_endpoint(const std::string& endpoint) {
  Target t;
  std::string_view rest = endpoint;
  if (rest.starts_with("https://")) {
    t.tls = true;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    return Error{"OTLP endpoint \"" + endpoint +
                 "\" is not a URL: use http://host:port or https://host:port"};
  }
  // gRPC uses only the authority; a path (or trailing slash) is ignored.
  rest = rest.substr(0, rest.find('/'));
  if (rest.empty()) return Error{"OTLP endpoint \"" + endpoint + "\" has no host"};
  std::string authority(rest);
  const bool has_port = rest.back() != ']' && rest.rfind(':') != std::string_view::npos &&
                        (rest.front() != '[' || rest.rfind("]:") != std::string_view::npos);
  if (!has_port) authority += t.tls ? ":443" : ":80";
  t.authority = std::move(authority);
  return t;
}

bool is_retryable(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DATA_LOSS:
      return true;
    default:
      return false;
  }
}

const char* code_name(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "?";
  }
}

// gRPC metadata: lower-case keys of [0-9a-z_.-]; values of printable ASCII unless the key ends
// in "-bin".
bool valid_metadata(const std::string& key, const std::string& value) {
  if (key.empty()) return false;
  for (char c : key) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-')) {
      return false;
    }
  }
  if (key.ends_with("-bin")) return true;
  for (char c : value) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

class GrpcTransport final : public Transport {
 public:
  GrpcTransport(std::shared_ptr<grpc::Channel> channel, const OtlpConfig& config, Signal signal)
      : method_(export_method(signal)),
        stub_(std::make_unique<grpc::GenericStub>(std::move(channel))),
        headers_(config.headers),
        gzip_(config.gzip) {}

  // gRPC compresses the message itself, if asked to.
  size_t encode(const Payload& payload, ByteBuffer& body) override {
    payload.write_protobuf(body);
    return body.size();
  }

  Attempt send(const ByteBuffer& body, Deadline deadline) noexcept override {
    try {
      return send_once(body, deadline);
    } catch (const std::exception& e) {
      return Attempt::permanent(std::string("gRPC call failed: ") + e.what());
    }
  }

  void cancel() noexcept override {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    if (active_) active_->TryCancel();
  }

 private:
  struct Completion {
    std::mutex mutex;
    std::condition_variable cv;
    bool done = false;
    grpc::Status status;
  };

  Attempt send_once(const ByteBuffer& body, Deadline deadline) {
    const auto remaining = deadline - std::chrono::steady_clock::now();
    if (remaining <= std::chrono::steady_clock::duration::zero()) {
      return Attempt::retryable("the export deadline passed");
    }
    grpc::ClientContext ctx;
    ctx.set_deadline(gpr_time_add(
        gpr_now(GPR_CLOCK_MONOTONIC),
        gpr_time_from_nanos(std::chrono::duration_cast<std::chrono::nanoseconds>(remaining).count(),
                            GPR_TIMESPAN)));
    for (const auto& [k, v] : headers_)
      ctx.AddMetadata(k, v);
    if (gzip_) ctx.set_compression_algorithm(GRPC_COMPRESS_GZIP);

    // grpc reads the body where it is, holding the buffer's block until its transport has
    // written it (no copy of the ~1 MB of a full batch).
    grpc::Slice slice = body.empty() ? grpc::Slice()
                                     : grpc::Slice(const_cast<char*>(body.data()), body.size(),
                                                   &ByteBuffer::give_back, body.lend());
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    auto completion = std::make_shared<Completion>();
    {
      std::lock_guard lock(mutex_);
      if (cancelled_) return Attempt::permanent("the exporter is shut down");
      active_ = &ctx;
    }
    stub_->UnaryCall(&ctx, method_, grpc::StubOptions(), &request, &response,
                     [completion](grpc::Status status) {
                       std::lock_guard lock(completion->mutex);
                       completion->status = std::move(status);
                       completion->done = true;
                       completion->cv.notify_all();
                     });
    {
      // The context's deadline (or a cancel) ends the call; gRPC always calls back.
      std::unique_lock lock(completion->mutex);
      completion->cv.wait(lock, [&] { return completion->done; });
    }
    bool was_cancelled;
    {
      std::lock_guard lock(mutex_);
      active_ = nullptr;
      was_cancelled = cancelled_;
    }
    const grpc::Status& st = completion->status;
    if (st.ok()) {
      Attempt a = Attempt::ok();
      std::vector<grpc::Slice> slices;
      if (response.Dump(&slices).ok()) {
        std::string bytes;
        for (const auto& s : slices)
          bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
        decode_response(bytes, a.partial);  // a malformed answer still means success
      }
      return a;
    }
    if (was_cancelled) return Attempt::permanent("the exporter was shut down during the call");

    RpcStatus details;
    const bool has_details =
        !st.error_details().empty() && decode_rpc_status(st.error_details(), details);
    const bool has_retry_info = has_details && details.retry_delay_ns >= 0;
    std::string why = std::string("gRPC status ") + code_name(st.error_code()) + " (" +
                      std::to_string(static_cast<int>(st.error_code())) + ")";
    if (!st.error_message().empty()) why += ": " + st.error_message();
    const auto delay = has_retry_info ? std::chrono::nanoseconds(details.retry_delay_ns)
                                      : std::chrono::nanoseconds(-1);
    if (is_retryable(st.error_code())) return Attempt::retryable(std::move(why), delay);
    if (st.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED && has_retry_info) {
      return Attempt::retryable(std::move(why), delay);  // the server says it can recover
    }
    return Attempt::permanent(std::move(why));
  }

  const char* const method_;
  std::unique_ptr<grpc::GenericStub> stub_;
  const std::vector<std::pair<std::string, std::string>> headers_;
  const bool gzip_;
  std::mutex mutex_;
  bool cancelled_ = false;                 // guarded by mutex_
  grpc::ClientContext* active_ = nullptr;  // guarded by mutex_
};

}  // namespace

Result<std::unique_ptr<Transport>> make_grpc_transport(const OtlpConfig& config,
                                                       const ExporterOptions& /*options*/,
                                                       Signal signal) {
  auto target = parse_endpoint(config.endpoint);
  if (!target) return target.error();
  for (const auto& [k, v] : config.headers) {
    if (!valid_metadata(k, v)) {
      return Error{"OTEL_EXPORTER_OTLP_HEADERS: \"" + k +
                   "\" cannot be sent as gRPC metadata (keys are [0-9a-z_.-], values printable "
                   "ASCII)"};
    }
  }
  // https:// means TLS, unless OTEL_EXPORTER_OTLP_INSECURE=true says to send plain text anyway.
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (target->tls && !config.insecure) {
    grpc::SslCredentialsOptions ssl;
    if (!config.certificate_file.empty()) {
      auto pem = read_file(config.certificate_file, "OTEL_EXPORTER_OTLP_CERTIFICATE");
      if (!pem) return pem.error();
      ssl.pem_root_certs = std::move(*pem);
    }
    if (!config.client_certificate_file.empty()) {
      auto cert =
          read_file(config.client_certificate_file, "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE");
      if (!cert) return cert.error();
      auto key = read_file(config.client_key_file, "OTEL_EXPORTER_OTLP_CLIENT_KEY");
      if (!key) return key.error();
      ssl.pem_cert_chain = std::move(*cert);
      ssl.pem_private_key = std::move(*key);
    }
    creds = grpc::SslCredentials(ssl);
  } else {
    creds = grpc::InsecureChannelCredentials();
  }
  grpc::ChannelArguments args;
  args.SetString(GRPC_ARG_PRIMARY_USER_AGENT_STRING, user_agent());
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  // A collector that comes back is found again within seconds, not gRPC's default two minutes.
  // (GRPC_ARG_MIN_RECONNECT_BACKOFF_MS stays at its default: gRPC also uses it as the time a
  // connection attempt may take, and a short one fails handshakes on a busy machine.)
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 250);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5000);
  args.SetInt(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, 4 * 1024 * 1024);
  auto channel = grpc::CreateCustomChannel(target->authority, creds, args);
  if (!channel) return Error{"OTLP/gRPC: cannot create a channel to " + target->authority};
  return std::unique_ptr<Transport>(new GrpcTransport(std::move(channel), config, signal));
}

}  // namespace tracekit::otlp::detail
