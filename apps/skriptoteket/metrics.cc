// SPDX-License-Identifier: Apache-2.0
#include "metrics.h"

#include <chrono>
#include <cstdio>

#include "tracekit/log/record.h"
#include "tracekit/propagation/rejection.h"
#include "tracekit/tracer_provider.h"

namespace skriptoteket {

namespace {

// Label values escape backslash, quote and newline (the exposition format's rule).
std::string label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string number(double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.9g", v);
  return buffer;
}

void counter(std::string& out, std::string_view name, std::string_view help, uint64_t value) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += " counter\n";
  out += name;
  out += ' ';
  out += std::to_string(value);
  out += '\n';
}

}  // namespace

std::string_view method_label(std::string_view method) {
  // The methods of RFC 9110 and PATCH as themselves, any other as "_OTHER" (OpenTelemetry's
  // word): the server accepts any token as a method, and each distinct label would be a series
  // kept for the process's life.
  static constexpr std::array<std::string_view, 9> kKnown = {
      "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};
  for (std::string_view known : kKnown) {
    if (method == known) return known;
  }
  return "_OTHER";
}

std::string route_label(const tracekit::http::Request& request) {
  if (!request.route().empty()) return request.route();
  if (request.path().starts_with("/static/")) return "/static/";
  return "unmatched";
}

tracekit::http::Middleware HttpMetrics::middleware() {
  return [this](tracekit::http::Request& request,
                tracekit::http::Next next) -> boost::asio::awaitable<tracekit::http::Response> {
    const auto start = std::chrono::steady_clock::now();
    tracekit::http::Response response = co_await next(request);
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    record(method_label(request.method()), route_label(request), response.status(),
           elapsed.count());
    co_return response;
  };
}

void HttpMetrics::record(std::string_view method, std::string_view route, int status,
                         double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{std::string(method), std::string(route), status}];
  Histogram& h = latency_[std::string(route)];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++h.buckets[i];
      break;
    }
  }
  ++h.count;
  h.sum += seconds;
}

std::string HttpMetrics::render() const {
  std::string out;
  {
    std::lock_guard lock(mutex_);
    const std::string requests = prefix_ + "_http_requests_total";
    out += "# HELP " + requests + " HTTP requests answered, by method, route and status.\n";
    out += "# TYPE " + requests + " counter\n";
    for (const auto& [key, count] : requests_) {
      const auto& [method, route, status] = key;
      out += requests + "{method=\"" + label(method) + "\",route=\"" + label(route) +
             "\",status=\"" + std::to_string(status) + "\"} " + std::to_string(count) + "\n";
    }
    const std::string latency = prefix_ + "_http_request_duration_seconds";
    out += "# HELP " + latency + " Time from request to response, by route.\n";
    out += "# TYPE " + latency + " histogram\n";
    for (const auto& [route, h] : latency_) {
      uint64_t cumulative = 0;
      for (size_t i = 0; i < kBuckets.size(); ++i) {
        cumulative += h.buckets[i];
        out += latency + "_bucket{route=\"" + label(route) + "\",le=\"" + number(kBuckets[i]) +
               "\"} " + std::to_string(cumulative) + "\n";
      }
      out += latency + "_bucket{route=\"" + label(route) + "\",le=\"+Inf\"} " +
             std::to_string(h.count) + "\n";
      out += latency + "_sum{route=\"" + label(route) + "\"} " + number(h.sum) + "\n";
      out += latency + "_count{route=\"" + label(route) + "\"} " + std::to_string(h.count) + "\n";
    }
  }
  // The SDK's own counters; zero while tracing is off.
  tracekit::TracerStats stats;
  if (auto provider = tracekit::global_tracer_provider()) stats = provider->stats();
  counter(out, "tracekit_spans_started_total", "Recording spans started.", stats.spans_started);
  counter(out, "tracekit_spans_ended_total", "Recording spans ended.", stats.spans_ended);
  counter(out, "tracekit_spans_exported_total", "Spans accepted by an exporter.",
          stats.spans_exported);
  counter(out, "tracekit_spans_dropped_total", "Spans lost (queue full, failed export, refused).",
          stats.spans_dropped);
  counter(out, "tracekit_spans_dropped_queue_full_total", "Spans dropped because a queue was full.",
          stats.spans_dropped_queue_full);
  counter(out, "tracekit_export_failures_total", "Export calls that failed.",
          stats.export_failures);
  counter(out, "tracekit_export_calls_total", "Export calls made.", stats.export_calls);
  // The same for log records exported as OTLP logs (zero while tracing is off).
  const tracekit::log::LogExportStats logs = tracekit::log::record_stats();
  counter(out, "tracekit_log_records_emitted_total", "Log records handed to the log exporter.",
          logs.records_emitted);
  counter(out, "tracekit_log_records_exported_total", "Log records accepted by an exporter.",
          logs.records_exported);
  counter(out, "tracekit_log_records_dropped_total",
          "Log records lost (queue full, failed export, refused).", logs.records_dropped);
  counter(out, "tracekit_log_records_dropped_queue_full_total",
          "Log records dropped because the queue was full.", logs.records_dropped_queue_full);
  counter(out, "tracekit_log_export_failures_total", "Log export calls that failed.",
          logs.export_failures);
  // Counted whether tracing is on or off: propagation runs either way.
  const auto rejected = tracekit::propagation::rejection_counts();
  out +=
      "# HELP tracekit_extract_rejected_total Incoming trace-context headers refused, by reason.\n";
  out += "# TYPE tracekit_extract_rejected_total counter\n";
  for (size_t i = 0; i < rejected.size(); ++i) {
    const auto reason = static_cast<tracekit::propagation::RejectReason>(i);
    out += "tracekit_extract_rejected_total{reason=\"" +
           std::string(tracekit::propagation::to_string(reason)) + "\"} " +
           std::to_string(rejected[i]) + "\n";
  }
  return out;
}

}  // namespace skriptoteket
