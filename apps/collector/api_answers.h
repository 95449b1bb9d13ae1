// SPDX-License-Identifier: Apache-2.0
// What the collector's JSON API handlers (query, logs, analytics) answer with on an error, and
// how they read integer parameters: one definition for all of them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "response.h"
#include "tracekit/result.h"

namespace tracekit::collector {

// {"error": message} with `status`.
Response json_error(int status, const std::string& message);

// A store error as an answer: a query past its time budget (running or waiting for a read
// connection) is 503 with Retry-After: 5, a search refused because too many wait 503 with
// Retry-After: 1 (the server is not broken; a narrower query, or the same later, can succeed);
// anything else 500.
Response store_error(const Error& e);

// Closes an answer's {"data":[... list; one cut at its byte budget (ApiLimits::list_bytes) ends
// with "truncated": true.
void end_listing(std::string& body, bool truncated);

// The whole of `text` as a decimal integer (no sign games, no trailing bytes).
bool parse_int(std::string_view text, int64_t& out);

}  // namespace tracekit::collector
