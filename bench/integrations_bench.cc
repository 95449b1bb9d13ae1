// SPDX-License-Identifier: Apache-2.0
// What the integrations add per call, traced vs untraced in the same run, over loopback:
// a unary gRPC call through the client and server interceptors (BM_GrpcUnary), and a GET to a
// cpp-httplib server through tracekit's adapter (BM_HttplibGet). The client, the server and
// the batch processor's worker all run in this process, so the counter cpu_us is the process's
// CPU time (user + system, every thread) per call; the report subtracts untraced from traced.
#include <benchmark/benchmark.h>
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <sys/resource.h>

#include <thread>

#include "tracekit/examples/v1/echo.grpc.pb.h"
#include "tracekit/grpc/interceptors.h"
#include "tracekit/httplib/tracing.h"
#include "tracekit/tracekit.h"

namespace tracekit {
namespace {

using examples::v1::Echo;
using examples::v1::EchoReply;
using examples::v1::EchoRequest;

class NullExporter final : public SpanExporter {
 public:
  ExportResult export_spans(std::span<const SpanDataPtr>, Deadline) noexcept override {
    return ExportResult::success();
  }
  bool shutdown(std::chrono::milliseconds) noexcept override { return true; }
};

// The global provider: batch processor into an exporter that drops (export cost is not the
// integrations').
void install_provider() {
  static const bool done = [] {
    TracerProviderOptions o;
    o.processors.push_back(
        std::make_unique<BatchSpanProcessor>(std::make_unique<NullExporter>(), BatchOptions{}));
    set_global_tracer_provider(std::make_shared<TracerProvider>(std::move(o)));
    return true;
  }();
  (void)done;
}

double process_cpu_us() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

class EchoService final : public Echo::Service {
  ::grpc::Status Say(::grpc::ServerContext*, const EchoRequest* req, EchoReply* reply) override {
    reply->set_text(req->text());
    return ::grpc::Status::OK;
  }
};

// Interceptors that only Proceed(): what grpc++'s interception machinery costs by itself.
class NoopInterceptor final : public ::grpc::experimental::Interceptor {
 public:
  void Intercept(::grpc::experimental::InterceptorBatchMethods* m) override { m->Proceed(); }
};
struct NoopClientFactory final : ::grpc::experimental::ClientInterceptorFactoryInterface {
  ::grpc::experimental::Interceptor* CreateClientInterceptor(
      ::grpc::experimental::ClientRpcInfo*) override {
    return new NoopInterceptor;
  }
};
struct NoopServerFactory final : ::grpc::experimental::ServerInterceptorFactoryInterface {
  ::grpc::experimental::Interceptor* CreateServerInterceptor(
      ::grpc::experimental::ServerRpcInfo*) override {
    return new NoopInterceptor;
  }
};

// state.range(0): 1 traced (interceptors on both sides), 0 untraced, 2 no-op interceptors.
void BM_GrpcUnary(benchmark::State& state) {
  install_provider();
  const bool traced = state.range(0) == 1;
  EchoService service;
  int port = 0;
  ::grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", ::grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  const bool noop = state.range(0) == 2;
  if (traced) grpc::add_server_interceptors(builder);
  if (noop) {
    std::vector<std::unique_ptr<::grpc::experimental::ServerInterceptorFactoryInterface>> f;
    f.push_back(std::make_unique<NoopServerFactory>());
    builder.experimental().SetInterceptorCreators(std::move(f));
  }
  auto server = builder.BuildAndStart();
  const std::string target = "127.0.0.1:" + std::to_string(port);
  std::shared_ptr<::grpc::Channel> channel;
  if (traced) {
    channel = grpc::create_channel(target, ::grpc::InsecureChannelCredentials());
  } else if (noop) {
    std::vector<std::unique_ptr<::grpc::experimental::ClientInterceptorFactoryInterface>> f;
    f.push_back(std::make_unique<NoopClientFactory>());
    channel = ::grpc::experimental::CreateCustomChannelWithInterceptors(
        target, ::grpc::InsecureChannelCredentials(), {}, std::move(f));
  } else {
    channel = ::grpc::CreateChannel(target, ::grpc::InsecureChannelCredentials());
  }
  auto stub = Echo::NewStub(channel);
  EchoRequest req;
  req.set_text("hello");
  auto once = [&] {
    ::grpc::ClientContext ctx;
    EchoReply reply;
    if (!stub->Say(&ctx, req, &reply).ok()) state.SkipWithError("RPC failed");
  };
  for (int i = 0; i < 200; ++i)
    once();  // connect and warm up
  const double cpu0 = process_cpu_us();
  for (auto _ : state)
    once();
  state.counters["cpu_us"] = (process_cpu_us() - cpu0) / static_cast<double>(state.iterations());
  state.SetLabel(traced ? "traced" : noop ? "no-op interceptors" : "untraced");
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}
BENCHMARK(BM_GrpcUnary)->ArgName("traced")->Arg(0)->Arg(2)->Arg(1)->UseRealTime()->MinTime(2.0);

void BM_HttplibGet(benchmark::State& state) {
  install_provider();
  const bool traced = state.range(0) == 1;
  ::httplib::Server server;
  httplib::Tracing tracing;
  auto handler = [](const ::httplib::Request&, ::httplib::Response& res) {
    res.set_content("{\"hello\":\"world\"}", "application/json");
  };
  if (traced) {
    server.Get("/hello", tracing.traced("/hello", handler));
  } else {
    server.Get("/hello", handler);
  }
  server.set_tcp_nodelay(true);  // else Nagle and delayed ACKs make each GET take ~40 ms
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  while (!server.is_running())
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ::httplib::Client client("127.0.0.1", port);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  auto once = [&] {
    auto r = client.Get("/hello");
    if (!r || r->status != 200) state.SkipWithError("request failed");
  };
  for (int i = 0; i < 200; ++i)
    once();
  const double cpu0 = process_cpu_us();
  for (auto _ : state)
    once();
  state.counters["cpu_us"] = (process_cpu_us() - cpu0) / static_cast<double>(state.iterations());
  state.SetLabel(traced ? "traced" : "untraced");
  client.stop();
  server.stop();
  t.join();
}
BENCHMARK(BM_HttplibGet)->ArgName("traced")->Arg(0)->Arg(1)->UseRealTime()->MinTime(2.0);

// The adapter's own work per request, without the sockets: the handler cpp-httplib would call,
// traced vs not, on a request as cpp-httplib parses it (with a traceparent). Over loopback
// (BM_HttplibGet) a request costs ~80 µs of this VM's CPU, mostly the kernel's, and its noise
// hides a difference of a few µs; here the difference is the adapter's cost alone.
void BM_HttplibHandler(benchmark::State& state) {
  install_provider();
  const bool traced = state.range(0) == 1;
  httplib::Tracing tracing;
  ::httplib::Server::Handler plain = [](const ::httplib::Request&, ::httplib::Response& res) {
    res.set_content("{\"hello\":\"world\"}", "application/json");
  };
  const ::httplib::Server::Handler handler = traced ? tracing.traced("/hello", plain) : plain;
  ::httplib::Request req;
  req.method = "GET";
  req.target = "/hello";
  req.path = "/hello";
  req.version = "HTTP/1.1";
  req.remote_addr = "127.0.0.1";
  req.remote_port = 50000;
  req.local_addr = "127.0.0.1";
  req.local_port = 8080;
  req.headers = {{"Host", "127.0.0.1:8080"},
                 {"User-Agent", "bench/1.0"},
                 {"Accept", "*/*"},
                 {"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}};
  for (auto _ : state) {
    ::httplib::Response res;
    handler(req, res);
    benchmark::DoNotOptimize(res.status);
  }
  state.SetLabel(traced ? "traced" : "untraced");
}
BENCHMARK(BM_HttplibHandler)->ArgName("traced")->Arg(0)->Arg(1)->MeasureProcessCPUTime();

}  // namespace
}  // namespace tracekit

BENCHMARK_MAIN();
