#include <grpcpp/grpcpp.h>

#include <thread>

#include "google/rpc/retry_info.pb.h"
#include "google/rpc/status.pb.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.grpc.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "receivers.h"

namespace tracekit::testing {

using Clock = std::chrono::steady_clock;

struct GrpcReceiver::Impl final : otlpv1::TraceService::Service {
  Options options;
  mutable std::mutex mutex;
  mutable std::condition_variable changed;
  std::deque<GrpcReply> script;
  std::vector<GrpcReceived> received;
  size_t accepted = 0;
  size_t calls = 0;
  bool stopping = false;
  std::unique_ptr<grpc::Server> server;

  // Answers one Export call (traces or logs) by the script. `keep` stores the request;
  // `set_partial` fills the response's partial_success.
  template <class Keep, class SetPartial>
  grpc::Status answer(grpc::ServerContext* context, size_t n, Keep&& keep,
                      SetPartial&& set_partial) {
    GrpcReply reply;
    {
      std::lock_guard lock(mutex);
      ++calls;
      if (!script.empty()) {
        reply = script.front();
        script.pop_front();
      }
    }
    // Sleep (a slow receiver) in small steps, so that a cancelled call or a stop ends it.
    const auto until = Clock::now() + reply.delay;
    while (Clock::now() < until && !context->IsCancelled()) {
      {
        std::lock_guard lock(mutex);
        if (stopping) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    {
      std::lock_guard lock(mutex);
      if (options.keep_requests) {
        GrpcReceived r;
        keep(r);
        for (const auto& [k, v] : context->client_metadata()) {
          r.metadata.emplace(std::string(k.data(), k.size()), std::string(v.data(), v.size()));
        }
        r.code = reply.code;
        received.push_back(std::move(r));
      }
      if (reply.code == 0) accepted += n - static_cast<size_t>(reply.rejected);
    }
    changed.notify_all();
    if (reply.code != 0) {
      std::string details;
      if (reply.retry_delay_ms >= 0) {
        google::rpc::RetryInfo info;
        info.mutable_retry_delay()->set_seconds(reply.retry_delay_ms / 1000);
        info.mutable_retry_delay()->set_nanos(static_cast<int32_t>(reply.retry_delay_ms % 1000) *
                                              1'000'000);
        google::rpc::Status st;
        st.set_code(reply.code);
        st.set_message(reply.message);
        st.add_details()->PackFrom(info);
        details = st.SerializeAsString();
      }
      return grpc::Status(static_cast<grpc::StatusCode>(reply.code), reply.message, details);
    }
    if (reply.rejected || !reply.partial_message.empty()) {
      set_partial(reply.rejected, reply.partial_message);
    }
    return grpc::Status::OK;
  }

  grpc::Status Export(grpc::ServerContext* context,
                      const otlpv1::ExportTraceServiceRequest* request,
                      otlpv1::ExportTraceServiceResponse* response) override {
    return answer(
        context, count_spans(*request), [&](GrpcReceived& r) { r.request = *request; },
        [&](int64_t rejected, const std::string& message) {
          response->mutable_partial_success()->set_rejected_spans(rejected);
          response->mutable_partial_success()->set_error_message(message);
        });
  }

  // The logs service on the same server, with the same script.
  struct Logs final : logsv1::LogsService::Service {
    Impl* impl = nullptr;
    grpc::Status Export(grpc::ServerContext* context,
                        const logsv1::ExportLogsServiceRequest* request,
                        logsv1::ExportLogsServiceResponse* response) override {
      return impl->answer(
          context, count_log_records(*request), [&](GrpcReceived& r) { r.logs = *request; },
          [&](int64_t rejected, const std::string& message) {
            response->mutable_partial_success()->set_rejected_log_records(rejected);
            response->mutable_partial_success()->set_error_message(message);
          });
    }
  } logs;
};

GrpcReceiver::GrpcReceiver() : GrpcReceiver(Options{}) {}

GrpcReceiver::GrpcReceiver(Options options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  grpc::ServerBuilder builder;
  std::shared_ptr<grpc::ServerCredentials> creds;
  if (options.tls) {
    grpc::SslServerCredentialsOptions ssl(
        options.files.client_ca.empty()
            ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
            : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    ssl.pem_key_cert_pairs.push_back({read_text(options.files.key), read_text(options.files.cert)});
    if (!options.files.client_ca.empty()) ssl.pem_root_certs = read_text(options.files.client_ca);
    creds = grpc::SslServerCredentials(ssl);
  } else {
    creds = grpc::InsecureServerCredentials();
  }
  builder.AddListeningPort("127.0.0.1:0", creds, &port_);
  builder.RegisterService(impl_.get());
  impl_->logs.impl = impl_.get();
  builder.RegisterService(&impl_->logs);
  builder.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  if (!options.accept_gzip) {
    // Only "identity" is enabled: a gzip-compressed request is refused with UNIMPLEMENTED.
    builder.AddChannelArgument(GRPC_COMPRESSION_CHANNEL_ENABLED_ALGORITHMS_BITSET, 1);
  }
  impl_->server = builder.BuildAndStart();
}

GrpcReceiver::~GrpcReceiver() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  if (impl_->server) {
    impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    impl_->server->Wait();
  }
}

std::string GrpcReceiver::endpoint() const {
  return std::string(impl_->options.tls ? "https" : "http") +
         "://127.0.0.1:" + std::to_string(port_);
}

void GrpcReceiver::script(std::vector<GrpcReply> replies) {
  std::lock_guard lock(impl_->mutex);
  impl_->script.assign(replies.begin(), replies.end());
}

std::vector<GrpcReceived> GrpcReceiver::received() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->received;
}

size_t GrpcReceiver::spans_accepted() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->accepted;
}

size_t GrpcReceiver::calls() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->calls;
}

bool GrpcReceiver::wait_for_spans(size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->changed.wait_for(lock, timeout, [&] { return impl_->accepted >= n; });
}

}  // namespace tracekit::testing
