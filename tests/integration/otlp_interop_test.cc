// SPDX-License-Identifier: Apache-2.0
// Interoperability with an implementation we did not write, for spans and log records alike:
// tracekit's exporters send the known spans and log records to a receiver made of the official
// OpenTelemetry JS packages (@grpc/grpc-js, and the protobufjs code
// @opentelemetry/otlp-transformer generated from opentelemetry-proto), over gRPC, HTTP/protobuf
// and HTTP/JSON, with and without gzip. The JS side decodes (JSON through its own object
// mapping), encodes again, and hands the bytes back; libprotobuf then checks every field against
// the records. The other way, the official JS SDK's exporters send to tracekit's test receivers.
// One node receiver serves every case of this binary (CTest runs the binary as one test).
#include <gtest/gtest.h>

#include <google/protobuf/util/message_differencer.h>

#include "js_peer.h"
#include "known_log_records.h"
#include "receivers.h"
#include "tracekit/otlp/exporter.h"
#include "tracekit/otlp/log_exporter.h"

namespace tracekit::testing {
namespace {

using namespace std::chrono_literals;
namespace logsdata = opentelemetry::proto::logs::v1;

struct Case {
  OtlpProtocol protocol;
  bool gzip;
};

// Where tracekit's exporter for `c` sends to the JS receiver; `path` is "/v1/traces" or "/v1/logs".
OtlpConfig config_for(const JsReceiver& node, const Case& c, const std::string& path) {
  OtlpConfig cfg;
  cfg.protocol = c.protocol;
  cfg.gzip = c.gzip;
  cfg.timeout = 10s;
  cfg.endpoint = c.protocol == OtlpProtocol::kGrpc
                     ? "http://127.0.0.1:" + std::to_string(node.grpc_port())
                     : "http://127.0.0.1:" + std::to_string(node.http_port()) + path;
  return cfg;
}

// The request the JS receiver reports next: transport, content type and encoding as `c` says.
JsReceived expect_next(JsReceiver& node, const Case& c, const std::string& signal) {
  JsReceived got = node.next(10s);
  EXPECT_NE(got.transport, "error") << got.payload;
  EXPECT_EQ(got.signal, signal);
  if (c.protocol == OtlpProtocol::kGrpc) {
    EXPECT_EQ(got.transport, "grpc");
  } else {
    EXPECT_EQ(got.transport, "http");
    EXPECT_EQ(got.content_type, c.protocol == OtlpProtocol::kHttpJson ? "application/json"
                                                                      : "application/x-protobuf");
    EXPECT_EQ(got.encoding, c.gzip ? "gzip" : "-");
  }
  return got;
}

class OtlpInterop : public ::testing::TestWithParam<Case> {};

TEST_P(OtlpInterop, OfficialJsPackagesDecodeEveryField) {
  std::string why;
  JsReceiver* node = shared_js_receiver(&why);
  if (!node) GTEST_SKIP() << "JS interop skipped: " << why;

  const Case c = GetParam();
  auto exporter = otlp::OtlpExporter::create(config_for(*node, c, "/v1/traces"));
  ASSERT_TRUE(exporter.ok()) << exporter.error().message;
  KnownSpans k = make_known_spans();
  ExportResult r = (*exporter)->export_spans(k.spans, std::chrono::steady_clock::now() + 10s);
  ASSERT_TRUE(r.ok()) << r.error;

  JsReceived got = expect_next(*node, c, "traces");
  otlpv1::ExportTraceServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(got.payload));
  EXPECT_EQ(expect_request_matches(req, k.spans), k.spans.size());
}

// tracekit's OTLP log export (the path tracekit::log's batch processor feeds) decoded by the
// official JS code: time, observed time, severity number and text, body, attributes with
// correlation_id, trace_id/span_id/flags, scope and resource.
class OtlpInteropLogs : public ::testing::TestWithParam<Case> {};

TEST_P(OtlpInteropLogs, OfficialJsPackagesDecodeEveryField) {
  std::string why;
  JsReceiver* node = shared_js_receiver(&why);
  if (!node) GTEST_SKIP() << "JS interop skipped: " << why;

  const Case c = GetParam();
  auto exporter = otlp::OtlpLogExporter::create(config_for(*node, c, "/v1/logs"),
                                                known_log_resource(), otlp::ExporterOptions{});
  ASSERT_TRUE(exporter.ok()) << exporter.error().message;
  auto records = make_known_log_records();
  ExportResult r = (*exporter)->export_records(records, std::chrono::steady_clock::now() + 10s);
  ASSERT_TRUE(r.ok()) << r.error;

  JsReceived got = expect_next(*node, c, "logs");
  logsv1::ExportLogsServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(got.payload));
  expect_known_log_records(req);
}

