// One span as the collector stores and serves it: ids as lower-case hex, times in nanoseconds
// since the Unix epoch, and the nested parts (attributes, events, links, resource attributes)
// kept as OTLP/JSON text, so they round-trip without a schema of their own.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

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
  // "schemaUrl"} and the resource as {"attributes","droppedAttributesCount","schemaUrl"}.
  std::string attributes_json = "[]";
  std::string events_json = "[]";
  std::string links_json = "[]";
  std::string scope_json = "{}";
  std::string resource_json = "{}";
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
};

const char* span_kind_name(int kind);
const char* status_code_name(int code);

}  // namespace tracekit::collector
