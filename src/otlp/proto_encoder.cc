// SPDX-License-Identifier: Apache-2.0
// The protobuf wire format of ExportTraceServiceRequest, written straight from span records
// (the writer is proto_writer.h).
#include <cstring>
#include <span>
#include <vector>

#include "prefetch.h"
#include "proto_encoders.h"
#include "proto_writer.h"
#include "span_grouping.h"
#include "tracekit/detail/utf8.h"
#include "tracekit/otlp/encoder.h"
#include "tracekit/resource.h"

namespace tracekit::otlp {

namespace {

using namespace detail::proto;

// OTLP Span.flags / Link.flags: the W3C trace flags in bits 0-7; bit 8 says bit 9 is known and
// bit 9 says the parent (or linked) context is remote.
inline uint32_t otlp_flags(TraceFlags flags, bool remote) {
  return flags.bits() | 0x100u | (remote ? 0x200u : 0u);
}

void write_span(Writer& w, const SpanData& s) {
  size_t span = w.begin(tag(2, kLen), kMedium);  // ScopeSpans.spans = 2
  const SpanContext& ctx = s.context();
  // The fields of known size are written in a few reservations (Writer::reserve says why).
  static_assert(TraceId::kSize == 16 && SpanId::kSize == 8);
  char* p = w.reserve(28);
  p[0] = static_cast<char>(tag(1, kLen));
  p[1] = 16;
  std::memcpy(p + 2, ctx.trace_id().data(), 16);
  p[18] = static_cast<char>(tag(2, kLen));
  p[19] = 8;
  std::memcpy(p + 20, ctx.span_id().data(), 8);
  w.commit(28);
  if (!ctx.trace_state().empty()) w.string(tag(3, kLen), ctx.trace_state().header());
  if (s.parent_span_id().is_valid()) {
    w.bytes(tag(4, kLen), s.parent_span_id().data(), SpanId::kSize);
  }
  w.string(tag(5, kLen), s.name());  // proto3: an empty name is left out
  p = w.reserve(20);
  p[0] = static_cast<char>(tag(6, kVarint));
  p[1] = static_cast<char>(s.kind());
  p[2] = static_cast<char>(tag(7, kFixed64));
  const uint64_t start = s.start_time_ns(), end = s.end_time_ns();
  std::memcpy(p + 3, &start, 8);
  p[11] = static_cast<char>(tag(8, kFixed64));
  std::memcpy(p + 12, &end, 8);
  w.commit(20);
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

void prefetch_lines(const void* p, size_t bytes) noexcept {
  constexpr size_t kLine = 64;
  const auto* first = static_cast<const char*>(p);
  for (size_t off = 0; off < bytes; off += kLine)
    tracekit::detail::prefetch_for_read(first + off);
}

// The first and last line of a value's data: most text is shorter than two lines, and longer
// text is read in order, which the hardware prefetcher follows.
void prefetch_ends(const void* p, size_t bytes) noexcept {
  if (bytes == 0) return;
  const auto* first = static_cast<const char*>(p);
  tracekit::detail::prefetch_for_read(first);
  tracekit::detail::prefetch_for_read(first + bytes - 1);
}

// The records were written on the threads that made the spans, most likely on another core,
// and the encoder reads them in order: ask for the next ones' lines while this one is encoded,
// in three stages so that each reads only addresses an earlier stage brought in. Six spans
// ahead, the record's header (its first lines); four ahead, the attribute array, whose address
// that header holds; two ahead, the text the span points to (its name and its attributes' keys,
// strings and arrays, copied into the record's arena by the thread that set them: a request's
// URL lies some lines past the header), whose addresses that array holds. Each stage is two
// spans (≈ 200 ns of encoding) before the next: one span was less than a line's trip from the
// other core, and the loads of the stage after it waited (perf annotate, load server's worker).
void prefetch_ahead(const std::vector<const SpanData*>& spans, size_t i) noexcept {
  constexpr size_t kHeaderBytes = 256;
  constexpr size_t kHeaderAhead = 6, kArrayAhead = 4, kTextAhead = 2;
  if (i + kHeaderAhead < spans.size()) prefetch_lines(spans[i + kHeaderAhead], kHeaderBytes);
  if (i + kArrayAhead < spans.size()) {
    const std::span<const KeyValue> attributes = spans[i + kArrayAhead]->attributes();
    prefetch_lines(attributes.data(), attributes.size_bytes());
  }
  if (i + kTextAhead < spans.size()) {
    const SpanData& next = *spans[i + kTextAhead];
    prefetch_ends(next.name().data(), next.name().size());
    for (const KeyValue& kv : next.attributes()) {
      // A key not known as a literal was copied into the arena too.
      tracekit::detail::prefetch_for_read(kv.key.data());
      const AttributeValue& v = kv.value;
      if (v.type() == AttributeType::kString) {
        prefetch_ends(v.as_string().data(), v.size());
      } else if (v.is_array()) {
        prefetch_ends(v.as_bool_array().data(), 1);  // the elements' first line
      }
    }
  }
}

void write_request(Writer& w, std::span<const SpanDataPtr> spans) {
  for (const auto& rg : tracekit::detail::group_spans(spans)) {
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
      const std::vector<const SpanData*>& group = sg.spans;
      for (size_t i = 0; i < group.size(); ++i) {
        prefetch_ahead(group, i);
        write_span(w, *group[i]);
      }
      w.string(tag(3, kLen), sg.scope->schema_url);
      w.end(ss, kLarge);
    }
    w.string(tag(3, kLen), rg.resource->schema_url());
    w.end(rs, kLarge);
  }
}

}  // namespace

void encode_request(std::span<const SpanDataPtr> spans, std::string& out) {
  Writer w(out);
  write_request(w, spans);
}

namespace detail {
void encode_request(std::span<const SpanDataPtr> spans, ByteBuffer& out) {
  Writer w(out);
  write_request(w, spans);
}
}  // namespace detail

}  // namespace tracekit::otlp