// The whole path: a Logger line inside a span, through the batch log processor and the OTLP/JSON
// exporter, read by the JS decoder with the span's ids, the correlation id and the logger's
// name as the scope.
TEST(OtlpInteropLogger, LoggerLinesReachTheJsDecoderWithTheirSpan) {
  std::string why;
  JsReceiver* node = shared_js_receiver(&why);
  if (!node) GTEST_SKIP() << "JS interop skipped: " << why;

  auto exporter =
      otlp::OtlpLogExporter::create(config_for(*node, {OtlpProtocol::kHttpJson, false}, "/v1/logs"),
                                    known_log_resource(), otlp::ExporterOptions{});
  ASSERT_TRUE(exporter.ok()) << exporter.error().message;
  auto processor = std::make_shared<log::BatchLogRecordProcessor>(std::move(*exporter));
  log::set_sink(std::make_shared<log::MemorySink>());
  log::set_record_processor(processor);
  TracerProviderOptions options;
  options.processors.push_back(std::make_unique<SimpleSpanProcessor>(
      std::make_unique<InMemorySpanExporter>(std::make_shared<InMemorySpanStore>())));
  TracerProvider provider(std::move(options));
  SpanContext span;
  {
    auto s = provider.get_tracer("interop").start_span("request");
    span = s.context();
    Scope scope(s);
    log::CorrelationScope correlation(std::string_view("corr-js"));
    log::Logger("interop.web").warn("tool.slow", {{"ms", 1500}});
    s.end();
  }
  const bool flushed = processor->force_flush(10s);
  log::set_record_processor(nullptr);
  log::set_sink(nullptr);
  ASSERT_TRUE(flushed);

  JsReceived got = expect_next(*node, {OtlpProtocol::kHttpJson, false}, "logs");
  logsv1::ExportLogsServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(got.payload));
  ASSERT_EQ(req.resource_logs_size(), 1);
  ASSERT_EQ(req.resource_logs(0).scope_logs_size(), 1);
  const auto& scope_logs = req.resource_logs(0).scope_logs(0);
  EXPECT_EQ(scope_logs.scope().name(), "interop.web");
  ASSERT_EQ(scope_logs.log_records_size(), 1);
  const logsdata::LogRecord& r = scope_logs.log_records(0);
  EXPECT_GT(r.time_unix_nano(), 1'700'000'000'000'000'000ull);
  EXPECT_EQ(r.observed_time_unix_nano(), r.time_unix_nano());
  EXPECT_EQ(r.severity_number(), logsdata::SEVERITY_NUMBER_WARN);
  EXPECT_EQ(r.severity_text(), "WARN");
  EXPECT_EQ(r.body().string_value(), "tool.slow");
  EXPECT_EQ(r.trace_id(), std::string(reinterpret_cast<const char*>(span.trace_id().data()), 16));
  EXPECT_EQ(r.span_id(), std::string(reinterpret_cast<const char*>(span.span_id().data()), 8));
  EXPECT_EQ(r.flags(), static_cast<uint32_t>(span.flags().bits()));
  auto attrs = attributes_of(r);
  EXPECT_EQ(attrs["ms"].int_value(), 1500);
  EXPECT_EQ(attrs["correlation_id"].string_value(), "corr-js");
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string name = info.param.protocol == OtlpProtocol::kGrpc           ? "grpc"
                     : info.param.protocol == OtlpProtocol::kHttpProtobuf ? "http_protobuf"
                                                                          : "http_json";
  return name + (info.param.gzip ? "_gzip" : "");
}

