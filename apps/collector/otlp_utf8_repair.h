// SPDX-License-Identifier: Apache-2.0
// Invalid UTF-8 in an OTLP protobuf request, repaired value by value. protobuf refuses a whole
// proto3 message when one string field holds invalid UTF-8; the collector would then refuse
// every span of the request for one bad attribute. When a request does not parse, this rewrites
// it with U+FFFD in place of each invalid byte of every string field it knows (walking the
// wire format with the trace service's schema), so that only the bad characters are lost.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tracekit::collector {

// The request with its string fields made valid UTF-8 and how many fields were repaired;
// nullopt when the bytes are not a well-formed message of the schema's shape.
struct RepairedRequest {
  std::string bytes;
  size_t repaired_fields = 0;
};
std::optional<RepairedRequest> repair_request_utf8(std::string_view request);

}  // namespace tracekit::collector
