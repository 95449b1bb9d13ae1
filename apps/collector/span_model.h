// SPDX-License-Identifier: Apache-2.0
// One span as the collector stores and serves it: ids as lower-case hex, times in nanoseconds
// since the Unix epoch, and the nested parts (attributes, events, links, resource attributes)
// kept as OTLP/JSON text, so they round-trip without a schema of their own.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shared_json.h"

namespace tracekit::collector {

struct StoredSpan {
  std::string trace_id;        // 32 hex digits
  std::string span_id;         // 16 hex digits
  std::string parent_span_id;  // 16 hex digits, or empty for a root span
  std::string trace_state;
  uint32_t flags = 0;
  std::string name;
  int kind = 0;  // OTLP SpanKind number: 0 unspecified, 1 internal, 2 server, 3 client, ...
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  int status_code = 0;  // 0 unset, 1 ok, 2 error
  std::string status_message;
  std::string service;  // the resource's service.name
  // OTLP/JSON text: attributes as [{"key":..,"value":{"stringValue":..}}], events and links as
  // arrays, the instrumentation scope as {"name","version","attributes","droppedAttributesCount",
  // "schemaUrl"} and the resource as {"attributes","droppedAttributesCount","schemaUrl"}; those
  // two are shared by the spans of one resource and scope of a request.
  std::string attributes_json = "[]";
  std::string events_json = "[]";
  std::string links_json = "[]";
  SharedJson scope_json;     // "{}" until set
  SharedJson resource_json;  // "{}" until set
  uint32_t dropped_attributes = 0;
  uint32_t dropped_events = 0;
  uint32_t dropped_links = 0;

  int64_t duration_ns() const { return end_ns > start_ns ? end_ns - start_ns : 0; }
};

// What a decoded export request holds: the spans we keep and how many we refused, with why
// (OTLP partial success: a span with a malformed id is rejected, the rest are kept).
struct DecodedSpans {
  std::vector<StoredSpan> spans;
  int64_t rejected = 0;
  std::string rejected_reason;
  // Values repaired rather than refused (invalid UTF-8): told to the client as a warning (OTLP
  // partial success with rejected_spans 0).
  size_t repaired_values = 0;
};

// OpenTelemetry's span limits, as the collector applies them to what it receives: longer
// values are truncated and the attributes, events and links past a count are dropped and
// counted in the span's (or event's, or link's) dropped count, never refused.
struct SpanLimits {
  size_t max_attribute_length = 32 * 1024;  // bytes of a string or bytes value; 0: no limit
  size_t max_attributes = 128;  // per span, event, link, resource and scope; also array elements
  size_t max_events = 128;
  size_t max_links = 128;
  // Per request, not per span: a request past either is refused whole ("too large": 413,
  // RESOURCE_EXHAUSTED), before its records are built (otlp_request_size.h). A record costs
  // a few hundred bytes decoded however small it is on the wire (an empty log record is 2
  // bytes), and the write queue takes at most 200,000 records at once anyway. 0: no limit.
  size_t max_request_records = 200'000;
  // What decoding one request may take in memory, estimated from its bytes and its count of
  // records and nested messages, and counted again while the records are built (0: no limit).
  // Not IngestLimits::max_decoding_bytes, which bounds all gRPC requests being decoded at once.
  uint64_t max_request_decoded_bytes = 256ull << 20;
};

// The bytes a span holds in memory (its strings and the struct), for the write queue's byte
// bound; its resource and scope, shared with other spans, are not counted here
// (SharedJsonBytes counts each once).
uint64_t span_memory_bytes(const StoredSpan& span);

const char* span_kind_name(int kind);
const char* status_code_name(int code);

}  // namespace tracekit::collector
