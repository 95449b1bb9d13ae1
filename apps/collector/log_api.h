// The collector's JSON API for log records (all GET, all JSON):
//   /api/traces/{traceId}/logs[?limit=]  {"traceId":..,"logs":[log,...]}  in time order
//   /api/logs?service=&severity=&text=&start=&end=&lookback=&correlationId=&traceId=&limit=
//                                        {"data":[log,...]}  newest first
//   /api/correlations/{id}               {"data":["traceId",...]}  the traces a correlation id
//                                        was logged in, newest first
// severity is the lowest severity shown: a name (trace, debug, info, warn, error, fatal) or an
// OTLP SeverityNumber (1-24); text is a substring of the body; start/end are Unix times in
// microseconds, lookback a duration (15m, 1h). A log is {"timeUnixNano","observedTimeUnixNano",
// "severityNumber","severityText","body","eventName","traceId","spanId","flags","service",
// "correlationId","attributes","droppedAttributesCount","scope","resource"}.
#pragma once

#include <boost/url/url_view.hpp>
#include <string>
#include <vector>

#include "response.h"
#include "span_store.h"

namespace tracekit::collector {

// `segments` are the path's segments ("api", ...); nullopt when the path is not a logs endpoint.
std::optional<Response> handle_logs_api(const boost::urls::url_view& url,
                                        const std::vector<std::string>& segments, SpanStore& store);

// The JSON the API gives for a trace's logs (exposed for tests and the benchmark).
std::string trace_logs_json(const std::string& trace_id, const std::vector<StoredLog>& logs);

}  // namespace tracekit::collector