const auto kEveryCase = ::testing::Values(
    Case{OtlpProtocol::kGrpc, false}, Case{OtlpProtocol::kGrpc, true},
    Case{OtlpProtocol::kHttpProtobuf, false}, Case{OtlpProtocol::kHttpProtobuf, true},
    Case{OtlpProtocol::kHttpJson, false}, Case{OtlpProtocol::kHttpJson, true});

INSTANTIATE_TEST_SUITE_P(Protocols, OtlpInterop, kEveryCase, case_name);
INSTANTIATE_TEST_SUITE_P(Protocols, OtlpInteropLogs, kEveryCase, case_name);

// The other direction: the official JS SDK and its three OTLP exporters send to tracekit's test
// receivers, without and then with gzip, which must decode all six to the same message with the
// values the JS code set. This also checks the receivers' OTLP/JSON reading, which the exporter
// tests rely on.

// The HTTP receiver gets protobuf, protobuf+gzip, JSON and JSON+gzip, in that order (send.mjs).
void expect_http_sends(const std::vector<HttpReceived>& h, const std::string& target) {
  ASSERT_EQ(h.size(), 4u);
  for (size_t i = 0; i < h.size(); ++i) {
    SCOPED_TRACE("HTTP request " + std::to_string(i));
    EXPECT_EQ(h[i].target, target);
    auto header = [&](const char* name) {
      const auto it = h[i].headers.find(name);
      return it == h[i].headers.end() ? std::string() : it->second;
    };
    EXPECT_EQ(header("content-type"), i < 2 ? "application/x-protobuf" : "application/json");
    EXPECT_EQ(header("content-encoding"), i % 2 ? "gzip" : "");
    EXPECT_EQ(h[i].decode_error, "") << h[i].body;
  }
}

// Every message equals the first; `names` says which send each was.
template <class Message>
void expect_all_equal(const std::vector<Message>& messages, const std::vector<std::string>& names) {
  google::protobuf::util::MessageDifferencer d;
  std::string diff;
  d.ReportDifferencesToString(&diff);
  for (size_t i = 1; i < messages.size(); ++i) {
    diff.clear();
    EXPECT_TRUE(d.Compare(messages[0], messages[i]))
        << names[0] << " vs " << names[i] << ": " << diff;
  }
}

const std::vector<std::string> kSendNames = {
    "grpc", "grpc+gzip", "http/protobuf", "http/protobuf+gzip", "http/json", "http/json+gzip"};

