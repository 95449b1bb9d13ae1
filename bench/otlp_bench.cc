// SPDX-License-Identifier: Apache-2.0
// OTLP costs: encoding a 512-span batch (8 attributes and 2 events per span) with our protobuf
// writer, with libprotobuf messages on an Arena (the alternative we measured against), and as
// OTLP/JSON; then a sustained end-to-end export through the batch processor to a receiver on
// loopback (spans/s, loss, CPU per span).
#include <benchmark/benchmark.h>
#include <google/protobuf/arena.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <thread>

#include "receivers.h"
#include "span_grouping.h"
#include "tracekit/otlp/encoder.h"
#include "tracekit/otlp/exporter.h"
#include "tracekit/otlp_json.h"
#include "tracekit/tracekit.h"

namespace tracekit {
namespace {

using namespace std::chrono_literals;
namespace otlpv1 = opentelemetry::proto::collector::trace::v1;
namespace tracev1 = opentelemetry::proto::trace::v1;
namespace commonv1 = opentelemetry::proto::common::v1;

constexpr int kBatch = 512;

// One service-like span: 8 attributes of mixed types and 2 events with 2 attributes each.
void make_span(Tracer& tracer, int i) {
  Span s = tracer.start_span("GET /tools/{id}", {.kind = SpanKind::kServer});
  s.set_attribute("http.method", "GET")
      .set_attribute("http.route", "/tools/{id}")
      .set_attribute("http.url", "https://skriptoteket.example/tools/1234?version=7")
      .set_attribute("http.status_code", 200)
      .set_attribute("net.peer.port", 51234 + i % 1000)
      .set_attribute("tool.id", "tool-1234")
      .set_attribute("duration.ratio", 0.731)
      .set_attribute("cache.hit", (i & 1) != 0);
  s.add_event("tool.loaded", {{"tool.version", 7}, {"source", "db"}});
  s.add_event("tool.executed", {{"exit.code", 0}, {"output.bytes", 2048}});
}

struct Batch {
  std::shared_ptr<InMemorySpanStore> store = std::make_shared<InMemorySpanStore>();
  std::unique_ptr<TracerProvider> provider;
  std::vector<SpanDataPtr> spans;
  Batch() {
    TracerProviderOptions o;
    o.processors.push_back(
        std::make_unique<SimpleSpanProcessor>(std::make_unique<InMemorySpanExporter>(store)));
    provider = std::make_unique<TracerProvider>(std::move(o));
    Tracer& t = provider->get_tracer("bench", "1.0");
    for (int i = 0; i < kBatch; ++i)
      make_span(t, i);
    spans = store->spans();
  }
};

Batch& batch() {
  static Batch b;
  return b;
}

void report(benchmark::State& state, size_t bytes) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kBatch);
  state.counters["bytes_per_span"] = static_cast<double>(bytes) / kBatch;
}

void BM_OtlpEncode_protobuf(benchmark::State& state) {
  auto& b = batch();
  std::string out;
  for (auto _ : state) {
    out.clear();
    otlp::encode_request(b.spans, out);
    benchmark::DoNotOptimize(out.data());
  }
  report(state, out.size());
}

void BM_OtlpEncode_json(benchmark::State& state) {
  auto& b = batch();
  std::string out;
  for (auto _ : state) {
    out.clear();
    otlp_json::encode_request(b.spans, out);
    benchmark::DoNotOptimize(out.data());
  }
  report(state, out.size());
}

// What the batch worker does: encode spans whose records another thread, on the other core,
// has just written, so every line comes from that core's cache (BM_OtlpEncode/protobuf encodes
// the same records again and again, from this core's cache). Both threads are pinned, one per
// CPU; each round a fresh batch is made on the other CPU, outside the timing.
void BM_OtlpEncodeFromOtherCore(benchmark::State& state) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0 || CPU_COUNT(&allowed) < 2) {
    state.SkipWithError("needs two CPUs");
    return;
  }
  int cpus[2] = {-1, -1};
  for (int c = 0, found = 0; c < CPU_SETSIZE && found < 2; ++c)
    if (CPU_ISSET(c, &allowed)) cpus[found++] = c;
  auto pin = [](int cpu) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    pthread_setaffinity_np(pthread_self(), sizeof one, &one);
  };
  pin(cpus[0]);
  std::string out;
  size_t bytes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    Batch* made = nullptr;
    std::thread maker([&] {
      pin(cpus[1]);
      made = new Batch();
    });
    maker.join();
    state.ResumeTiming();
    out.clear();
    otlp::encode_request(made->spans, out);
    benchmark::DoNotOptimize(out.data());
    state.PauseTiming();
    bytes = out.size();
    delete made;
    state.ResumeTiming();
  }
  report(state, bytes);
  cpu_set_t all = allowed;
  pthread_setaffinity_np(pthread_self(), sizeof all, &all);
}

