// SPDX-License-Identifier: Apache-2.0
#include "otlp_decode.h"

#include <google/protobuf/util/json_util.h>
#include <zlib.h>

#include <boost/json.hpp>
#include <cmath>
#include <cstdio>

#include "json_text.h"
#include "otlp_request_size.h"
#include "otlp_utf8_repair.h"
#include "tracekit/detail/utf8.h"
#include "tracekit/semconv.h"

namespace tracekit::collector {

namespace commonv1 = opentelemetry::proto::common::v1;
namespace tracev1 = opentelemetry::proto::trace::v1;

const char* span_kind_name(int kind) {
  switch (kind) {
    case 1:
      return "INTERNAL";
    case 2:
      return "SERVER";
    case 3:
      return "CLIENT";
    case 4:
      return "PRODUCER";
    case 5:
      return "CONSUMER";
    default:
      return "UNSPECIFIED";
  }
}

const char* status_code_name(int code) {
  switch (code) {
    case 1:
      return "OK";
    case 2:
      return "ERROR";
    default:
      return "UNSET";
  }
}

namespace {

void append_any_value(std::string& out, const commonv1::AnyValue& value, const SpanLimits& limits);

// At most `max` bytes of `s` (0: all of it), cut before a UTF-8 sequence rather than inside one.
std::string_view truncated(std::string_view s, size_t max) {
  if (max == 0 || s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80)
    --n;
  return s.substr(0, n);
}

// Appends the first `limits.max_attributes` attributes; returns how many were dropped.
uint32_t append_attributes(std::string& out,
                           const google::protobuf::RepeatedPtrField<commonv1::KeyValue>& attributes,
                           const SpanLimits& limits) {
  out.push_back('[');
  const int kept = static_cast<int>(
      std::min<size_t>(static_cast<size_t>(attributes.size()), limits.max_attributes));
  for (int i = 0; i < kept; ++i) {
    const auto& kv = attributes[i];
    if (i) out.push_back(',');
    out += "{\"key\":";
    append_json_string(out, truncated(kv.key(), limits.max_attribute_length));
    out += ",\"value\":";
    append_any_value(out, kv.value(), limits);
    out.push_back('}');
  }
  out.push_back(']');
  return static_cast<uint32_t>(attributes.size() - kept);
}

void append_double(std::string& out, double d) {
  // proto3 JSON spells the values JSON numbers cannot hold as strings.
  if (std::isnan(d)) {
    out += "\"NaN\"";
  } else if (std::isinf(d)) {
    out += d > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  } else {
    char buf[32];
    const int n = std::snprintf(buf, sizeof buf, "%.17g", d);
    out.append(buf, static_cast<size_t>(n));
  }
}

void append_any_value(std::string& out, const commonv1::AnyValue& value, const SpanLimits& limits) {
  switch (value.value_case()) {
    case commonv1::AnyValue::kStringValue:
      out += "{\"stringValue\":";
      append_json_string(out, truncated(value.string_value(), limits.max_attribute_length));
      break;
    case commonv1::AnyValue::kBoolValue:
      out += value.bool_value() ? "{\"boolValue\":true" : "{\"boolValue\":false";
      break;
    case commonv1::AnyValue::kIntValue:
      out += "{\"intValue\":";
      append_json_int_string(out, value.int_value());
      break;
    case commonv1::AnyValue::kDoubleValue:
      out += "{\"doubleValue\":";
      append_double(out, value.double_value());
      break;
    case commonv1::AnyValue::kBytesValue: {
      out += "{\"bytesValue\":";
      const std::string_view bytes = value.bytes_value();
      const size_t max = limits.max_attribute_length;
      append_json_string(out, base64_encode(max ? bytes.substr(0, max) : bytes));
      break;
    }
    case commonv1::AnyValue::kArrayValue: {
      // OpenTelemetry limits each element's length; the element count is held to the attribute
      // count limit too, so that one value cannot be a million elements.
      out += "{\"arrayValue\":{\"values\":[";
      const auto& values = value.array_value().values();
      const int kept = static_cast<int>(
          std::min<size_t>(static_cast<size_t>(values.size()), limits.max_attributes));
      for (int i = 0; i < kept; ++i) {
        if (i) out.push_back(',');
        append_any_value(out, values[i], limits);
      }
      out += "]}";
      break;
    }
    case commonv1::AnyValue::kKvlistValue:
      out += "{\"kvlistValue\":{\"values\":";
      append_attributes(out, value.kvlist_value().values(), limits);
      out.push_back('}');
      break;
    default:
      out.push_back('{');
  }
  out.push_back('}');
}

// Cut at the attribute length like the resource's own copy of it: the name is stored with
// every record and repeated in every list of traces and services, so an uncut 4 MiB name in a
// 4 KB gzipped request made each default search answer 34 MB.
std::string service_name_of(const opentelemetry::proto::resource::v1::Resource& resource,
                            const SpanLimits& limits) {
  for (const auto& kv : resource.attributes()) {
    if (kv.key() == tracekit::semconv::service::kName && kv.value().has_string_value())
      return std::string(truncated(kv.value().string_value(), limits.max_attribute_length));
  }
  return "unknown_service";
}

bool all_zero(std::string_view id) {
  return id.find_first_not_of('\0') == std::string_view::npos;
}

// Why a span cannot be stored, or nullptr. All-zero ids are invalid (W3C Trace Context; the
// OTLP specification): such a span could never be found or linked to.
const char* invalid_span(const tracev1::Span& span) {
  if (span.trace_id().size() != 16) return "trace_id is not 16 bytes";
  if (span.span_id().size() != 8) return "span_id is not 8 bytes";
  if (all_zero(span.trace_id())) return "trace_id is all zeros (invalid)";
  if (all_zero(span.span_id())) return "span_id is all zeros (invalid)";
  if (!span.parent_span_id().empty() && span.parent_span_id().size() != 8) {
    return "parent_span_id is neither empty nor 8 bytes";
  }
  for (const auto& link : span.links()) {
    if (link.trace_id().size() != 16 || link.span_id().size() != 8) {
      return "a link's trace_id or span_id has the wrong length";
    }
  }
  return nullptr;
}

StoredSpan to_stored(const tracev1::Span& span, const std::string& service,
                     const SharedJson& resource_json, const SharedJson& scope_json,
                     const SpanLimits& limits) {
  StoredSpan s;
  const size_t max_length = limits.max_attribute_length;
  s.trace_id = to_hex(span.trace_id());
  s.span_id = to_hex(span.span_id());
  // Some SDKs send eight zero bytes for "no parent".
  if (!span.parent_span_id().empty() && !all_zero(span.parent_span_id()))
    s.parent_span_id = to_hex(span.parent_span_id());
  s.trace_state = truncated(span.trace_state(), max_length);
  s.flags = span.flags();
  s.name = truncated(span.name(), max_length);
  s.kind = static_cast<int>(span.kind());
  // Times past 2262 do not fit int64 nanoseconds; clamp rather than wrap to negative.
  constexpr auto kMax = static_cast<uint64_t>(INT64_MAX);
  s.start_ns = static_cast<int64_t>(std::min<uint64_t>(span.start_time_unix_nano(), kMax));
  s.end_ns = static_cast<int64_t>(std::min<uint64_t>(span.end_time_unix_nano(), kMax));
  s.status_code = static_cast<int>(span.status().code());
  s.status_message = truncated(span.status().message(), max_length);
  s.service = service;
  s.scope_json = scope_json;
  s.attributes_json.clear();
  const uint32_t dropped_attributes =
      append_attributes(s.attributes_json, span.attributes(), limits);
  s.resource_json = resource_json;
  s.dropped_attributes = span.dropped_attributes_count() + dropped_attributes;

  const int events = static_cast<int>(
      std::min<size_t>(static_cast<size_t>(span.events_size()), limits.max_events));
  s.dropped_events =
      span.dropped_events_count() + static_cast<uint32_t>(span.events_size() - events);
  std::string& ev = s.events_json;
  ev = "[";
  for (int i = 0; i < events; ++i) {
    const auto& e = span.events(i);
    if (i) ev.push_back(',');
    ev += "{\"timeUnixNano\":";
    append_json_int_string(ev, static_cast<int64_t>(std::min<uint64_t>(e.time_unix_nano(), kMax)));
    ev += ",\"name\":";
    append_json_string(ev, truncated(e.name(), max_length));
    ev += ",\"attributes\":";
    const uint32_t dropped = append_attributes(ev, e.attributes(), limits);
    ev += ",\"droppedAttributesCount\":" + std::to_string(e.dropped_attributes_count() + dropped) +
          "}";
  }
  ev.push_back(']');

  // A link to an all-zero context points nowhere: dropped and counted.
  uint32_t dropped_links = span.dropped_links_count();
  size_t kept_links = 0;
  std::string& ln = s.links_json;
  ln = "[";
  for (const auto& l : span.links()) {
    if (kept_links == limits.max_links || all_zero(l.trace_id()) || all_zero(l.span_id())) {
      ++dropped_links;
      continue;
    }
    if (kept_links++) ln.push_back(',');
    ln += "{\"traceId\":\"" + to_hex(l.trace_id()) + "\",\"spanId\":\"" + to_hex(l.span_id()) +
          "\",\"traceState\":";
    append_json_string(ln, truncated(l.trace_state(), max_length));
    ln += ",\"flags\":" + std::to_string(l.flags()) + ",\"attributes\":";
    const uint32_t dropped = append_attributes(ln, l.attributes(), limits);
    ln += ",\"droppedAttributesCount\":" + std::to_string(l.dropped_attributes_count() + dropped) +
          "}";
  }
  ln.push_back(']');
  s.dropped_links = dropped_links;
  return s;
}

}  // namespace

uint32_t append_otlp_attributes(
    std::string& out, const google::protobuf::RepeatedPtrField<commonv1::KeyValue>& attributes,
    const SpanLimits& limits) {
  return append_attributes(out, attributes, limits);
}

void append_otlp_any_value(std::string& out, const commonv1::AnyValue& value,
                           const SpanLimits& limits) {
  append_any_value(out, value, limits);
}

std::string truncated_text(std::string_view s, size_t max) {
  return std::string(truncated(s, max));
}

std::string otlp_service_name(const opentelemetry::proto::resource::v1::Resource& resource,
                              const SpanLimits& limits) {
  return service_name_of(resource, limits);
}

std::string otlp_resource_json(const opentelemetry::proto::resource::v1::Resource& resource,
                               std::string_view schema_url, const SpanLimits& limits) {
  std::string resource_json = "{\"attributes\":";
  const uint32_t dropped = append_attributes(resource_json, resource.attributes(), limits);
  resource_json += ",\"droppedAttributesCount\":" +
                   std::to_string(resource.dropped_attributes_count() + dropped) +
                   ",\"schemaUrl\":";
  append_json_string(resource_json, truncated(schema_url, limits.max_attribute_length));
  resource_json += "}";
  return resource_json;
}

std::string otlp_scope_json(const commonv1::InstrumentationScope& scope,
                            std::string_view schema_url, const SpanLimits& limits) {
  const size_t max_length = limits.max_attribute_length;
  std::string scope_json = "{\"name\":";
  append_json_string(scope_json, truncated(scope.name(), max_length));
  scope_json += ",\"version\":";
  append_json_string(scope_json, truncated(scope.version(), max_length));
  scope_json += ",\"attributes\":";
  const uint32_t scope_dropped = append_attributes(scope_json, scope.attributes(), limits);
  scope_json += ",\"droppedAttributesCount\":" +
                std::to_string(scope.dropped_attributes_count() + scope_dropped) +
                ",\"schemaUrl\":";
  append_json_string(scope_json, truncated(schema_url, max_length));
  scope_json += "}";
  return scope_json;
}

namespace {
// The parsed span, the StoredSpan and its two hex ids (past the short-string buffer).
constexpr size_t kDecodedSpanBytes = sizeof(tracev1::Span) + sizeof(StoredSpan) + 96;
}  // namespace

uint64_t span_memory_bytes(const StoredSpan& s) {
  return sizeof(StoredSpan) + s.trace_id.capacity() + s.span_id.capacity() +
         s.parent_span_id.capacity() + s.trace_state.capacity() + s.name.capacity() +
         s.status_message.capacity() + s.service.capacity() + s.attributes_json.capacity() +
         s.events_json.capacity() + s.links_json.capacity();
}

Result<DecodedSpans> spans_from_request(const otlpv1::ExportTraceServiceRequest& request,
                                        const SpanLimits& limits) {
  DecodedSpans out;
  size_t total = 0;
  for (const auto& rs : request.resource_spans()) {
    for (const auto& ss : rs.scope_spans())
      total += static_cast<size_t>(ss.spans_size());
  }
  // Also checked from the bytes before parsing; a message built otherwise (tests, fuzzing) is
  // held to the same bound here, before the vector below is sized by it.
  if (limits.max_request_records > 0 && total > limits.max_request_records) {
    return *request_size_error(0, {.records = total, .messages = total}, 0, "spans", limits);
  }
  out.spans.reserve(total);
  // The spans' own text can grow when written as JSON (a control character becomes \u0001):
  // counted as it is made, so the estimate made from the bytes cannot be outrun.
  uint64_t decoded_bytes = 0;
  for (const auto& rs : request.resource_spans()) {
    const std::string service = service_name_of(rs.resource(), limits);
    // Made once and shared by every span of the resource (and scope) rather than copied into
    // each: a large resource followed by many tiny spans cost their number times its size.
    const SharedJson resource_json = otlp_resource_json(rs.resource(), rs.schema_url(), limits);
    decoded_bytes += resource_json.memory_bytes();
    for (const auto& ss : rs.scope_spans()) {
      const SharedJson scope_json = otlp_scope_json(ss.scope(), ss.schema_url(), limits);
      decoded_bytes += scope_json.memory_bytes();
      for (const auto& span : ss.spans()) {
        if (const char* why = invalid_span(span)) {
          if (out.rejected++ == 0) out.rejected_reason = why;
          continue;
        }
        out.spans.push_back(to_stored(span, service, resource_json, scope_json, limits));
        decoded_bytes += span_memory_bytes(out.spans.back());
        if (auto error = decoded_size_error(decoded_bytes, limits)) return *error;
      }
    }
  }
  return out;
}

std::string partial_success_message(const DecodedSpans& decoded) {
  std::string message;
  if (decoded.rejected > 0)
    message = std::to_string(decoded.rejected) + " span(s) refused: " + decoded.rejected_reason;
  if (decoded.repaired_values > 0) {
    if (!message.empty()) message += "; ";
    message += std::to_string(decoded.repaired_values) +
               " string value(s) held invalid UTF-8, replaced by U+FFFD";
  }
  return message;
}

Result<DecodedSpans> decode_protobuf(std::string_view body, const SpanLimits& limits) {
  // Counted from the bytes before parsing: protobuf builds an object for every span and
  // attribute, which a request of millions of 2-byte ones turns into gigabytes.
  if (auto error = request_size_error(body.size(), trace_request_census(body), kDecodedSpanBytes,
                                      "spans", limits)) {
    return *error;
  }
  otlpv1::ExportTraceServiceRequest request;
  if (request.ParseFromArray(body.data(), static_cast<int>(body.size())))
    return spans_from_request(request, limits);
  // protobuf refuses the whole message for invalid UTF-8 in one string: repair those values
  // and try again, so that one bad attribute does not cost every span of the request.
  auto repaired = repair_request_utf8(body);
  if (!repaired || repaired->repaired_fields == 0 ||
      !request.ParseFromArray(repaired->bytes.data(), static_cast<int>(repaired->bytes.size()))) {
    return Error{"the body is not a valid OTLP ExportTraceServiceRequest protobuf message"};
  }
  auto out = spans_from_request(request, limits);
  if (out) out->repaired_values = repaired->repaired_fields;
  return out;
}

namespace {

namespace json = boost::json;

json::value* find_either(json::object& o, std::string_view camel, std::string_view snake) {
  if (auto* v = o.if_contains(camel)) return v;
  return o.if_contains(snake);
}

// Replaces a hex id by the base64 text protobuf's JSON parser expects for a bytes field.
// An empty or absent id stays as it is (a root span has no parent). An id that is not hex of
// the right length becomes one byte, which spans_from_request() refuses for that span alone;
// the first such id's description goes to `bad_id`.
Result<void> hex_id_to_base64(json::object& o, std::string_view camel, std::string_view snake,
                              size_t bytes, std::string& bad_id) {
  json::value* v = find_either(o, camel, snake);
  if (!v || v->is_null()) return {};
  if (!v->is_string()) return Error{std::string(camel) + " is not a string"};
  const json::string& text = v->get_string();
  if (text.empty()) return {};
  std::string raw;
  if (!from_hex(std::string_view(text.data(), text.size()), bytes, raw)) {
    if (bad_id.empty()) {
      bad_id =
          std::string(camel) + " \"" +
          detail::utf8::sanitize(std::string_view(text.data(), std::min<size_t>(text.size(), 64))) +
          "\" is not " + std::to_string(bytes * 2) + " hex digits";
    }
    *v = json::string("AA==");
    return {};
  }
  *v = json::string(base64_encode(raw));
  return {};
}

json::array* array_at(json::object& o, std::string_view camel, std::string_view snake) {
  json::value* v = find_either(o, camel, snake);
  return v ? v->if_array() : nullptr;
}

Result<void> convert_ids(json::value& root, std::string& bad_id, uint64_t& spans_seen) {
  auto* top = root.if_object();
  if (!top) return Error{"the JSON body is not an object"};
  auto* resource_spans = array_at(*top, "resourceSpans", "resource_spans");
  if (!resource_spans) return {};
  for (auto& rs : *resource_spans) {
    auto* rso = rs.if_object();
    if (!rso) continue;
    auto* scope_spans = array_at(*rso, "scopeSpans", "scope_spans");
    if (!scope_spans) continue;
    for (auto& ss : *scope_spans) {
      auto* sso = ss.if_object();
      if (!sso) continue;
      auto* spans = array_at(*sso, "spans", "spans");
      if (!spans) continue;
      spans_seen += spans->size();
      for (auto& span : *spans) {
        auto* so = span.if_object();
        if (!so) continue;
        for (auto [camel, snake, bytes] : {std::tuple{"traceId", "trace_id", 16},
                                           {"spanId", "span_id", 8},
                                           {"parentSpanId", "parent_span_id", 8}}) {
          if (auto r = hex_id_to_base64(*so, camel, snake, bytes, bad_id); !r) return r;
        }
        if (auto* links = array_at(*so, "links", "links")) {
          for (auto& link : *links) {
            auto* lo = link.if_object();
            if (!lo) continue;
            if (auto r = hex_id_to_base64(*lo, "traceId", "trace_id", 16, bad_id); !r) return r;
            if (auto r = hex_id_to_base64(*lo, "spanId", "span_id", 8, bad_id); !r) return r;
          }
        }
      }
    }
  }
  return {};
}

// Makes every string (and key) of the document valid UTF-8, U+FFFD for each invalid byte;
// returns how many were repaired, and adds the objects it saw to `objects` (each becomes a
// message, the cost of decoding). Depth is bounded by the parser's max_depth.
size_t repair_utf8(json::value& v, uint64_t& objects) {
  size_t repaired = 0;
  if (auto* str = v.if_string()) {
    const std::string_view text(str->data(), str->size());
    if (!detail::utf8::is_valid(text)) {
      *str = detail::utf8::sanitize(text);
      ++repaired;
    }
  } else if (auto* arr = v.if_array()) {
    for (auto& e : *arr)
      repaired += repair_utf8(e, objects);
  } else if (auto* obj = v.if_object()) {
    ++objects;  // a message once parsed
    bool bad_key = false;
    for (auto& kv : *obj) {
      repaired += repair_utf8(kv.value(), objects);
      bad_key = bad_key || !detail::utf8::is_valid(std::string_view(kv.key()));
    }
    if (bad_key) {
      json::object fixed;
      for (auto& kv : *obj) {
        const std::string_view key = kv.key();
        if (!detail::utf8::is_valid(key)) ++repaired;
        fixed[detail::utf8::sanitize(key)] = std::move(kv.value());
      }
      *obj = std::move(fixed);
    }
  }
  return repaired;
}

}  // namespace

Result<void> otlp_json_hex_id_to_base64(boost::json::object& o, std::string_view camel,
                                        std::string_view snake, size_t bytes, std::string& bad_id) {
  return hex_id_to_base64(o, camel, snake, bytes, bad_id);
}

Result<boost::json::value> parse_otlp_json(std::string_view body, size_t* repaired,
                                           uint64_t* objects) {
  json::parse_options popts;
  popts.max_depth = 128;            // AnyValue nests; protobuf's own limit (100) applies after this
  popts.allow_invalid_utf8 = true;  // repaired below, value by value
  boost::system::error_code ec;
  json::value root = json::parse(json::string_view(body.data(), body.size()), ec, {}, popts);
  if (ec) return Error{"the body is not valid JSON: " + ec.message()};
  uint64_t seen = 0;
  const size_t fixed = repair_utf8(root, seen);
  if (repaired) *repaired = fixed;
  if (objects) *objects = seen;
  return root;
}

Result<otlpv1::ExportTraceServiceRequest> json_to_request(std::string_view body, size_t* repaired,
                                                          std::string* bad_id,
                                                          const SpanLimits* size_limits) {
  uint64_t objects = 0;
  auto parsed = parse_otlp_json(body, repaired, &objects);
  if (!parsed) return parsed.error();
  json::value& root = *parsed;
  std::string first_bad_id;
  uint64_t spans = 0;
  if (auto r = convert_ids(root, first_bad_id, spans); !r) return r.error();
  if (bad_id) *bad_id = std::move(first_bad_id);
  // As for protobuf bytes, before protobuf builds the message and the spans are made.
  if (size_limits) {
    if (auto error = request_size_error(body.size(), {.records = spans, .messages = objects},
                                        kDecodedSpanBytes, "spans", *size_limits)) {
      return *error;
    }
  }
  otlpv1::ExportTraceServiceRequest request;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // OTLP/JSON: receivers must ignore unknown fields
  const auto status =
      google::protobuf::util::JsonStringToMessage(json::serialize(root), &request, options);
  if (!status.ok()) {
    return Error{"the JSON body is not an OTLP ExportTraceServiceRequest: " +
                 std::string(status.message())};
  }
  return request;
}

Result<DecodedSpans> decode_json(std::string_view body, const SpanLimits& limits) {
  size_t repaired = 0;
  std::string bad_id;
  auto request = json_to_request(body, &repaired, &bad_id, &limits);
  if (!request) return request.error();
  auto out = spans_from_request(*request, limits);
  if (!out) return out;
  out->repaired_values = repaired;
  if (out->rejected > 0 && !bad_id.empty()) out->rejected_reason = bad_id;
  return out;
}

Result<std::string> gunzip(std::string_view in, size_t max_bytes) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return Error{"zlib could not start"};  // gzip or zlib
  std::string out;
  out.resize(std::min<size_t>(std::max<size_t>(in.size() * 4, 4096), max_bytes + 1));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  size_t produced = 0;
  while (true) {
    if (produced == out.size()) {
      if (out.size() > max_bytes) break;
      out.resize(std::min(out.size() * 2, max_bytes + 1));
    }
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(out.size() - produced);
    rc = inflate(&zs, Z_NO_FLUSH);
    produced = out.size() - zs.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && !(rc == Z_BUF_ERROR && zs.avail_out == 0)) break;
    if (zs.avail_in == 0 && zs.avail_out != 0) break;  // input ended before the stream did
  }
  inflateEnd(&zs);
  if (produced > max_bytes) {
    return Error{"too large: the body inflates to more than " + std::to_string(max_bytes) +
                 " bytes"};
  }
  if (rc != Z_STREAM_END) return Error{"the gzip body is corrupt or truncated"};
  out.resize(produced);
  return out;
}

}  // namespace tracekit::collector
