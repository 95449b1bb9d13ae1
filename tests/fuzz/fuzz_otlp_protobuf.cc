// SPDX-License-Identifier: Apache-2.0
// The collector's OTLP protobuf decoder (apps/collector/otlp_decode.cc), the body of an
// OTLP/HTTP request with Content-Type application/x-protobuf; a body that starts with the gzip
// magic is inflated first with a 1 MiB bound, as the HTTP receiver does for
// Content-Encoding: gzip. Every span must be kept or counted as rejected, and the JSON text
// written for the nested parts must parse (collector_checks.h). A body libprotobuf refuses only
// for invalid UTF-8 is accepted with those values repaired.
#include <google/protobuf/stubs/logging.h>

#include "collector_checks.h"
#include "otlp_utf8_repair.h"

// libprotobuf logs every message it refuses (invalid UTF-8 ...): quiet, at this rate.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body = tracekit::fuzz::as_text(data, size);
  std::string inflated;
  if (body.starts_with("\x1f\x8b")) {
    constexpr size_t kMax = 1u << 20;
    auto r = tracekit::collector::gunzip(body, kMax);
    if (!r) {
      FUZZ_CHECK(!r.error().message.empty());
      return 0;
    }
    FUZZ_CHECK(r->size() <= kMax);
    inflated = std::move(*r);
    body = inflated;
  }
  auto decoded = tracekit::collector::decode_protobuf(body);
  tracekit::collector::otlpv1::ExportTraceServiceRequest request;
  bool parses = request.ParseFromArray(body.data(), static_cast<int>(body.size()));
  if (!parses) {
    // The collector repairs invalid UTF-8 per value rather than refusing the request: the
    // message it accepts is then the repaired one, which libprotobuf must parse.
    auto repaired = tracekit::collector::repair_request_utf8(body);
    parses =
        repaired && repaired->repaired_fields > 0 &&
        request.ParseFromArray(repaired->bytes.data(), static_cast<int>(repaired->bytes.size()));
    if (decoded && repaired) FUZZ_CHECK(decoded->repaired_values == repaired->repaired_fields);
  }
  // A request past the per-request bounds (records, estimated decoded bytes) is refused whole
  // before it is parsed, well-formed or not.
  const bool too_large = !decoded && decoded.error().message.starts_with("too large");
  FUZZ_CHECK(decoded.ok() == parses || too_large);
  if (!decoded) {
    FUZZ_CHECK(!decoded.error().message.empty());
    return 0;
  }
  tracekit::fuzz::check_decoded(*decoded, tracekit::fuzz::span_count(request));
  return 0;
}
