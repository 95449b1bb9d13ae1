// SPDX-License-Identifier: Apache-2.0
#include "log_decode.h"

#include <google/protobuf/util/json_util.h>

#include <boost/json.hpp>

#include "json_text.h"
#include "otlp_decode.h"
#include "otlp_request_size.h"

namespace tracekit::collector {

namespace {

namespace logsdata = opentelemetry::proto::logs::v1;

bool all_zero(std::string_view id) {
  return id.find_first_not_of('\0') == std::string_view::npos;
}

// Why a record cannot be stored, or nullptr. Absent (empty or all-zero) ids are fine: a log
// written outside any span has none.
const char* invalid_record(const logsdata::LogRecord& r) {
  if (!r.trace_id().empty() && r.trace_id().size() != 16) return "trace_id is not 16 bytes";
  if (!r.span_id().empty() && r.span_id().size() != 8) return "span_id is not 8 bytes";
  return nullptr;
}

StoredLog to_stored(const logsdata::LogRecord& r, const std::string& service,
                    const SharedJson& resource_json, const SharedJson& scope_json,
                    const SpanLimits& limits) {
  StoredLog l;
  if (!r.trace_id().empty() && !all_zero(r.trace_id())) l.trace_id = to_hex(r.trace_id());
  if (!r.span_id().empty() && !all_zero(r.span_id())) l.span_id = to_hex(r.span_id());
  l.observed_ns = static_cast<int64_t>(r.observed_time_unix_nano());
  l.time_ns = r.time_unix_nano() != 0 ? static_cast<int64_t>(r.time_unix_nano()) : l.observed_ns;
  l.severity_number = static_cast<int>(r.severity_number());
  l.severity_text = truncated_text(r.severity_text(), limits.max_attribute_length);
  if (r.body().has_string_value()) {
    l.body = truncated_text(r.body().string_value(), limits.max_attribute_length);
  } else if (r.has_body() && r.body().value_case() != commonv1::AnyValue::VALUE_NOT_SET) {
    append_otlp_any_value(l.body, r.body(), limits);
  }
  l.event_name = truncated_text(r.event_name(), limits.max_attribute_length);
  l.flags = r.flags();
  l.service = service;
  l.attributes_json.clear();
  l.dropped_attributes = append_otlp_attributes(l.attributes_json, r.attributes(), limits) +
                         r.dropped_attributes_count();
  for (const auto& kv : r.attributes()) {
    if (kv.key() == "correlation_id" && kv.value().has_string_value()) {
      l.correlation_id = truncated_text(kv.value().string_value(), 256);
      break;
    }
  }
  l.scope_json = scope_json;
  l.resource_json = resource_json;
  return l;
}

// The parsed record, the StoredLog and its two hex ids (past the short-string buffer).
constexpr size_t kDecodedLogBytes = sizeof(logsdata::LogRecord) + sizeof(StoredLog) + 96;

}  // namespace

uint64_t log_memory_bytes(const StoredLog& l) {
  return sizeof(StoredLog) + l.trace_id.capacity() + l.span_id.capacity() +
         l.severity_text.capacity() + l.body.capacity() + l.event_name.capacity() +
         l.service.capacity() + l.correlation_id.capacity() + l.attributes_json.capacity();
}

Result<DecodedLogs> logs_from_request(const logsv1::ExportLogsServiceRequest& request,
                                      const SpanLimits& limits) {
  DecodedLogs out;
  size_t total = 0;
  for (const auto& rl : request.resource_logs()) {
    for (const auto& sl : rl.scope_logs())
      total += static_cast<size_t>(sl.log_records_size());
  }
  // Also checked from the bytes before parsing; a message built otherwise is held to the same
  // bound here.
  if (limits.max_request_records > 0 && total > limits.max_request_records) {
    return *request_size_error(0, {.records = total, .messages = total}, 0, "log records", limits);
  }
  out.logs.reserve(total);
  uint64_t decoded_bytes = 0;  // as for spans: what the estimate cannot see is counted here
  for (const auto& rl : request.resource_logs()) {
    const std::string service = otlp_service_name(rl.resource(), limits);
    // Made once and shared by the resource's (and scope's) records rather than copied into
    // each: a ~1 MiB resource and 2,000 empty records (2 bytes each) took 2 GB.
    const SharedJson resource_json = otlp_resource_json(rl.resource(), rl.schema_url(), limits);
    decoded_bytes += resource_json.memory_bytes();
    for (const auto& sl : rl.scope_logs()) {
      const SharedJson scope_json = otlp_scope_json(sl.scope(), sl.schema_url(), limits);
      decoded_bytes += scope_json.memory_bytes();
      for (const auto& r : sl.log_records()) {
        if (const char* why = invalid_record(r)) {
          if (out.rejected++ == 0) out.rejected_reason = why;
          continue;
        }
        out.logs.push_back(to_stored(r, service, resource_json, scope_json, limits));
        decoded_bytes += log_memory_bytes(out.logs.back());
        if (auto error = decoded_size_error(decoded_bytes, limits)) return *error;
      }
    }
  }
  return out;
}

std::string logs_partial_success_message(const DecodedLogs& decoded) {
  std::string message;
  if (decoded.rejected > 0) {
    message =
        std::to_string(decoded.rejected) + " log record(s) refused: " + decoded.rejected_reason;
  }
  if (decoded.repaired_values > 0) {
    if (!message.empty()) message += "; ";
    message += std::to_string(decoded.repaired_values) +
               " string value(s) held invalid UTF-8, replaced by U+FFFD";
  }
  return message;
}

Result<DecodedLogs> decode_logs_protobuf(std::string_view body, const SpanLimits& limits) {
  // Counted from the bytes before parsing: 16 MiB of empty records are 8 million of them.
  if (auto error = request_size_error(body.size(), logs_request_census(body), kDecodedLogBytes,
                                      "log records", limits)) {
    return *error;
  }
  logsv1::ExportLogsServiceRequest request;
  if (!request.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return Error{"the body is not a valid OTLP ExportLogsServiceRequest protobuf message"};
  }
  return logs_from_request(request, limits);
}

Result<DecodedLogs> decode_logs_json(std::string_view body, const SpanLimits& limits) {
  namespace json = boost::json;
  size_t repaired = 0;
  uint64_t objects = 0, records_seen = 0;
  auto root = parse_otlp_json(body, &repaired, &objects);
  if (!root) return root.error();
  auto* top = root->if_object();
  if (!top) return Error{"the JSON body is not an object"};
  std::string bad_id;
  auto array_at = [](json::object& o, std::string_view camel,
                     std::string_view snake) -> json::array* {
    json::value* v = o.if_contains(camel);
    if (!v) v = o.if_contains(snake);
    return v ? v->if_array() : nullptr;
  };
  if (auto* resource_logs = array_at(*top, "resourceLogs", "resource_logs")) {
    for (auto& rl : *resource_logs) {
      auto* rlo = rl.if_object();
      if (!rlo) continue;
      auto* scope_logs = array_at(*rlo, "scopeLogs", "scope_logs");
      if (!scope_logs) continue;
      for (auto& sl : *scope_logs) {
        auto* slo = sl.if_object();
        if (!slo) continue;
        auto* records = array_at(*slo, "logRecords", "log_records");
        if (!records) continue;
        records_seen += records->size();
        for (auto& rec : *records) {
          auto* ro = rec.if_object();
          if (!ro) continue;
          if (auto r = otlp_json_hex_id_to_base64(*ro, "traceId", "trace_id", 16, bad_id); !r)
            return r.error();
          if (auto r = otlp_json_hex_id_to_base64(*ro, "spanId", "span_id", 8, bad_id); !r)
            return r.error();
        }
      }
    }
  }
  // As for protobuf bytes, before protobuf builds the message and the records are made.
  if (auto error = request_size_error(body.size(), {.records = records_seen, .messages = objects},
                                      kDecodedLogBytes, "log records", limits)) {
    return *error;
  }
  logsv1::ExportLogsServiceRequest request;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // OTLP/JSON: receivers must ignore unknown fields
  const auto status =
      google::protobuf::util::JsonStringToMessage(json::serialize(*root), &request, options);
  if (!status.ok()) {
    return Error{"the JSON body is not an OTLP ExportLogsServiceRequest: " +
                 std::string(status.message())};
  }
  auto out = logs_from_request(request, limits);
  if (!out) return out;
  out->repaired_values = repaired;
  if (out->rejected > 0 && !bad_id.empty()) out->rejected_reason = bad_id;
  return out;
}

}  // namespace tracekit::collector