// ---- the alternative: libprotobuf generated messages on an Arena, then serialization.

void set_value(commonv1::AnyValue* v, const AttributeValue& a) {
  switch (a.type()) {
    case AttributeType::kBool:
      v->set_bool_value(a.as_bool());
      break;
    case AttributeType::kInt:
      v->set_int_value(a.as_int());
      break;
    case AttributeType::kDouble:
      v->set_double_value(a.as_double());
      break;
    case AttributeType::kString:
      v->set_string_value(std::string(a.as_string()));
      break;
    case AttributeType::kBoolArray:
      for (bool x : a.as_bool_array())
        v->mutable_array_value()->add_values()->set_bool_value(x);
      break;
    case AttributeType::kIntArray:
      for (int64_t x : a.as_int_array())
        v->mutable_array_value()->add_values()->set_int_value(x);
      break;
    case AttributeType::kDoubleArray:
      for (double x : a.as_double_array())
        v->mutable_array_value()->add_values()->set_double_value(x);
      break;
    case AttributeType::kStringArray:
      for (std::string_view x : a.as_string_array())
        v->mutable_array_value()->add_values()->set_string_value(std::string(x));
      break;
  }
}

template <class Repeated>
void set_attributes(Repeated* out, std::span<const KeyValue> attrs) {
  out->Reserve(static_cast<int>(attrs.size()));
  for (const KeyValue& kv : attrs) {
    auto* p = out->Add();
    p->set_key(std::string(kv.key));
    set_value(p->mutable_value(), kv.value);
  }
}

void fill_span(tracev1::Span* p, const SpanData& s) {
  const SpanContext& c = s.context();
  p->set_trace_id(c.trace_id().data(), 16);
  p->set_span_id(c.span_id().data(), 8);
  if (!c.trace_state().empty()) p->set_trace_state(std::string(c.trace_state().header()));
  if (s.parent_span_id().is_valid()) p->set_parent_span_id(s.parent_span_id().data(), 8);
  p->set_flags(c.flags().bits() | 0x100u | (s.has_remote_parent() ? 0x200u : 0u));
  p->set_name(std::string(s.name()));
  p->set_kind(static_cast<tracev1::Span::SpanKind>(s.kind()));
  p->set_start_time_unix_nano(s.start_time_ns());
  p->set_end_time_unix_nano(s.end_time_ns());
  set_attributes(p->mutable_attributes(), s.attributes());
  p->set_dropped_attributes_count(s.dropped_attributes_count());
  for (const Event& e : s.events()) {
    auto* pe = p->add_events();
    pe->set_time_unix_nano(e.time_ns);
    pe->set_name(std::string(e.name));
    set_attributes(pe->mutable_attributes(), e.attributes);
  }
  for (const Link& l : s.links()) {
    auto* pl = p->add_links();
    pl->set_trace_id(l.context.trace_id().data(), 16);
    pl->set_span_id(l.context.span_id().data(), 8);
    set_attributes(pl->mutable_attributes(), l.attributes);
  }
  if (s.status_code() != StatusCode::kUnset) {
    p->mutable_status()->set_code(static_cast<tracev1::Status::StatusCode>(s.status_code()));
    p->mutable_status()->set_message(std::string(s.status_description()));
  }
}

void BM_OtlpEncode_libprotobuf_arena(benchmark::State& state) {
  auto& b = batch();
  std::string out;
  for (auto _ : state) {
    google::protobuf::ArenaOptions ao;
    ao.start_block_size = 512 * 1024;
    google::protobuf::Arena arena(ao);
    auto* req = google::protobuf::Arena::CreateMessage<otlpv1::ExportTraceServiceRequest>(&arena);
    for (const auto& rg : detail::group_spans(b.spans)) {
      auto* rs = req->add_resource_spans();
      set_attributes(rs->mutable_resource()->mutable_attributes(),
                     rg.resource->attributes().items());
      rs->set_schema_url(rg.resource->schema_url());
      for (const auto& sg : rg.scopes) {
        auto* ss = rs->add_scope_spans();
        ss->mutable_scope()->set_name(sg.scope->name);
        ss->mutable_scope()->set_version(sg.scope->version);
        ss->mutable_spans()->Reserve(static_cast<int>(sg.spans.size()));
        for (const SpanData* s : sg.spans)
          fill_span(ss->add_spans(), *s);
      }
    }
    out.clear();
    req->SerializeToString(&out);
    benchmark::DoNotOptimize(out.data());
  }
  report(state, out.size());
}

