// The protobuf wire format of ExportTraceServiceRequest, written straight from span records.
//
// Nested messages are length-prefixed. Rather than computing every size in a first pass, the
// writer leaves room for the length prefix (a guess of 1, 2 or 3 bytes by message kind), writes
// the body, then writes the real length, moving the body only when the guess was wrong. The
// output is canonical: every length is the shortest varint.
#include <bit>
#include <cstring>

#include "span_grouping.h"
#include "tracekit/detail/utf8.h"
#include "tracekit/otlp/encoder.h"
#include "tracekit/resource.h"

namespace tracekit::otlp {

namespace {

static_assert(std::endian::native == std::endian::little,
              "the fixed32/fixed64 writer assumes a little-endian machine");

constexpr uint8_t kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5;
constexpr uint8_t tag(uint32_t field, uint8_t wire_type) {
  return static_cast<uint8_t>((field << 3) | wire_type);
}

inline size_t varint_size(uint64_t v) {
  // 1 + floor(log2(v) / 7), with v|1 so that 0 takes one byte.
  return (static_cast<size_t>(std::bit_width(v | 1)) + 6) / 7;
}

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out), pos_(out.size()) {}
  ~Writer() { out_.resize(pos_); }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  char* room(size_t n) {
    if (out_.size() - pos_ < n) [[unlikely]]
      grow(n);
    return out_.data() + pos_;
  }

