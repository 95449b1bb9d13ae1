// SPDX-License-Identifier: Apache-2.0
// The collector's JSON API (all GET, all JSON):
//   /api/services                         {"data":["svc",...]}
//   /api/services/{service}/operations    {"data":[{"name":..,"kind":"SERVER"},...]}
//   /api/traces?service=&operation=&minDuration=&maxDuration=&errors=&start=&end=&lookback=
//              &attribute=key=value&limit=            {"data":[trace summary,...]}
//   /api/traces/{traceId}[?after=spanId]  {"traceId":..,"spans":[span,...]}  (404 when unknown)
//              a trace larger than one page (ApiLimits) also has "next": the spanId to pass as
//              `after` for the next page; spans are by start time within a page.
// Durations are numbers with a unit (250us, 1.5ms, 2s, 1m, 1h); start/end are Unix times in
// microseconds; lookback (a duration) sets start to now minus it. Bad parameters get a 400 that
// names the parameter and what it takes.
#pragma once

#include <string>
#include <string_view>

#include "response.h"
#include "span_store.h"

namespace tracekit::collector {

struct ApiLimits {
  size_t max_attribute_filters = 16;   // attribute= parameters in one search; more get a 400
  size_t trace_page_spans = 10'000;    // spans in one page of /api/traces/{id}
  size_t trace_page_bytes = 8u << 20;  // about this much JSON in one page (at least one span)
  // About this much JSON in one answer of /api/traces/{id}/logs or /api/logs (at least one
  // record), resources and scopes counted as often as the answer holds them.
  size_t log_page_bytes = 8u << 20;
  // About this much text in one search answer, /api/services, a service's operations, the
  // dependencies or the operation statistics: what does not fit is left out and the answer says
  // "truncated": true.
  size_t list_bytes = 8u << 20;
};

// `target` is the request target (path and query, percent-encoded).
Response handle_api(std::string_view target, SpanStore& store, const ApiLimits& limits = {});

// Parses "1.5ms"-style durations into nanoseconds; false when it is not one.
bool parse_duration_ns(std::string_view text, int64_t& out);

// The JSON the API gives for one trace (exposed for tests and the benchmark).
// `next_after`, when not empty, is the span id where the next page starts.
std::string trace_json(const std::string& trace_id, const std::vector<StoredSpan>& spans,
                       const std::string& next_after = {});

}  // namespace tracekit::collector
