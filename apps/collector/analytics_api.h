// SPDX-License-Identifier: Apache-2.0
// The collector's JSON API for the system as a whole (GET, JSON), from stored spans alone:
//   /api/dependencies?lookback=&start=&end=
//       {"start":"ns","end":"ns","data":[{"parent","child","callCount","errorCount"},...]}
//       calls between services (a span whose parent span is in another service), most first
//   /api/operations/stats?lookback=&start=&end=&service=
//       {"start":"ns","end":"ns","windowSeconds":n,"data":[{"service","operation","count",
//        "errorCount","errorRatio","ratePerSecond","p50Ns","p95Ns","p99Ns","maxNs"},...]}
// The window holds spans that start in it: lookback (a duration, 1h when nothing is given)
// back from now, or start/end (Unix microseconds; end defaults to now). Durations are numbers
// of nanoseconds, times strings (int64, as elsewhere in the API).
#pragma once

#include <boost/url/url_view.hpp>
#include <optional>
#include <string>
#include <vector>

#include "response.h"
#include "span_store.h"

namespace tracekit::collector {

// `segments` are the path's segments ("api", ...); nullopt when the path is not one of these.
// An answer holds about `list_bytes` of names at most, then says "truncated": true.
std::optional<Response> handle_analytics_api(const boost::urls::url_view& url,
                                             const std::vector<std::string>& segments,
                                             SpanStore& store, size_t list_bytes);

}  // namespace tracekit::collector
