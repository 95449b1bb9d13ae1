// SPDX-License-Identifier: Apache-2.0
#include "api_answers.h"

#include <charconv>

#include "json_text.h"
#include "span_store.h"

namespace tracekit::collector {

Response json_error(int status, const std::string& message) {
  Response r;
  r.status = status;
  r.body = "{\"error\":";
  append_json_string(r.body, message);
  r.body += "}";
  return r;
}

Response store_error(const Error& e) {
  if (is_store_busy(e)) {
    // Searches wait in a short queue; this one found it full. It is not the query's fault.
    Response r = json_error(503, e.message);
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }
  if (is_query_timeout(e)) {
    Response r = json_error(503, e.message);
    r.headers.emplace_back("Retry-After", "5");
    return r;
  }
  return json_error(500, e.message);
}

void end_listing(std::string& body, bool truncated) {
  body += truncated ? "],\"truncated\":true}" : "]}";
}

bool parse_int(std::string_view text, int64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace tracekit::collector
