// SPDX-License-Identifier: Apache-2.0
// Prometheus metrics for a service: requests by route and status, a latency histogram by route,
// and the tracer's own counters (TracerStats of the global provider).
#pragma once

#include <array>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "tracekit/http/server.h"

namespace skriptoteket {

class HttpMetrics {
 public:
  explicit HttpMetrics(std::string prefix) : prefix_(std::move(prefix)) {}

  // Counts every request that reaches it and times it up to the response; add it first so it
  // sees everything.
  tracekit::http::Middleware middleware();
  void record(std::string_view method, std::string_view route, int status, double seconds);
  // The text exposition format (version 0.0.4).
  std::string render() const;

  static constexpr std::array<double, 11> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1.0,  2.5};

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> buckets{};  // cumulative when rendered
    uint64_t count = 0;
    double sum = 0;
  };
  std::string prefix_;
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
};

// The label values (never the raw method or path, which would let clients create unbounded
// label values), from bounded sets: a method of RFC 9110 or PATCH, else "_OTHER"; the
// route pattern, "/static/" or "unmatched".
std::string_view method_label(std::string_view method);
std::string route_label(const tracekit::http::Request& request);

}  // namespace skriptoteket
