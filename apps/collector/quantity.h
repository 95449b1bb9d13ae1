// SPDX-License-Identifier: Apache-2.0
// "<number><unit>" values from flags, environment and query strings: "10MiB", "1.5s", "250ms".
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <utility>

namespace tracekit::collector {

// The number times the scale of its unit (from `units`, matched exactly), or nullopt when the
// number is missing or malformed, the unit unknown, or the result not finite or above `max`.
inline std::optional<double> parse_quantity(
    std::string_view text, std::initializer_list<std::pair<std::string_view, double>> units,
    double max) {
  size_t unit_at = 0;
  while (unit_at < text.size() &&
         ((text[unit_at] >= '0' && text[unit_at] <= '9') || text[unit_at] == '.')) {
    ++unit_at;
  }
  if (unit_at == 0) return std::nullopt;
  double number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + unit_at, number);
  if (ec != std::errc() || end != text.data() + unit_at) return std::nullopt;
  const std::string_view unit = text.substr(unit_at);
  for (const auto& [name, scale] : units) {
    if (unit != name) continue;
    const double value = number * scale;
    if (!std::isfinite(value) || value > max) return std::nullopt;
    return value;
  }
  return std::nullopt;
}

}  // namespace tracekit::collector
