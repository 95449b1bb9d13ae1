// SPDX-License-Identifier: Apache-2.0
// The collector as users run it: the tracekit-collector binary in its own process on free ports
// with a real SQLite file. Our exporters (gRPC, HTTP protobuf, HTTP JSON, gzip or not) send the
// known spans and the API gives every field back; a restart keeps them; retention deletes them;
// malformed, truncated and oversized payloads get the right status and the collector keeps
// serving.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <set>
#include <thread>

#include "collector_test_support.h"
#include "google/rpc/status.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "tracekit/otlp/encoder.h"
#include "tracekit/otlp/exporter.h"

namespace tracekit::collector {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

std::string hex_trace_id(const SpanDataPtr& span) {
  return span->context().trace_id().to_hex();
}

// Exports the known spans with one of our exporters; returns them.
testing::KnownSpans send_known_spans(OtlpProtocol protocol, const std::string& endpoint,
                                     bool gzip) {
  testing::KnownSpans known = testing::make_known_spans();
  OtlpConfig config;
  config.protocol = protocol;
  config.endpoint = endpoint;
  config.gzip = gzip;
  config.insecure = true;
  config.timeout = 10s;
  otlp::ExporterOptions options;
  options.retry.max_attempts = 1;
  auto exporter = otlp::make_exporter(config, options);
  EXPECT_TRUE(exporter.ok()) << (exporter.ok() ? "" : exporter.error().message);
  if (!exporter.ok()) return known;
  ExportResult r = (*exporter)->export_spans(known.spans, std::chrono::steady_clock::now() + 15s);
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.rejected_spans, 0u);
  (*exporter)->shutdown(5s);
  return known;
}

// Fetches every trace of `known` from the API (waiting for the writer) and checks every field.
void expect_api_returns(const CollectorProcess& c, const testing::KnownSpans& known) {
  std::map<std::string, size_t> per_trace;
  for (const auto& s : known.spans)
    ++per_trace[hex_trace_id(s)];
  json::array all;
  for (const auto& [id, count] : per_trace) {
    json::value trace;
    const bool arrived = wait_for_json(c.ui_url() + "/api/traces/" + id, [&](const json::value& v) {
      trace = v;
      return v.at("spans").as_array().size() >= count;
    });
    ASSERT_TRUE(arrived) << "trace " << id << " did not arrive with " << count << " spans";
    EXPECT_EQ(trace.at("spans").as_array().size(), count);
    for (const auto& s : trace.at("spans").as_array())
      all.push_back(s);
  }
  const auto request = request_from_api_spans(all);
  EXPECT_EQ(testing::expect_request_matches(request, known.spans), known.spans.size());
}

class CollectorE2E : public ::testing::Test {
 protected:
  testing::TempDir dir;
};

TEST_F(CollectorE2E, OurExportersDeliverEveryFieldIntact) {
  CollectorProcess c(dir.file("spans.db"));
  ASSERT_TRUE(c.ready()) << c.startup_output();
  struct Case {
    OtlpProtocol protocol;
    bool gzip;
  };
  for (Case k : {Case{OtlpProtocol::kGrpc, false}, Case{OtlpProtocol::kGrpc, true},
                 Case{OtlpProtocol::kHttpProtobuf, false}, Case{OtlpProtocol::kHttpProtobuf, true},
                 Case{OtlpProtocol::kHttpJson, false}, Case{OtlpProtocol::kHttpJson, true}}) {
    SCOPED_TRACE(std::string(to_string(k.protocol)) + (k.gzip ? " gzip" : ""));
    const std::string endpoint =
        k.protocol == OtlpProtocol::kGrpc ? c.grpc_endpoint() : c.otlp_url();
    testing::KnownSpans known = send_known_spans(k.protocol, endpoint, k.gzip);
    expect_api_returns(c, known);
  }
  // The search finds them by service, with the root and the counts.
  json::value found = get_json(c.ui_url() + "/api/traces?service=checkout&limit=100");
  ASSERT_FALSE(found.is_null());
  EXPECT_GE(found.at("data").as_array().size(), 6u);
  json::value services = get_json(c.ui_url() + "/api/services");
  ASSERT_FALSE(services.is_null());
  EXPECT_EQ(services.at("data"), json::parse(R"(["checkout"])"));
  EXPECT_EQ(c.stop(), 0);
}

TEST_F(CollectorE2E, ARestartKeepsTheSpans) {
  testing::KnownSpans known;
  {
    CollectorProcess c(dir.file("spans.db"));
    ASSERT_TRUE(c.ready()) << c.startup_output();
    known = send_known_spans(OtlpProtocol::kHttpProtobuf, c.otlp_url(), false);
    expect_api_returns(c, known);
    EXPECT_EQ(c.stop(), 0);
  }
  CollectorProcess again(dir.file("spans.db"));
  ASSERT_TRUE(again.ready()) << again.startup_output();
  expect_api_returns(again, known);
}

