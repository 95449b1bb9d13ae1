// SPDX-License-Identifier: Apache-2.0
// tracekit-collector: ingest into SQLite (the writer thread's rate, and OTLP decoding before
// it), query of one 1,000-span trace, and a search, on a real file in the temp directory; the
// same for log records (ingest, a trace's 1,000 logs).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <random>
#include <thread>

#include "otlp_decode.h"
#include "query_api.h"
#include "span_store.h"

namespace tracekit::collector {
namespace {

using namespace std::chrono_literals;

std::string random_hex(std::mt19937_64& rng, size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(bytes * 2, '0');
  for (size_t i = 0; i < out.size(); i += 16) {
    uint64_t r = rng();
    for (size_t j = i; j < std::min(out.size(), i + 16); ++j, r >>= 4)
      out[j] = kHex[r & 15];
  }
  return out;
}

// A span like the reference service's: a few HTTP attributes, one event, a small resource.
StoredSpan realistic_span(std::mt19937_64& rng, const std::string& trace_id,
                          const std::string& parent, int64_t start_ns, int i) {
  StoredSpan s;
  s.trace_id = trace_id;
  s.span_id = random_hex(rng, 8);
  s.parent_span_id = parent;
  s.service = i % 3 == 0 ? "skriptoteket" : "runner";
  s.name = i % 3 == 0 ? "GET /tools/{id}" : "execute_tool_version";
  s.kind = 2;
  s.start_ns = start_ns;
  s.end_ns = start_ns + 1'000'000 + i;
  s.attributes_json =
      R"([{"key":"http.method","value":{"stringValue":"GET"}},{"key":"http.route","value":{"stringValue":"/tools/{id}"}},{"key":"http.status_code","value":{"intValue":"200"}},{"key":"tool.id","value":{"stringValue":"6f1c2a4e-9b1d-4c55-8f0e-2b7d0c3a9e11"}}])";
  s.events_json =
      R"([{"timeUnixNano":"1700000000001000000","name":"container_started","attributes":[{"key":"container_id","value":{"stringValue":"3f2a9c"}}],"droppedAttributesCount":0}])";
  s.scope_json =
      R"({"name":"tracekit","version":"0.1.0","attributes":[],"droppedAttributesCount":0,"schemaUrl":""})";
  s.resource_json =
      R"({"attributes":[{"key":"service.name","value":{"stringValue":"skriptoteket"}},{"key":"service.version","value":{"stringValue":"1.0.0"}},{"key":"deployment.environment","value":{"stringValue":"dev"}}],"droppedAttributesCount":0,"schemaUrl":""})";
  return s;
}

// Traces of 10 spans each.
std::vector<StoredSpan> make_spans(std::mt19937_64& rng, size_t n, int64_t start_ns) {
  std::vector<StoredSpan> spans;
  spans.reserve(n);
  std::string trace_id, root;
  for (size_t i = 0; i < n; ++i) {
    if (i % 10 == 0) {
      trace_id = random_hex(rng, 16);
      root.clear();
    }
    spans.push_back(realistic_span(rng, trace_id, root, start_ns + static_cast<int64_t>(i) * 1000,
                                   static_cast<int>(i)));
    if (root.empty()) root = spans.back().span_id;
  }
  return spans;
}

// CPU time of the whole process (every thread: clients, writer, SQLite, the kernel on their
// behalf), in seconds. On a shared machine the wall rate depends on what else runs; the CPU
// time per item does much less.
double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct TempFile {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("tracekit-collector-bench-" + std::to_string(::getpid()));
  TempFile() { std::filesystem::create_directories(dir); }
  ~TempFile() { std::filesystem::remove_all(dir); }
  std::string path() const { return (dir / "spans.db").string(); }
};

// Spans per second through submit() and the writer thread into SQLite (WAL, indexes), in
// batches of 512 as an exporter sends them; each iteration writes 50,000 spans and waits for
// the commit.
void BM_CollectorIngest(benchmark::State& state) {
  TempFile tmp;
  auto store = SpanStore::open({.path = tmp.path(), .max_age = 0s, .max_bytes = 0});
  if (!store) {
    state.SkipWithError(store.error().message.c_str());
    return;
  }
  std::mt19937_64 rng(42);
  constexpr size_t kPerIteration = 50'000, kBatch = 512;
  int64_t start = 1'700'000'000'000'000'000;
  double cpu_seconds = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<std::vector<StoredSpan>> batches;
    auto spans = make_spans(rng, kPerIteration, start);
    start += 1'000'000'000;
    for (size_t i = 0; i < spans.size(); i += kBatch) {
      batches.emplace_back(std::make_move_iterator(spans.begin() + static_cast<long>(i)),
                           std::make_move_iterator(spans.begin() + static_cast<long>(std::min(
                                                                       spans.size(), i + kBatch))));
    }
    const double cpu_before = process_cpu_seconds();
    state.ResumeTiming();
    for (auto& b : batches) {
      while (!(*store)->submit(std::move(b)))
        std::this_thread::yield();
    }
    (*store)->flush(60s);
    cpu_seconds += process_cpu_seconds() - cpu_before;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kPerIteration));
  state.counters["cpu_us_per_span"] =
      cpu_seconds * 1e6 / static_cast<double>(state.iterations() * kPerIteration);
  state.counters["db_mb"] = static_cast<double>(std::filesystem::file_size(tmp.path())) / 1e6;
}
BENCHMARK(BM_CollectorIngest)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(4);

