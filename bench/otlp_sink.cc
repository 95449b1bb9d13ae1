// SPDX-License-Identifier: Apache-2.0
// An OTLP/gRPC receiver for load tests: accepts and counts spans, keeping nothing. Prints
// "endpoint <url>"; on SIGUSR1 prints "count <n>" (the spans received so far, so a load script
// can count each round's), and on SIGTERM/SIGINT prints "spans <n>" and exits.
//
// It runs on the same machine as the service under load, so every cycle it spends is taken from
// that service: it takes the request as raw bytes and counts the spans by walking the wire
// format (resource_spans → scope_spans → spans) instead of building the message objects, which
// cost several microseconds per span and made the receiver, not tracing, a large part of what
// the load test measured. A malformed request is refused with INVALID_ARGUMENT.
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <string>

#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "otlp_span_count.h"

namespace {

using google::protobuf::io::CodedInputStream;
using tracekit::bench::count_spans;

volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_report = 0;
void on_report(int) {
  g_report = 1;
}
void on_signal(int) {
  g_stop = 1;
}

using TraceService = opentelemetry::proto::collector::trace::v1::TraceService;
using RawService = TraceService::WithRawCallbackMethod_Export<TraceService::Service>;

class CountingService final : public RawService {
 public:
  grpc::ServerUnaryReactor* Export(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override {
    // Read the request's slices in place (a copy of a ByteBuffer only takes references).
    grpc::ByteBuffer message(*request);
    grpc::ProtoBufferReader reader(&message);
    CodedInputStream in(&reader);
    size_t n = 0;
    grpc::Status status = grpc::Status::OK;
    if (count_spans(in, 0, n)) {
      spans_.fetch_add(n, std::memory_order_relaxed);
      // An empty ExportTraceServiceResponse (zero bytes on the wire): full success.
      grpc::Slice empty{std::string()};
      *response = grpc::ByteBuffer(&empty, 1);
    } else {
      status = {grpc::StatusCode::INVALID_ARGUMENT, "malformed ExportTraceServiceRequest"};
    }
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(status);
    return reactor;
  }
  size_t spans() const { return spans_.load(std::memory_order_relaxed); }

 private:
  std::atomic<size_t> spans_{0};
};

}  // namespace

int main() {
  CountingService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  builder.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  const std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::fprintf(stderr, "otlp-sink: could not listen on 127.0.0.1\n");
    return 1;
  }
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  std::signal(SIGUSR1, on_report);
  std::printf("endpoint http://127.0.0.1:%d\n", port);
  std::fflush(stdout);
  while (!g_stop) {
    if (g_report) {
      g_report = 0;
      std::printf("count %zu\n", service.spans());
      std::fflush(stdout);
    }
    struct timespec ts {
      0, 50 * 1000 * 1000
    };
    nanosleep(&ts, nullptr);
  }
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  std::printf("spans %zu\n", service.spans());
  std::fflush(stdout);
  return 0;
}
