// SPDX-License-Identifier: Apache-2.0
// The Prometheus exposition of HttpMetrics: counters by method/route/status, a cumulative
// latency histogram per route, and the tracer's counters.
#include <gtest/gtest.h>

#include "metrics.h"
#include "tracekit/http/client.h"

namespace skriptoteket {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

TEST(HttpMetricsTest, CountsRequestsByMethodRouteAndStatus) {
  HttpMetrics metrics("svc");
  metrics.record("GET", "/tools/{id}", 200, 0.002);
  metrics.record("GET", "/tools/{id}", 200, 0.004);
  metrics.record("GET", "/tools/{id}", 404, 0.001);
  metrics.record("POST", "/tools", 201, 0.02);
  const std::string text = metrics.render();
  EXPECT_TRUE(has_line(text, "# TYPE svc_http_requests_total counter")) << text;
  EXPECT_TRUE(has_line(
      text, R"(svc_http_requests_total{method="GET",route="/tools/{id}",status="200"} 2)"));
  EXPECT_TRUE(has_line(
      text, R"(svc_http_requests_total{method="GET",route="/tools/{id}",status="404"} 1)"));
  EXPECT_TRUE(
      has_line(text, R"(svc_http_requests_total{method="POST",route="/tools",status="201"} 1)"));
}

// The server takes any token as a method, and the middleware runs for every request (also those
// the guard refuses): each made-up method must not become a series of its own.
TEST(HttpMetricsTest, MadeUpMethodsShareOneLabelThroughARealServer) {
  HttpMetrics metrics("svc");
  tracekit::http::Server server;
  server.use(metrics.middleware());
  server.route("GET", "/r",
               [](tracekit::http::Request&) -> boost::asio::awaitable<tracekit::http::Response> {
                 co_return tracekit::http::Response::text(200, "ok");
               });
  ASSERT_TRUE(server.start().ok());
  tracekit::http::BlockingClient client(tracekit::http::ClientOptions{.tracing = false});
  for (int i = 0; i < 200; ++i) {
    auto r = client.request("MADEUP" + std::to_string(i), server.base_url() + "/r");
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  ASSERT_TRUE(client.request("GET", server.base_url() + "/r").ok());
  const std::string text = metrics.render();
  EXPECT_EQ(text.find("MADEUP"), std::string::npos) << text.substr(0, 2000);
  EXPECT_TRUE(has_line(text, R"(svc_http_requests_total{method="GET",route="/r",status="200"} 1)"))
      << text;
  size_t other = 0;
  for (size_t at = text.find("method=\"_OTHER\""); at != std::string::npos;
       at = text.find("method=\"_OTHER\"", at + 1)) {
    ++other;
  }
  EXPECT_GE(other, 1u);
  EXPECT_LE(other, 2u) << "one series per route and status, not per method";
  EXPECT_EQ(method_label("PATCH"), "PATCH");
  EXPECT_EQ(method_label("get"), "_OTHER") << "methods are case-sensitive";
}

TEST(HttpMetricsTest, TheHistogramIsCumulativeAndEndsInInf) {
  HttpMetrics metrics("svc");
  metrics.record("GET", "/r", 200, 0.0005);  // <= 0.001
  metrics.record("GET", "/r", 200, 0.003);   // <= 0.005
  metrics.record("GET", "/r", 200, 7.0);     // only +Inf
  const std::string text = metrics.render();
  EXPECT_TRUE(has_line(text, "# TYPE svc_http_request_duration_seconds histogram"));
  EXPECT_TRUE(
      has_line(text, R"(svc_http_request_duration_seconds_bucket{route="/r",le="0.001"} 1)"))
      << text;
  EXPECT_TRUE(
      has_line(text, R"(svc_http_request_duration_seconds_bucket{route="/r",le="0.0025"} 1)"));
  EXPECT_TRUE(
      has_line(text, R"(svc_http_request_duration_seconds_bucket{route="/r",le="0.005"} 2)"));
  EXPECT_TRUE(has_line(text, R"(svc_http_request_duration_seconds_bucket{route="/r",le="2.5"} 2)"));
  EXPECT_TRUE(
      has_line(text, R"(svc_http_request_duration_seconds_bucket{route="/r",le="+Inf"} 3)"));
  EXPECT_TRUE(has_line(text, R"(svc_http_request_duration_seconds_count{route="/r"} 3)"));
  EXPECT_TRUE(has_line(text, R"(svc_http_request_duration_seconds_sum{route="/r"} 7.0035)"))
      << text;
}

TEST(HttpMetricsTest, LabelValuesAreEscaped) {
  HttpMetrics metrics("svc");
  metrics.record("GET", "a\"b\\c\nd", 200, 0.1);
  EXPECT_NE(metrics.render().find(R"(route="a\"b\\c\nd")"), std::string::npos);
}

TEST(HttpMetricsTest, TheTracersCountersAreThereEvenWithTracingOff) {
  const std::string text = HttpMetrics("svc").render();
  for (const char* name :
       {"tracekit_spans_exported_total", "tracekit_spans_dropped_total",
        "tracekit_export_failures_total", "tracekit_spans_started_total",
        "tracekit_log_records_exported_total", "tracekit_log_records_dropped_total",
        "tracekit_log_records_dropped_queue_full_total"}) {
    EXPECT_TRUE(has_line(text, "# TYPE " + std::string(name) + " counter")) << name;
    EXPECT_TRUE(has_line(text, std::string(name) + " 0")) << name;
  }
  EXPECT_TRUE(has_line(text, "# TYPE tracekit_extract_rejected_total counter"));
  for (const char* reason : {"invalid_version", "bad_trace_id", "tracestate_too_long"}) {
    EXPECT_TRUE(
        has_line(text, "tracekit_extract_rejected_total{reason=\"" + std::string(reason) + "\"} 0"))
        << reason;
  }
}

}  // namespace
}  // namespace skriptoteket
