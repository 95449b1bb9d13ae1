// SPDX-License-Identifier: Apache-2.0
// The receive path shared by OTLP/gRPC and OTLP/HTTP: decode, validate, queue for the store, and
// say what happened in the protocol's terms (OTLP specification, "OTLP/HTTP Response" and
// "Failures"): bad payloads are 400 / INVALID_ARGUMENT and not retried, a full write queue is
// 503 / UNAVAILABLE and retried, spans with malformed ids are a partial success.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "response.h"
#include "span_store.h"

namespace tracekit::collector {

struct IngestLimits {
  size_t max_body_bytes = 16u << 20;  // as received, and again after gunzip
  // OTLP/gRPC: the memory that requests being decoded may take at once, each counted at twice
  // its size (its copy and the decoded records); past it a request is answered UNAVAILABLE
  // (retry later). And the memory grpc++ may use for requests it is still receiving (its
  // ResourceQuota: past it streams are cancelled, RESOURCE_EXHAUSTED).
  uint64_t max_decoding_bytes = 64ull << 20;
  uint64_t grpc_memory_quota_bytes = 32ull << 20;
  // Answer success only once the spans are committed to the file (true), or as soon as they
  // are queued (false: faster to answer, but a crash loses what was acknowledged and queued).
  bool ack_after_commit = true;
  // How long a request waits for its commit before it is answered "unavailable, retry".
  std::chrono::milliseconds commit_timeout{std::chrono::seconds(20)};
  SpanLimits span_limits;
};

// What to answer for spans that could not be stored: the message and Retry-After seconds
// (OTLP: retryable), or nullopt for success.
std::optional<std::string> write_failure_message(WriteOutcome outcome);

// POST /v1/traces. `content_type` and `content_encoding` are the request's header values.
Response handle_otlp_http(std::string_view content_type, std::string_view content_encoding,
                          std::string_view body, SpanStore& store, const IngestLimits& limits);

// POST /v1/logs: the same checks, limits and answers for log records.
Response handle_otlp_logs_http(std::string_view content_type, std::string_view content_encoding,
                               std::string_view body, SpanStore& store, const IngestLimits& limits);

// The OTLP/HTTP error body: a google.rpc.Status, in protobuf or JSON like the request.
Response otlp_http_error(int status, const std::string& message, bool json);
// Whether a Content-Type names OTLP/JSON (parameters and case ignored).
bool is_json_media_type(std::string_view content_type);

}  // namespace tracekit::collector
