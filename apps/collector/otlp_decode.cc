#include "otlp_decode.h"

#include <google/protobuf/util/json_util.h>
#include <zlib.h>

#include <boost/json.hpp>
#include <cmath>
#include <cstdio>

#include "json_text.h"

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

void append_any_value(std::string& out, const commonv1::AnyValue& value);

void append_attributes(std::string& out,
                       const google::protobuf::RepeatedPtrField<commonv1::KeyValue>& attributes) {
  out.push_back('[');
  bool first = true;
  for (const auto& kv : attributes) {
    if (!first) out.push_back(',');
    first = false;
    out += "{\"key\":";
    append_json_string(out, kv.key());
    out += ",\"value\":";
    append_any_value(out, kv.value());
    out.push_back('}');
  }
  out.push_back(']');
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

void append_any_value(std::string& out, const commonv1::AnyValue& value) {
  switch (value.value_case()) {
    case commonv1::AnyValue::kStringValue:
      out += "{\"stringValue\":";
      append_json_string(out, value.string_value());
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
    case commonv1::AnyValue::kBytesValue:
      out += "{\"bytesValue\":";
      append_json_string(out, base64_encode(value.bytes_value()));
      break;
    case commonv1::AnyValue::kArrayValue: {
      out += "{\"arrayValue\":{\"values\":[";
      bool first = true;
      for (const auto& v : value.array_value().values()) {
        if (!first) out.push_back(',');
        first = false;
        append_any_value(out, v);
      }
      out += "]}";
      break;
    }
    case commonv1::AnyValue::kKvlistValue:
      out += "{\"kvlistValue\":{\"values\":";
      append_attributes(out, value.kvlist_value().values());
      out.push_back('}');
      break;
    default:
      out.push_back('{');
  }
  out.push_back('}');
}

std::string service_name_of(const opentelemetry::proto::resource::v1::Resource& resource) {
  for (const auto& kv : resource.attributes()) {
    if (kv.key() == "service.name" && kv.value().has_string_value())
      return kv.value().string_value();
  }
  return "unknown_service";
}

// Why a span cannot be stored, or nullptr.
const char* invalid_span(const tracev1::Span& span) {
  if (span.trace_id().size() != 16) return "trace_id is not 16 bytes";
  if (span.span_id().size() != 8) return "span_id is not 8 bytes";
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
                     const std::string& resource_json, const std::string& scope_json) {
  StoredSpan s;
  s.trace_id = to_hex(span.trace_id());
  s.span_id = to_hex(span.span_id());
  if (!span.parent_span_id().empty()) s.parent_span_id = to_hex(span.parent_span_id());
  s.trace_state = span.trace_state();
  s.flags = span.flags();
  s.name = span.name();
  s.kind = static_cast<int>(span.kind());
  // Times past 2262 do not fit int64 nanoseconds; clamp rather than wrap to negative.
  constexpr uint64_t kMax = static_cast<uint64_t>(INT64_MAX);
  s.start_ns = static_cast<int64_t>(std::min<uint64_t>(span.start_time_unix_nano(), kMax));
  s.end_ns = static_cast<int64_t>(std::min<uint64_t>(span.end_time_unix_nano(), kMax));
  s.status_code = static_cast<int>(span.status().code());
  s.status_message = span.status().message();
  s.service = service;
  s.scope_json = scope_json;
  s.attributes_json.clear();
  append_attributes(s.attributes_json, span.attributes());
  s.resource_json = resource_json;
  s.dropped_attributes = span.dropped_attributes_count();
  s.dropped_events = span.dropped_events_count();
  s.dropped_links = span.dropped_links_count();

  std::string& ev = s.events_json;
  ev = "[";
  for (int i = 0; i < span.events_size(); ++i) {
    const auto& e = span.events(i);
    if (i) ev.push_back(',');
    ev += "{\"timeUnixNano\":";
    append_json_int_string(ev, static_cast<int64_t>(std::min<uint64_t>(e.time_unix_nano(), kMax)));
    ev += ",\"name\":";
    append_json_string(ev, e.name());
    ev += ",\"attributes\":";
    append_attributes(ev, e.attributes());
    ev += ",\"droppedAttributesCount\":" + std::to_string(e.dropped_attributes_count()) + "}";
  }
  ev.push_back(']');

  std::string& ln = s.links_json;
  ln = "[";
  for (int i = 0; i < span.links_size(); ++i) {
    const auto& l = span.links(i);
    if (i) ln.push_back(',');
    ln += "{\"traceId\":\"" + to_hex(l.trace_id()) + "\",\"spanId\":\"" + to_hex(l.span_id()) +
          "\",\"traceState\":";
    append_json_string(ln, l.trace_state());
    ln += ",\"flags\":" + std::to_string(l.flags()) + ",\"attributes\":";
    append_attributes(ln, l.attributes());
    ln += ",\"droppedAttributesCount\":" + std::to_string(l.dropped_attributes_count()) + "}";
  }
  ln.push_back(']');
  return s;
}

}  // namespace

