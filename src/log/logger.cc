// SPDX-License-Identifier: Apache-2.0
// The JSON line formatter and the process-wide level/sink.
#include "tracekit/log/logger.h"

#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>

#include "tracekit/clock.h"
#include "tracekit/config_variables.h"
#include "tracekit/context.h"
#include "tracekit/log/record.h"
#include "tracekit/otlp_json.h"

namespace tracekit::log {

namespace detail {
extern std::atomic<bool> g_has_processor;  // record.cc
}

namespace {

std::atomic<Level> g_level{Level::kInfo};

// The sink is read on every line and replaced rarely: an atomic shared_ptr keeps a replaced sink
// alive until the lines in flight on it are written.
std::atomic<std::shared_ptr<Sink>>& global_sink() {
  static std::atomic<std::shared_ptr<Sink>> s{stderr_sink()};
  return s;
}

// The correlation id of this thread: a view, or a live string (see CorrelationScope).
constinit thread_local std::string_view t_correlation_view;
constinit thread_local const std::string* t_correlation_live = nullptr;

std::string_view correlation_now() noexcept {
  return t_correlation_live ? std::string_view(*t_correlation_live) : t_correlation_view;
}

bool is_reserved(std::string_view key) noexcept {
  return key == "timestamp" || key == "level" || key == "event" || key == "logger" ||
         key == "trace_id" || key == "span_id" || key == "correlation_id";
}

// "2026-11-25T09:30:00.123Z". The date-and-seconds prefix is cached per thread: gmtime_r runs at
// most once a second per thread.
void append_timestamp(std::string& out, uint64_t time_ns) {
  const auto ms_total = static_cast<int64_t>(time_ns / 1'000'000);
  const int64_t secs = ms_total >= 0 ? ms_total / 1000 : (ms_total - 999) / 1000;
  const int ms = static_cast<int>(ms_total - secs * 1000);
  thread_local int64_t cached_secs = INT64_MIN;
  thread_local char cached[20];  // "YYYY-MM-DDTHH:MM:SS"
  if (secs != cached_secs) {
    const auto t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S", &tm);
    cached_secs = secs;
  }
  out.append(cached, 19);
  char frac[5] = {'.', static_cast<char>('0' + ms / 100), static_cast<char>('0' + ms / 10 % 10),
                  static_cast<char>('0' + ms % 10), 'Z'};
  out.append(frac, 5);
}

void append_string(std::string& out, std::string_view s) {
  out.push_back('"');
  append_json_escaped(out, s);
  out.push_back('"');
}

void append_value(std::string& out, const FieldValue& v) {
  char buf[32];
  switch (v.kind()) {
    case FieldValue::Kind::kNull:
      out.append("null");
      return;
    case FieldValue::Kind::kBool:
      out.append(v.as_bool() ? "true" : "false");
      return;
    case FieldValue::Kind::kInt: {
      auto r = std::to_chars(buf, buf + sizeof buf, v.as_int());
      out.append(buf, r.ptr);
      return;
    }
    case FieldValue::Kind::kUint: {
      auto r = std::to_chars(buf, buf + sizeof buf, v.as_uint());
      out.append(buf, r.ptr);
      return;
    }
    case FieldValue::Kind::kDouble: {
      // JSON has no NaN or infinity.
      if (!std::isfinite(v.as_double())) {
        out.append("null");
        return;
      }
      auto r = std::to_chars(buf, buf + sizeof buf, v.as_double());
      out.append(buf, r.ptr);
      return;
    }
    case FieldValue::Kind::kString:
      append_string(out, v.as_string());
      return;
  }
}

void format_into(std::string& out, uint64_t time_ns, const SpanContext& sc, Level level,
                 std::string_view logger, std::string_view event, Fields fields) {
  out.append("{\"timestamp\":\"");
  append_timestamp(out, time_ns);
  out.append("\",\"level\":\"");
  out.append(level_name(level));
  out.append("\",\"event\":");
  append_string(out, event);
  out.append(",\"logger\":");
  append_string(out, logger);
  for (const Field& f : fields.items()) {
    out.push_back(',');
    // A field may not overwrite the line's own keys: it is kept under "field.<key>".
    if (is_reserved(f.key)) {
      out.append("\"field.");
      append_json_escaped(out, f.key);
      out.push_back('"');
    } else {
      append_string(out, f.key);
    }
    out.push_back(':');
    append_value(out, f.value);
  }
  if (sc.is_valid()) {
    char hex[32];
    out.append(",\"trace_id\":\"");
    sc.trace_id().write_hex(hex);
    out.append(hex, 32);
    out.append("\",\"span_id\":\"");
    sc.span_id().write_hex(hex);
    out.append(hex, 16);
    out.push_back('"');
  }
  if (const std::string_view id = correlation_now(); !id.empty()) {
    out.append(",\"correlation_id\":");
    append_string(out, id);
  }
  out.push_back('}');
}

}  // namespace

std::string_view level_name(Level level) noexcept {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
    case Level::kOff:
      return "off";
  }
  return "info";
}

