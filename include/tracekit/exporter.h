// SPDX-License-Identifier: Apache-2.0
// Span exporters send finished spans somewhere: memory, a console or file, an OTLP endpoint.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>

#include "tracekit/span_data.h"

namespace tracekit {

using Deadline = std::chrono::steady_clock::time_point;

struct ExportResult {
  enum class Code : uint8_t { kSuccess, kFailure };
  Code code = Code::kSuccess;
  // Spans the receiver refused although the call succeeded (OTLP partial_success).
  uint64_t rejected_spans = 0;
  std::string error;  // why it failed, for diagnostics

  static ExportResult success() { return {}; }
  static ExportResult failure(std::string why) { return {Code::kFailure, 0, std::move(why)}; }
  bool ok() const noexcept { return code == Code::kSuccess; }
};

class SpanExporter {
 public:
  virtual ~SpanExporter() = default;
  // Called from one thread at a time. Must return by `deadline`, whatever the far end does.
  virtual ExportResult export_spans(std::span<const SpanDataPtr> spans,
                                    Deadline deadline) noexcept = 0;
  virtual bool force_flush(std::chrono::milliseconds /*timeout*/) noexcept { return true; }
  virtual bool shutdown(std::chrono::milliseconds timeout) noexcept = 0;
  // The exporter is about to be shut down and its time is up: an export in flight should return
  // at once, and later ones fail. Called from another thread while export_spans() may run, so
  // an override must be safe for that. The default does nothing (the export returns by its
  // deadline, past which the batch processor stops waiting for it).
  virtual void cancel() noexcept {}
};

}  // namespace tracekit
