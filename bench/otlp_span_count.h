// SPDX-License-Identifier: Apache-2.0
// Counting the spans of an OTLP ExportTraceServiceRequest without building message objects:
// a walk down the wire format (resource_spans → scope_spans → spans) that skips everything
// else. Used by tracekit-otlp-sink, the load test's receiver; tested in
// tests/integration/otlp_span_count_test.cc.
#pragma once

#include <google/protobuf/io/coded_stream.h>

#include <climits>
#include <cstddef>
#include <cstdint>

namespace tracekit::bench {

inline bool skip_field(google::protobuf::io::CodedInputStream& in, uint32_t wire_type) {
  uint64_t u64;
  uint32_t u32;
  switch (wire_type) {
    case 0:
      return in.ReadVarint64(&u64);
    case 1:
      return in.ReadLittleEndian64(&u64);
    case 2:
      return in.ReadVarint32(&u32) && in.Skip(static_cast<int>(u32));
    case 5:
      return in.ReadLittleEndian32(&u32);
    default:
      return false;  // groups are not part of OTLP
  }
}

// The field numbers from ExportTraceServiceRequest down to a span: resource_spans = 1,
// ResourceSpans.scope_spans = 2, ScopeSpans.spans = 2.
inline constexpr uint32_t kPathToSpans[] = {1, 2, 2};
inline constexpr int kSpanDepth = 2;

// Adds the spans of the message read from `in` to `spans`; false when the bytes are not a
// well-formed message (truncated, a bad length, a group, a zero tag).
inline bool count_spans(google::protobuf::io::CodedInputStream& in, int depth, size_t& spans) {
  while (const uint32_t tag = in.ReadTag()) {
    const uint32_t field = tag >> 3;
    const uint32_t wire_type = tag & 7;
    if (wire_type != 2 || field != kPathToSpans[depth]) {
      if (!skip_field(in, wire_type)) return false;
      continue;
    }
    uint32_t length;
    if (!in.ReadVarint32(&length) || length > static_cast<uint32_t>(INT32_MAX)) return false;
    // Longer than what encloses it (BytesUntilLimit is -1 when nothing does).
    if (const int room = in.BytesUntilLimit(); room >= 0 && static_cast<int>(length) > room) {
      return false;
    }
    if (depth == kSpanDepth) {
      ++spans;
      if (!in.Skip(static_cast<int>(length))) return false;
      continue;
    }
    const auto limit = in.PushLimit(static_cast<int>(length));
    // A nested message that ends early (the input ran out before its length) looks like a
    // clean end to ReadTag: the limit must have been reached exactly.
    if (!count_spans(in, depth + 1, spans) || in.BytesUntilLimit() != 0) return false;
    in.PopLimit(limit);
  }
  return in.ConsumedEntireMessage();
}

}  // namespace tracekit::bench