Result<Level> parse_level(std::string_view text) {
  std::string lower(text);
  for (char& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  if (lower == "debug") return Level::kDebug;
  if (lower == "info") return Level::kInfo;
  if (lower == "warn" || lower == "warning") return Level::kWarn;
  if (lower == "error") return Level::kError;
  if (lower == "off") return Level::kOff;
  return Error{"log level '" + std::string(text) + "' is not one of debug, info, warn, error, off"};
}

void set_sink(std::shared_ptr<Sink> s) {
  if (!s) s = stderr_sink();
  global_sink().store(std::move(s), std::memory_order_release);
}
std::shared_ptr<Sink> sink() {
  return global_sink().load(std::memory_order_acquire);
}
void set_level(Level l) noexcept {
  g_level.store(l, std::memory_order_relaxed);
}
Level level() noexcept {
  return g_level.load(std::memory_order_relaxed);
}

Result<void> configure_from_env() {
  auto v = config::read_env(config::library_variable("LOG_LEVEL"));
  if (!v || v->empty()) return {};
  auto parsed = parse_level(*v);
  if (!parsed) return parsed.error().with_prefix("LOG_LEVEL: ");
  set_level(*parsed);
  return {};
}

std::string_view current_correlation_id() noexcept {
  return correlation_now();
}
CorrelationScope::CorrelationScope(std::string_view id) noexcept
    : previous_view_(t_correlation_view), previous_live_(t_correlation_live) {
  t_correlation_view = id;
  t_correlation_live = nullptr;
}
CorrelationScope::CorrelationScope(const std::string* id) noexcept
    : previous_view_(t_correlation_view), previous_live_(t_correlation_live) {
  t_correlation_view = {};
  t_correlation_live = id;
}
CorrelationScope::~CorrelationScope() {
  t_correlation_view = previous_view_;
  t_correlation_live = previous_live_;
}

std::string format_line(Level level, std::string_view logger, std::string_view event,
                        Fields fields) {
  std::string out;
  format_into(out, clock::now_ns(), Context::current().span_context(), level, logger, event,
              fields);
  return out;
}

void Logger::log(Level l, std::string_view event, Fields fields) const noexcept {
  if (!enabled(l)) return;
  try {
    // One buffer per thread: a log call allocates only while the buffer grows.
    thread_local std::string buffer;
    buffer.clear();
    const uint64_t time_ns = clock::now_ns();
    const SpanContext& sc = Context::current().span_context();
    format_into(buffer, time_ns, sc, l, name_, event, fields);
    sink()->write(buffer);
    if (buffer.capacity() > 64 * 1024) std::string().swap(buffer);
    // The same call as an OTLP log record, when an exporter is set up (tracing on).
    if (detail::g_has_processor.load(std::memory_order_acquire)) {
      if (auto processor = record_processor()) {
        processor->on_emit(LogRecord::make(time_ns, l, name_, event, fields.items(), sc.trace_id(),
                                           sc.span_id(), sc.flags(), correlation_now()));
      }
    }
  } catch (...) {
    // Logging never throws into the application (out of memory while formatting).
  }
}

void append_json_escaped(std::string& out, std::string_view text) {
  otlp_json::append_escaped(out, text);
}

}  // namespace tracekit::log
