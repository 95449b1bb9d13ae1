// SPDX-License-Identifier: Apache-2.0
// What the fuzz targets share: a check that reports and aborts (libFuzzer then saves the input),
// and splitting an input into header fields.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

namespace tracekit::fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Lines of the input, as the header fields of one name would arrive.
inline std::vector<std::string_view> split_lines(std::string_view in) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (true) {
    const size_t nl = in.find('\n', pos);
    out.push_back(in.substr(pos, nl == std::string_view::npos ? nl : nl - pos));
    if (nl == std::string_view::npos) return out;
    pos = nl + 1;
  }
}

// The fields combined into one value, as RFC 7230 allows a recipient to.
inline std::string join(const std::vector<std::string_view>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    out += fields[i];
  }
  return out;
}

}  // namespace tracekit::fuzz
