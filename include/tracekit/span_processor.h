// SPDX-License-Identifier: Apache-2.0
// Span processors receive spans as they start and end, and hand them to exporters.
#pragma once

#include <chrono>
#include <memory>

#include "tracekit/exporter.h"
#include "tracekit/span_data.h"
#include "tracekit/stats.h"

namespace tracekit {

class SpanProcessor {
 public:
  virtual ~SpanProcessor() = default;
  // Only called when wants_on_start() is true, on the thread that starts the span.
  virtual void on_start(const SpanData& /*span*/) noexcept {}
  virtual bool wants_on_start() const noexcept { return false; }
  // Called on the thread that ends the span; must not block.
  virtual void on_end(SpanDataPtr span) noexcept = 0;
  virtual bool force_flush(std::chrono::milliseconds timeout) noexcept = 0;
  virtual bool shutdown(std::chrono::milliseconds timeout) noexcept = 0;
  // Adds this processor's counts (exported, dropped, failures) to `stats`.
  virtual void add_stats(TracerStats& /*stats*/) const noexcept {}
};

// Exports each span as it ends, on the caller's thread, one call at a time. For tests and
// debugging; use the batch processor in services.
class SimpleSpanProcessor final : public SpanProcessor {
 public:
  explicit SimpleSpanProcessor(std::unique_ptr<SpanExporter> exporter,
                               std::chrono::milliseconds export_timeout = std::chrono::seconds(30));
  ~SimpleSpanProcessor() override;
  void on_end(SpanDataPtr span) noexcept override;
  bool force_flush(std::chrono::milliseconds timeout) noexcept override;
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;
  void add_stats(TracerStats& stats) const noexcept override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tracekit
