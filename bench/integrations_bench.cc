// SPDX-License-Identifier: Apache-2.0
// What the integrations add per call, traced vs untraced interleaved in the same run: a unary
// gRPC call through the client and server interceptors (BM_GrpcUnary), and a GET to a
// cpp-httplib server through tracekit's adapter (BM_HttplibGet). The client, the server and
// the batch processor's worker all run in this process, so the counters are the process's CPU
// time (user + system, every thread) per call: untraced_us, traced_us, and added_us, the median of
// the per-round differences (run_interleaved says why).
#include <benchmark/benchmark.h>
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <sys/resource.h>

#include <algorithm>
#include <functional>
#include <thread>
#include <vector>

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
// A no-op client interceptor that adds one traceparent, as the tracing one does: what grpc++
// itself charges to carry the header.
class HeaderOnlyInterceptor final : public ::grpc::experimental::Interceptor {
 public:
  void Intercept(::grpc::experimental::InterceptorBatchMethods* m) override {
    if (m->QueryInterceptionHookPoint(
            ::grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      m->GetSendInitialMetadata()->emplace(
          "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    }
    m->Proceed();
  }
};
struct HeaderOnlyClientFactory final : ::grpc::experimental::ClientInterceptorFactoryInterface {
  ::grpc::experimental::Interceptor* CreateClientInterceptor(
      ::grpc::experimental::ClientRpcInfo*) override {
    return new HeaderOnlyInterceptor;
  }
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

// Traced and untraced variants run interleaved in one process: blocks of kBlockCalls calls of
// each variant in turn, kRounds times, the order rotated every round. A loopback call costs
// ~100 µs of this VM's CPU and drifts by tens of µs over seconds (other processes, frequency,
// the kernel's caches), so two runs one after the other cannot show a 1.5 µs difference; the
// median of the differences between neighbouring blocks can, and the quartiles show its spread.
constexpr int kBlockCalls = 300;
constexpr int kRounds = 60;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}
double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))];
}

// Process CPU per call (µs) of each block of each variant: result[variant][round].
std::vector<std::vector<double>> run_interleaved(const std::vector<std::function<void()>>& calls) {
  const size_t n = calls.size();
  std::vector<std::vector<double>> cpu(n);
  for (const auto& call : calls)
    for (int i = 0; i < 300; ++i)
      call();  // connect and warm up
  for (int round = 0; round < kRounds; ++round) {
    for (size_t k = 0; k < n; ++k) {
      const size_t v = (static_cast<size_t>(round) + k) % n;
      const double cpu0 = process_cpu_us();
      for (int i = 0; i < kBlockCalls; ++i)
        calls[v]();
      cpu[v].push_back((process_cpu_us() - cpu0) / kBlockCalls);
    }
  }
  return cpu;
}

// Counters for variant `v` against the baseline `base`: median CPU per call of each, and the
// median and quartiles of the per-round differences.
void report_difference(benchmark::State& state, const std::vector<std::vector<double>>& cpu,
                       size_t base, size_t v, const std::string& prefix) {
  std::vector<double> diff;
  for (size_t r = 0; r < cpu[v].size(); ++r)
    diff.push_back(cpu[v][r] - cpu[base][r]);
  state.counters[prefix + "added_us"] = median(diff);
  state.counters[prefix + "added_p25_us"] = quantile(diff, 0.25);
  state.counters[prefix + "added_p75_us"] = quantile(diff, 0.75);
}

enum class Interception { kNone, kNoop, kTracekit, kHeaderOnly };

struct EchoEndpoint {
  EchoService service;
  std::unique_ptr<::grpc::Server> server;
  std::unique_ptr<Echo::Stub> stub;
};

// An echo server and a stub for it, with the same interception on both sides; in_process: the
// channel is grpc's in-process transport (no sockets, no HTTP/2 framing, no kernel).
std::unique_ptr<EchoEndpoint> start_echo(Interception how, bool in_process) {
  auto e = std::make_unique<EchoEndpoint>();
  int port = 0;
  ::grpc::ServerBuilder builder;
  if (!in_process) {
    builder.AddListeningPort("127.0.0.1:0", ::grpc::InsecureServerCredentials(), &port);
  }
  builder.RegisterService(&e->service);
  if (how == Interception::kTracekit) grpc::add_server_interceptors(builder);
  if (how == Interception::kNoop || how == Interception::kHeaderOnly) {
    std::vector<std::unique_ptr<::grpc::experimental::ServerInterceptorFactoryInterface>> f;
    f.push_back(std::make_unique<NoopServerFactory>());
    builder.experimental().SetInterceptorCreators(std::move(f));
  }
  e->server = builder.BuildAndStart();
  const std::string target = "127.0.0.1:" + std::to_string(port);
  std::vector<std::unique_ptr<::grpc::experimental::ClientInterceptorFactoryInterface>> f;
  if (how == Interception::kTracekit) {
    f.push_back(grpc::client_interceptor_factory({.target = in_process ? "inprocess" : target}));
  }
  if (how == Interception::kNoop) f.push_back(std::make_unique<NoopClientFactory>());
  if (how == Interception::kHeaderOnly) f.push_back(std::make_unique<HeaderOnlyClientFactory>());
  std::shared_ptr<::grpc::Channel> channel;
  if (in_process) {
    channel = f.empty()
                  ? e->server->InProcessChannel({})
                  : e->server->experimental().InProcessChannelWithInterceptors({}, std::move(f));
  } else {
    channel = f.empty() ? ::grpc::CreateChannel(target, ::grpc::InsecureChannelCredentials())
                        : ::grpc::experimental::CreateCustomChannelWithInterceptors(
                              target, ::grpc::InsecureChannelCredentials(), {}, std::move(f));
  }
  e->stub = Echo::NewStub(channel);
  return e;
}

