// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the server middleware and the client for HTTP span attributes.
#pragma once

#include <array>
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

// The characters that end a Host header's authority (kEndsAuthority) and the userinfo
// separator (kUserinfoEnd), looked up in one table: one load per character instead of seven
// comparisons.
inline constexpr uint8_t kEndsAuthority = 1, kUserinfoEnd = 2;
inline constexpr auto kAuthorityChars = [] {
  std::array<uint8_t, 256> t{};
  for (unsigned char c : std::string_view("/?# \t\r\n"))
    t[c] = kEndsAuthority;
  t['@'] = kUserinfoEnd;
  return t;
}();

// A Host header's authority as a URL parser would end it: before the first '/', '?', '#' or
// whitespace, so a path or query smuggled into the header goes no further (fuzz_http_request).
// A loop rather than find_first_of, which calls memchr on the set once per character of the
// host: twice per traced request, ~50 ns of BM_HttplibHandler's 0.93 us (2026-12-07).
inline std::string_view authority_of(std::string_view host) noexcept {
  size_t end = 0;
  while (end < host.size() && !(kAuthorityChars[static_cast<uint8_t>(host[end])] & kEndsAuthority))
    ++end;
  return host.substr(0, end);
}

// authority_of() without its userinfo ("u:p@"), in the same pass: what a URL may show.
inline std::string_view authority_without_userinfo(std::string_view host) noexcept {
  size_t end = 0, start = 0;
  for (; end < host.size(); ++end) {
    const uint8_t kind = kAuthorityChars[static_cast<uint8_t>(host[end])];
    if (kind & kEndsAuthority) break;
    if (kind & kUserinfoEnd) start = end + 1;
  }
  return host.substr(start, end - start);
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
