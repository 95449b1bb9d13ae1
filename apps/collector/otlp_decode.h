// Turning OTLP export requests into StoredSpans: protobuf bytes (OTLP/gRPC and OTLP/HTTP), and
// OTLP/JSON (hex trace and span ids rather than base64, enums as numbers or names, 64-bit
// integers as strings or numbers, lowerCamelCase or the .proto's snake_case keys, unknown keys
// ignored), plus gzip bodies with a bound on what they inflate to.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "span_model.h"
#include "tracekit/result.h"

namespace tracekit::collector {

namespace otlpv1 = opentelemetry::proto::collector::trace::v1;

// Every span of the request within `limits`; spans with ids of the wrong length or all zero are
// counted as rejected.
DecodedSpans spans_from_request(const otlpv1::ExportTraceServiceRequest& request,
                                const SpanLimits& limits = {});

// Errors say what is wrong with the payload ("not a valid OTLP protobuf message", the JSON
// parser's complaint with its position). Invalid UTF-8 in a string is repaired (U+FFFD) and
// counted; a span with a malformed id is rejected alone.
Result<DecodedSpans> decode_protobuf(std::string_view body, const SpanLimits& limits = {});
Result<DecodedSpans> decode_json(std::string_view body, const SpanLimits& limits = {});

// The message an OTLP partial success carries for `decoded` (empty when all is well).
std::string partial_success_message(const DecodedSpans& decoded);

// OTLP/JSON to the protobuf message (the ids become bytes). Invalid UTF-8 is repaired and
// counted in `repaired`; a malformed hex id becomes an id of the wrong length, which
// spans_from_request() rejects, and the first one's description goes to `bad_id`.
Result<otlpv1::ExportTraceServiceRequest> json_to_request(std::string_view body,
                                                          size_t* repaired = nullptr,
                                                          std::string* bad_id = nullptr);

// Inflates gzip (or zlib) data. Fails on corrupt or truncated input, and when the result would
// be larger than `max_bytes` (error.message then starts with "too large").
Result<std::string> gunzip(std::string_view in, size_t max_bytes);

}  // namespace tracekit::collector