TEST_F(CollectorE2E, SpansQueuedAtSigtermAreWrittenBeforeExit) {
  CollectorProcess c(dir.file("spans.db"));
  ASSERT_TRUE(c.ready()) << c.startup_output();
  testing::KnownSpans known = send_known_spans(OtlpProtocol::kGrpc, c.grpc_endpoint(), false);
  EXPECT_EQ(c.stop(), 0);  // at once: the spans may still be in the write queue
  CollectorProcess again(dir.file("spans.db"));
  ASSERT_TRUE(again.ready()) << again.startup_output();
  expect_api_returns(again, known);
}

TEST_F(CollectorE2E, RetentionDeletesOldSpans) {
  CollectorProcess c(dir.file("spans.db"),
                     {"--retention-age", "3s", "--retention-interval", "100ms"});
  ASSERT_TRUE(c.ready()) << c.startup_output();
  testing::KnownSpans known = send_known_spans(OtlpProtocol::kHttpJson, c.otlp_url(), false);
  const std::string url = c.ui_url() + "/api/traces/" + hex_trace_id(known.spans[0]);
  // First stored (the age counts from arrival)...
  ASSERT_TRUE(wait_for_json(url, [](const json::value& v) {
    return !v.at("spans").as_array().empty();
  })) << "the spans never arrived";
  // ...then gone within a bounded time (the age plus a few retention rounds): 404.
  const auto until = std::chrono::steady_clock::now() + 30s;
  long status = 0;
  while (std::chrono::steady_clock::now() < until) {
    (void)get_json(url, &status);
    if (status == 404) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(status, 404);
  // The operations go in a later transaction of the same pass.
  EXPECT_TRUE(wait_for_json(c.ui_url() + "/api/services", [](const json::value& v) {
    return v.at("data").as_array().empty();
  })) << "operations without spans go too";
}

TEST_F(CollectorE2E, BadHttpPayloadsGetTheRightStatusAndTheCollectorKeepsServing) {
  CollectorProcess c(dir.file("spans.db"), {"--max-request-size", "64KiB"});
  ASSERT_TRUE(c.ready()) << c.startup_output();
  const std::string url = c.otlp_url();
  const std::string proto = "Content-Type: application/x-protobuf";
  const std::string json_type = "Content-Type: application/json";

  testing::KnownSpans known = testing::make_known_spans();
  std::string valid;
  otlp::encode_request(known.spans, valid);

  struct Case {
    const char* what;
    std::vector<std::string> headers;
    std::string body;
    long status;
  };
  const std::vector<Case> cases = {
      {"garbage protobuf", {proto}, "\xff\xff\xff\xff\x0f garbage", 400},
      {"truncated protobuf", {proto}, valid.substr(0, valid.size() / 2), 400},
      {"garbage JSON", {json_type}, "{\"resourceSpans\": [", 400},
      // A bad id refuses its span alone: a partial success (see the partial-success test).
      {"JSON with a bad id",
       {json_type},
       R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz","spanId":"b7ad6b7169203331"}]}]}]})",
       200},
      {"wrong content type", {"Content-Type: text/plain"}, valid, 415},
      {"no content type", {"Content-Type:"}, valid, 415},
      {"oversized body", {proto}, std::string(100 * 1024, 'x'), 413},
      {"gzip bomb", {proto, "Content-Encoding: gzip"}, gzip(std::string(10 << 20, '\0')), 413},
      {"truncated gzip", {proto, "Content-Encoding: gzip"}, gzip(valid).substr(0, 20), 400},
      {"unknown encoding", {proto, "Content-Encoding: br"}, valid, 415},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.what);
    HttpResult r = http_call("POST", url, k.headers, k.body);
    EXPECT_EQ(r.status, k.status) << r.error << " " << r.body;
  }
  // The error body is a google.rpc.Status in the request's encoding.
  HttpResult r = http_call("POST", url, {json_type}, "[");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("\"message\""), std::string::npos) << r.body;
  // Also when the server refuses the body before reading it (over --max-request-size).
  HttpResult big_json = http_call("POST", url, {json_type}, std::string(100 * 1024, ' '));
  EXPECT_EQ(big_json.status, 413);
  EXPECT_EQ(big_json.content_type, "application/json");
  EXPECT_NE(big_json.body.find("\"code\":8"), std::string::npos) << big_json.body;
  EXPECT_NE(big_json.body.find("larger than 65536 bytes"), std::string::npos) << big_json.body;
  HttpResult big_proto = http_call("POST", url, {proto}, std::string(100 * 1024, 'x'));
  EXPECT_EQ(big_proto.status, 413);
  EXPECT_EQ(big_proto.content_type, "application/x-protobuf");
  google::rpc::Status status;
  ASSERT_TRUE(status.ParseFromString(big_proto.body)) << big_proto.body;
  EXPECT_EQ(status.code(), 8);  // RESOURCE_EXHAUSTED
  EXPECT_NE(status.message().find("larger than"), std::string::npos);
  EXPECT_EQ(http_call("GET", url).status, 405);

  // A span with a malformed id is a partial success; the others are kept.
  HttpResult partial =
      http_call("POST", url, {json_type}, R"({"resourceSpans":[{"scopeSpans":[{"spans":[
      {"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"kept"}]}]}]})");
  EXPECT_EQ(partial.status, 200) << partial.body;

  // Still serving: a valid export goes through and the API answers.
  HttpResult ok = http_call("POST", url, {proto}, valid);
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.content_type, "application/x-protobuf");
  expect_api_returns(c, known);
  EXPECT_TRUE(c.alive());
}

