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
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
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

double this_thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

// Every thread of this process held to one CPU while this lives (threads they start inherit
// it), then given the caller's CPUs back.
// Why: on two vCPUs each call hands over between the client's, the server's and the worker's
// threads, either on one CPU (a context switch) or across both (waking an idle vCPU each time),
// and the mode flips from one block of calls to the next. A block's CPU per call then jumps
// between ~17 and ~70 µs (in-process gRPC, untraced), the quartiles of the traced-untraced
// differences spanned -22…+38 µs, and a 1.5 µs goal could not be read. On one CPU every
// hand-off is a context switch, and the same run's quartiles are within about 1 µs.
class OneCpu {
 public:
  OneCpu() {
    sched_getaffinity(0, sizeof(saved_), &saved_);
    int cpu = 0;
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &saved_)) cpu = c;  // the last: CPU 0 takes most of the interrupts
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    set_all(one);
  }
  ~OneCpu() { set_all(saved_); }
  OneCpu(const OneCpu&) = delete;
  OneCpu& operator=(const OneCpu&) = delete;

 private:
  static void set_all(const cpu_set_t& set) {
    std::error_code ec;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
      const pid_t tid = static_cast<pid_t>(std::stol(task.path().filename().string()));
      sched_setaffinity(tid, sizeof(set), &set);  // a thread that just exited: nothing to do
    }
  }
  cpu_set_t saved_{};
};

// Traced and untraced variants run interleaved in one process: blocks of kBlockCalls calls of
// each variant in turn, kRounds times, the order rotated every round, all on one CPU (OneCpu
// says why). A call's CPU still drifts over seconds (other processes, the kernel's caches), so
// two runs one after the other cannot show a 1.5 µs difference; the median of the differences
// between neighbouring blocks can, and the quartiles show its spread.
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

// CPU per call (µs) of each block of each variant, [variant][round]: the whole process's, and
// the calling thread's (the client's, where the client is a synchronous one).
struct BlockCpu {
  std::vector<std::vector<double>> process;
  std::vector<std::vector<double>> caller;
};

BlockCpu run_interleaved(const std::vector<std::function<void()>>& calls) {
  const size_t n = calls.size();
  BlockCpu cpu{std::vector<std::vector<double>>(n), std::vector<std::vector<double>>(n)};
  OneCpu one_cpu;
  for (const auto& call : calls)
    for (int i = 0; i < 300; ++i)
      call();  // connect and warm up
  for (int round = 0; round < kRounds; ++round) {
    for (size_t k = 0; k < n; ++k) {
      const size_t v = (static_cast<size_t>(round) + k) % n;
      const double process0 = process_cpu_us();
      const double caller0 = this_thread_cpu_us();
      for (int i = 0; i < kBlockCalls; ++i)
        calls[v]();
      cpu.caller[v].push_back((this_thread_cpu_us() - caller0) / kBlockCalls);
      cpu.process[v].push_back((process_cpu_us() - process0) / kBlockCalls);
    }
  }
  return cpu;
}

// The process's CPU minus the calling thread's: the server's threads and the batch worker.
std::vector<std::vector<double>> all_but_caller(const BlockCpu& cpu) {
  auto out = cpu.process;
  for (size_t v = 0; v < out.size(); ++v)
    for (size_t r = 0; r < out[v].size(); ++r)
      out[v][r] -= cpu.caller[v][r];
  return out;
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
  BlockCpu block_cpu;
  for (auto _ : state)
    block_cpu = run_interleaved(calls);
  const auto& cpu = block_cpu.process;
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
  // cpp-httplib closes a keep-alive connection after 5 requests by default: a new connection
  // every fifth GET would be measured with the adapter.
  e->server.set_keep_alive_max_count(1'000'000);
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
  BlockCpu cpu;
  for (auto _ : state)
    cpu = run_interleaved(calls);
  state.counters["untraced_us"] = median(cpu.process[0]);
  state.counters["traced_us"] = median(cpu.process[1]);
  report_difference(state, cpu.process, 0, 1, "");
  // The server's side alone (its threads and the batch worker): the client's thread also pays
  // for reading the two response headers the adapter adds (X-Trace-ID, X-Span-ID).
  const auto server = all_but_caller(cpu);
  state.counters["server_untraced_us"] = median(server[0]);
  state.counters["server_traced_us"] = median(server[1]);
  report_difference(state, server, 0, 1, "server_");
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
