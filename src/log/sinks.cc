// SPDX-License-Identifier: Apache-2.0
// Sinks: spdlog's thread-safe stderr and file sinks carry the finished lines (spdlog does the
// locking, buffering and flushing; our formatter already made the JSON), and a memory sink.
#include <spdlog/details/log_msg.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "tracekit/log/logger.h"

namespace tracekit::log {

namespace {

class SpdlogSink final : public Sink {
 public:
  explicit SpdlogSink(std::shared_ptr<spdlog::sinks::sink> sink) : sink_(std::move(sink)) {
    // The line is the whole message: "%v" plus spdlog's end of line.
    sink_->set_pattern("%v");
  }
  void write(std::string_view line) noexcept override {
    try {
      spdlog::details::log_msg msg(spdlog::string_view_t(), spdlog::level::info,
                                   spdlog::string_view_t(line.data(), line.size()));
      sink_->log(msg);
    } catch (...) {
      // A failing disk must not take the application down.
    }
  }
  void flush() noexcept override {
    try {
      sink_->flush();
    } catch (...) {
    }
  }

 private:
  std::shared_ptr<spdlog::sinks::sink> sink_;
};

}  // namespace

std::shared_ptr<Sink> stderr_sink() {
  static const std::shared_ptr<Sink> s =
      std::make_shared<SpdlogSink>(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  return s;
}

Result<std::shared_ptr<Sink>> file_sink(const std::string& path) {
  try {
    return std::shared_ptr<Sink>(std::make_shared<SpdlogSink>(
        std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, /*truncate=*/false)));
  } catch (const std::exception& e) {
    return Error{ErrorCode::kUnavailable, "cannot open log file '" + path + "': " + e.what()};
  }
}

void MemorySink::write(std::string_view line) noexcept {
  try {
    std::lock_guard lock(mu_);
    lines_.emplace_back(line);
  } catch (...) {
  }
}
std::vector<std::string> MemorySink::lines() const {
  std::lock_guard lock(mu_);
  return lines_;
}
size_t MemorySink::size() const {
  std::lock_guard lock(mu_);
  return lines_.size();
}
void MemorySink::clear() {
  std::lock_guard lock(mu_);
  lines_.clear();
}

}  // namespace tracekit::log
