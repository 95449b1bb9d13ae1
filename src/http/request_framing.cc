// SPDX-License-Identifier: Apache-2.0
#include "request_framing.h"

#include <boost/beast/core/string.hpp>

namespace tracekit::http::detail {

namespace {

namespace bh = boost::beast::http;

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// RFC 3986 host (reg-name, IPv4, or an IP literal in brackets) with an optional port: the
// characters it may hold. Empty is allowed (a target without an authority).
bool valid_host_value(std::string_view host) noexcept {
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("-._~%!$&'()*+,;=:[]").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

}  // namespace

size_t find_header_end(std::string_view bytes, size_t from) noexcept {
  for (size_t i = bytes.find('\n', from); i != std::string_view::npos;
       i = bytes.find('\n', i + 1)) {
    if (i + 1 < bytes.size() && bytes[i + 1] == '\n') return i + 2;
    if (i + 2 < bytes.size() && bytes[i + 1] == '\r' && bytes[i + 2] == '\n') return i + 3;
  }
  return std::string_view::npos;
}

std::optional<FramingProblem> check_raw_header(std::string_view header) noexcept {
  for (size_t i = 0; i < header.size(); ++i) {
    const char c = header[i];
    if (c == '\n' && i + 1 < header.size() && (header[i + 1] == ' ' || header[i + 1] == '\t')) {
      return FramingProblem{400,
                            "obsolete line folding (or whitespace before the first header "
                            "field) is not accepted"};
    }
    if (c == '\r' && (i + 1 >= header.size() || header[i + 1] != '\n')) {
      return FramingProblem{400, "a bare CR in the request header"};
    }
  }
  return std::nullopt;
}

std::optional<FramingProblem> check_framing(const bh::request_header<>& header) noexcept {
  // Transfer-Encoding, over all its field lines: "chunked" exactly once, last.
  auto codings = header.equal_range(bh::field::transfer_encoding);
  if (codings.first != codings.second) {
    if (header.version() < 11) {
      return FramingProblem{400, "Transfer-Encoding in an HTTP/1.0 request"};
    }
    if (header.count(bh::field::content_length) != 0) {
      return FramingProblem{400, "both Transfer-Encoding and Content-Length"};
    }
    int chunked = 0, others = 0;
    bool last_is_chunked = false;
    for (auto it = codings.first; it != codings.second; ++it) {
      std::string_view list = it->value();
      while (!list.empty()) {
        const size_t comma = list.find(',');
        const std::string_view coding = trim_ows(list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
        if (coding.empty()) continue;  // empty list elements are allowed and ignored
        last_is_chunked = boost::beast::iequals(coding, "chunked");
        (last_is_chunked ? chunked : others) += 1;
      }
    }
    if (!last_is_chunked) {
      return FramingProblem{400, "Transfer-Encoding whose final coding is not chunked"};
    }
    if (chunked > 1) return FramingProblem{400, "Transfer-Encoding with chunked more than once"};
    if (others > 0) {
      return FramingProblem{501, "transfer codings other than chunked are not implemented"};
    }
  }
  // Host: one in HTTP/1.1 (RFC 9112 §3.2), and a value that is a host.
  const size_t hosts = header.count(bh::field::host);
  if (header.version() >= 11 && hosts == 0) return FramingProblem{400, "no Host header"};
  if (hosts > 1) return FramingProblem{400, "more than one Host header"};
  if (hosts == 1 && !valid_host_value(header[bh::field::host])) {
    return FramingProblem{400, "invalid Host header"};
  }
  return std::nullopt;
}

}  // namespace tracekit::http::detail
