// SPDX-License-Identifier: Apache-2.0
// gzip for the viewer's answers: a 5,000-span trace is ~4.4 MB of JSON and ~12x smaller
// gzipped. Only when the client's Accept-Encoding takes gzip, only for text (JSON, HTML, JS,
// CSS, SVG) larger than a packet, and always with Vary: Accept-Encoding.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "response.h"

namespace tracekit::collector {

// Whether an Accept-Encoding header value accepts gzip (a "gzip" or "*" token whose q is not 0).
bool accepts_gzip(std::string_view accept_encoding);

// `in` gzipped (level 1) into `out`, handed to zlib in pieces of at most `max_piece` bytes
// (zlib's counters per call are 32-bit; bodies of 4 GiB and more need several). False, and
// `out` unusable, when it failed or would not come out smaller than `in`. Exposed for tests,
// which use small pieces.
bool gzip_in_pieces(std::string_view in, std::string& out, size_t max_piece = SIZE_MAX);

// Compresses `response` in place when `accept_encoding` allows it and it is worth it.
void maybe_gzip(Response& response, std::string_view accept_encoding);

}  // namespace tracekit::collector