// The same with each batch acknowledged only once committed, as the receivers now answer:
// 16 clients (the exporters' concurrent requests) each submit a batch of 512 and wait for its
// commit before sending the next; the writer commits whatever has queued in one transaction.
void BM_CollectorIngestAcknowledged(benchmark::State& state) {
  TempFile tmp;
  auto store = SpanStore::open({.path = tmp.path(), .max_age = 0s, .max_bytes = 0});
  if (!store) {
    state.SkipWithError(store.error().message.c_str());
    return;
  }
  std::mt19937_64 rng(43);
  constexpr size_t kPerIteration = 50'000, kBatch = 512, kClients = 16;
  int64_t start = 1'700'000'000'000'000'000;
  double cpu_seconds = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<std::vector<std::vector<StoredSpan>>> per_client(kClients);
    auto spans = make_spans(rng, kPerIteration, start);
    start += 1'000'000'000;
    for (size_t i = 0, n = 0; i < spans.size(); i += kBatch, ++n) {
      per_client[n % kClients].emplace_back(
          std::make_move_iterator(spans.begin() + static_cast<long>(i)),
          std::make_move_iterator(spans.begin() +
                                  static_cast<long>(std::min(spans.size(), i + kBatch))));
    }
    const double cpu_before = process_cpu_seconds();
    state.ResumeTiming();
    std::vector<std::thread> clients;
    for (auto& batches : per_client) {
      clients.emplace_back([&store, &batches] {
        for (auto& b : batches) {
          while ((*store)->submit_and_wait(std::move(b), 60s) == WriteOutcome::kRefused)
            std::this_thread::yield();
        }
      });
    }
    for (auto& t : clients)
      t.join();
    cpu_seconds += process_cpu_seconds() - cpu_before;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kPerIteration));
  state.counters["cpu_us_per_span"] =
      cpu_seconds * 1e6 / static_cast<double>(state.iterations() * kPerIteration);
}
BENCHMARK(BM_CollectorIngestAcknowledged)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(4);

