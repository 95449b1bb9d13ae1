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

// Every span of the request; spans with ids of the wrong length are counted as rejected.
DecodedSpans spans_from_request(const otlpv1::ExportTraceServiceRequest& request);

// Errors say what is wrong with the payload ("not a valid OTLP protobuf message", the JSON
// parser's complaint with its position, "traceId ... is not 32 hex digits").
Result<DecodedSpans> decode_protobuf(std::string_view body);
Result<DecodedSpans> decode_json(std::string_view body);

// OTLP/JSON to the protobuf message (the ids become bytes).
Result<otlpv1::ExportTraceServiceRequest> json_to_request(std::string_view body);

// Inflates gzip (or zlib) data. Fails on corrupt or truncated input, and when the result would
// be larger than `max_bytes` (error.message then starts with "too large").
Result<std::string> gunzip(std::string_view in, size_t max_bytes);

}  // namespace tracekit::collector
