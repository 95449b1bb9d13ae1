// SPDX-License-Identifier: Apache-2.0
// What every decoded OTLP request must satisfy, whichever way it came in (protobuf, JSON,
// raw gRPC bytes): each span the request holds is either kept or counted as rejected, kept
// spans have well-formed ids, and the JSON text the collector writes by hand for the nested
// parts is valid JSON (the store keeps it and the viewer parses it).
#pragma once

#include <boost/json/parse.hpp>
#include <string_view>

#include "fuzz_check.h"
#include "otlp_decode.h"

namespace tracekit::fuzz {

inline bool lower_hex(std::string_view s, size_t size) {
  if (s.size() != size) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

inline void check_json_text(std::string_view text, bool array) {
  boost::system::error_code ec;
  boost::json::parse_options options;
  options.max_depth = 100000;  // AnyValue nests as deep as protobuf lets it
  const boost::json::value v = boost::json::parse(text, ec, {}, options);
  if (ec)
    std::fprintf(stderr, "invalid JSON (%s): %.*s\n", ec.message().c_str(),
                 static_cast<int>(std::min<size_t>(text.size(), 2000)), text.data());
  FUZZ_CHECK(!ec);
  FUZZ_CHECK(array ? v.is_array() : v.is_object());
}

inline size_t span_count(const collector::otlpv1::ExportTraceServiceRequest& request) {
  size_t n = 0;
  for (const auto& rs : request.resource_spans()) {
    for (const auto& ss : rs.scope_spans())
      n += static_cast<size_t>(ss.spans_size());
  }
  return n;
}

inline void check_decoded(const collector::DecodedSpans& d, size_t spans_in_request) {
  FUZZ_CHECK(d.rejected >= 0);
  FUZZ_CHECK(d.spans.size() + static_cast<size_t>(d.rejected) == spans_in_request);
  FUZZ_CHECK((d.rejected > 0) == !d.rejected_reason.empty());
  for (const auto& s : d.spans) {
    FUZZ_CHECK(lower_hex(s.trace_id, 32));
    FUZZ_CHECK(lower_hex(s.span_id, 16));
    FUZZ_CHECK(s.parent_span_id.empty() || lower_hex(s.parent_span_id, 16));
    FUZZ_CHECK(s.start_ns >= 0 && s.end_ns >= 0 && s.duration_ns() >= 0);
    FUZZ_CHECK(!s.service.empty());
    check_json_text(s.attributes_json, true);
    check_json_text(s.events_json, true);
    check_json_text(s.links_json, true);
    check_json_text(s.scope_json.str(), false);
    check_json_text(s.resource_json.str(), false);
  }
}

// Two decodings of the same request give the same spans.
inline void check_same(const collector::DecodedSpans& a, const collector::DecodedSpans& b) {
  FUZZ_CHECK(a.spans.size() == b.spans.size());
  FUZZ_CHECK(a.rejected == b.rejected);
  for (size_t i = 0; i < a.spans.size(); ++i) {
    const auto &x = a.spans[i], &y = b.spans[i];
    FUZZ_CHECK(x.trace_id == y.trace_id && x.span_id == y.span_id);
    FUZZ_CHECK(x.parent_span_id == y.parent_span_id && x.name == y.name);
    FUZZ_CHECK(x.start_ns == y.start_ns && x.end_ns == y.end_ns && x.kind == y.kind);
    FUZZ_CHECK(x.attributes_json == y.attributes_json && x.events_json == y.events_json);
    FUZZ_CHECK(x.links_json == y.links_json && x.resource_json == y.resource_json);
    FUZZ_CHECK(x.scope_json == y.scope_json && x.service == y.service);
  }
}

}  // namespace tracekit::fuzz