// OTLP protobuf decoding into StoredSpans (the receive path's CPU before the queue), per span.
void BM_CollectorDecodeProtobuf(benchmark::State& state) {
  otlpv1::ExportTraceServiceRequest request;
  auto* ss = request.add_resource_spans();
  auto* kv = ss->mutable_resource()->add_attributes();
  kv->set_key("service.name");
  kv->mutable_value()->set_string_value("skriptoteket");
  auto* scope = ss->add_scope_spans();
  std::mt19937_64 rng(1);
  for (int i = 0; i < 512; ++i) {
    auto* span = scope->add_spans();
    span->set_trace_id(std::string(16, static_cast<char>(i)));
    span->set_span_id(std::to_string(10'000'000 + i).substr(0, 8));
    span->set_name("GET /tools/{id}");
    span->set_start_time_unix_nano(1'700'000'000'000'000'000ull + static_cast<uint64_t>(i));
    span->set_end_time_unix_nano(1'700'000'000'001'000'000ull + static_cast<uint64_t>(i));
    for (const char* key : {"http.method", "http.route", "tool.id"}) {
      auto* a = span->add_attributes();
      a->set_key(key);
      a->mutable_value()->set_string_value("value-" + std::to_string(i));
    }
    auto* code = span->add_attributes();
    code->set_key("http.status_code");
    code->mutable_value()->set_int_value(200);
    span->add_events()->set_name("container_started");
  }
  const std::string body = request.SerializeAsString();
  for (auto _ : state) {
    auto decoded = decode_protobuf(body);
    benchmark::DoNotOptimize(decoded);
  }
  state.SetItemsProcessed(state.iterations() * 512);
}
BENCHMARK(BM_CollectorDecodeProtobuf);

