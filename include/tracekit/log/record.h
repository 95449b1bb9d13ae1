// SPDX-License-Identifier: Apache-2.0
// Log records for export (OTLP logs): what Logger::log hands over besides its JSON line, the
// exporter interface, and the batch processor that carries records to an exporter on its own
// thread. This layer knows nothing of protobuf; tracekit::otlp implements the OTLP exporter.
//
//   log::set_record_processor(std::make_shared<log::BatchLogRecordProcessor>(std::move(exporter)));
//
// after which every enabled log call also queues one record: time, severity, the event as the
// body, the fields (and correlation_id) as attributes, trace_id/span_id/flags of the current
// span, and the logger's name as the instrumentation scope. Queuing never blocks: a full queue
// drops the record and counts it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "tracekit/exporter.h"
#include "tracekit/ids.h"
#include "tracekit/log/logger.h"
#include "tracekit/resource.h"

namespace tracekit::log {

class LogRecord;
struct LogRecordDeleter {
  void operator()(const LogRecord* record) const noexcept;
};
using LogRecordPtr = std::unique_ptr<const LogRecord, LogRecordDeleter>;

// One log call, owned: a single allocation holds the record, its attributes and every string
// they refer to.
class LogRecord {
 public:
  // Copies everything it is given (the views may die after the call). `correlation_id`, when
  // not empty, is added as the attribute "correlation_id". Throws std::bad_alloc.
  static LogRecordPtr make(uint64_t time_ns, Level level, std::string_view logger,
                           std::string_view event, std::span<const Field> fields, TraceId trace_id,
                           SpanId span_id, TraceFlags flags, std::string_view correlation_id);

  uint64_t time_ns() const noexcept { return time_ns_; }
  uint64_t observed_time_ns() const noexcept { return time_ns_; }  // the SDK sees it at once
  Level level() const noexcept { return level_; }
  std::string_view logger() const noexcept { return logger_; }
  std::string_view body() const noexcept { return body_; }
  std::span<const Field> attributes() const noexcept { return {fields_, field_count_}; }
  // Invalid (all zero) when no span was current.
  const TraceId& trace_id() const noexcept { return trace_id_; }
  const SpanId& span_id() const noexcept { return span_id_; }
  TraceFlags flags() const noexcept { return flags_; }

 private:
  LogRecord() = default;
  uint64_t time_ns_ = 0;
  TraceId trace_id_;
  SpanId span_id_;
  TraceFlags flags_;
  Level level_ = Level::kInfo;
  uint32_t field_count_ = 0;
  std::string_view logger_, body_;
  const Field* fields_ = nullptr;
};

// OpenTelemetry's SeverityNumber for a level: DEBUG 5, INFO 9, WARN 13, ERROR 17.
int severity_number(Level level) noexcept;
// The SeverityText OpenTelemetry uses: "DEBUG", "INFO", "WARN", "ERROR".
std::string_view severity_text(Level level) noexcept;

// Sends batches of records somewhere. Called from one thread at a time; must return by
// `deadline`, whatever the far end does. ExportResult::rejected_spans counts rejected records.
class LogRecordExporter {
 public:
  virtual ~LogRecordExporter() = default;
  virtual ExportResult export_records(std::span<const LogRecordPtr> records,
                                      Deadline deadline) noexcept = 0;
  virtual bool shutdown(std::chrono::milliseconds timeout) noexcept = 0;
  // As SpanExporter::cancel(): from another thread, ends an export in flight; default nothing.
  virtual void cancel() noexcept {}
};

// What became of the records handed over (for /metrics).
struct LogExportStats {
  uint64_t records_emitted = 0;   // handed to the processor
  uint64_t records_exported = 0;  // accepted by the exporter
  // Lost for any reason; the fields below break it down.
  uint64_t records_dropped = 0;
  uint64_t records_dropped_queue_full = 0;
  uint64_t records_dropped_export_failed = 0;
  uint64_t records_rejected = 0;  // OTLP partial_success
  uint64_t export_failures = 0;
  uint64_t export_calls = 0;
};

class LogRecordProcessor {
 public:
  virtual ~LogRecordProcessor() = default;
  // From any thread, never blocking.
  virtual void on_emit(LogRecordPtr record) noexcept = 0;
  virtual bool force_flush(std::chrono::milliseconds timeout) noexcept = 0;
  virtual bool shutdown(std::chrono::milliseconds timeout) noexcept = 0;
  virtual void add_stats(LogExportStats& stats) const noexcept = 0;
};

// OTEL_BLRP_*: the specification's defaults (a 1 s schedule delay, unlike spans' 5 s).
struct LogBatchOptions {
  size_t max_queue_size = 2048;                     // OTEL_BLRP_MAX_QUEUE_SIZE
  size_t max_export_batch_size = 512;               // OTEL_BLRP_MAX_EXPORT_BATCH_SIZE
  std::chrono::milliseconds schedule_delay{1000};   // OTEL_BLRP_SCHEDULE_DELAY
  std::chrono::milliseconds export_timeout{30000};  // OTEL_BLRP_EXPORT_TIMEOUT
  // At most one warning about dropped records or failed exports per interval.
  std::chrono::milliseconds warning_interval{10000};
};

// A bounded lock-free queue (one ring per producing thread) and one worker thread that exports
// batches, as BatchSpanProcessor does for spans.
class BatchLogRecordProcessor final : public LogRecordProcessor {
 public:
  explicit BatchLogRecordProcessor(std::unique_ptr<LogRecordExporter> exporter,
                                   LogBatchOptions options = {});
  ~BatchLogRecordProcessor() override;  // shuts down (export_timeout bound) if not done yet

  void on_emit(LogRecordPtr record) noexcept override;
  bool force_flush(std::chrono::milliseconds timeout) noexcept override;
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;
  void add_stats(LogExportStats& stats) const noexcept override;

  struct Shared;

 private:
  std::shared_ptr<Shared> shared_;
  std::thread worker_;
};

// The process-wide processor: null (the default) means records are not made at all. Safe to
// change at any time; the previous processor is not shut down (its owner does that).
void set_record_processor(std::shared_ptr<LogRecordProcessor> processor);
std::shared_ptr<LogRecordProcessor> record_processor();
// The global processor's counters (all zero without one).
LogExportStats record_stats() noexcept;

// Appends one OTLP/JSON ExportLogsServiceRequest object for `records` (no newline): one
// resource, one scope per logger name in order of first appearance, records in their order.
void encode_json_request(std::span<const LogRecordPtr> records, const Resource& resource,
                         std::string& out);

// Writes each batch as one OTLP/JSON ExportLogsServiceRequest line to standard output
// (OTEL_LOGS_EXPORTER=console).
std::unique_ptr<LogRecordExporter> console_log_exporter(Resource resource);

}  // namespace tracekit::log