DecodedSpans spans_from_request(const otlpv1::ExportTraceServiceRequest& request) {
  DecodedSpans out;
  size_t total = 0;
  for (const auto& rs : request.resource_spans()) {
    for (const auto& ss : rs.scope_spans())
      total += static_cast<size_t>(ss.spans_size());
  }
  out.spans.reserve(total);
  for (const auto& rs : request.resource_spans()) {
    const std::string service = service_name_of(rs.resource());
    std::string resource_json = "{\"attributes\":";
    append_attributes(resource_json, rs.resource().attributes());
    resource_json +=
        ",\"droppedAttributesCount\":" + std::to_string(rs.resource().dropped_attributes_count()) +
        ",\"schemaUrl\":";
    append_json_string(resource_json, rs.schema_url());
    resource_json += "}";
    for (const auto& ss : rs.scope_spans()) {
      const auto& scope = ss.scope();
      std::string scope_json = "{\"name\":";
      append_json_string(scope_json, scope.name());
      scope_json += ",\"version\":";
      append_json_string(scope_json, scope.version());
      scope_json += ",\"attributes\":";
      append_attributes(scope_json, scope.attributes());
      scope_json +=
          ",\"droppedAttributesCount\":" + std::to_string(scope.dropped_attributes_count()) +
          ",\"schemaUrl\":";
      append_json_string(scope_json, ss.schema_url());
      scope_json += "}";
      for (const auto& span : ss.spans()) {
        if (const char* why = invalid_span(span)) {
          if (out.rejected++ == 0) out.rejected_reason = why;
          continue;
        }
        out.spans.push_back(to_stored(span, service, resource_json, scope_json));
      }
    }
  }
  return out;
}

Result<DecodedSpans> decode_protobuf(std::string_view body) {
  otlpv1::ExportTraceServiceRequest request;
  if (!request.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return Error{"the body is not a valid OTLP ExportTraceServiceRequest protobuf message"};
  }
  return spans_from_request(request);
}

namespace {

namespace json = boost::json;

json::value* find_either(json::object& o, std::string_view camel, std::string_view snake) {
  if (auto* v = o.if_contains(camel)) return v;
  return o.if_contains(snake);
}

// Replaces a hex id by the base64 text protobuf's JSON parser expects for a bytes field.
// An empty or absent id stays as it is (a root span has no parent).
Result<void> hex_id_to_base64(json::object& o, std::string_view camel, std::string_view snake,
                              size_t bytes) {
  json::value* v = find_either(o, camel, snake);
  if (!v || v->is_null()) return {};
  if (!v->is_string()) return Error{std::string(camel) + " is not a string"};
  const json::string& text = v->get_string();
  if (text.empty()) return {};
  std::string raw;
  if (!from_hex(std::string_view(text.data(), text.size()), bytes, raw)) {
    return Error{std::string(camel) + " \"" +
                 std::string(text.data(), std::min<size_t>(text.size(), 64)) + "\" is not " +
                 std::to_string(bytes * 2) + " hex digits"};
  }
  *v = json::string(base64_encode(raw));
  return {};
}

json::array* array_at(json::object& o, std::string_view camel, std::string_view snake) {
  json::value* v = find_either(o, camel, snake);
  return v ? v->if_array() : nullptr;
}

Result<void> convert_ids(json::value& root) {
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
      for (auto& span : *spans) {
        auto* so = span.if_object();
        if (!so) continue;
        for (auto [camel, snake, bytes] : {std::tuple{"traceId", "trace_id", 16},
                                           {"spanId", "span_id", 8},
                                           {"parentSpanId", "parent_span_id", 8}}) {
          if (auto r = hex_id_to_base64(*so, camel, snake, bytes); !r) return r;
        }
        if (auto* links = array_at(*so, "links", "links")) {
          for (auto& link : *links) {
            auto* lo = link.if_object();
            if (!lo) continue;
            if (auto r = hex_id_to_base64(*lo, "traceId", "trace_id", 16); !r) return r;
            if (auto r = hex_id_to_base64(*lo, "spanId", "span_id", 8); !r) return r;
          }
        }
      }
    }
  }
  return {};
}

}  // namespace

Result<otlpv1::ExportTraceServiceRequest> json_to_request(std::string_view body) {
  json::parse_options popts;
  popts.max_depth = 128;  // AnyValue nests; protobuf's own limit (100) applies after this
  boost::system::error_code ec;
  json::value root = json::parse(json::string_view(body.data(), body.size()), ec, {}, popts);
  if (ec) return Error{"the body is not valid JSON: " + ec.message()};
  if (auto r = convert_ids(root); !r) return r.error();
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

Result<DecodedSpans> decode_json(std::string_view body) {
  auto request = json_to_request(body);
  if (!request) return request.error();
  return spans_from_request(*request);
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
