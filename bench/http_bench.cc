// SPDX-License-Identifier: Apache-2.0
// The per-request cost of tracing in the HTTP middleware, without sockets: what
// tracing_middleware and a handler do for one request (BM_MiddlewarePath), and one correlated
// JSON log line. The whole server under load is measured by scripts/load.sh.
#include <benchmark/benchmark.h>

#include <boost/beast/http/fields.hpp>

#include "tracekit/http/message.h"
#include "tracekit/log/logger.h"
#include "tracekit/tracekit.h"

namespace tracekit {
namespace {

class NullExporter final : public SpanExporter {
 public:
  ExportResult export_spans(std::span<const SpanDataPtr>, Deadline) noexcept override {
    return ExportResult::success();
  }
  bool shutdown(std::chrono::milliseconds) noexcept override { return true; }
};

std::unique_ptr<TracerProvider> make_provider() {
  TracerProviderOptions o;
  o.processors.push_back(
      std::make_unique<BatchSpanProcessor>(std::make_unique<NullExporter>(), BatchOptions{}));
  return std::make_unique<TracerProvider>(std::move(o));
}

// Extract traceparent from the request headers, start the SERVER span with the request
// attributes, make it current, set six attributes in all (method, route, url at start; status
// and two business attributes later), start a child span, inject into outgoing headers, end
// both. The reference C++ SDK takes 1,740 ns for this path on this machine.
void BM_MiddlewarePath(benchmark::State& state) {
  auto provider = make_provider();
  Tracer& tracer = provider->get_tracer("tracekit.http");
  auto propagator = propagation::from_names(std::vector<std::string>{"tracecontext", "baggage"});
  const propagation::TextMapPropagator& prop = **propagator;
  boost::beast::http::fields incoming;
  incoming.set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  incoming.set("host", "127.0.0.1:8080");
  boost::beast::http::fields outgoing;
  const std::string url = "http://127.0.0.1:8080/tools/42";
  for (auto _ : state) {
    const Context parent = prop.extract(http::FieldsGetter(incoming), Context());
    Span server = tracer.start_span(
        "GET /tools/{id}",
        SpanOptions{.kind = SpanKind::kServer,
                    .parent = Parent(parent),
                    .attributes = {
                        {"http.method", "GET"}, {"http.route", "/tools/{id}"}, {"http.url", url}}});
    {
      Scope scope(parent.with_span(server));
      server.set_attribute("tool.id", "42");
      {
        Span child = tracer.start_span("execute_tool_version");
        child.set_attribute("run.id", "r-1");
        http::FieldsSetter setter(outgoing);
        prop.inject(setter, Context::current().with_span(child));
        child.end();
      }
      server.set_attribute("http.status_code", int64_t{200});
    }
    server.end();
    benchmark::DoNotOptimize(outgoing);
  }
}
BENCHMARK(BM_MiddlewarePath);

// One log line with four fields, trace ids and a correlation id, into a sink that drops it.
class NullSink final : public log::Sink {
 public:
  void write(std::string_view line) noexcept override { benchmark::DoNotOptimize(line.data()); }
};

void BM_LogLine(benchmark::State& state) {
  auto provider = make_provider();
  Tracer& tracer = provider->get_tracer("bench");
  log::set_sink(std::make_shared<NullSink>());
  log::Logger logger("skriptoteket.web");
  auto span = tracer.start_as_current_span("op");
  const std::string corr = "550e8400-e29b-41d4-a716-446655440000";
  log::CorrelationScope scope(corr);
  for (auto _ : state) {
    logger.info("tool.executed",
                {{"tool_id", "t-42"}, {"duration_ms", 12.5}, {"ok", true}, {"runs", 3}});
  }
  log::set_sink(nullptr);
}
BENCHMARK(BM_LogLine);

}  // namespace
}  // namespace tracekit

BENCHMARK_MAIN();
