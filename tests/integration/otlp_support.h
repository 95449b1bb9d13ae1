// Shared by the OTLP integration tests: a known set of spans covering every field OTLP carries,
// a checker that compares a decoded request with the span records field by field, OTLP/JSON to
// protobuf conversion, gunzip; and (from tests/support) temporary directories and test
// certificates made with the openssl command.
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "support/test_certificates.h"
#include "tracekit/tracekit.h"

namespace tracekit::testing {

namespace otlpv1 = opentelemetry::proto::collector::trace::v1;
namespace tracev1 = opentelemetry::proto::trace::v1;
namespace commonv1 = opentelemetry::proto::common::v1;
namespace logsv1 = opentelemetry::proto::collector::logs::v1;

// Spans made through the public API with fixed times: server, client, consumer (remote parent
// with tracestate), producer in a second scope, links, events, error status, dropped counts,
// attributes of every type (arrays and non-ASCII text included). The provider owns the scopes
// and resource the records point to, so it lives as long as the spans.
struct KnownSpans {
  std::shared_ptr<InMemorySpanStore> store;
  std::unique_ptr<TracerProvider> provider;
  std::vector<SpanDataPtr> spans;
};
KnownSpans make_known_spans();

// Checks every field of every span in `request` against the records (gtest expectations).
// Returns the number of spans found.
size_t expect_request_matches(const otlpv1::ExportTraceServiceRequest& request,
                              std::span<const SpanDataPtr> spans);

// OTLP/JSON to the protobuf message: hex ids become bytes; every other rule (lowerCamelCase keys,
// enums as numbers, 64-bit integers as strings) is checked by protobuf's own JSON parser, which
// rejects unknown keys. Returns an error text, empty on success.
std::string json_to_request(std::string_view json, otlpv1::ExportTraceServiceRequest* out);
// The same for an ExportLogsServiceRequest.
std::string json_to_request(std::string_view json, logsv1::ExportLogsServiceRequest* out);

// Counts log records in a request.
size_t count_log_records(const logsv1::ExportLogsServiceRequest& request);

// Counts spans in a request.
size_t count_spans(const otlpv1::ExportTraceServiceRequest& request);

// gzip or zlib data to plain bytes; false if it is not valid.
bool gunzip(std::string_view in, std::string& out);

}  // namespace tracekit::testing