// A unary call through the client and server interceptors. state.range(0): 0 over loopback TCP,
// 1 over grpc's in-process transport. Variants: untraced, no-op interceptors (grpc++'s
// interception machinery alone), tracekit's interceptors.
void BM_GrpcUnary(benchmark::State& state) {
  install_provider();
  const bool in_process = state.range(0) == 1;
  std::vector<std::unique_ptr<EchoEndpoint>> endpoints;
  for (auto how : {Interception::kNone, Interception::kNoop, Interception::kTracekit,
                   Interception::kHeaderOnly})
    endpoints.push_back(start_echo(how, in_process));
  EchoRequest req;
  req.set_text("hello");
  std::vector<std::function<void()>> calls;
  for (auto& e : endpoints) {
    calls.emplace_back([&state, &req, stub = e->stub.get()] {
      ::grpc::ClientContext ctx;
      EchoReply reply;
      if (!stub->Say(&ctx, req, &reply).ok()) state.SkipWithError("RPC failed");
    });
  }
  std::vector<std::vector<double>> cpu;
  for (auto _ : state)
    cpu = run_interleaved(calls);
  state.counters["untraced_us"] = median(cpu[0]);
  state.counters["noop_us"] = median(cpu[1]);
  state.counters["traced_us"] = median(cpu[2]);
  report_difference(state, cpu, 0, 2, "");
  report_difference(state, cpu, 1, 2, "over_noop_");
  state.counters["header_only_us"] = median(cpu[3]);
  report_difference(state, cpu, 1, 3, "header_over_noop_");
  report_difference(state, cpu, 3, 2, "over_header_only_");
  state.SetLabel(in_process ? "in-process transport" : "loopback TCP");
  for (auto& e : endpoints)
    e->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}
BENCHMARK(BM_GrpcUnary)
    ->ArgName("in_process")
    ->Arg(0)
    ->Arg(1)
    ->Iterations(1)
    ->Unit(benchmark::kSecond);

// A cpp-httplib server with a GET route, started on a loopback port.
struct HttplibEndpoint {
  ::httplib::Server server;
  std::thread thread;
  std::unique_ptr<::httplib::Client> client;
  ~HttplibEndpoint() {
    client->stop();
    server.stop();
    thread.join();
  }
};

std::unique_ptr<HttplibEndpoint> start_httplib(httplib::Tracing* tracing) {
  auto e = std::make_unique<HttplibEndpoint>();
  auto handler = [](const ::httplib::Request&, ::httplib::Response& res) {
    res.set_content("{\"hello\":\"world\"}", "application/json");
  };
  if (tracing != nullptr) {
    e->server.Get("/hello", tracing->traced("/hello", handler));
  } else {
    e->server.Get("/hello", handler);
  }
  e->server.set_tcp_nodelay(true);  // else Nagle and delayed ACKs make each GET take ~40 ms
  const int port = e->server.bind_to_any_port("127.0.0.1");
  e->thread = std::thread([s = &e->server] { s->listen_after_bind(); });
  while (!e->server.is_running())
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  e->client = std::make_unique<::httplib::Client>("127.0.0.1", port);
  e->client->set_keep_alive(true);
  e->client->set_tcp_nodelay(true);
  return e;
}

// A GET to a cpp-httplib server over loopback, with and without tracekit's adapter, interleaved.
void BM_HttplibGet(benchmark::State& state) {
  install_provider();
  httplib::Tracing tracing;
  auto plain = start_httplib(nullptr);
  auto traced = start_httplib(&tracing);
  std::vector<std::function<void()>> calls;
  for (auto* e : {plain.get(), traced.get()}) {
    calls.emplace_back([&state, client = e->client.get()] {
      auto r = client->Get("/hello");
      if (!r || r->status != 200) state.SkipWithError("request failed");
    });
  }
  std::vector<std::vector<double>> cpu;
  for (auto _ : state)
    cpu = run_interleaved(calls);
  state.counters["untraced_us"] = median(cpu[0]);
  state.counters["traced_us"] = median(cpu[1]);
  report_difference(state, cpu, 0, 1, "");
}
BENCHMARK(BM_HttplibGet)->Iterations(1)->Unit(benchmark::kSecond);

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
