// SPDX-License-Identifier: Apache-2.0
// UTF-8 validation (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF), shared
// by every encoder that must not emit invalid text: OTLP protobuf strings (proto3 receivers
// reject them), JSON (OTLP/JSON, logs) and the reference service's captured script output.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace tracekit::detail::utf8 {

// Length of the valid UTF-8 sequence at s[i], or 0 if the bytes there are not one.
inline size_t sequence_length(std::string_view s, size_t i) noexcept {
  auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t c = b(i);
  if (c < 0x80) return 1;
  size_t n;
  uint32_t min;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  uint32_t cp = c & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

inline bool is_valid(std::string_view s) noexcept {
  // ASCII fast path, eight bytes at a time.
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if (w & 0x8080808080808080ull) break;
  }
  while (i < s.size()) {
    if (static_cast<uint8_t>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t n = sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// A copy with U+FFFD in place of every byte that does not start a valid sequence.
inline std::string sanitize(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  size_t i = 0;
  while (i < s.size()) {
    size_t n = sequence_length(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.data() + i, n);
      i += n;
    }
  }
  return out;
}

}  // namespace tracekit::detail::utf8
