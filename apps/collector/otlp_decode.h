// SPDX-License-Identifier: Apache-2.0
// Turning OTLP export requests into StoredSpans: protobuf bytes (OTLP/gRPC and OTLP/HTTP), and
// OTLP/JSON (hex trace and span ids rather than base64, enums as numbers or names, 64-bit
// integers as strings or numbers, lowerCamelCase or the .proto's snake_case keys, unknown keys
// ignored), plus gzip bodies with a bound on what they inflate to.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <boost/json/fwd.hpp>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "span_model.h"
#include "tracekit/result.h"

namespace tracekit::collector {

namespace otlpv1 = opentelemetry::proto::collector::trace::v1;

// Every span of the request within `limits`; spans with ids of the wrong length or all zero are
// counted as rejected. An error starting "too large" when the request holds more spans than
// `limits.max_request_records` or they take more than `limits.max_request_decoded_bytes`.
Result<DecodedSpans> spans_from_request(const otlpv1::ExportTraceServiceRequest& request,
                                        const SpanLimits& limits = {});

// Errors say what is wrong with the payload ("not a valid OTLP protobuf message", the JSON
// parser's complaint with its position). Invalid UTF-8 in a string is repaired (U+FFFD) and
// counted; a span with a malformed id is rejected alone. A request past `limits`'
// max_request_records or max_request_decoded_bytes is refused whole, with an error that starts with
// "too large", before its spans are built (protobuf: before it is parsed).
Result<DecodedSpans> decode_protobuf(std::string_view body, const SpanLimits& limits = {});
Result<DecodedSpans> decode_json(std::string_view body, const SpanLimits& limits = {});

// The message an OTLP partial success carries for `decoded` (empty when all is well).
std::string partial_success_message(const DecodedSpans& decoded);

// OTLP/JSON to the protobuf message (the ids become bytes). Invalid UTF-8 is repaired and
// counted in `repaired`; a malformed hex id becomes an id of the wrong length, which
// spans_from_request() rejects, and the first one's description goes to `bad_id`. With
// `size_limits`, a request past their per-request bounds is refused ("too large") before the
// message is built.
Result<otlpv1::ExportTraceServiceRequest> json_to_request(std::string_view body,
                                                          size_t* repaired = nullptr,
                                                          std::string* bad_id = nullptr,
                                                          const SpanLimits* size_limits = nullptr);

// Pieces the logs decoder (log_decode.cc) shares with the span decoder.
namespace commonv1 = opentelemetry::proto::common::v1;
// Appends the first `limits.max_attributes` attributes as OTLP/JSON; returns how many were dropped.
uint32_t append_otlp_attributes(
    std::string& out, const google::protobuf::RepeatedPtrField<commonv1::KeyValue>& attributes,
    const SpanLimits& limits);
void append_otlp_any_value(std::string& out, const commonv1::AnyValue& value,
                           const SpanLimits& limits);
// At most `max` bytes of `s` (0: all), cut before a UTF-8 sequence rather than inside one.
std::string truncated_text(std::string_view s, size_t max);
std::string otlp_service_name(const opentelemetry::proto::resource::v1::Resource& resource,
                              const SpanLimits& limits);
// Each returns its text once per resource or scope; the records share it (SharedJson).
std::string otlp_resource_json(const opentelemetry::proto::resource::v1::Resource& resource,
                               std::string_view schema_url, const SpanLimits& limits);
std::string otlp_scope_json(const commonv1::InstrumentationScope& scope,
                            std::string_view schema_url, const SpanLimits& limits);
// Parses OTLP/JSON and repairs invalid UTF-8 (counted in `repaired`); `objects` gets the number
// of JSON objects (each a message once parsed: what decoding it costs).
Result<boost::json::value> parse_otlp_json(std::string_view body, size_t* repaired,
                                           uint64_t* objects = nullptr);
// Replaces the hex id under `camel` (or `snake`) by base64 for protobuf's JSON parser; a bad id
// becomes one byte (refused later) and its description goes to `bad_id`.
Result<void> otlp_json_hex_id_to_base64(boost::json::object& o, std::string_view camel,
                                        std::string_view snake, size_t bytes, std::string& bad_id);

// Inflates gzip (or zlib) data. Fails on corrupt or truncated input, and when the result would
// be larger than `max_bytes` (error.message then starts with "too large").
Result<std::string> gunzip(std::string_view in, size_t max_bytes);

}  // namespace tracekit::collector
