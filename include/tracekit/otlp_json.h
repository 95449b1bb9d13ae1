// OTLP/JSON encoding of spans (the protobuf JSON mapping with OTLP's rules: lower-case hex ids,
// enums as numbers, 64-bit integers as strings, lowerCamelCase keys). Used by the console
// exporter and the OTLP HTTP/JSON exporter.
#pragma once

#include <span>
#include <string>

#include "tracekit/span_data.h"

namespace tracekit::otlp_json {

// Appends one ExportTraceServiceRequest object to `out` (no trailing newline). Spans are grouped
// by resource, then by instrumentation scope, keeping their order otherwise.
void encode_request(std::span<const SpanDataPtr> spans, std::string& out);

// Appends `text` as a JSON string literal (quotes included), escaping what JSON requires and
// replacing invalid UTF-8 with U+FFFD.
void append_string(std::string& out, std::string_view text);
// The same without the quotes: the escaped contents of a JSON string.
void append_escaped(std::string& out, std::string_view text);
// Appends the member "attributes":[{"key":…,"value":{…}},…] (the OTLP log encoder uses it for
// the resource).
void append_attribute_list(std::string& out, std::span<const KeyValue> attrs);

}  // namespace tracekit::otlp_json
