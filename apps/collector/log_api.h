// SPDX-License-Identifier: Apache-2.0
// The collector's JSON API for log records (all GET, all JSON):
//   /api/traces/{traceId}/logs[?limit=&after=&compact=]
//                                        {"traceId":..,"logs":[log,...]}  in time order
//   /api/logs?service=&severity=&text=&start=&end=&lookback=&correlationId=&traceId=&limit=
//             &after=&compact=           {"data":[log,...]}  newest first
//   /api/correlations/{id}               {"data":["traceId",...]}  the traces a correlation id
//                                        was logged in, newest first
// severity is the lowest severity shown: a name (trace, debug, info, warn, error, fatal) or an
// OTLP SeverityNumber (1-24); text is a substring of the body; start/end are Unix times in
// microseconds, lookback a duration (15m, 1h). A log is {"timeUnixNano","observedTimeUnixNano",
// "severityNumber","severityText","body","eventName","traceId","spanId","flags","service",
// "correlationId","attributes","droppedAttributesCount","scope","resource"}.
// An answer holds at most about ApiLimits::log_page_bytes of JSON (at least one record); when
// records are left (past that, or past limit) it has "next", a cursor to pass as `after`.
// compact=true gives each record "resourceId" and "scopeId" instead of "resource" and "scope",
// and the answer "resources" and "scopes" ({"id": {...}}) once each.
#pragma once

#include <boost/url/url_view.hpp>
#include <optional>
#include <string>
#include <vector>

#include "query_api.h"
#include "response.h"
#include "span_store.h"

namespace tracekit::collector {

// `segments` are the path's segments ("api", ...); nullopt when the path is not a logs endpoint.
std::optional<Response> handle_logs_api(const boost::urls::url_view& url,
                                        const std::vector<std::string>& segments, SpanStore& store,
                                        const ApiLimits& limits);

}  // namespace tracekit::collector
