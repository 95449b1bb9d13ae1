// SPDX-License-Identifier: Apache-2.0
// What the stored spans say about the system as a whole over a time window (spans that start
// in it): which services call which (the dependency graph), and per service and operation the
// rate, the error ratio and duration percentiles. Computed from the spans table alone, with its
// indexes (a range of spans_by_time, and spans_by_trace for each span's parent), so the
// collector answers without Prometheus or any other system.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "span_store.h"

namespace tracekit::collector {

// Calls from one service to another: spans of `child` whose parent span is in `parent`.
struct DependencyEdge {
  std::string parent;
  std::string child;
  int64_t calls = 0;
  int64_t errors = 0;  // of those child spans, how many have status ERROR
};

// Edges between different services, by calls (most first), over spans starting in
// [start_ns, end_ns]. Past `max_bytes` of service names (0: no bound) further edges are left
// out and the listing says it is truncated.
Result<Listing<DependencyEdge>> service_dependencies(SpanStore& store, int64_t start_ns,
                                                     int64_t end_ns, size_t max_bytes = 0);

struct OperationStats {
  std::string service;
  std::string operation;  // the span name
  int64_t count = 0;
  int64_t errors = 0;
  // Nearest-rank percentiles of the duration, in nanoseconds.
  int64_t p50_ns = 0, p95_ns = 0, p99_ns = 0, max_ns = 0;
};

// Per (service, span name) over spans starting in [start_ns, end_ns]; one service only when
// `service` is not empty. Ordered by service, then operation. Once the operations' names pass
// `max_bytes` (0: no bound) no new operation is taken (the listing says it is truncated);
// those already taken are still counted whole, so every figure given is exact.
Result<Listing<OperationStats>> operation_stats(SpanStore& store, int64_t start_ns, int64_t end_ns,
                                                const std::string& service, size_t max_bytes = 0);

}  // namespace tracekit::collector
