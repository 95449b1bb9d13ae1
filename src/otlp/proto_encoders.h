// SPDX-License-Identifier: Apache-2.0
// The protobuf encoders writing into an exporter's request body (the public overloads, into a
// std::string, are in tracekit/otlp/encoder.h and tracekit/otlp/log_exporter.h).
#pragma once

#include <span>

#include "byte_buffer.h"
#include "tracekit/log/record.h"
#include "tracekit/resource.h"
#include "tracekit/span_data.h"

namespace tracekit::otlp::detail {

// Appends an ExportTraceServiceRequest with `spans` to `out`.
void encode_request(std::span<const SpanDataPtr> spans, ByteBuffer& out);
// Appends an ExportLogsServiceRequest with `records` to `out` (nothing when there are none).
void encode_logs_request(std::span<const log::LogRecordPtr> records, const Resource& resource,
                         ByteBuffer& out);

}  // namespace tracekit::otlp::detail