// One 1,000-span trace out of a store of 200,000 spans: SQLite query plus the API's JSON.
void BM_CollectorQueryTrace1000(benchmark::State& state) {
  TempFile tmp;
  auto store = SpanStore::open({.path = tmp.path(), .max_age = 0s, .max_bytes = 0});
  if (!store) {
    state.SkipWithError(store.error().message.c_str());
    return;
  }
  std::mt19937_64 rng(7);
  int64_t start = 1'700'000'000'000'000'000;
  for (int i = 0; i < 4; ++i) {
    auto spans = make_spans(rng, 50'000, start);
    while (!(*store)->submit(spans))
      std::this_thread::sleep_for(10ms);
    start += 1'000'000'000;
  }
  const std::string trace_id = random_hex(rng, 16);
  std::vector<StoredSpan> big;
  std::string root;
  for (int i = 0; i < 1000; ++i) {
    big.push_back(realistic_span(rng, trace_id, root, start + i * 1000, i));
    if (root.empty()) root = big.back().span_id;
  }
  while (!(*store)->submit(big))
    std::this_thread::sleep_for(10ms);
  (*store)->flush(120s);
  size_t bytes = 0;
  for (auto _ : state) {
    Response r = handle_api("/api/traces/" + trace_id, **store);
    if (r.status != 200) state.SkipWithError("the trace was not found");
    bytes = r.body.size();
    benchmark::DoNotOptimize(r);
  }
  state.counters["json_kb"] = static_cast<double>(bytes) / 1e3;
}
BENCHMARK(BM_CollectorQueryTrace1000)->Unit(benchmark::kMillisecond)->UseRealTime();

// A search (service, last hour, limit 20) over 200,000 spans.
void BM_CollectorSearch(benchmark::State& state) {
  TempFile tmp;
  auto store = SpanStore::open({.path = tmp.path(), .max_age = 0s, .max_bytes = 0});
  if (!store) {
    state.SkipWithError(store.error().message.c_str());
    return;
  }
  std::mt19937_64 rng(9);
  const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  for (int i = 0; i < 4; ++i) {
    auto spans = make_spans(rng, 50'000, now_ns - 3'000'000'000'000 + i * 600'000'000'000LL);
    while (!(*store)->submit(spans))
      std::this_thread::sleep_for(10ms);
  }
  (*store)->flush(120s);
  for (auto _ : state) {
    Response r = handle_api("/api/traces?service=runner&lookback=1h&limit=20", **store);
    if (r.status != 200) state.SkipWithError(r.body.c_str());
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_CollectorSearch)->Unit(benchmark::kMillisecond)->UseRealTime();

// ---- the system pages: dependencies and operation statistics ----

// One store shared by the benchmarks below: 1,000,000 spans (traces of 10 across two services,
// 1 % errors) spread evenly over the last 24 hours, so the last hour holds ~42,000 of them.
// Built once (about 15 s of ingest), on first use.
SpanStore& million_span_store() {
  static TempFile tmp;
  static std::unique_ptr<SpanStore> store = [] {
    auto s = SpanStore::open({.path = tmp.path(), .max_age = 0s, .max_bytes = 0});
    if (!s) {
      std::fprintf(stderr, "%s\n", s.error().message.c_str());
      std::abort();
    }
    std::mt19937_64 rng(11);
    constexpr int64_t kSpans = 1'000'000, kDay = 86'400'000'000'000;
    const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    std::string trace_id, root;
    std::vector<StoredSpan> batch;
    for (int64_t i = 0; i < kSpans; ++i) {
      if (i % 10 == 0) {
        trace_id = random_hex(rng, 16);
        root.clear();
      }
      const int64_t start = now_ns - kDay + i * (kDay / kSpans);
      batch.push_back(realistic_span(rng, trace_id, root, start, static_cast<int>(i)));
      if (i % 100 == 7) batch.back().status_code = 2;
      if (root.empty()) root = batch.back().span_id;
      if (batch.size() == 20'000) {
        while (!(*s)->submit(batch))  // a copy: a refused submit() drops what it was given
          std::this_thread::sleep_for(10ms);
        batch.clear();
      }
    }
    (*s)->flush(600s);
    if (auto n = (*s)->span_count(); !n || *n != kSpans) {
      std::fprintf(stderr, "the store holds %lld spans, not %lld\n",
                   static_cast<long long>(n ? *n : -1), static_cast<long long>(kSpans));
      std::abort();
    }
    return std::move(*s);
  }();
  return *store;
}

// /api/dependencies over the last hour (Arg 1) or day (Arg 24: all 1,000,000 spans).
void BM_CollectorDependencies1M(benchmark::State& state) {
  SpanStore& store = million_span_store();
  const std::string target = "/api/dependencies?lookback=" + std::to_string(state.range(0)) + "h";
  for (auto _ : state) {
    Response r = handle_api(target, store);
    if (r.status != 200) state.SkipWithError(r.body.c_str());
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_CollectorDependencies1M)
    ->Arg(1)
    ->Arg(24)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// /api/operations/stats (every service) over the last hour or day, as the dependencies.
void BM_CollectorOperationStats1M(benchmark::State& state) {
  SpanStore& store = million_span_store();
  const std::string target =
      "/api/operations/stats?lookback=" + std::to_string(state.range(0)) + "h";
  for (auto _ : state) {
    Response r = handle_api(target, store);
    if (r.status != 200) state.SkipWithError(r.body.c_str());
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_CollectorOperationStats1M)
    ->Arg(1)
    ->Arg(24)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// ---- log records ----

// A log record like Skriptoteket's: a few fields, trace ids, a correlation id.
StoredLog realistic_log(std::mt19937_64& rng, const std::string& trace_id, int64_t time_ns, int i) {
  StoredLog l;
  l.trace_id = trace_id;
  l.span_id = random_hex(rng, 8);
  l.time_ns = l.observed_ns = time_ns;
  l.severity_number = i % 10 == 0 ? 17 : 9;
  l.severity_text = i % 10 == 0 ? "ERROR" : "INFO";
  l.body = i % 2 ? "tool.executed" : "runner.started";
  l.service = i % 3 == 0 ? "skriptoteket" : "runner";
  l.correlation_id = "550e8400-e29b-41d4-a716-" + random_hex(rng, 6);
  l.attributes_json =
      R"([{"key":"tool_id","value":{"stringValue":"6f1c2a4e-9b1d-4c55-8f0e-2b7d0c3a9e11"}},{"key":"duration_ms","value":{"doubleValue":12.5}},{"key":"ok","value":{"boolValue":true}},{"key":"correlation_id","value":{"stringValue":")" +
      l.correlation_id + R"("}}])";
  l.scope_json =
      R"({"name":"skriptoteket.web","version":"","attributes":[],"droppedAttributesCount":0,"schemaUrl":""})";
  l.resource_json =
      R"({"attributes":[{"key":"service.name","value":{"stringValue":"skriptoteket"}},{"key":"service.version","value":{"stringValue":"1.0.0"}},{"key":"deployment.environment","value":{"stringValue":"dev"}}],"droppedAttributesCount":0,"schemaUrl":""})";
  return l;
}

