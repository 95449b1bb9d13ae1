// SPDX-License-Identifier: Apache-2.0
// The HTTP token (RFC 9110 tchar: ALPHA, DIGIT and !#$%&'*+-.^_`|~), the syntax of header field
// names, methods and W3C Baggage keys: one table for all of them.
#pragma once

#include <array>
#include <string_view>

namespace tracekit::detail {

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

// True when `s` is a non-empty token.
inline bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s) {
    if (!kTokenChars[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

}  // namespace tracekit::detail
