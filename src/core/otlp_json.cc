#include "tracekit/otlp_json.h"

#include <charconv>
#include <cmath>

#include "span_grouping.h"
#include "tracekit/detail/utf8.h"
#include "tracekit/resource.h"

namespace tracekit::otlp_json {

namespace {

void append_u64_string(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out += '"';
  out.append(buf, r.ptr);
  out += '"';
}

void append_i64_string(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out += '"';
  out.append(buf, r.ptr);
  out += '"';
}

void append_u64(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_double(std::string& out, double d) {
  // The protobuf JSON mapping writes non-finite doubles as strings.
  if (std::isnan(d)) {
    out += "\"NaN\"";
  } else if (std::isinf(d)) {
    out += d > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  } else {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, d);
    out.append(buf, r.ptr);
  }
}

template <size_t N>
void append_hex(std::string& out, const Id<N>& id) {
  out += '"';
  size_t at = out.size();
  out.resize(at + 2 * N);
  id.write_hex(out.data() + at);
  out += '"';
}

void append_any_value(std::string& out, const AttributeValue& v);

template <class T, class Fn>
void append_array(std::string& out, std::span<const T> items, Fn&& one) {
  out += "{\"arrayValue\":{\"values\":[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    one(items[i]);
  }
  out += "]}}";
}

void append_any_value(std::string& out, const AttributeValue& v) {
  switch (v.type()) {
    case AttributeType::kBool:
      out += v.as_bool() ? "{\"boolValue\":true}" : "{\"boolValue\":false}";
      return;
    case AttributeType::kInt:
      out += "{\"intValue\":";
      append_i64_string(out, v.as_int());
      out += '}';
      return;
    case AttributeType::kDouble:
      out += "{\"doubleValue\":";
      append_double(out, v.as_double());
      out += '}';
      return;
    case AttributeType::kString:
      out += "{\"stringValue\":";
      append_string(out, v.as_string());
      out += '}';
      return;
    case AttributeType::kBoolArray:
      append_array(out, v.as_bool_array(), [&](bool b) { append_any_value(out, b); });
      return;
    case AttributeType::kIntArray:
      append_array(out, v.as_int_array(), [&](int64_t i) { append_any_value(out, i); });
      return;
    case AttributeType::kDoubleArray:
      append_array(out, v.as_double_array(), [&](double d) { append_any_value(out, d); });
      return;
    case AttributeType::kStringArray:
      append_array(out, v.as_string_array(), [&](std::string_view s) { append_any_value(out, s); });
      return;
  }
}

void append_attributes(std::string& out, std::span<const KeyValue> attrs) {
  out += "\"attributes\":[";
  for (size_t i = 0; i < attrs.size(); ++i) {
    if (i) out += ',';
    out += "{\"key\":";
    append_string(out, attrs[i].key);
    out += ",\"value\":";
    append_any_value(out, attrs[i].value);
    out += '}';
  }
  out += ']';
}

void append_dropped(std::string& out, const char* field, uint32_t n) {
  if (n == 0) return;
  out += ",\"";
  out += field;
  out += "\":";
  append_u64(out, n);
}

// OTLP Span.flags / Link.flags: the W3C trace flags in bits 0-7, then bit 8 says bit 9 is known
// and bit 9 says the parent (or linked) context is remote.
uint32_t otlp_flags(TraceFlags flags, bool remote) {
  return flags.bits() | 0x100u | (remote ? 0x200u : 0u);
}

void append_span(std::string& out, const SpanData& s) {
  out += "{\"traceId\":";
  append_hex(out, s.context().trace_id());
  out += ",\"spanId\":";
  append_hex(out, s.context().span_id());
  if (!s.context().trace_state().empty()) {
    out += ",\"traceState\":";
    append_string(out, s.context().trace_state().header());
  }
  if (s.parent_span_id().is_valid()) {
    out += ",\"parentSpanId\":";
    append_hex(out, s.parent_span_id());
  }
  out += ",\"flags\":";
  append_u64(out, otlp_flags(s.context().flags(), s.has_remote_parent()));
  out += ",\"name\":";
  append_string(out, s.name());
  out += ",\"kind\":";
  append_u64(out, static_cast<uint64_t>(s.kind()));
  out += ",\"startTimeUnixNano\":";
  append_u64_string(out, s.start_time_ns());
  out += ",\"endTimeUnixNano\":";
  append_u64_string(out, s.end_time_ns());
  out += ',';
  append_attributes(out, s.attributes());
  append_dropped(out, "droppedAttributesCount", s.dropped_attributes_count());
  out += ",\"events\":[";
  bool first = true;
  for (const auto& e : s.events()) {
    if (!first) out += ',';
    first = false;
    out += "{\"timeUnixNano\":";
    append_u64_string(out, e.time_ns);
    out += ",\"name\":";
    append_string(out, e.name);
    out += ',';
    append_attributes(out, e.attributes);
    append_dropped(out, "droppedAttributesCount", e.dropped_attributes_count);
    out += '}';
  }
  out += ']';
  append_dropped(out, "droppedEventsCount", s.dropped_events_count());
  out += ",\"links\":[";
  first = true;
  for (const auto& l : s.links()) {
    if (!first) out += ',';
    first = false;
    out += "{\"traceId\":";
    append_hex(out, l.context.trace_id());
    out += ",\"spanId\":";
    append_hex(out, l.context.span_id());
    if (!l.context.trace_state().empty()) {
      out += ",\"traceState\":";
      append_string(out, l.context.trace_state().header());
    }
    out += ',';
    append_attributes(out, l.attributes);
    append_dropped(out, "droppedAttributesCount", l.dropped_attributes_count);
    out += ",\"flags\":";
    append_u64(out, otlp_flags(l.context.flags(), l.context.is_remote()));
    out += '}';
  }
  out += ']';
  append_dropped(out, "droppedLinksCount", s.dropped_links_count());
  out += ",\"status\":{";
  if (s.status_code() != StatusCode::kUnset) {
    if (!s.status_description().empty()) {
      out += "\"message\":";
      append_string(out, s.status_description());
      out += ',';
    }
    out += "\"code\":";
    append_u64(out, static_cast<uint64_t>(s.status_code()));
  }
  out += "}}";
}

}  // namespace

