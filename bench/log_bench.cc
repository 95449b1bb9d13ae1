// The logging thread's cost of one correlated log line: written to standard error only (what
// tracekit::log did before OTLP logs), and with OTLP log export on as well (the record queued for
// a batch processor whose OTLP/gRPC exporter sends to a receiver in this process). Issue 14's
// goal: export on costs at most 1.5x the stderr-only line, both measured in the same run.
// scripts/bench.sh sends this binary's standard error to a file, as a service's would go.
#include <benchmark/benchmark.h>

#include "receivers.h"
#include "tracekit/log/logger.h"
#include "tracekit/log/record.h"
#include "tracekit/otlp/log_exporter.h"
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

void log_lines(benchmark::State& state) {
  TracerProviderOptions o;
  o.processors.push_back(
      std::make_unique<BatchSpanProcessor>(std::make_unique<NullExporter>(), BatchOptions{}));
  TracerProvider provider(std::move(o));
  log::Logger logger("skriptoteket.web");
  auto span = provider.get_tracer("bench").start_as_current_span("op");
  const std::string corr = "550e8400-e29b-41d4-a716-446655440000";
  log::CorrelationScope scope(corr);
  for (auto _ : state) {
    logger.info("tool.executed",
                {{"tool_id", "t-42"}, {"duration_ms", 12.5}, {"ok", true}, {"runs", 3}});
  }
}

void BM_LogLineStderrOnly(benchmark::State& state) {
  log::set_sink(log::stderr_sink());
  log_lines(state);
  log::set_sink(nullptr);
}
BENCHMARK(BM_LogLineStderrOnly);

void BM_LogLineStderrAndOtlp(benchmark::State& state) {
  testing::GrpcReceiver::Options ro;
  ro.keep_requests = false;
  testing::GrpcReceiver receiver(ro);
  OtlpConfig c;
  c.protocol = OtlpProtocol::kGrpc;
  c.endpoint = receiver.endpoint();
  OwnedAttributes attrs;
  attrs.set("service.name", "bench");
  auto exporter = otlp::OtlpLogExporter::create(c, Resource(std::move(attrs)));
  if (!exporter) {
    state.SkipWithError(exporter.error().message.c_str());
    return;
  }
  log::LogBatchOptions batch;
  batch.schedule_delay = std::chrono::milliseconds(200);
  auto processor = std::make_shared<log::BatchLogRecordProcessor>(std::move(*exporter), batch);
  log::set_sink(log::stderr_sink());
  log::set_record_processor(processor);
  log_lines(state);
  log::set_record_processor(nullptr);
  log::set_sink(nullptr);
  processor->shutdown(std::chrono::seconds(10));
  log::LogExportStats st;
  processor->add_stats(st);
  // Records the queue had no room for (the loop logs far faster than a service does).
  state.counters["dropped_pct"] = st.records_emitted
                                      ? 100.0 * static_cast<double>(st.records_dropped_queue_full) /
                                            static_cast<double>(st.records_emitted)
                                      : 0.0;
}
BENCHMARK(BM_LogLineStderrAndOtlp);

}  // namespace
}  // namespace tracekit

BENCHMARK_MAIN();