TEST(OtlpInteropJsSender, OfficialExportersDecodeAlikeInOurReceivers) {
  if (std::string why = js_peer_missing(); !why.empty())
    GTEST_SKIP() << "JS interop skipped: " << why;
  GrpcReceiver grpc_rx;
  HttpReceiver http_rx;
  ASSERT_EQ(run_node({"send.mjs", "traces", grpc_rx.endpoint(), http_rx.url(), http_rx.url()}, 60s),
            0);
  ASSERT_TRUE(http_rx.wait_for_spans(4, 5s));
  auto g = grpc_rx.received();
  auto h = http_rx.received();
  ASSERT_EQ(g.size(), 2u);
  expect_http_sends(h, "/v1/traces");
  ASSERT_EQ(h.size(), 4u);

  // Trace and span ids differ between the sends; everything else must be equal.
  auto normalized = [](otlpv1::ExportTraceServiceRequest r) {
    for (auto& rs : *r.mutable_resource_spans())
      for (auto& ss : *rs.mutable_scope_spans())
        for (auto& sp : *ss.mutable_spans()) {
          sp.clear_trace_id();
          sp.clear_span_id();
        }
    return r;
  };
  std::vector<otlpv1::ExportTraceServiceRequest> all;
  for (const auto& r : g)
    all.push_back(normalized(r.request));
  for (const auto& r : h)
    all.push_back(normalized(r.request));
  expect_all_equal(all, kSendNames);

  const auto& c = all.back();
  ASSERT_EQ(c.resource_spans_size(), 1);
  ASSERT_EQ(c.resource_spans(0).scope_spans_size(), 1);
  ASSERT_EQ(c.resource_spans(0).scope_spans(0).spans_size(), 1);
  const tracev1::Span& s = c.resource_spans(0).scope_spans(0).spans(0);
  EXPECT_EQ(s.name(), "GET /js");
  EXPECT_EQ(s.kind(), tracev1::Span::SPAN_KIND_SERVER);
  EXPECT_EQ(s.start_time_unix_nano(), 1'700'000'000'000'000'000ull);
  EXPECT_EQ(s.end_time_unix_nano(), 1'700'000'000'005'000'000ull);
  EXPECT_EQ(s.status().code(), tracev1::Status::STATUS_CODE_ERROR);
  EXPECT_EQ(s.status().message(), "boom");
  std::map<std::string, commonv1::AnyValue> attrs;
  for (const auto& kv : s.attributes())
    attrs[kv.key()] = kv.value();
  EXPECT_EQ(attrs["http.method"].string_value(), "GET");
  EXPECT_EQ(attrs["http.status_code"].int_value(), 200);
  EXPECT_EQ(attrs["ratio"].double_value(), 0.5);
  EXPECT_EQ(attrs["cached"].value_case(), commonv1::AnyValue::kBoolValue);
  EXPECT_EQ(attrs["strings"].array_value().values(1).string_value(), "b");
  EXPECT_EQ(attrs["ints"].array_value().values(2).int_value(), 3);
  ASSERT_EQ(s.events_size(), 1);
  EXPECT_EQ(s.events(0).name(), "cache.miss");
  EXPECT_EQ(s.events(0).time_unix_nano(), 1'700'000'000'001'000'000ull);
  ASSERT_EQ(s.links_size(), 1);
  EXPECT_EQ(TraceId(reinterpret_cast<const uint8_t*>(s.links(0).trace_id().data())).to_hex(),
            "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(s.links(0).attributes(0).key(), "link.reason");
  EXPECT_EQ(c.resource_spans(0).scope_spans(0).scope().name(), "js.interop");
}

std::string hex_of(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

// @opentelemetry/sdk-logs with exporter-logs-otlp-{grpc,proto,http}: two records in two scopes
// (send.mjs sendLogs), every field the SDK sets.
TEST(OtlpInteropJsSender, OfficialLogExportersDecodeAlikeInOurReceivers) {
  if (std::string why = js_peer_missing(); !why.empty())
    GTEST_SKIP() << "JS interop skipped: " << why;
  GrpcReceiver grpc_rx;
  HttpReceiver http_rx;
  ASSERT_EQ(
      run_node({"send.mjs", "logs", grpc_rx.endpoint(), http_rx.logs_url(), http_rx.logs_url()},
               60s),
      0);
  ASSERT_TRUE(http_rx.wait_for_spans(8, 5s)) << "four requests of two records each";
  auto g = grpc_rx.received();
  auto h = http_rx.received();
  ASSERT_EQ(g.size(), 2u);
  expect_http_sends(h, "/v1/logs");
  ASSERT_EQ(h.size(), 4u);

  std::vector<logsv1::ExportLogsServiceRequest> all;
  for (const auto& r : g)
    all.push_back(r.logs);
  for (const auto& r : h)
    all.push_back(r.logs);
  expect_all_equal(all, kSendNames);

  const auto& req = all.back();  // from OTLP/JSON with gzip
  ASSERT_EQ(req.resource_logs_size(), 1);
  const auto& rl = req.resource_logs(0);
  std::map<std::string, commonv1::AnyValue> resource;
  for (const auto& kv : rl.resource().attributes())
    resource[kv.key()] = kv.value();
  EXPECT_EQ(resource["service.name"].string_value(), "js-peer");
  EXPECT_EQ(resource["host.cores"].int_value(), 8);
  ASSERT_EQ(rl.scope_logs_size(), 2);
  EXPECT_EQ(rl.scope_logs(0).scope().name(), "js.logs");
  EXPECT_EQ(rl.scope_logs(0).scope().version(), "2.0.0");
  EXPECT_EQ(rl.scope_logs(1).scope().name(), "js.jobs");
  ASSERT_EQ(rl.scope_logs(0).log_records_size(), 1);
  ASSERT_EQ(rl.scope_logs(1).log_records_size(), 1);

  const logsdata::LogRecord& a = rl.scope_logs(0).log_records(0);
  EXPECT_EQ(a.time_unix_nano(), 1'700'000'000'001'000'000ull);
  EXPECT_EQ(a.observed_time_unix_nano(), 1'700'000'000'003'000'000ull);
  EXPECT_EQ(a.severity_number(), logsdata::SEVERITY_NUMBER_ERROR);
  EXPECT_EQ(a.severity_text(), "ERROR");
  EXPECT_EQ(a.body().string_value(), "payment <failed> ä");
  EXPECT_EQ(a.event_name(), "payment.failed");
  EXPECT_EQ(hex_of(a.trace_id()), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(hex_of(a.span_id()), "00f067aa0ba902b7");
  EXPECT_EQ(a.flags(), 1u);
  auto attrs = attributes_of(a);
  EXPECT_EQ(attrs.size(), 5u);
  EXPECT_EQ(attrs["correlation_id"].string_value(), "corr-42");
  EXPECT_EQ(attrs["attempt"].int_value(), 3);
  EXPECT_EQ(attrs["ratio"].double_value(), 0.5);
  EXPECT_EQ(attrs["ok"].value_case(), commonv1::AnyValue::kBoolValue);
  EXPECT_FALSE(attrs["ok"].bool_value());
  ASSERT_EQ(attrs["tags"].array_value().values_size(), 2);
  EXPECT_EQ(attrs["tags"].array_value().values(1).string_value(), "b");

  const logsdata::LogRecord& b = rl.scope_logs(1).log_records(0);
  EXPECT_EQ(b.time_unix_nano(), 1'700'000'001'000'000'000ull);
  EXPECT_EQ(b.severity_number(), logsdata::SEVERITY_NUMBER_INFO);
  EXPECT_EQ(b.severity_text(), "INFO");
  EXPECT_TRUE(b.trace_id().empty()) << "emitted outside any span";
  EXPECT_TRUE(b.span_id().empty());
  ASSERT_EQ(b.body().value_case(), commonv1::AnyValue::kKvlistValue);
  std::map<std::string, commonv1::AnyValue> body;
  for (const auto& kv : b.body().kvlist_value().values())
    body[kv.key()] = kv.value();
  EXPECT_EQ(body["job"].string_value(), "nightly");
  EXPECT_EQ(body["tries"].int_value(), 2);
}

}  // namespace
}  // namespace tracekit::testing

// CTest runs this binary as one test: it reports it skipped (SKIP_RETURN_CODE 77) when the JS
// peer could not run at all, and passed or failed otherwise.
int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const int failed = RUN_ALL_TESTS();
  const auto& run = *::testing::UnitTest::GetInstance();
  if (failed == 0 && run.successful_test_count() == 0 && run.skipped_test_count() > 0) return 77;
  return failed;
}
