// SPDX-License-Identifier: Apache-2.0
// OTLP protobuf encoding of spans: writes the wire format of an ExportTraceServiceRequest
// straight from the span records, with no intermediate message objects (docs/decisions.md has
// the measurement that chose this over libprotobuf messages).
#pragma once

#include <span>
#include <string>

#include "tracekit/span_data.h"

namespace tracekit::otlp {

// Appends one serialized ExportTraceServiceRequest to `out`. Spans are grouped by resource, then
// by instrumentation scope, keeping their order otherwise. Strings that are not valid UTF-8 are
// written with U+FFFD in place of the bad bytes (proto3 receivers reject such a request whole).
void encode_request(std::span<const SpanDataPtr> spans, std::string& out);

// Result of reading an ExportTraceServiceResponse (the body of an OTLP success).
struct PartialSuccess {
  int64_t rejected_spans = 0;
  std::string error_message;
};
// Reads the partial_success of a serialized ExportTraceServiceResponse; false if malformed.
bool decode_response(std::string_view bytes, PartialSuccess& out);
// Reads the partial_success of an OTLP/JSON ExportTraceServiceResponse; false if malformed.
bool decode_json_response(std::string_view json, PartialSuccess& out);

// What a serialized google.rpc.Status says: the message and, if it carries a RetryInfo, the
// delay the server asks for (negative when absent).
struct RpcStatus {
  int32_t code = 0;
  std::string message;
  int64_t retry_delay_ns = -1;
};
bool decode_rpc_status(std::string_view bytes, RpcStatus& out);

}  // namespace tracekit::otlp