// ---- end to end: the batch processor and an OTLP exporter, to a receiver on loopback.

double cpu_seconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Produces `rate` spans per second for `seconds` from one thread, paced in 1 ms steps, through
// a batch processor (queue 16384, batches of 512) and the exporter for `protocol`.
void sustained(benchmark::State& state, OtlpProtocol protocol, double seconds) {
  const int rate = 100000;
  std::unique_ptr<testing::GrpcReceiver> grpc_rx;
  std::unique_ptr<testing::HttpReceiver> http_rx;
  OtlpConfig c;
  c.protocol = protocol;
  if (protocol == OtlpProtocol::kGrpc) {
    grpc_rx = std::make_unique<testing::GrpcReceiver>(
        testing::GrpcReceiver::Options{.keep_requests = false});
    c.endpoint = grpc_rx->endpoint();
  } else {
    http_rx = std::make_unique<testing::HttpReceiver>(
        testing::HttpReceiver::Options{.keep_requests = false});
    c.endpoint = http_rx->url();
  }
  auto accepted = [&] { return grpc_rx ? grpc_rx->spans_accepted() : http_rx->spans_accepted(); };

  for (auto _ : state) {
    const size_t before = accepted();
    BatchOptions bo;
    bo.max_queue_size = 16384;
    bo.max_export_batch_size = 512;
    bo.schedule_delay = 100ms;
    TracerProviderOptions o;
    auto exporter = otlp::make_exporter(c);
    if (!exporter) {
      state.SkipWithError(exporter.error().message.c_str());
      return;
    }
    o.processors.push_back(std::make_unique<BatchSpanProcessor>(std::move(*exporter), bo));
    TracerProvider provider(std::move(o));
    Tracer& tracer = provider.get_tracer("bench", "1.0");

    const double cpu0 = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID);
    const double app0 = cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
    const auto start = std::chrono::steady_clock::now();
    const int64_t total = static_cast<int64_t>(rate * seconds);
    const int per_ms = rate / 1000;
    int64_t made = 0;
    for (int64_t tick = 0; made < total; ++tick) {
      for (int i = 0; i < per_ms && made < total; ++i, ++made)
        make_span(tracer, static_cast<int>(made));
      std::this_thread::sleep_until(start + std::chrono::milliseconds(tick + 1));
    }
    const double app_cpu = cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - app0;
    provider.force_flush(30s);
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double cpu = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
    TracerStats st = provider.stats();
    provider.shutdown(10s);

    const double got = static_cast<double>(accepted() - before);
    state.counters["spans_per_s"] = got / wall;
    state.counters["lost"] = static_cast<double>(total) - got;
    state.counters["dropped"] = static_cast<double>(st.spans_dropped);
    state.counters["app_cpu_ns_per_span"] = app_cpu * 1e9 / static_cast<double>(total);
    // Everything in this process: the application thread, the exporter and the receiver.
    state.counters["cpu_ns_per_span_with_receiver"] = cpu * 1e9 / static_cast<double>(total);
    state.SetIterationTime(wall);
  }
}

void BM_OtlpExportSustained_grpc(benchmark::State& state) {
  sustained(state, OtlpProtocol::kGrpc, 10.0);
}
void BM_OtlpExportSustained_http_protobuf(benchmark::State& state) {
  sustained(state, OtlpProtocol::kHttpProtobuf, 3.0);
}

}  // namespace
}  // namespace tracekit

BENCHMARK(tracekit::BM_OtlpEncode_protobuf)->Name("BM_OtlpEncode/protobuf");
BENCHMARK(tracekit::BM_OtlpEncode_libprotobuf_arena)->Name("BM_OtlpEncode/libprotobuf_arena");
BENCHMARK(tracekit::BM_OtlpEncode_json)->Name("BM_OtlpEncode/json");
BENCHMARK(tracekit::BM_OtlpEncodeFromOtherCore)->Name("BM_OtlpEncode/protobuf_from_other_core");
BENCHMARK(tracekit::BM_OtlpExportSustained_grpc)
    ->Name("BM_OtlpExportSustained/grpc/rate:100000/seconds:10")
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kSecond);
BENCHMARK(tracekit::BM_OtlpExportSustained_http_protobuf)
    ->Name("BM_OtlpExportSustained/http_protobuf/rate:100000/seconds:3")
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kSecond);

BENCHMARK_MAIN();
