// SPDX-License-Identifier: Apache-2.0
// The request guard's text helpers, apart from the middleware so that code without a server
// (the collector's option parser, the fuzz targets) can use them.
#include <string>
#include <string_view>
#include <vector>

#include "tracekit/http/request_guard.h"

namespace tracekit::http {

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ',' || text[i] == ' ' || text[i] == '\t'))
      ++i;
    size_t j = i;
    while (j < text.size() && text[j] != ',' && text[j] != ' ' && text[j] != '\t')
      ++j;
    if (j > i) out.emplace_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  // The time depends on b's length only (the configured secret), never on where a differs.
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  for (size_t i = 0; i < b.size(); ++i) {
    const unsigned char x = a.empty() ? 0 : static_cast<unsigned char>(a[i % a.size()]);
    diff |= x ^ static_cast<unsigned char>(b[i]);
  }
  return diff == 0;
}

}  // namespace tracekit::http
