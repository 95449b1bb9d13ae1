// SPDX-License-Identifier: Apache-2.0
// Writes each exported batch as one OTLP/JSON ExportTraceServiceRequest object per line, to
// standard output or a file (the format of the OpenTelemetry Collector's file exporter).
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include "tracekit/exporter.h"
#include "tracekit/result.h"

namespace tracekit {

class ConsoleSpanExporter final : public SpanExporter {
 public:
  // Standard output.
  ConsoleSpanExporter();
  // Appends to the file at `path`.
  static Result<std::unique_ptr<ConsoleSpanExporter>> open_file(const std::string& path);
  ~ConsoleSpanExporter() override;

  ExportResult export_spans(std::span<const SpanDataPtr> spans,
                            Deadline deadline) noexcept override;
  bool force_flush(std::chrono::milliseconds timeout) noexcept override;
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;

 private:
  explicit ConsoleSpanExporter(std::FILE* file, bool owned);
  std::FILE* file_;
  bool owned_;
  std::string buffer_;
  bool shut_down_ = false;
};

}  // namespace tracekit