  void byte(uint8_t b) {
    *room(1) = static_cast<char>(b);
    ++pos_;
  }
  void varint(uint64_t v) {
    char* p = room(10);
    size_t n = 0;
    while (v >= 0x80) {
      p[n++] = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    p[n++] = static_cast<char>(v);
    pos_ += n;
  }
  void fixed64(uint64_t v) {
    std::memcpy(room(8), &v, 8);
    pos_ += 8;
  }
  void fixed32(uint32_t v) {
    std::memcpy(room(4), &v, 4);
    pos_ += 4;
  }
  // A length-delimited field whose bytes are known.
  void bytes(uint8_t field_tag, const void* data, size_t n) {
    char* p = room(n + 11);
    p[0] = static_cast<char>(field_tag);
    size_t k = 1;
    size_t len = n;
    while (len >= 0x80) {
      p[k++] = static_cast<char>(len | 0x80);
      len >>= 7;
    }
    p[k++] = static_cast<char>(len);
    if (n) std::memcpy(p + k, data, n);  // an empty string_view may hold a null pointer
    pos_ += k + n;
  }
  // A string field, always written (use for oneof members and required-looking fields).
  void string_always(uint8_t field_tag, std::string_view s) {
    if (detail::utf8::is_valid(s)) [[likely]] {
      bytes(field_tag, s.data(), s.size());
    } else {
      std::string fixed = detail::utf8::sanitize(s);
      bytes(field_tag, fixed.data(), fixed.size());
    }
  }
  // A proto3 string field: the empty string is the default and is left out.
  void string(uint8_t field_tag, std::string_view s) {
    if (!s.empty()) string_always(field_tag, s);
  }
  void uint_field(uint8_t field_tag, uint64_t v) {
    if (v == 0) return;
    byte(field_tag);
    varint(v);
  }

  // Starts a nested message: writes the tag and leaves `guess` bytes for the length.
  size_t begin(uint8_t field_tag, size_t guess) {
    char* p = room(1 + guess);
    p[0] = static_cast<char>(field_tag);
    size_t at = pos_ + 1;
    pos_ = at + guess;
    return at;
  }
  void end(size_t at, size_t guess) {
    const size_t len = pos_ - at - guess;
    const size_t need = varint_size(len);
    if (need != guess) [[unlikely]] {
      if (need > guess) room(need - guess);
      char* base = out_.data() + at;
      std::memmove(base + need, base + guess, len);
      pos_ = pos_ + need - guess;
    }
    char* p = out_.data() + at;
    size_t v = len;
    for (size_t i = 0; i + 1 < need; ++i) {
      *p++ = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    *p = static_cast<char>(v);
  }

 private:
  void grow(size_t n) {
    size_t want = std::max(out_.size() * 2, pos_ + n + 4096);
    out_.resize(want);
  }
  std::string& out_;
  size_t pos_;
};

// Guesses for the length prefix of each kind of message.
constexpr size_t kSmall = 1;   // KeyValue, AnyValue, Status, Link: usually < 128 bytes
constexpr size_t kMedium = 2;  // Span, Event, Resource, Scope: usually < 16 KiB
constexpr size_t kLarge = 3;   // ScopeSpans, ResourceSpans: usually < 2 MiB

template <class T, class Fn>
void write_array(Writer& w, std::span<const T> items, Fn&& one) {
  // AnyValue.array_value (5) -> ArrayValue.values (1) -> AnyValue
  const size_t guess = items.size() < 16 ? kSmall : kMedium;
  size_t arr = w.begin(tag(5, kLen), guess);
  for (const T& item : items) {
    size_t el = w.begin(tag(1, kLen), kSmall);
    one(item);
    w.end(el, kSmall);
  }
  w.end(arr, guess);
}

// The fields of an AnyValue.
void write_any_value(Writer& w, const AttributeValue& v) {
  switch (v.type()) {
    case AttributeType::kBool:
      w.byte(tag(2, kVarint));
      w.byte(v.as_bool() ? 1 : 0);
      return;
    case AttributeType::kInt:
      w.byte(tag(3, kVarint));
      w.varint(static_cast<uint64_t>(v.as_int()));
      return;
    case AttributeType::kDouble:
      w.byte(tag(4, kFixed64));
      w.fixed64(std::bit_cast<uint64_t>(v.as_double()));
      return;
    case AttributeType::kString:
      w.string_always(tag(1, kLen), v.as_string());
      return;
    case AttributeType::kBoolArray:
      write_array(w, v.as_bool_array(), [&](bool b) { write_any_value(w, b); });
      return;
    case AttributeType::kIntArray:
      write_array(w, v.as_int_array(), [&](int64_t i) { write_any_value(w, i); });
      return;
    case AttributeType::kDoubleArray:
      write_array(w, v.as_double_array(), [&](double d) { write_any_value(w, d); });
      return;
    case AttributeType::kStringArray:
      write_array(w, v.as_string_array(),
                  [&](std::string_view s) { w.string_always(tag(1, kLen), s); });
      return;
  }
}

void write_attributes(Writer& w, uint8_t field_tag, std::span<const KeyValue> attrs) {
  for (const KeyValue& kv : attrs) {
    const size_t guess = kv.value.type() == AttributeType::kString && kv.value.size() > 100
                             ? kMedium
                             : (kv.value.is_array() && kv.value.size() > 8 ? kMedium : kSmall);
    size_t at = w.begin(field_tag, guess);
    w.string(tag(1, kLen), kv.key);
    size_t val = w.begin(tag(2, kLen), guess);
    write_any_value(w, kv.value);
    w.end(val, guess);
    w.end(at, guess);
  }
}

// OTLP Span.flags / Link.flags: the W3C trace flags in bits 0-7; bit 8 says bit 9 is known and
// bit 9 says the parent (or linked) context is remote.
inline uint32_t otlp_flags(TraceFlags flags, bool remote) {
  return flags.bits() | 0x100u | (remote ? 0x200u : 0u);
}

void write_span(Writer& w, const SpanData& s) {
  size_t span = w.begin(tag(2, kLen), kMedium);  // ScopeSpans.spans = 2
  const SpanContext& ctx = s.context();
  w.bytes(tag(1, kLen), ctx.trace_id().data(), TraceId::kSize);
  w.bytes(tag(2, kLen), ctx.span_id().data(), SpanId::kSize);
  if (!ctx.trace_state().empty()) w.string(tag(3, kLen), ctx.trace_state().header());
  if (s.parent_span_id().is_valid()) {
    w.bytes(tag(4, kLen), s.parent_span_id().data(), SpanId::kSize);
  }
  w.string_always(tag(5, kLen), s.name());
  w.byte(tag(6, kVarint));
  w.byte(static_cast<uint8_t>(s.kind()));
  w.byte(tag(7, kFixed64));
  w.fixed64(s.start_time_ns());
  w.byte(tag(8, kFixed64));
  w.fixed64(s.end_time_ns());
  write_attributes(w, tag(9, kLen), s.attributes());
  w.uint_field(tag(10, kVarint), s.dropped_attributes_count());
  for (const Event& e : s.events()) {
    size_t ev = w.begin(tag(11, kLen), kMedium);
    w.byte(tag(1, kFixed64));
    w.fixed64(e.time_ns);
    w.string_always(tag(2, kLen), e.name);
    write_attributes(w, tag(3, kLen), e.attributes);
    w.uint_field(tag(4, kVarint), e.dropped_attributes_count);
    w.end(ev, kMedium);
  }
  w.uint_field(tag(12, kVarint), s.dropped_events_count());
  for (const Link& l : s.links()) {
    size_t ln = w.begin(tag(13, kLen), kSmall);
    w.bytes(tag(1, kLen), l.context.trace_id().data(), TraceId::kSize);
    w.bytes(tag(2, kLen), l.context.span_id().data(), SpanId::kSize);
    if (!l.context.trace_state().empty()) w.string(tag(3, kLen), l.context.trace_state().header());
    write_attributes(w, tag(4, kLen), l.attributes);
    w.uint_field(tag(5, kVarint), l.dropped_attributes_count);
    w.byte(tag(6, kFixed32));
    w.fixed32(otlp_flags(l.context.flags(), l.context.is_remote()));
    w.end(ln, kSmall);
  }
  w.uint_field(tag(14, kVarint), s.dropped_links_count());
  if (s.status_code() != StatusCode::kUnset) {
    size_t st = w.begin(tag(15, kLen), kSmall);
    w.string(tag(2, kLen), s.status_description());
    w.byte(tag(3, kVarint));
    w.byte(static_cast<uint8_t>(s.status_code()));
    w.end(st, kSmall);
  }
  // flags = 16, fixed32: the tag takes two bytes.
  w.byte(static_cast<uint8_t>((16u << 3 | kFixed32) | 0x80));
  w.byte(static_cast<uint8_t>((16u << 3 | kFixed32) >> 7));
  w.fixed32(otlp_flags(ctx.flags(), s.has_remote_parent()));
  w.end(span, kMedium);
}

}  // namespace

void encode_request(std::span<const SpanDataPtr> spans, std::string& out) {
  Writer w(out);
  for (const auto& rg : detail::group_spans(spans)) {
    size_t rs = w.begin(tag(1, kLen), kLarge);    // ExportTraceServiceRequest.resource_spans
    size_t res = w.begin(tag(1, kLen), kMedium);  // ResourceSpans.resource
    write_attributes(w, tag(1, kLen), rg.resource->attributes().items());
    w.end(res, kMedium);
    for (const auto& sg : rg.scopes) {
      size_t ss = w.begin(tag(2, kLen), kLarge);   // ResourceSpans.scope_spans
      size_t sc = w.begin(tag(1, kLen), kMedium);  // ScopeSpans.scope
      w.string(tag(1, kLen), sg.scope->name);
      w.string(tag(2, kLen), sg.scope->version);
      write_attributes(w, tag(3, kLen), sg.scope->attributes.items());
      w.end(sc, kMedium);
      for (const SpanData* s : sg.spans)
        write_span(w, *s);
      w.string(tag(3, kLen), sg.scope->schema_url);
      w.end(ss, kLarge);
    }
    w.string(tag(3, kLen), rg.resource->schema_url());
    w.end(rs, kLarge);
  }
}

}  // namespace tracekit::otlp
