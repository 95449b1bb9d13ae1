// SPDX-License-Identifier: Apache-2.0
#include "otlp_utf8_repair.h"

#include <cstdint>

#include "tracekit/detail/utf8.h"

namespace tracekit::collector {

namespace {

// The messages of opentelemetry/proto/collector/trace/v1 that hold strings, directly or below.
enum class Kind {
  kRequest,
  kResourceSpans,
  kResource,
  kScopeSpans,
  kScope,
  kSpan,
  kEvent,
  kLink,
  kStatus,
  kKeyValue,
  kAnyValue,
  kArrayValue,
  kKeyValueList,
};

// What a length-delimited field of a message is: a string, a message of a kind, or bytes.
struct FieldType {
  bool is_string = false;
  bool is_message = false;
  Kind kind = Kind::kRequest;
};
constexpr FieldType kBytes{};
constexpr FieldType kString{true, false, Kind::kRequest};
constexpr FieldType message(Kind k) {
  return {false, true, k};
}

// Field numbers from the .proto files (opentelemetry-proto v1).
FieldType field_type(Kind kind, uint32_t field) {
  switch (kind) {
    case Kind::kRequest:
      return field == 1 ? message(Kind::kResourceSpans) : kBytes;
    case Kind::kResourceSpans:
      if (field == 1) return message(Kind::kResource);
      if (field == 2) return message(Kind::kScopeSpans);
      return field == 3 ? kString : kBytes;
    case Kind::kResource:
      return field == 1 ? message(Kind::kKeyValue) : kBytes;
    case Kind::kScopeSpans:
      if (field == 1) return message(Kind::kScope);
      if (field == 2) return message(Kind::kSpan);
      return field == 3 ? kString : kBytes;
    case Kind::kScope:
      if (field == 1 || field == 2) return kString;
      return field == 3 ? message(Kind::kKeyValue) : kBytes;
    case Kind::kSpan:
      if (field == 3 || field == 5) return kString;  // trace_state, name
      if (field == 9) return message(Kind::kKeyValue);
      if (field == 11) return message(Kind::kEvent);
      if (field == 13) return message(Kind::kLink);
      return field == 15 ? message(Kind::kStatus) : kBytes;
    case Kind::kEvent:
      if (field == 2) return kString;
      return field == 3 ? message(Kind::kKeyValue) : kBytes;
    case Kind::kLink:
      if (field == 3) return kString;
      return field == 4 ? message(Kind::kKeyValue) : kBytes;
    case Kind::kStatus:
      return field == 2 ? kString : kBytes;
    case Kind::kKeyValue:
      if (field == 1) return kString;
      return field == 2 ? message(Kind::kAnyValue) : kBytes;
    case Kind::kAnyValue:
      if (field == 1) return kString;
      if (field == 5) return message(Kind::kArrayValue);
      return field == 6 ? message(Kind::kKeyValueList) : kBytes;
    case Kind::kArrayValue:
      return field == 1 ? message(Kind::kAnyValue) : kBytes;
    case Kind::kKeyValueList:
      return field == 1 ? message(Kind::kKeyValue) : kBytes;
  }
  return kBytes;
}

bool read_varint(std::string_view in, size_t& pos, uint64_t& out) {
  out = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= in.size()) return false;
    const auto b = static_cast<uint8_t>(in[pos++]);
    out |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

void write_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// protobuf's own nesting limit.
constexpr int kMaxDepth = 100;

bool rewrite(std::string_view in, Kind kind, int depth, std::string& out, size_t& repaired) {
  if (depth > kMaxDepth) return false;
  size_t pos = 0;
  while (pos < in.size()) {
    const size_t field_start = pos;
    uint64_t tag = 0;
    if (!read_varint(in, pos, tag)) return false;
    const auto field = static_cast<uint32_t>(tag >> 3);
    switch (tag & 7) {
      case 0: {  // varint
        uint64_t unused = 0;
        if (!read_varint(in, pos, unused)) return false;
        out.append(in.substr(field_start, pos - field_start));
        break;
      }
      case 1:    // fixed64
      case 5: {  // fixed32
        const size_t n = (tag & 7) == 1 ? 8 : 4;
        if (in.size() - pos < n) return false;
        pos += n;
        out.append(in.substr(field_start, pos - field_start));
        break;
      }
      case 2: {
        uint64_t length = 0;
        if (!read_varint(in, pos, length) || length > in.size() - pos) return false;
        const std::string_view value = in.substr(pos, length);
        pos += length;
        const FieldType type = field_type(kind, field);
        write_varint(out, tag);
        if (type.is_string && !detail::utf8::is_valid(value)) {
          const std::string fixed = detail::utf8::sanitize(value);
          write_varint(out, fixed.size());
          out += fixed;
          ++repaired;
        } else if (type.is_message) {
          std::string inner;
          if (!rewrite(value, type.kind, depth + 1, inner, repaired)) return false;
          write_varint(out, inner.size());
          out += inner;
        } else {
          write_varint(out, value.size());
          out.append(value);
        }
        break;
      }
      default:  // groups (3, 4) are not in OTLP; 6 and 7 do not exist
        return false;
    }
  }
  return true;
}

}  // namespace

std::optional<RepairedRequest> repair_request_utf8(std::string_view request) {
  RepairedRequest r;
  r.bytes.reserve(request.size() + 64);
  if (!rewrite(request, Kind::kRequest, 0, r.bytes, r.repaired_fields)) return std::nullopt;
  return r;
}

}  // namespace tracekit::collector
