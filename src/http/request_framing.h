// SPDX-License-Identifier: Apache-2.0
// Request framing checks that Beast's parser leaves to us (RFC 9112 §2.2, §3.2, §5.2, §6.1–6.3):
// a request whose body length a proxy in front of us could read differently is refused, so the
// bytes behind it are never taken for a request of their own (request smuggling).
#pragma once

#include <boost/beast/http/message.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tracekit::http::detail {

struct FramingProblem {
  int status;  // 400, or 501 for a transfer coding we do not implement
  std::string message;
};

// The position just past the blank line that ends the header in `bytes` (CRLF CRLF, or a bare
// LF LF that the parser then refuses), searching from `from`; npos when it has not arrived.
size_t find_header_end(std::string_view bytes, size_t from) noexcept;

// Checks the raw header bytes (up to the blank line) for what the parser would accept but
// RFC 9112 forbids a server to act on: obsolete line folding (also whitespace before the first
// field) and a bare CR.
std::optional<FramingProblem> check_raw_header(std::string_view header) noexcept;

// Checks the parsed header: Transfer-Encoding (only "chunked", once, as the final coding; never
// with Content-Length; never in HTTP/1.0) and Host (exactly one in HTTP/1.1, a valid value).
std::optional<FramingProblem> check_framing(
    const boost::beast::http::request_header<>& header) noexcept;

}  // namespace tracekit::http::detail
