// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the server middleware and the client for HTTP span attributes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace tracekit::http {
struct TracingOptions;
}

namespace tracekit::http::detail {

// One of the methods OpenTelemetry's stable conventions name (RFC 9110 plus PATCH): its name as
// a literal, which spans refer to instead of copying; empty for any other method.
std::string_view known_method(std::string_view method) noexcept;
inline bool is_known_method(std::string_view method) noexcept {
  return !known_method(method).empty();
}

// A Host header's authority as a URL parser would end it: before the first '/', '?', '#' or
// whitespace, so a path or query smuggled into the header goes no further (fuzz_http_request).
// A loop rather than find_first_of, which calls memchr on the set once per character of the
// host: twice per traced request, ~50 ns of BM_HttplibHandler's 0.93 us (2026-12-07).
inline std::string_view authority_of(std::string_view host) noexcept {
  size_t end = 0;
  for (; end < host.size(); ++end) {
    const char c = host[end];
    if (c == '/' || c == '?' || c == '#' || c == ' ' || c == '\t' || c == '\r' || c == '\n') break;
  }
  return host.substr(0, end);
}

// "host:port", "[v6]:port", "host" -> (host, port or `default_port`). Userinfo ("u:p@") is
// dropped. A port that is not a number in 1..65535 gives `default_port`.
std::pair<std::string_view, uint16_t> split_host_port(std::string_view authority,
                                                      uint16_t default_port) noexcept;

// redacted_url() into `out` (replacing its content), so a caller can keep one buffer's capacity
// from request to request.
void assign_redacted_url(std::string& out, std::string_view scheme, std::string_view host,
                         std::string_view target, const TracingOptions& options);
// Which query values to redact, for callers without TracingOptions (the clients).
struct QueryRedaction {
  std::span<const std::string> params;
  bool omit_query = false;
};
void assign_redacted_url(std::string& out, std::string_view scheme, std::string_view host,
                         std::string_view target, QueryRedaction redaction);
// An absolute URL ("scheme://user@host/p?q#f") for a client span's attributes: without
// userinfo and fragment, the query redacted.
inline std::string redacted_absolute_url(std::string_view url, QueryRedaction redaction) {
  std::string out;
  assign_redacted_url(out, {}, {}, url, redaction);
  return out;
}

}  // namespace tracekit::http::detail
