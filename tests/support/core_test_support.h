// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the core's unit tests: an exporter the test can block, fail or make refuse
// spans, bounded waiting, temporary files and a diagnostics recorder.
#pragma once

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tracekit/tracekit.h"

namespace tracekit::testing {

// Polls `done` until it holds or `limit` passes: waiting for something another thread does,
// without ever asserting how long it took. Returns the last value of `done`.
template <class Pred>
bool wait_until(Pred done, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= give_up) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// What a ScriptedExporter saw and how it should behave; shared with the test, which keeps it
// after the exporter has been handed to a processor.
// What a scripted exporter shares with its test: a gate that holds export calls (like a hung
// collector) and the count of calls that reached it. The span and log record scripts extend it.
struct ExportGate {
  std::mutex mutex;
  std::condition_variable changed;
  // While true, export calls wait (ignoring their deadline, like a hung collector).
  bool blocked = false;
  int calls_entered = 0;
  int shutdown_calls = 0;

  void set_blocked(bool on) {
    {
      std::lock_guard lock(mutex);
      blocked = on;
    }
    changed.notify_all();
  }
  // Waits (bounded) until `n` export calls have started.
  bool wait_calls_entered(int n) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(20), [&] { return calls_entered >= n; });
  }
};

struct ExportScript : ExportGate {
  struct Exported {
    std::string name;
    TraceId trace_id;
    SpanId span_id;
    SpanId parent_span_id;
    bool sampled = false;
  };

  bool fail = false;
  std::string failure_reason = "collector unavailable";
  // Spans whose name starts with this are refused through rejected_spans (partial success).
  std::string reject_prefix;
  // Whether cancel() ends a blocked export (as the OTLP exporter's does), and how often it ran.
  bool cancellable = false;
  int cancel_calls = 0;
  bool cancelled = false;
  int force_flush_calls = 0;
  std::vector<size_t> batch_sizes;
  std::vector<Exported> spans;

  int calls() {
    std::lock_guard lock(mutex);
    return calls_entered;
  }
  size_t exported_count() {
    std::lock_guard lock(mutex);
    return spans.size();
  }
  std::vector<Exported> exported() {
    std::lock_guard lock(mutex);
    return spans;
  }
  std::vector<size_t> batches() {
    std::lock_guard lock(mutex);
    return batch_sizes;
  }
};

class ScriptedExporter final : public SpanExporter {
 public:
  explicit ScriptedExporter(std::shared_ptr<ExportScript> script) : script_(std::move(script)) {}

  ExportResult export_spans(std::span<const SpanDataPtr> spans, Deadline) noexcept override {
    ExportScript& s = *script_;
    std::unique_lock lock(s.mutex);
    ++s.calls_entered;
    s.changed.notify_all();
    s.changed.wait(lock, [&] { return !s.blocked || s.cancelled; });
    if (s.cancelled) return ExportResult::failure("cancelled");
    s.batch_sizes.push_back(spans.size());
    if (s.fail) return ExportResult::failure(s.failure_reason);
    uint64_t rejected = 0;
    for (const auto& span : spans) {
      if (!s.reject_prefix.empty() && span->name().starts_with(s.reject_prefix)) {
        ++rejected;
        continue;
      }
      s.spans.push_back({std::string(span->name()), span->context().trace_id(),
                         span->context().span_id(), span->parent_span_id(),
                         span->context().is_sampled()});
    }
    ExportResult result = ExportResult::success();
    result.rejected_spans = rejected;
    if (rejected) result.error = "refused by the receiver";
    return result;
  }
  bool force_flush(std::chrono::milliseconds) noexcept override {
    std::lock_guard lock(script_->mutex);
    ++script_->force_flush_calls;
    return true;
  }
  bool shutdown(std::chrono::milliseconds) noexcept override {
    {
      std::lock_guard lock(script_->mutex);
      ++script_->shutdown_calls;
    }
    script_->changed.notify_all();
    return true;
  }
  void cancel() noexcept override {
    {
      std::lock_guard lock(script_->mutex);
      ++script_->cancel_calls;
      if (script_->cancellable) script_->cancelled = true;
    }
    script_->changed.notify_all();
  }

 private:
  std::shared_ptr<ExportScript> script_;
};

// Records what the SDK reports through the diagnostic handler while it lives.
class DiagnosticsRecorder {
 public:
  DiagnosticsRecorder() {
    set_diagnostic_handler([this](DiagnosticLevel level, std::string_view message) {
      std::lock_guard lock(mutex_);
      messages_.push_back({level, std::string(message)});
    });
  }
  ~DiagnosticsRecorder() { set_diagnostic_handler(nullptr); }
  DiagnosticsRecorder(const DiagnosticsRecorder&) = delete;
  DiagnosticsRecorder& operator=(const DiagnosticsRecorder&) = delete;

  // Messages that contain `part`.
  std::vector<std::string> containing(std::string_view part) const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& m : messages_) {
      if (m.second.find(part) != std::string::npos) out.push_back(m.second);
    }
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<DiagnosticLevel, std::string>> messages_;
};

// A file name in a fresh temporary directory; both are removed when this goes away.
class TempFile {
 public:
  TempFile() {
    char dir[] = "/tmp/tracekit-test-XXXXXX";
    if (!mkdtemp(dir)) std::abort();
    dir_ = dir;
    path_ = dir_ + "/out.jsonl";
  }
  ~TempFile() {
    std::remove(path_.c_str());
    rmdir(dir_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::string& path() const { return path_; }
  const std::string& dir() const { return dir_; }
  std::string contents() const {
    std::ifstream in(path_, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    std::string text = contents();
    size_t pos = 0;
    while (pos < text.size()) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string::npos) nl = text.size();
      out.push_back(text.substr(pos, nl - pos));
      pos = nl + 1;
    }
    return out;
  }

 private:
  std::string dir_;
  std::string path_;
};

// A getter over a map, for Config::from_env.
inline Config::Getter map_getter(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// A span context as another service would send it.
inline SpanContext remote_context(bool sampled, TraceState state = {}, bool random = true) {
  uint8_t flags = (sampled ? TraceFlags::kSampled : 0) | (random ? TraceFlags::kRandom : 0);
  return SpanContext(*TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736"),
                     *SpanId::from_hex("00f067aa0ba902b7"), TraceFlags(flags), true,
                     std::move(state));
}

}  // namespace tracekit::testing