TEST_F(CollectorE2E, BadGrpcPayloadsGetTheRightStatus) {
  CollectorProcess c(dir.file("spans.db"), {"--max-request-size", "64KiB"});
  ASSERT_TRUE(c.ready()) << c.startup_output();
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(c.grpc_port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = testing::otlpv1::TraceService::NewStub(channel);
  auto call = [&](const testing::otlpv1::ExportTraceServiceRequest& request) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 10s);
    testing::otlpv1::ExportTraceServiceResponse response;
    grpc::Status status = stub->Export(&context, request, &response);
    return std::pair{status, response};
  };

  // Field 1 (resource_spans) holding bytes that are no ResourceSpans.
  testing::otlpv1::ExportTraceServiceRequest garbage;
  garbage.GetReflection()->MutableUnknownFields(&garbage)->AddLengthDelimited(
      1, "\xff\xff\xff garbage");
  auto [bad_status, unused] = call(garbage);
  EXPECT_EQ(bad_status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << bad_status.error_message();
  EXPECT_NE(bad_status.error_message().find("protobuf"), std::string::npos);

  testing::otlpv1::ExportTraceServiceRequest big;
  auto* span = big.add_resource_spans()->add_scope_spans()->add_spans();
  span->set_trace_id(std::string(16, '\1'));
  span->set_span_id(std::string(8, '\2'));
  span->set_name(std::string(100 * 1024, 'n'));
  EXPECT_EQ(call(big).first.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);

  // A bad span id: partial success, the good span kept.
  testing::otlpv1::ExportTraceServiceRequest partial;
  auto* ss = partial.add_resource_spans()->add_scope_spans();
  auto* good = ss->add_spans();
  good->set_trace_id(std::string(16, '\3'));
  good->set_span_id(std::string(8, '\4'));
  good->set_name("good");
  auto* bad = ss->add_spans();
  bad->set_trace_id(std::string(16, '\3'));
  bad->set_span_id("x");
  auto [partial_status, response] = call(partial);
  EXPECT_TRUE(partial_status.ok()) << partial_status.error_message();
  EXPECT_EQ(response.partial_success().rejected_spans(), 1);
  EXPECT_NE(response.partial_success().error_message().find("span_id"), std::string::npos);
  EXPECT_TRUE(
      wait_for_json(c.ui_url() + "/api/traces/03030303030303030303030303030303",
                    [](const json::value& v) { return v.at("spans").as_array().size() == 1; }));

  testing::KnownSpans known = send_known_spans(OtlpProtocol::kGrpc, c.grpc_endpoint(), false);
  expect_api_returns(c, known);
  EXPECT_TRUE(c.alive());
}

TEST_F(CollectorE2E, BadFlagsExitWithAMessage) {
  CollectorProcess c(dir.file("spans.db"), {"--retention-size", "lots"});
  EXPECT_FALSE(c.ready());
  EXPECT_NE(c.startup_output().find("--retention-size"), std::string::npos) << c.startup_output();
}

TEST_F(CollectorE2E, ABusyPortIsAClearError) {
  CollectorProcess first(dir.file("a.db"));
  ASSERT_TRUE(first.ready()) << first.startup_output();
  CollectorProcess second(dir.file("b.db"),
                          {"--ui-listen", "127.0.0.1:" + std::to_string(first.ui_port())});
  EXPECT_FALSE(second.ready());
  EXPECT_NE(second.startup_output().find("viewer"), std::string::npos) << second.startup_output();
}

}  // namespace
}  // namespace tracekit::collector
