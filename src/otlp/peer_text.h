// SPDX-License-Identifier: Apache-2.0
// Text a receiver chose (a google.rpc.Status message, a partial success's error_message, a gRPC
// status message, an error body) made fit for our diagnostics on stderr, where the
// application's JSON log lines also go: control characters (line breaks, terminal escapes)
// become spaces, invalid UTF-8 becomes U+FFFD, and it is cut to `max` bytes.
#pragma once

#include <string>
#include <string_view>

#include "tracekit/detail/utf8.h"

namespace tracekit::otlp::detail {

inline std::string peer_text(std::string_view text, size_t max) {
  std::string out = tracekit::detail::utf8::is_valid(text) ? std::string(text)
                                                           : tracekit::detail::utf8::sanitize(text);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = ' ';
  }
  if (out.size() > max) {
    size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80)
      --cut;
    out.resize(cut);
    out += "...";
  }
  return out;
}

}  // namespace tracekit::otlp::detail
