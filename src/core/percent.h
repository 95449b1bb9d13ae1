// SPDX-License-Identifier: Apache-2.0
// Percent-encoding helpers shared by resource attributes, OTLP headers and baggage.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tracekit::detail {

// Decodes %XX escapes; nullopt when a '%' is not followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view in);
// Encodes every byte outside `keep` (a predicate on unreserved characters) as %XX.
template <class Keep>
std::string percent_encode(std::string_view in, Keep keep) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (char c : in) {
    auto u = static_cast<unsigned char>(c);
    if (keep(u)) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0x0F];
    }
  }
  return out;
}
// Strips spaces and tabs at both ends.
std::string_view trim(std::string_view s) noexcept;

}  // namespace tracekit::detail
