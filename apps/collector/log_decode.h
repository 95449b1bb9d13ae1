// SPDX-License-Identifier: Apache-2.0
// Turning OTLP logs export requests into StoredLogs: protobuf bytes (OTLP/gRPC and OTLP/HTTP)
// and OTLP/JSON (hex ids, lowerCamelCase or snake_case keys, unknown keys ignored), within the
// same limits as spans.
#pragma once

#include <string>
#include <string_view>

#include "log_model.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "span_model.h"
#include "tracekit/result.h"

namespace tracekit::collector {

namespace logsv1 = opentelemetry::proto::collector::logs::v1;

// Every record of the request within `limits`. A record whose trace_id or span_id is present
// but malformed (wrong length) is rejected alone; records without ids are kept (OTLP allows
// them). A request past `limits`' max_request_records or max_request_decoded_bytes is refused
// whole, with an error that starts with "too large" (the decoders below check it before parsing).
Result<DecodedLogs> logs_from_request(const logsv1::ExportLogsServiceRequest& request,
                                      const SpanLimits& limits = {});

Result<DecodedLogs> decode_logs_protobuf(std::string_view body, const SpanLimits& limits = {});
Result<DecodedLogs> decode_logs_json(std::string_view body, const SpanLimits& limits = {});

// The message an OTLP partial success carries for `decoded` (empty when all is well).
std::string logs_partial_success_message(const DecodedLogs& decoded);

}  // namespace tracekit::collector
