// SPDX-License-Identifier: Apache-2.0
// The collector's OTLP/JSON decoder (apps/collector/otlp_decode.cc: Boost.JSON, hex ids turned
// into base64, then protobuf's JSON parser). Where it accepts a body, every span must be kept
// or counted as rejected, the JSON text written for the nested parts must parse, and the same
// request sent as protobuf must decode to the same spans.
#include <google/protobuf/stubs/logging.h>

#include "collector_checks.h"

// libprotobuf logs every message it refuses (invalid UTF-8 ...): quiet, at this rate.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body = tracekit::fuzz::as_text(data, size);
  auto request = tracekit::collector::json_to_request(body);
  auto decoded = tracekit::collector::decode_json(body);
  // decode_json() also refuses a request past the per-request bounds, which json_to_request()
  // without limits does not check.
  const bool too_large = !decoded && decoded.error().message.starts_with("too large");
  FUZZ_CHECK(request.ok() == decoded.ok() || too_large);
  if (!decoded) {
    FUZZ_CHECK(!decoded.error().message.empty());
    return 0;
  }
  tracekit::fuzz::check_decoded(*decoded, tracekit::fuzz::span_count(*request));
  auto again = tracekit::collector::decode_protobuf(request->SerializeAsString());
  FUZZ_CHECK(again.ok());
  tracekit::fuzz::check_same(*decoded, *again);
  return 0;
}
