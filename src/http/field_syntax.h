// SPDX-License-Identifier: Apache-2.0
// What may go into an HTTP/1.1 message as a header field or method, by RFC 9110's rules: the
// checks that keep text from one field from ending the header early (request and response
// splitting).
#pragma once

#include <array>
#include <string_view>

namespace tracekit::http::detail {

// RFC 9110 tchar: ALPHA, DIGIT and !#$%&'*+-.^_`|~
inline constexpr std::array<bool, 256> kTokenChars = [] {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c)
    t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c)
    t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c)
    t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~"))
    t[static_cast<unsigned char>(c)] = true;
  return t;
}();

// True when `name` is a non-empty token (a field name or a method).
inline bool is_token(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (char c : name) {
    if (!kTokenChars[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

// True when a field value can be sent as it is: no CR, LF or NUL. Only these break the
// message's framing; other control characters are the receiver's to judge, as with any field.
inline bool is_safe_field_value(std::string_view value) noexcept {
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') [[unlikely]]
      return false;
  }
  return true;
}

}  // namespace tracekit::http::detail
