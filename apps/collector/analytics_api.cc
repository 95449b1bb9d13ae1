// SPDX-License-Identifier: Apache-2.0
#include "analytics_api.h"

#include <charconv>
#include <chrono>
#include <cstdio>

#include "api_answers.h"
#include "json_text.h"
#include "query_api.h"
#include "span_analytics.h"

namespace tracekit::collector {

namespace {

struct Window {
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  std::string service;
};

// The window (and, where allowed, the service) from the query; an error answer when a
// parameter is wrong.
std::optional<Response> parse_window(const boost::urls::url_view& url, bool takes_service,
                                     Window& w) {
  const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  std::optional<int64_t> lookback, start, end;
  for (auto param : url.params()) {
    const std::string key = param.key;
    const std::string value = param.value;
    if (key == "lookback") {
      int64_t n = 0;
      if (!parse_duration_ns(value, n) || n <= 0) {
        return json_error(400, "lookback \"" + value.substr(0, 64) +
                                   "\" is not a duration such as 15m, 1h or 2d");
      }
      lookback = n;
    } else if (key == "start" || key == "end") {
      int64_t n = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || p != value.data() + value.size() || n < 0 || n > INT64_MAX / 1000) {
        return json_error(
            400, key + " \"" + value.substr(0, 64) + "\" is not a Unix time in microseconds");
      }
      (key == "start" ? start : end) = n * 1000;
    } else if (key == "service" && takes_service) {
      w.service = value;
    } else {
      return json_error(400, "unknown parameter \"" + key.substr(0, 64) + "\"; this takes " +
                                 (takes_service ? "lookback, start, end and service"
                                                : "lookback, start and end"));
    }
  }
  if (lookback && start) return json_error(400, "give lookback or start, not both");
  w.end_ns = end.value_or(now_ns);
  w.start_ns = start ? *start : w.end_ns - lookback.value_or(3600LL * 1'000'000'000);
  if (w.start_ns > w.end_ns) return json_error(400, "start is after end");
  return std::nullopt;
}

void append_window(std::string& out, const Window& w) {
  out += "{\"start\":";
  append_json_int_string(out, w.start_ns);
  out += ",\"end\":";
  append_json_int_string(out, w.end_ns);
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

Response dependencies(const boost::urls::url_view& url, SpanStore& store, size_t list_bytes) {
  Window w;
  if (auto bad = parse_window(url, false, w)) return std::move(*bad);
  auto edges = service_dependencies(store, w.start_ns, w.end_ns, list_bytes);
  if (!edges) return store_error(edges.error());
  Response r;
  append_window(r.body, w);
  r.body += ",\"data\":[";
  for (size_t i = 0; i < edges->items.size(); ++i) {
    const DependencyEdge& e = edges->items[i];
    if (i) r.body += ',';
    r.body += "{\"parent\":";
    append_json_string(r.body, e.parent);
    r.body += ",\"child\":";
    append_json_string(r.body, e.child);
    r.body += ",\"callCount\":" + std::to_string(e.calls) +
              ",\"errorCount\":" + std::to_string(e.errors) + "}";
  }
  end_listing(r.body, edges->truncated);
  return r;
}

Response stats(const boost::urls::url_view& url, SpanStore& store, size_t list_bytes) {
  Window w;
  if (auto bad = parse_window(url, true, w)) return std::move(*bad);
  auto ops = operation_stats(store, w.start_ns, w.end_ns, w.service, list_bytes);
  if (!ops) return store_error(ops.error());
  const double seconds = std::max(1e-9, static_cast<double>(w.end_ns - w.start_ns) / 1e9);
  Response r;
  append_window(r.body, w);
  r.body += ",\"windowSeconds\":" + number(seconds) + ",\"data\":[";
  for (size_t i = 0; i < ops->items.size(); ++i) {
    const OperationStats& o = ops->items[i];
    if (i) r.body += ',';
    r.body += "{\"service\":";
    append_json_string(r.body, o.service);
    r.body += ",\"operation\":";
    append_json_string(r.body, o.operation);
    r.body +=
        ",\"count\":" + std::to_string(o.count) + ",\"errorCount\":" + std::to_string(o.errors) +
        ",\"errorRatio\":" + number(static_cast<double>(o.errors) / static_cast<double>(o.count)) +
        ",\"ratePerSecond\":" + number(static_cast<double>(o.count) / seconds) +
        ",\"p50Ns\":" + std::to_string(o.p50_ns) + ",\"p95Ns\":" + std::to_string(o.p95_ns) +
        ",\"p99Ns\":" + std::to_string(o.p99_ns) + ",\"maxNs\":" + std::to_string(o.max_ns) + "}";
  }
  end_listing(r.body, ops->truncated);
  return r;
}

}  // namespace

std::optional<Response> handle_analytics_api(const boost::urls::url_view& url,
                                             const std::vector<std::string>& segments,
                                             SpanStore& store, size_t list_bytes) {
  if (segments.size() == 2 && segments[1] == "dependencies") {
    return dependencies(url, store, list_bytes);
  }
  if (segments.size() == 3 && segments[1] == "operations" && segments[2] == "stats") {
    return stats(url, store, list_bytes);
  }
  return std::nullopt;
}

}  // namespace tracekit::collector
