// Log records: the single-allocation record, the process-wide processor, severity mapping.
#include "tracekit/log/record.h"

#include <atomic>
#include <cstring>
#include <new>

namespace tracekit::log {

void LogRecordDeleter::operator()(const LogRecord* record) const noexcept {
  // Every member is trivially destructible: the block is freed as it was allocated.
  ::operator delete(const_cast<LogRecord*>(record));
}

LogRecordPtr LogRecord::make(uint64_t time_ns, Level level, std::string_view logger,
                             std::string_view event, std::span<const Field> fields,
                             TraceId trace_id, SpanId span_id, TraceFlags flags,
                             std::string_view correlation_id) {
  static_assert(std::is_trivially_destructible_v<Field>);
  static_assert(alignof(Field) <= alignof(LogRecord));
  const size_t count = fields.size() + (correlation_id.empty() ? 0 : 1);
  size_t chars = logger.size() + event.size() + correlation_id.size() + sizeof("correlation_id");
  for (const Field& f : fields) {
    chars += f.key.size();
    if (f.value.kind() == FieldValue::Kind::kString) chars += f.value.as_string().size();
  }
  const size_t header = (sizeof(LogRecord) + alignof(Field) - 1) / alignof(Field) * alignof(Field);
  char* block = static_cast<char*>(::operator new(header + count * sizeof(Field) + chars));
  auto* r = new (block) LogRecord();
  auto* out_fields = reinterpret_cast<Field*>(block + header);
  char* text = block + header + count * sizeof(Field);
  auto copy = [&text](std::string_view s) {
    if (!s.empty()) std::memcpy(text, s.data(), s.size());
    std::string_view kept(text, s.size());
    text += s.size();
    return kept;
  };
  r->time_ns_ = time_ns;
  r->level_ = level;
  r->trace_id_ = trace_id;
  r->span_id_ = span_id;
  r->flags_ = flags;
  r->logger_ = copy(logger);
  r->body_ = copy(event);
  size_t i = 0;
  for (const Field& f : fields) {
    FieldValue v = f.value;
    if (v.kind() == FieldValue::Kind::kString) v = FieldValue(copy(v.as_string()));
    new (&out_fields[i++]) Field{copy(f.key), v};
  }
  if (!correlation_id.empty()) {
    new (&out_fields[i++]) Field{copy("correlation_id"), FieldValue(copy(correlation_id))};
  }
  r->fields_ = out_fields;
  r->field_count_ = static_cast<uint32_t>(count);
  return LogRecordPtr(r);
}

int severity_number(Level level) noexcept {
  switch (level) {
    case Level::kDebug:
      return 5;
    case Level::kInfo:
      return 9;
    case Level::kWarn:
      return 13;
    case Level::kError:
      return 17;
    case Level::kOff:
      break;
  }
  return 0;
}

std::string_view severity_text(Level level) noexcept {
  switch (level) {
    case Level::kDebug:
      return "DEBUG";
    case Level::kInfo:
      return "INFO";
    case Level::kWarn:
      return "WARN";
    case Level::kError:
      return "ERROR";
    case Level::kOff:
      break;
  }
  return "";
}

namespace detail {
// Read on every log call: an atomic shared_ptr, as the sink is, so that a replaced processor
// stays alive until the calls in flight on it return.
std::atomic<std::shared_ptr<LogRecordProcessor>>& global_processor() {
  static std::atomic<std::shared_ptr<LogRecordProcessor>> p;
  return p;
}
// Set while a processor is installed: the common case (none) costs one relaxed load.
std::atomic<bool> g_has_processor{false};
}  // namespace detail

void set_record_processor(std::shared_ptr<LogRecordProcessor> processor) {
  const bool has = processor != nullptr;
  detail::global_processor().store(std::move(processor), std::memory_order_release);
  detail::g_has_processor.store(has, std::memory_order_release);
}

std::shared_ptr<LogRecordProcessor> record_processor() {
  return detail::global_processor().load(std::memory_order_acquire);
}

LogExportStats record_stats() noexcept {
  LogExportStats st;
  if (auto p = record_processor()) p->add_stats(st);
  return st;
}

}  // namespace tracekit::log
