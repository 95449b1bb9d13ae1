// SPDX-License-Identifier: Apache-2.0
// Core SDK costs: starting and ending spans, scopes, W3C header parsing and formatting, and the
// batch processor under one and two producer threads. Names are stable so results compare over
// time (docs/benchmarks.md).
#include <benchmark/benchmark.h>

#include <atomic>
#include <map>
#include <thread>

#include "tracekit/tracekit.h"

namespace tracekit {
namespace {

// Accepts every batch and does nothing with it: measures the SDK, not an exporter.
class NullExporter final : public SpanExporter {
 public:
  ExportResult export_spans(std::span<const SpanDataPtr>, Deadline) noexcept override {
    return ExportResult::success();
  }
  bool shutdown(std::chrono::milliseconds) noexcept override { return true; }
};

// The configuration a service runs with: parentbased_always_on, one batch processor.
std::unique_ptr<TracerProvider> make_provider(std::unique_ptr<Sampler> sampler = nullptr,
                                              BatchOptions batch = {}) {
  TracerProviderOptions o;
  o.sampler = std::move(sampler);
  o.processors.push_back(
      std::make_unique<BatchSpanProcessor>(std::make_unique<NullExporter>(), batch));
  return std::make_unique<TracerProvider>(std::move(o));
}

void report_drops(benchmark::State& state, const TracerProvider& provider) {
  TracerStats s = provider.stats();
  state.counters["dropped"] = benchmark::Counter(static_cast<double>(s.spans_dropped_queue_full));
  state.counters["drop_ratio"] =
      s.spans_ended ? static_cast<double>(s.spans_dropped_queue_full) / s.spans_ended : 0.0;
}

// Keys as instrumentation passes them: literals or the semantic conventions' string_view
// constants, whose length is known at compile time (as `const char*` each call paid a strlen the
// library does not do, 7 % of BM_SpanStartEnd/attrs:4 in perf).
constexpr std::string_view kAttributeKeys[16] = {
    "http.method", "http.route", "http.url", "http.status_code", "tool.id",  "version.id",
    "run.id",      "run.status", "a.key.8",  "a.key.9",          "a.key.10", "a.key.11",
    "a.key.12",    "a.key.13",   "a.key.14", "a.key.15"};

void BM_SpanStartEnd(benchmark::State& state) {
  auto provider = make_provider();
  Tracer& tracer = provider->get_tracer("bench");
  const int attrs = static_cast<int>(state.range(0));
  const auto& kKeys = kAttributeKeys;
  for (auto _ : state) {
    Span span = tracer.start_span("GET /tools/{id}");
    for (int i = 0; i < attrs; ++i) {
      if (i % 2 == 0) {
        span.set_attribute(kKeys[i], "a-short-value");
      } else {
        span.set_attribute(kKeys[i], int64_t{200 + i});
      }
    }
    span.end();
  }
  state.SetItemsProcessed(state.iterations());
  provider->force_flush();
  report_drops(state, *provider);
}
BENCHMARK(BM_SpanStartEnd)->ArgName("attrs")->Arg(0)->Arg(4)->Arg(16);

// A thread that ends one span and exits, as in a server that starts a thread per request or
// per connection: the thread's first span registers its record cache and producer ring, and
// its exit hands them back. spans:0 is the thread alone, for the difference.
void BM_SpanOnNewThread(benchmark::State& state) {
  auto provider = make_provider();
  Tracer& tracer = provider->get_tracer("bench");
  const bool span = state.range(0) == 1;
  for (auto _ : state) {
    std::thread t([&] {
      if (span) {
        Span s = tracer.start_span("GET /tools/{id}");
        s.end();
      }
    });
    t.join();
  }
  provider->force_flush();
}
BENCHMARK(BM_SpanOnNewThread)->ArgName("spans")->Arg(0)->Arg(1)->MeasureProcessCPUTime();

void BM_SpanUnsampled(benchmark::State& state) {
  auto provider = make_provider(samplers::parent_based(samplers::always_off()));
  Tracer& tracer = provider->get_tracer("bench");
  for (auto _ : state) {
    Span span = tracer.start_span("GET /tools/{id}");
    span.set_attribute("http.method", "GET");
    span.end();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SpanUnsampled);

void BM_SpanNoProvider(benchmark::State& state) {
  Tracer& tracer = get_tracer("bench.noop");  // the global provider is never set here
  for (auto _ : state) {
    Span span = tracer.start_span("GET /tools/{id}");
    span.set_attribute("http.method", "GET");
    span.end();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SpanNoProvider);

void BM_SpanWithScope(benchmark::State& state) {
  auto provider = make_provider();
  Tracer& tracer = provider->get_tracer("bench");
  for (auto _ : state) {
    auto outer = tracer.start_as_current_span("outer");
    auto inner = tracer.start_as_current_span("inner");  // child of outer via the scope
    benchmark::DoNotOptimize(current_span().context());
  }
  state.SetItemsProcessed(state.iterations() * 2);
  provider->force_flush();
  report_drops(state, *provider);
}
BENCHMARK(BM_SpanWithScope);

// A carrier with the headers of a typical incoming request.
class BenchGetter final : public propagation::TextMapGetter {
 public:
  std::map<std::string, std::string, std::less<>> headers;
  size_t get_all(std::string_view key, std::span<std::string_view> out) const noexcept override {
    auto it = headers.find(key);
    if (it == headers.end()) return 0;
    if (!out.empty()) out[0] = it->second;
    return 1;
  }
};

class BenchSetter final : public propagation::TextMapSetter {
 public:
  char traceparent[64];
  size_t n = 0;
  void set(std::string_view key, std::string_view value) noexcept override {
    if (key == "traceparent") {
      std::memcpy(traceparent, value.data(), value.size());
      n = value.size();
    }
  }
};

void BM_TraceparentExtract(benchmark::State& state) {
  BenchGetter carrier;
  carrier.headers["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  propagation::TraceContextPropagator propagator;
  Context empty;
  for (auto _ : state) {
    Context ctx = propagator.extract(carrier, empty);
    benchmark::DoNotOptimize(ctx.span_context().span_id());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TraceparentExtract);

void BM_TraceparentInject(benchmark::State& state) {
  SpanContext sc(*TraceId::from_hex("0af7651916cd43dd8448eb211c80319c"),
                 *SpanId::from_hex("b7ad6b7169203331"), TraceFlags(1), false);
  Context ctx = Context().with_span_context(sc);
  propagation::TraceContextPropagator propagator;
  BenchSetter carrier;
  for (auto _ : state) {
    propagator.inject(carrier, ctx);
    benchmark::DoNotOptimize(carrier.traceparent);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TraceparentInject);

void BM_TracestateExtract(benchmark::State& state) {
  BenchGetter carrier;
  carrier.headers["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  carrier.headers["tracestate"] = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE";
  propagation::TraceContextPropagator propagator;
  Context empty;
  for (auto _ : state) {
    Context ctx = propagator.extract(carrier, empty);
    benchmark::DoNotOptimize(ctx.span_context().trace_state().size());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TracestateExtract)->ArgName("members")->Arg(2);

void BM_BaggageExtract(benchmark::State& state) {
  BenchGetter carrier;
  carrier.headers["baggage"] = "userId=alice,serverNode=DF%2028,isProduction=false";
  propagation::BaggagePropagator propagator;
  Context empty;
  for (auto _ : state) {
    Context ctx = propagator.extract(carrier, empty);
    benchmark::DoNotOptimize(ctx.baggage().size());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BaggageExtract);

// Producers start and end spans as fast as they can while the worker exports batches to a null
// exporter; items_per_second is spans handed over per second, drop_ratio the share lost to a
// full queue.
std::unique_ptr<TracerProvider> g_batch_provider;
std::atomic<int> g_batch_threads_done{0};

void batch_setup(const benchmark::State&) {
  g_batch_provider = make_provider();
  g_batch_threads_done = 0;
}
void batch_teardown(const benchmark::State&) {
  g_batch_provider.reset();
}

void BM_BatchProcessor(benchmark::State& state) {
  Tracer& tracer = g_batch_provider->get_tracer("bench");
  for (auto _ : state) {
    Span span = tracer.start_span("work");
    span.set_attribute("http.method", "GET");
  }
  state.SetItemsProcessed(state.iterations());
  g_batch_threads_done.fetch_add(1);
  if (state.thread_index() == 0) {
    // Count drops only once every producer has stopped.
    while (g_batch_threads_done.load() < state.threads())
      std::this_thread::yield();
    g_batch_provider->force_flush();
    report_drops(state, *g_batch_provider);
  }
}
BENCHMARK(BM_BatchProcessor)
    ->Name("BM_BatchProcessor/producers:1")
    ->Threads(1)
    ->UseRealTime()
    ->Setup(batch_setup)
    ->Teardown(batch_teardown);
BENCHMARK(BM_BatchProcessor)
    ->Name("BM_BatchProcessor/producers:2")
    ->Threads(2)
    ->UseRealTime()
    ->Setup(batch_setup)
    ->Teardown(batch_teardown);

// The goal for the processor: two producers at 1 M spans/s each (far above any service),
// each in bursts of 1,000 spans every millisecond and asleep in between, so the worker gets the
// CPU a service would leave it. The saturated runs above are a stress figure; this one must drop
// nothing.
void BM_BatchProcessorPaced(benchmark::State& state) {
  Tracer& tracer = g_batch_provider->get_tracer("bench");
  constexpr int kPerMillisecond = 1000;
  constexpr auto kDuration = std::chrono::seconds(1);
  int64_t spans = 0;
  for (auto _ : state) {
    auto next = std::chrono::steady_clock::now();
    const auto end = next + kDuration;
    while (next < end) {
      for (int i = 0; i < kPerMillisecond; ++i) {
        Span span = tracer.start_span("work");
        span.set_attribute("http.method", "GET");
      }
      spans += kPerMillisecond;
      next += std::chrono::milliseconds(1);
      std::this_thread::sleep_until(next);
    }
  }
  state.SetItemsProcessed(spans);
  g_batch_threads_done.fetch_add(1);
  if (state.thread_index() == 0) {
    while (g_batch_threads_done.load() < state.threads())
      std::this_thread::yield();
    g_batch_provider->force_flush();
    report_drops(state, *g_batch_provider);
  }
}
BENCHMARK(BM_BatchProcessorPaced)
    ->Name("BM_BatchProcessorPaced/producers:2/rate:1M")
    ->Threads(2)
    ->Iterations(1)
    ->UseRealTime()
    ->Setup(batch_setup)
    ->Teardown(batch_teardown);

}  // namespace
}  // namespace tracekit

namespace tracekit {
namespace {
// Ends spans into a processor that drops them on the spot: the SDK's own cost of a span, without
// the hand-over of its memory to an exporting thread on another core.
class DropProcessor final : public SpanProcessor {
 public:
  void on_end(SpanDataPtr) noexcept override {}
  bool force_flush(std::chrono::milliseconds) noexcept override { return true; }
  bool shutdown(std::chrono::milliseconds) noexcept override { return true; }
};

void BM_SpanStartEndNoExport(benchmark::State& state) {
  TracerProviderOptions o;
  o.processors.push_back(std::make_unique<DropProcessor>());
  TracerProvider provider(std::move(o));
  Tracer& tracer = provider.get_tracer("bench");
  const int attrs = static_cast<int>(state.range(0));
  for (auto _ : state) {
    Span span = tracer.start_span("GET /tools/{id}");
    for (int i = 0; i < attrs; ++i) {
      if (i % 2 == 0) {
        span.set_attribute(kAttributeKeys[i], "a-short-value");
      } else {
        span.set_attribute(kAttributeKeys[i], int64_t{200 + i});
      }
    }
    span.end();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SpanStartEndNoExport)->ArgName("attrs")->Arg(0)->Arg(4);

// Attributes known when the span starts, passed in SpanOptions (what the HTTP middleware does).
void BM_SpanStartEndAttributesAtStart(benchmark::State& state) {
  auto provider = make_provider();
  Tracer& tracer = provider->get_tracer("bench");
  for (auto _ : state) {
    Span span = tracer.start_span("GET /tools/{id}",
                                  {.attributes = {{"http.method", "GET"},
                                                  {"http.route", "/tools/{id}"},
                                                  {"http.url", "http://localhost/tools/1"},
                                                  {"http.status_code", 200}}});
    span.end();
  }
  state.SetItemsProcessed(state.iterations());
  provider->force_flush();
  report_drops(state, *provider);
}
BENCHMARK(BM_SpanStartEndAttributesAtStart)->Name("BM_SpanStartEndAttributesAtStart/attrs:4");

}  // namespace
}  // namespace tracekit

namespace tracekit {
namespace {
// The exporting worker's own cost: spans queue up (the worker waits for a batch that never
// fills), then one flush drains them all; time per span drained.
void BM_BatchWorkerDrain(benchmark::State& state) {
  const size_t n = 200000;
  BatchOptions batch;
  batch.max_queue_size = n;
  batch.max_export_batch_size = n;
  batch.schedule_delay = std::chrono::hours(1);
  for (auto _ : state) {
    state.PauseTiming();
    TracerProviderOptions o;
    o.processors.push_back(
        std::make_unique<BatchSpanProcessor>(std::make_unique<NullExporter>(), batch));
    // max_export_batch_size is raised to the queue size so nothing exports before the flush.
    TracerProvider provider(std::move(o));
    Tracer& tracer = provider.get_tracer("bench");
    for (size_t i = 0; i < n; ++i)
      tracer.start_span("work").end();
    state.ResumeTiming();
    provider.force_flush();
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_BatchWorkerDrain)->Unit(benchmark::kMillisecond)->UseRealTime();
}  // namespace
}  // namespace tracekit
BENCHMARK_MAIN();
