// SPDX-License-Identifier: Apache-2.0
// The batch log record processor: a log call puts its record on the bounded lock-free queue the
// span processor uses (one ring per producing thread, src/core/producer_rings.h) and returns;
// one worker thread exports batches. A full queue drops the record and counts it.
#include "batch_worker.h"
#include "tracekit/log/record.h"

namespace tracekit::log {
namespace {

// What the batching worker (src/core/batch_worker.h) needs to know about log records.
struct LogBatchPolicy {
  using Options = LogBatchOptions;
  using Exporter = LogRecordExporter;
  using Queued = void;  // the core library, which instantiates the queue, knows no LogRecord
  using Owned = LogRecordPtr;
  struct DrainScope {};  // records are freed straight to the allocator
  static constexpr std::string_view kProcessor = "batch log record processor";
  static constexpr std::string_view kItems = "log records";
  static constexpr std::string_view kExport = "log export";
  static constexpr const char* kThreadName = "tk-log-batch";
  static constexpr bool kPrefetchOnTake = true;

  static Queued* detach(Owned record) noexcept { return const_cast<LogRecord*>(record.release()); }
  static Owned adopt(Queued* raw) noexcept { return Owned(static_cast<const LogRecord*>(raw)); }
  static ExportResult export_batch(Exporter& exporter, std::span<const Owned> records,
                                   Deadline deadline) noexcept {
    return exporter.export_records(records, deadline);
  }
  static void force_flush(Exporter&, std::chrono::milliseconds) noexcept {}  // no such call
};

}  // namespace

struct BatchLogRecordProcessor::Shared : tracekit::detail::BatchWorker<LogBatchPolicy> {
  using BatchWorker::BatchWorker;
  tracekit::detail::ShardedCounter emitted;  // every record handed over, kept or not
};

BatchLogRecordProcessor::BatchLogRecordProcessor(std::unique_ptr<LogRecordExporter> exporter,
                                                 LogBatchOptions options)
    : shared_(std::make_shared<Shared>(std::move(exporter), options)),
      worker_(Shared::start(shared_)) {}

BatchLogRecordProcessor::~BatchLogRecordProcessor() {
  shutdown(shared_->options().export_timeout);
  if (worker_.joinable()) worker_.detach();
}

void BatchLogRecordProcessor::on_emit(LogRecordPtr record) noexcept {
  shared_->emitted.add();
  shared_->enqueue(std::move(record));
}

bool BatchLogRecordProcessor::force_flush(std::chrono::milliseconds timeout) noexcept {
  return shared_->force_flush(timeout);
}

bool BatchLogRecordProcessor::shutdown(std::chrono::milliseconds timeout) noexcept {
  return shared_->shutdown(worker_, timeout);
}

void BatchLogRecordProcessor::add_stats(LogExportStats& st) const noexcept {
  const tracekit::detail::BatchCounters c = shared_->counters();
  st.records_emitted += shared_->emitted.load();
  st.records_exported += c.exported;
  st.records_dropped_queue_full += c.dropped_queue_full;
  st.records_dropped_export_failed += c.export_failed;
  st.records_rejected += c.rejected;
  st.records_dropped += c.dropped();
  st.export_failures += c.export_failures;
  st.export_calls += c.export_calls;
}

}  // namespace tracekit::log
