// SPDX-License-Identifier: Apache-2.0
#include "tracekit/batch_span_processor.h"

#include "batch_worker.h"
#include "thread_registry.h"

namespace tracekit {
namespace {

// What the batching worker (batch_worker.h) needs to know about spans.
struct SpanBatchPolicy {
  using Options = BatchOptions;
  using Exporter = SpanExporter;
  using Queued = const SpanData;
  using Owned = SpanDataPtr;
  // Span records freed while exporting go home to their threads' caches in chunks.
  using DrainScope = detail::RecordCache::ReturnBatch;
  static constexpr std::string_view kProcessor = "batch span processor";
  static constexpr std::string_view kItems = "spans";
  static constexpr std::string_view kExport = "span export";
  static constexpr const char* kThreadName = "tk-batch";
  // The OTLP encoders' grouping asks for each record's first line a few spans ahead
  // (span_grouping.h); asking for all of them as they are taken stalled the worker instead.
  static constexpr bool kPrefetchOnTake = false;

  static Queued* detach(Owned span) noexcept { return span.detach(); }
  static Owned adopt(Queued* raw) noexcept { return SpanDataPtr::adopt(raw); }
  static ExportResult export_batch(Exporter& exporter, std::span<const Owned> spans,
                                   Deadline deadline) noexcept {
    return exporter.export_spans(spans, deadline);
  }
  static void force_flush(Exporter& exporter, std::chrono::milliseconds timeout) noexcept {
    exporter.force_flush(timeout);
  }
};

}  // namespace

struct BatchSpanProcessor::Shared : detail::BatchWorker<SpanBatchPolicy> {
  using BatchWorker::BatchWorker;
};

BatchSpanProcessor::BatchSpanProcessor(std::unique_ptr<SpanExporter> exporter, BatchOptions options)
    : shared_(std::make_shared<Shared>(std::move(exporter), options)),
      worker_(Shared::start(shared_)) {}

BatchSpanProcessor::~BatchSpanProcessor() {
  shutdown(shared_->options().export_timeout);
  if (worker_.joinable()) worker_.detach();
}

const BatchOptions& BatchSpanProcessor::options() const noexcept {
  return shared_->options();
}

void BatchSpanProcessor::on_end(SpanDataPtr span) noexcept {
  if (!span->context().is_sampled()) return;  // recorded but not sampled: never exported
  shared_->enqueue(std::move(span));
}

bool BatchSpanProcessor::force_flush(std::chrono::milliseconds timeout) noexcept {
  return shared_->force_flush(timeout);
}

bool BatchSpanProcessor::shutdown(std::chrono::milliseconds timeout) noexcept {
  return shared_->shutdown(worker_, timeout);
}

void BatchSpanProcessor::add_stats(TracerStats& st) const noexcept {
  const detail::BatchCounters c = shared_->counters();
  st.spans_exported += c.exported;
  st.spans_dropped_queue_full += c.dropped_queue_full;
  st.spans_dropped_export_failed += c.export_failed;
  st.spans_rejected += c.rejected;
  st.spans_dropped += c.dropped();
  st.export_failures += c.export_failures;
  st.export_calls += c.export_calls;
}

}  // namespace tracekit
