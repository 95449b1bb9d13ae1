// SPDX-License-Identifier: Apache-2.0
// The batch span processor: ending a span puts it on a bounded lock-free queue and returns;
// one worker thread exports batches. A full queue drops the span and counts it.
#pragma once

#include <chrono>
#include <memory>
#include <thread>

#include "tracekit/span_processor.h"

namespace tracekit {

struct BatchOptions {
  // OTEL_BSP_MAX_QUEUE_SIZE. Four times the specification's 2,048: on a 2-vCPU machine the
  // worker, woken while producers hold both cores, waited up to 1.5 ms on the waker's core and
  // now and then 3 ms, long enough for two threads at 1 M spans/s each to fill 2,048 slots
  // (0.6-1.2 % dropped in quiet runs; at 8,192, nothing in 8 of 9). At most 8 MiB of records
  // wait (a record is a 1 KiB block), besides the batch being exported.
  size_t max_queue_size = 8192;
  // OTEL_BSP_MAX_EXPORT_BATCH_SIZE. Four times the specification's 512: each export call costs
  // the worker a wake-up, a gRPC call and a wait for its answer, ~0.2 µs a span at 512 under
  // load (docs/benchmarks-notes.md). A request too large for the receiver (4 MiB for gRPC
  // servers by default) is split by the OTLP exporter (otlp::ExporterOptions).
  size_t max_export_batch_size = 2048;
  std::chrono::milliseconds schedule_delay{5000};   // OTEL_BSP_SCHEDULE_DELAY
  std::chrono::milliseconds export_timeout{30000};  // OTEL_BSP_EXPORT_TIMEOUT
  // At most one warning about dropped spans or failed exports per interval.
  std::chrono::milliseconds warning_interval{10000};
};

class BatchSpanProcessor final : public SpanProcessor {
 public:
  explicit BatchSpanProcessor(std::unique_ptr<SpanExporter> exporter, BatchOptions options = {});
  ~BatchSpanProcessor() override;  // shuts down (export_timeout bound) if not done yet

  void on_end(SpanDataPtr span) noexcept override;
  // Exports every span queued before the call; false if that did not finish within `timeout`.
  bool force_flush(std::chrono::milliseconds timeout) noexcept override;
  // Exports what is queued, shuts the exporter down and stops the worker, all within `timeout`.
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;
  void add_stats(TracerStats& stats) const noexcept override;

  const BatchOptions& options() const noexcept;

 private:
  struct Shared;
  std::shared_ptr<Shared> shared_;
  std::thread worker_;
};

}  // namespace tracekit
