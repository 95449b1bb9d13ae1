// SPDX-License-Identifier: Apache-2.0
#include "tracekit/exporters/console.h"

#include <cerrno>
#include <cstring>

#include "tracekit/otlp_json.h"

namespace tracekit {

ConsoleSpanExporter::ConsoleSpanExporter() : ConsoleSpanExporter(stdout, false) {}

ConsoleSpanExporter::ConsoleSpanExporter(std::FILE* file, bool owned)
    : file_(file), owned_(owned) {}

Result<std::unique_ptr<ConsoleSpanExporter>> ConsoleSpanExporter::open_file(
    const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (!f) {
    return Error{ErrorCode::kUnavailable,
                 "cannot open \"" + path + "\" for the console exporter: " + std::strerror(errno)};
  }
  return std::unique_ptr<ConsoleSpanExporter>(new ConsoleSpanExporter(f, true));
}

ConsoleSpanExporter::~ConsoleSpanExporter() {
  if (owned_ && file_) std::fclose(file_);
}

ExportResult ConsoleSpanExporter::export_spans(std::span<const SpanDataPtr> spans,
                                               Deadline) noexcept {
  if (shut_down_) return ExportResult::failure("exporter is shut down");
  if (spans.empty()) return ExportResult::success();
  try {
    buffer_.clear();
    otlp_json::encode_request(spans, buffer_);
    buffer_ += '\n';
  } catch (...) {
    return ExportResult::failure("out of memory while encoding");
  }
  if (std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size() ||
      std::fflush(file_) != 0) {
    return ExportResult::failure(std::string("write failed: ") + std::strerror(errno));
  }
  return ExportResult::success();
}

bool ConsoleSpanExporter::force_flush(std::chrono::milliseconds) noexcept {
  return std::fflush(file_) == 0;
}

bool ConsoleSpanExporter::shutdown(std::chrono::milliseconds) noexcept {
  shut_down_ = true;
  return std::fflush(file_) == 0;
}

}  // namespace tracekit
