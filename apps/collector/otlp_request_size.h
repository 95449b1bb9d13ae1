// SPDX-License-Identifier: Apache-2.0
// How much an OTLP export request would cost to decode, told from its protobuf bytes before
// anything is built: a 2-byte log record becomes a protobuf object and a StoredLog of a few
// hundred bytes, so 16 MiB of them took 5 GB before the write queue's limits could refuse them.
// The receivers refuse such a request whole (413 / RESOURCE_EXHAUSTED), nothing stored.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "span_model.h"
#include "tracekit/result.h"

namespace tracekit::collector {

struct RequestCensus {
  uint64_t records = 0;   // spans or log records
  uint64_t messages = 0;  // every message inside the request (records, attributes, values, ...)
};

// Counts the records and messages of a serialized ExportTraceServiceRequest (records: spans)
// or ExportLogsServiceRequest (records: log records) from the wire format alone: one pass over
// the bytes, no allocation. Counting stops at the first malformed field (the parser then says
// what is wrong); what was counted until there stands.
RequestCensus trace_request_census(std::string_view bytes);
RequestCensus logs_request_census(std::string_view bytes);

// What decoding a request of `body_bytes` with `census` takes in memory, estimated: its strings
// twice (the parsed message, the JSON text made of them), every message as an object with the
// JSON written for it, and every record as the parsed record and the record to store, whose
// size (`record_bytes`) the caller knows.
uint64_t estimated_decoding_bytes(size_t body_bytes, const RequestCensus& census,
                                  size_t record_bytes);

// An error whose message starts with "too large" when the request holds more records than
// `limits.max_request_records` or its estimated decoding passes `limits.max_request_decoded_bytes`;
// `records_name` is "spans" or "log records".
std::optional<Error> request_size_error(size_t body_bytes, const RequestCensus& census,
                                        size_t record_bytes, const char* records_name,
                                        const SpanLimits& limits);

// The same check while records are being built, for what the estimate cannot see (text that
// grows when written as JSON): the error once `decoded_bytes` passes the limit.
std::optional<Error> decoded_size_error(uint64_t decoded_bytes, const SpanLimits& limits);

}  // namespace tracekit::collector
