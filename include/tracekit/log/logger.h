// SPDX-License-Identifier: Apache-2.0
// Structured logging: one JSON object per line, correlated with the current trace and request.
//
//   tracekit::log::Logger log("skriptoteket.web");
//   log.info("tool.executed", {{"tool_id", id}, {"duration_ms", 12.5}, {"ok", true}});
//
// writes (one line)
//   {"timestamp":"2026-11-25T09:30:00.123Z","level":"info","event":"tool.executed",
//    "logger":"skriptoteket.web","tool_id":"…","duration_ms":12.5,"ok":true,
//    "trace_id":"…","span_id":"…","correlation_id":"…"}
//
// trace_id/span_id appear when the current Context (tracekit::Context::current()) holds a valid
// span; correlation_id when a CorrelationScope is live on this thread (the HTTP server keeps one
// around every piece of handler code). Logging never throws and never blocks on another logger's
// formatting: each call formats into a per-thread buffer and hands one finished line to the sink.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "tracekit/result.h"

namespace tracekit::log {

enum class Level : uint8_t { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

// "debug", "info", "warn", "error", "off".
std::string_view level_name(Level level) noexcept;
// Accepts the names above in any case (and "warning"); anything else is an error naming it.
Result<Level> parse_level(std::string_view text);

// One field value: null, bool, integer, floating point or string. Strings are referred to, not
// copied: build fields inside the call they are passed to.
class FieldValue {
 public:
  enum class Kind : uint8_t { kNull, kBool, kInt, kUint, kDouble, kString };

  FieldValue() noexcept : kind_(Kind::kNull) {}
  FieldValue(std::nullptr_t) noexcept : kind_(Kind::kNull) {}     // NOLINT: implicit by design
  FieldValue(bool v) noexcept : kind_(Kind::kBool) { u_.b = v; }  // NOLINT
  template <class T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, bool> && std::is_signed_v<T>)
      // NOLINTNEXTLINE(google-explicit-constructor): implicit by design
      FieldValue(T v)
  noexcept : kind_(Kind::kInt) { u_.i = static_cast<int64_t>(v); }
  template <class T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, bool> && std::is_unsigned_v<T>)
      // NOLINTNEXTLINE(google-explicit-constructor): implicit by design
      FieldValue(T v)
  noexcept : kind_(Kind::kUint) { u_.u = static_cast<uint64_t>(v); }
  FieldValue(double v) noexcept : kind_(Kind::kDouble) { u_.d = v; }        // NOLINT
  FieldValue(std::string_view v) noexcept : kind_(Kind::kString), s_(v) {}  // NOLINT
  FieldValue(const char* v) noexcept                                        // NOLINT
      : kind_(v ? Kind::kString : Kind::kNull), s_(v ? std::string_view(v) : std::string_view()) {}
  FieldValue(const std::string& v) noexcept : kind_(Kind::kString), s_(v) {}  // NOLINT

  Kind kind() const noexcept { return kind_; }
  bool as_bool() const noexcept { return u_.b; }
  int64_t as_int() const noexcept { return u_.i; }
  uint64_t as_uint() const noexcept { return u_.u; }
  double as_double() const noexcept { return u_.d; }
  std::string_view as_string() const noexcept { return s_; }

 private:
  Kind kind_;
  union {
    bool b;
    int64_t i;
    uint64_t u;
    double d;
  } u_{};
  std::string_view s_;
};

struct Field {
  std::string_view key;
  FieldValue value;
};

// The fields of one call: a braced list or any contiguous range of Field.
class Fields {
 public:
  Fields() = default;
  Fields(std::initializer_list<Field> fields) noexcept  // NOLINT: implicit by design
      : items_(fields.begin(), fields.size()) {}
  Fields(std::span<const Field> fields) noexcept : items_(fields) {}  // NOLINT
  std::span<const Field> items() const noexcept { return items_; }

 private:
  std::span<const Field> items_;
};

// Where finished lines go. write() receives one complete JSON object without the newline; it is
// called from many threads at once and must be safe for that.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void write(std::string_view line) noexcept = 0;
  virtual void flush() noexcept {}
};

// Lines to standard error (the default sink), through spdlog's thread-safe stderr sink.
std::shared_ptr<Sink> stderr_sink();
// Lines appended to a file (created if missing); an error names the path and the reason.
Result<std::shared_ptr<Sink>> file_sink(const std::string& path);

// Keeps every line in memory: for tests and for diagnostics pages.
class MemorySink final : public Sink {
 public:
  void write(std::string_view line) noexcept override;
  std::vector<std::string> lines() const;
  size_t size() const;
  void clear();

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

// The process-wide sink and minimum level. Safe to change at any time from any thread; a logger
// call in flight finishes with the sink it started with.
void set_sink(std::shared_ptr<Sink> sink);
std::shared_ptr<Sink> sink();
void set_level(Level level) noexcept;
Level level() noexcept;
// Reads LOG_LEVEL (debug|info|warn|error|off; default info). An invalid value is an error
// naming the variable and the value; the level is then unchanged.
Result<void> configure_from_env();

// The correlation id of the request being handled on this thread, empty when none. The HTTP
// server sets it around every piece of handler code (also across co_await and on worker
// threads); code outside the server can set its own.
std::string_view current_correlation_id() noexcept;
class CorrelationScope {
 public:
  // `id` must outlive the scope (it is referred to, not copied).
  explicit CorrelationScope(std::string_view id) noexcept;
  // A live reference: current_correlation_id() reads *id at each call, so changes made to the
  // string while the scope lives are seen at once. `id` must outlive the scope.
  explicit CorrelationScope(const std::string* id) noexcept;
  ~CorrelationScope();
  CorrelationScope(const CorrelationScope&) = delete;
  CorrelationScope& operator=(const CorrelationScope&) = delete;

 private:
  std::string_view previous_view_;
  const std::string* previous_live_;
};

class Logger {
 public:
  // The name appears as "logger" in every line.
  explicit Logger(std::string name) : name_(std::move(name)) {}

  const std::string& name() const noexcept { return name_; }
  static bool enabled(Level l) noexcept { return l >= level() && l != Level::kOff; }

  void debug(std::string_view event, Fields fields = {}) const noexcept {
    log(Level::kDebug, event, fields);
  }
  void info(std::string_view event, Fields fields = {}) const noexcept {
    log(Level::kInfo, event, fields);
  }
  void warn(std::string_view event, Fields fields = {}) const noexcept {
    log(Level::kWarn, event, fields);
  }
  void error(std::string_view event, Fields fields = {}) const noexcept {
    log(Level::kError, event, fields);
  }
  void log(Level level, std::string_view event, Fields fields) const noexcept;

 private:
  std::string name_;
};

// Formats one line as Logger::log would (without writing it): for tests and custom sinks.
// Reads the current context and correlation id of the calling thread.
std::string format_line(Level level, std::string_view logger, std::string_view event,
                        Fields fields);

// JSON-escapes `text` into `out` (no surrounding quotes): '"', '\\', control characters as
// escapes; invalid UTF-8 bytes become U+FFFD, so every line is valid JSON.
void append_json_escaped(std::string& out, std::string_view text);

}  // namespace tracekit::log