// Logs of traces of 20 records each.
std::vector<StoredLog> make_logs(std::mt19937_64& rng, size_t n, int64_t start_ns) {
  std::vector<StoredLog> logs;
  logs.reserve(n);
  std::string trace_id;
  for (size_t i = 0; i < n; ++i) {
    if (i % 20 == 0) trace_id = random_hex(rng, 16);
    logs.push_back(realistic_log(rng, trace_id, start_ns + static_cast<int64_t>(i) * 1000,
                                 static_cast<int>(i)));
  }
  return logs;
}

// Log records per second into SQLite, acknowledged after commit as the receivers answer: 16
// clients each submit a batch of 512 and wait for its commit; 50,000 records per iteration
// (goal: 50,000 records/s).
void BM_CollectorLogIngest(benchmark::State& state) {
  TempFile tmp;
  auto store = SpanStore::open({.path = tmp.path(), .max_age = 0s, .max_bytes = 0});
  if (!store) {
    state.SkipWithError(store.error().message.c_str());
    return;
  }
  std::mt19937_64 rng(44);
  constexpr size_t kPerIteration = 50'000, kBatch = 512, kClients = 16;
  int64_t start = 1'700'000'000'000'000'000;
  double cpu_seconds = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<std::vector<std::vector<StoredLog>>> per_client(kClients);
    auto logs = make_logs(rng, kPerIteration, start);
    start += 1'000'000'000;
    for (size_t i = 0, n = 0; i < logs.size(); i += kBatch, ++n) {
      per_client[n % kClients].emplace_back(
          std::make_move_iterator(logs.begin() + static_cast<long>(i)),
          std::make_move_iterator(logs.begin() +
                                  static_cast<long>(std::min(logs.size(), i + kBatch))));
    }
    const double cpu_before = process_cpu_seconds();
    state.ResumeTiming();
    std::vector<std::thread> clients;
    for (auto& batches : per_client) {
      clients.emplace_back([&store, &batches] {
        for (auto& b : batches) {
          while ((*store)->submit_logs_and_wait(std::move(b), 60s) == WriteOutcome::kRefused)
            std::this_thread::yield();
        }
      });
    }
    for (auto& t : clients)
      t.join();
    cpu_seconds += process_cpu_seconds() - cpu_before;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kPerIteration));
  state.counters["cpu_us_per_record"] =
      cpu_seconds * 1e6 / static_cast<double>(state.iterations() * kPerIteration);
}
BENCHMARK(BM_CollectorLogIngest)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(4);

// A trace's 1,000 log records through the API (/api/traces/{id}/logs), among 200,000 other
// records (goal: under 20 ms).
void BM_CollectorQueryTraceLogs1000(benchmark::State& state) {
  TempFile tmp;
  auto store = SpanStore::open({.path = tmp.path(), .max_age = 0s, .max_bytes = 0});
  if (!store) {
    state.SkipWithError(store.error().message.c_str());
    return;
  }
  std::mt19937_64 rng(8);
  int64_t start = 1'700'000'000'000'000'000;
  for (int i = 0; i < 4; ++i) {
    auto logs = make_logs(rng, 50'000, start);
    while (!(*store)->submit_logs(logs))
      std::this_thread::sleep_for(10ms);
    start += 1'000'000'000;
  }
  const std::string trace_id = random_hex(rng, 16);
  std::vector<StoredLog> big;
  for (int i = 0; i < 1000; ++i)
    big.push_back(realistic_log(rng, trace_id, start + i * 1000, i));
  while (!(*store)->submit_logs(big))
    std::this_thread::sleep_for(10ms);
  (*store)->flush(120s);
  size_t bytes = 0;
  for (auto _ : state) {
    Response r = handle_api("/api/traces/" + trace_id + "/logs", **store);
    if (r.status != 200) state.SkipWithError("the trace's logs were not found");
    bytes = r.body.size();
    benchmark::DoNotOptimize(r);
  }
  state.counters["json_kb"] = static_cast<double>(bytes) / 1e3;
}
BENCHMARK(BM_CollectorQueryTraceLogs1000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace tracekit::collector

BENCHMARK_MAIN();