void append_string(std::string& out, std::string_view text) {
  out += '"';
  append_escaped(out, text);
  out += '"';
}

void append_escaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<uint8_t>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      // Copy a run of plain characters at once.
      size_t j = i + 1;
      while (j < text.size()) {
        auto d = static_cast<uint8_t>(text[j]);
        if (d < 0x20 || d == '"' || d == '\\' || d >= 0x80) break;
        ++j;
      }
      out.append(text.data() + i, j - i);
      i = j;
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0x0F];
        } else {
          size_t n = detail::utf8::sequence_length(text, i);
          if (n == 0) {
            out += "\xEF\xBF\xBD";  // U+FFFD for a byte that is not valid UTF-8
            n = 1;
          } else {
            out.append(text.data() + i, n);
          }
          i += n;
          continue;
        }
    }
    ++i;
  }
}

void append_attribute_list(std::string& out, std::span<const KeyValue> attrs) {
  append_attributes(out, attrs);
}

void encode_request(std::span<const SpanDataPtr> spans, std::string& out) {
  out += "{\"resourceSpans\":[";
  bool first_resource = true;
  for (const auto& rg : detail::group_spans(spans)) {
    if (!first_resource) out += ',';
    first_resource = false;
    out += "{\"resource\":{";
    append_attributes(out, rg.resource->attributes().items());
    out += "},\"scopeSpans\":[";
    bool first_scope = true;
    for (const auto& sg : rg.scopes) {
      if (!first_scope) out += ',';
      first_scope = false;
      out += "{\"scope\":{\"name\":";
      append_string(out, sg.scope->name);
      if (!sg.scope->version.empty()) {
        out += ",\"version\":";
        append_string(out, sg.scope->version);
      }
      if (!sg.scope->attributes.empty()) {
        out += ',';
        append_attributes(out, sg.scope->attributes.items());
      }
      out += "},\"spans\":[";
      for (size_t i = 0; i < sg.spans.size(); ++i) {
        if (i) out += ',';
        append_span(out, *sg.spans[i]);
      }
      out += ']';
      if (!sg.scope->schema_url.empty()) {
        out += ",\"schemaUrl\":";
        append_string(out, sg.scope->schema_url);
      }
      out += '}';
    }
    out += ']';
    if (!rg.resource->schema_url().empty()) {
      out += ",\"schemaUrl\":";
      append_string(out, rg.resource->schema_url());
    }
    out += '}';
  }
  out += "]}";
}

}  // namespace tracekit::otlp_json
