// SPDX-License-Identifier: Apache-2.0
// What may go into an HTTP/1.1 message as a header field or method, by RFC 9110's rules: the
// checks that keep text from one field from ending the header early (request and response
// splitting).
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "tracekit/detail/token.h"

namespace tracekit::http::detail {

// Field names and methods are tokens.
using tracekit::detail::is_token;

// True when a field value can be sent as it is: no CR, LF or NUL. Only these break the
// message's framing; other control characters are the receiver's to judge, as with any field.
// Every response's fields pass through this, so it looks at eight bytes at a time for any byte
// below 0x0E (which CR, LF and NUL are) and checks byte by byte only where one is found.
inline bool is_safe_field_value(std::string_view value) noexcept {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHighs = 0x8080808080808080ull;
  const char* p = value.data();
  size_t n = value.size();
  auto byte_ok = [](char c) { return c != '\r' && c != '\n' && c != '\0'; };
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    // Sets a byte's high bit when that byte is below 0x0E (and, for bytes of 0x8E and up, not:
    // ~word clears them), without a false negative.
    if ((word - kOnes * 0x0E) & ~word & kHighs) [[unlikely]] {
      for (int i = 0; i < 8; ++i) {
        if (!byte_ok(p[i])) return false;
      }
    }
  }
  for (; n > 0; ++p, --n) {
    if (!byte_ok(*p)) return false;
  }
  return true;
}

}  // namespace tracekit::http::detail
