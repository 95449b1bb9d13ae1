// OTLP/JSON encoding of log records (the protobuf JSON mapping with OTLP's rules: lower-case hex
// ids, enums as numbers, 64-bit integers as strings), and the console exporter that prints it.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <mutex>
#include <vector>

#include "tracekit/log/record.h"
#include "tracekit/otlp_json.h"

namespace tracekit::log {

namespace {

template <class T>
void append_number(std::string& out, T v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_any_value(std::string& out, const FieldValue& v) {
  switch (v.kind()) {
    case FieldValue::Kind::kNull:
      out += "{}";
      return;
    case FieldValue::Kind::kBool:
      out += v.as_bool() ? "{\"boolValue\":true}" : "{\"boolValue\":false}";
      return;
    case FieldValue::Kind::kInt:
      out += "{\"intValue\":\"";
      append_number(out, v.as_int());
      out += "\"}";
      return;
    case FieldValue::Kind::kUint:
      if (v.as_uint() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        out += "{\"intValue\":\"";
        append_number(out, v.as_uint());
        out += "\"}";
      } else {  // OTLP integers are signed 64-bit
        out += "{\"doubleValue\":";
        append_number(out, static_cast<double>(v.as_uint()));
        out += '}';
      }
      return;
    case FieldValue::Kind::kDouble: {
      const double d = v.as_double();
      out += "{\"doubleValue\":";
      if (std::isnan(d)) {
        out += "\"NaN\"";
      } else if (std::isinf(d)) {
        out += d > 0 ? "\"Infinity\"" : "\"-Infinity\"";
      } else {
        append_number(out, d);
      }
      out += '}';
      return;
    }
    case FieldValue::Kind::kString:
      out += "{\"stringValue\":";
      otlp_json::append_string(out, v.as_string());
      out += '}';
      return;
  }
}

template <size_t N>
void append_hex(std::string& out, const char* key, const Id<N>& id) {
  char hex[2 * N];
  id.write_hex(hex);
  out += key;
  out.append(hex, sizeof hex);
  out += '"';
}

void append_record(std::string& out, const LogRecord& r) {
  out += "{\"timeUnixNano\":\"";
  append_number(out, r.time_ns());
  out += "\",\"observedTimeUnixNano\":\"";
  append_number(out, r.observed_time_ns());
  out += "\",\"severityNumber\":";
  append_number(out, severity_number(r.level()));
  out += ",\"severityText\":\"";
  out += severity_text(r.level());
  out += "\",\"body\":{\"stringValue\":";
  otlp_json::append_string(out, r.body());
  out += "},\"attributes\":[";
  bool first = true;
  for (const Field& f : r.attributes()) {
    if (!first) out += ',';
    first = false;
    out += "{\"key\":";
    otlp_json::append_string(out, f.key);
    out += ",\"value\":";
    append_any_value(out, f.value);
    out += '}';
  }
  out += ']';
  if (r.trace_id().is_valid()) {
    out += ",\"flags\":";
    append_number(out, static_cast<unsigned>(r.flags().bits()));
    append_hex(out, ",\"traceId\":\"", r.trace_id());
    if (r.span_id().is_valid()) append_hex(out, ",\"spanId\":\"", r.span_id());
  }
  out += '}';
}

}  // namespace

void encode_json_request(std::span<const LogRecordPtr> records, const Resource& resource,
                         std::string& out) {
  out += "{\"resourceLogs\":[{\"resource\":{";
  otlp_json::append_attribute_list(out, resource.attributes().items());
  out += "},\"scopeLogs\":[";
  // One scope per logger name, in order of first appearance; a process has few loggers, so a
  // linear scan of the names seen beats a map.
  std::vector<std::string_view> scopes;
  for (const auto& r : records) {
    if (std::find(scopes.begin(), scopes.end(), r->logger()) == scopes.end()) {
      scopes.push_back(r->logger());
    }
  }
  for (size_t s = 0; s < scopes.size(); ++s) {
    if (s) out += ',';
    out += "{\"scope\":{\"name\":";
    otlp_json::append_string(out, scopes[s]);
    out += "},\"logRecords\":[";
    bool first = true;
    for (const auto& r : records) {
      if (r->logger() != scopes[s]) continue;
      if (!first) out += ',';
      first = false;
      append_record(out, *r);
    }
    out += "]}";
  }
  out += ']';
  if (!resource.schema_url().empty()) {
    out += ",\"schemaUrl\":";
    otlp_json::append_string(out, resource.schema_url());
  }
  out += "}]}";
}

namespace {

class ConsoleLogExporter final : public LogRecordExporter {
 public:
  explicit ConsoleLogExporter(Resource resource) : resource_(std::move(resource)) {}
  ExportResult export_records(std::span<const LogRecordPtr> records,
                              Deadline /*deadline*/) noexcept override {
    try {
      std::string line;
      encode_json_request(records, resource_, line);
      line += '\n';
      std::lock_guard lock(mutex_);
      if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size() ||
          std::fflush(stdout) != 0) {
        return ExportResult::failure("console log exporter: writing to standard output failed");
      }
      return ExportResult::success();
    } catch (...) {
      return ExportResult::failure("console log exporter: out of memory");
    }
  }
  bool shutdown(std::chrono::milliseconds /*timeout*/) noexcept override { return true; }

 private:
  const Resource resource_;
  std::mutex mutex_;
};

}  // namespace

std::unique_ptr<LogRecordExporter> console_log_exporter(Resource resource) {
  return std::make_unique<ConsoleLogExporter>(std::move(resource));
}

}  // namespace tracekit::log
