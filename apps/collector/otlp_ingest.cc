// SPDX-License-Identifier: Apache-2.0
#include "otlp_ingest.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cctype>

#include "google/rpc/status.pb.h"
#include "log_decode.h"
#include "otlp_decode.h"

namespace tracekit::collector {

namespace {

// The media type without parameters, lower-cased ("application/json; charset=utf-8" -> ...).
std::string media_type(std::string_view content_type) {
  std::string out(content_type.substr(0, content_type.find(';')));
  while (!out.empty() && out.back() == ' ')
    out.pop_back();
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

Response encode_message(const google::protobuf::Message& message, int status, bool json) {
  Response r;
  r.status = status;
  if (json) {
    r.content_type = "application/json";
    (void)google::protobuf::util::MessageToJsonString(message, &r.body);
  } else {
    r.content_type = "application/x-protobuf";
    r.body = message.SerializeAsString();
  }
  return r;
}

}  // namespace

std::optional<std::string> write_failure_message(WriteOutcome outcome) {
  switch (outcome) {
    case WriteOutcome::kCommitted:
      return std::nullopt;
    case WriteOutcome::kRefused:
      return "the collector's write queue is full; retry later";
    case WriteOutcome::kFailed:
      return "the collector could not write to its database; retry later";
    case WriteOutcome::kTimedOut:
      return "the collector's database did not commit in time; retry later";
  }
  return "unknown write outcome";
}

bool is_json_media_type(std::string_view content_type) {
  return media_type(content_type) == "application/json";
}

Response otlp_http_error(int status, const std::string& message, bool json) {
  google::rpc::Status st;
  // gRPC codes for the HTTP statuses we send (OTLP/HTTP carries the same Status message).
  st.set_code(status == 503 ? 14 : status == 413 ? 8 : status == 415 ? 3 : status == 405 ? 12 : 3);
  st.set_message(message);
  return encode_message(st, status, json);
}

namespace {

// The checks every OTLP/HTTP body goes through (Content-Type, size, Content-Encoding, gzip
// within the size bound): the error answer, or nullopt with `body` the plain bytes (inflated
// into `inflated` when compressed) and `json` set.
std::optional<Response> read_body(std::string_view content_type, std::string_view content_encoding,
                                  std::string_view& body, std::string& inflated, bool& json,
                                  const IngestLimits& limits) {
  const std::string type = media_type(content_type);
  json = type == "application/json";
  if (!json && type != "application/x-protobuf" && type != "application/protobuf") {
    return otlp_http_error(415,
                           "unsupported Content-Type \"" +
                               std::string(content_type.substr(0, 100)) +
                               "\": OTLP/HTTP takes application/x-protobuf or application/json",
                           false);
  }
  if (body.size() > limits.max_body_bytes) {
    return otlp_http_error(
        413, "the body is larger than " + std::to_string(limits.max_body_bytes) + " bytes", json);
  }
  if (!content_encoding.empty() && !iequals(content_encoding, "identity")) {
    if (!iequals(content_encoding, "gzip")) {
      return otlp_http_error(415,
                             "unsupported Content-Encoding \"" +
                                 std::string(content_encoding.substr(0, 100)) +
                                 "\": only gzip is accepted",
                             json);
    }
    auto plain = gunzip(body, limits.max_body_bytes);
    if (!plain) {
      const bool too_large = plain.error().message.starts_with("too large");
      return otlp_http_error(too_large ? 413 : 400, plain.error().message, json);
    }
    inflated = std::move(*plain);
    body = inflated;
  }
  return std::nullopt;
}

// 400 for a body that does not decode; 413 for one refused as too large to decode (too many
// records, or too much memory once decoded: the decoders say "too large"). Not retryable
// either way, as OTLP/HTTP has it; the message says to send smaller batches.
Response decode_error(const Error& error, bool json) {
  return otlp_http_error(error.message.starts_with("too large") ? 413 : 400, error.message, json);
}

// 503 with Retry-After for what could not be stored, or nullopt when it was.
std::optional<Response> write_failure(WriteOutcome outcome, bool json) {
  auto failure = write_failure_message(outcome);
  if (!failure) return std::nullopt;
  Response r = otlp_http_error(503, *failure, json);
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

}  // namespace

Response handle_otlp_http(std::string_view content_type, std::string_view content_encoding,
                          std::string_view body, SpanStore& store, const IngestLimits& limits) {
  std::string inflated;
  bool json = false;
  if (auto error = read_body(content_type, content_encoding, body, inflated, json, limits)) {
    return *error;
  }
  auto decoded =
      json ? decode_json(body, limits.span_limits) : decode_protobuf(body, limits.span_limits);
  if (!decoded) return decode_error(decoded.error(), json);
  const int64_t rejected = decoded->rejected;
  const std::string warning = partial_success_message(*decoded);
  const WriteOutcome outcome =
      limits.ack_after_commit
          ? store.submit_and_wait(std::move(decoded->spans), limits.commit_timeout)
          : (store.submit(std::move(decoded->spans)) ? WriteOutcome::kCommitted
                                                     : WriteOutcome::kRefused);
  if (auto failure = write_failure(outcome, json)) return *failure;
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse response;
  if (!warning.empty()) {
    response.mutable_partial_success()->set_rejected_spans(rejected);
    response.mutable_partial_success()->set_error_message(warning);
  }
  return encode_message(response, 200, json);
}

Response handle_otlp_logs_http(std::string_view content_type, std::string_view content_encoding,
                               std::string_view body, SpanStore& store,
                               const IngestLimits& limits) {
  std::string inflated;
  bool json = false;
  if (auto error = read_body(content_type, content_encoding, body, inflated, json, limits)) {
    return *error;
  }
  auto decoded = json ? decode_logs_json(body, limits.span_limits)
                      : decode_logs_protobuf(body, limits.span_limits);
  if (!decoded) return decode_error(decoded.error(), json);
  const int64_t rejected = decoded->rejected;
  const std::string warning = logs_partial_success_message(*decoded);
  const WriteOutcome outcome =
      limits.ack_after_commit
          ? store.submit_logs_and_wait(std::move(decoded->logs), limits.commit_timeout)
          : (store.submit_logs(std::move(decoded->logs)) ? WriteOutcome::kCommitted
                                                         : WriteOutcome::kRefused);
  if (auto failure = write_failure(outcome, json)) return *failure;
  logsv1::ExportLogsServiceResponse response;
  if (!warning.empty()) {
    response.mutable_partial_success()->set_rejected_log_records(rejected);
    response.mutable_partial_success()->set_error_message(warning);
  }
  return encode_message(response, 200, json);
}

}  // namespace tracekit::collector
