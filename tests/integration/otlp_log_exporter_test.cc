// SPDX-License-Identifier: Apache-2.0
// The OTLP log exporter against real receivers on loopback (gRPC LogsService, HTTP /v1/logs with
// protobuf, JSON and gzip): every field of a record arrives; retries follow the OTLP rules; and
// the whole path from Logger through the batch processor carries the current span's ids. Fault
// tests: with the receiver down, slow or answering UNAVAILABLE/503, logging never blocks and
// the lost records are counted.
#include <gtest/gtest.h>

#include <thread>

#include "known_log_records.h"
#include "receivers.h"
#include "tracekit/otlp/log_exporter.h"

namespace tracekit::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace logsdata = opentelemetry::proto::logs::v1;

otlp::ExporterOptions fast_retries() {
  otlp::ExporterOptions o;
  o.retry.initial_backoff = 20ms;
  o.retry.max_backoff = 100ms;
  return o;
}

std::unique_ptr<otlp::OtlpLogExporter> make(const OtlpConfig& c,
                                            const otlp::ExporterOptions& o = fast_retries()) {
  auto e = otlp::OtlpLogExporter::create(c, known_log_resource(), o);
  EXPECT_TRUE(e.ok()) << (e.ok() ? "" : e.error().message);
  return e.ok() ? std::move(*e) : nullptr;
}

OtlpConfig config_for(OtlpProtocol protocol, const std::string& endpoint, bool gzip = false) {
  OtlpConfig c;
  c.protocol = protocol;
  c.endpoint = endpoint;
  c.timeout = 5s;
  c.gzip = gzip;
  return c;
}

struct Transport {
  const char* name;
  OtlpProtocol protocol;
  bool gzip;
};

class EveryTransport : public ::testing::TestWithParam<Transport> {};

TEST_P(EveryTransport, EveryFieldArrives) {
  const Transport t = GetParam();
  std::unique_ptr<GrpcReceiver> grpc;
  std::unique_ptr<HttpReceiver> http;
  std::string endpoint;
  if (t.protocol == OtlpProtocol::kGrpc) {
    grpc = std::make_unique<GrpcReceiver>();
    endpoint = grpc->endpoint();
  } else {
    http = std::make_unique<HttpReceiver>();
    endpoint = http->logs_url();
  }
  auto exporter = make(config_for(t.protocol, endpoint, t.gzip));
  ASSERT_TRUE(exporter);
  auto records = make_known_log_records();
  ExportResult r = exporter->export_records(records, Clock::now() + 10s);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(exporter->stats().spans_exported, 2u);
  if (grpc) {
    auto got = grpc->received();
    ASSERT_EQ(got.size(), 1u);
    expect_known_log_records(got[0].logs);
  } else {
    auto got = http->received();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].target, "/v1/logs");
    ASSERT_EQ(got[0].decode_error, "") << got[0].body;
    EXPECT_EQ(got[0].headers["content-type"], t.protocol == OtlpProtocol::kHttpJson
                                                  ? "application/json"
                                                  : "application/x-protobuf");
    EXPECT_EQ(got[0].headers.count("content-encoding"), t.gzip ? 1u : 0u);
    expect_known_log_records(got[0].logs);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Logs, EveryTransport,
    ::testing::Values(Transport{"grpc", OtlpProtocol::kGrpc, false},
                      Transport{"grpc_gzip", OtlpProtocol::kGrpc, true},
                      Transport{"http_protobuf", OtlpProtocol::kHttpProtobuf, false},
                      Transport{"http_json", OtlpProtocol::kHttpJson, false},
                      Transport{"http_json_gzip", OtlpProtocol::kHttpJson, true}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(OtlpLogExporter, GrpcGzipIsReallyCompressed) {
  // A server that only accepts identity encoding refuses the compressed call: proof of gzip.
  GrpcReceiver::Options identity_only;
  identity_only.accept_gzip = false;
  GrpcReceiver grpc(identity_only);
  auto records = make_known_log_records();
  auto gzip = make(config_for(OtlpProtocol::kGrpc, grpc.endpoint(), true));
  EXPECT_FALSE(gzip->export_records(records, Clock::now() + 10s).ok());
  auto plain = make(config_for(OtlpProtocol::kGrpc, grpc.endpoint(), false));
  EXPECT_TRUE(plain->export_records(records, Clock::now() + 10s).ok());
}

TEST(OtlpLogExporter, RetriesUnavailableAndHonoursRetryAfter) {
  GrpcReceiver grpc;
  grpc.script({{14, "busy"}, {14, "busy", 30}});  // UNAVAILABLE twice, then OK
  auto g = make(config_for(OtlpProtocol::kGrpc, grpc.endpoint()));
  auto records = make_known_log_records();
  ExportResult r = g->export_records(records, Clock::now() + 10s);
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(grpc.calls(), 3u);
  EXPECT_EQ(g->stats().retries, 2u);

  HttpReceiver http;
  HttpReply unavailable;
  unavailable.status = 503;
  unavailable.retry_after = "0";
  http.script({unavailable});
  auto h = make(config_for(OtlpProtocol::kHttpProtobuf, http.logs_url()));
  r = h->export_records(records, Clock::now() + 10s);
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(http.calls(), 2u);

  HttpReply bad;
  bad.status = 400;
  http.script({bad});
  r = h->export_records(records, Clock::now() + 10s);
  EXPECT_FALSE(r.ok()) << "400 is not retried";
  EXPECT_NE(r.error.find("400"), std::string::npos) << r.error;
}

TEST(OtlpLogExporter, PartialSuccessCountsRejectedRecords) {
  GrpcReceiver grpc;
  GrpcReply partial;
  partial.rejected = 1;
  partial.partial_message = "one too old";
  grpc.script({partial});
  auto g = make(config_for(OtlpProtocol::kGrpc, grpc.endpoint()));
  auto records = make_known_log_records();
  ExportResult r = g->export_records(records, Clock::now() + 10s);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.rejected_spans, 1u);
  EXPECT_NE(r.error.find("log records rejected"), std::string::npos) << r.error;
}

// Log records share the span exporter's split: a batch larger than max_request_bytes goes in
// parts, each a whole request with the resource, every record once and in order.
TEST(OtlpLogExporter, ABatchTooLargeForOneRequestGoesInParts) {
  GrpcReceiver grpc;
  auto options = fast_retries();
  options.max_request_bytes = 1;  // every record alone
  auto g = make(config_for(OtlpProtocol::kGrpc, grpc.endpoint()), options);
  const size_t known = make_known_log_records().size();
  std::vector<log::LogRecordPtr> records;
  for (int i = 0; i < 4; ++i) {
    for (auto& record : make_known_log_records())
      records.push_back(std::move(record));
  }
  ExportResult r = g->export_records(records, Clock::now() + 10s);
  ASSERT_TRUE(r.ok()) << r.error;
  const auto got = grpc.received();
  ASSERT_EQ(got.size(), records.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(count_log_records(got[i].logs), 1u);
    const auto& resource_logs = got[i].logs.resource_logs(0);
    EXPECT_GT(resource_logs.resource().attributes_size(), 0);
    EXPECT_EQ(resource_logs.resource().SerializeAsString(),
              got[0].logs.resource_logs(0).resource().SerializeAsString());
    // The records alternate as sent: the body of each matches that of its known record.
    const auto& body = resource_logs.scope_logs(0).log_records(0).body().SerializeAsString();
    const auto& first = got[i % known].logs.resource_logs(0).scope_logs(0);
    EXPECT_EQ(body, first.log_records(0).body().SerializeAsString());
  }
  EXPECT_NE(got[0].logs.resource_logs(0).scope_logs(0).log_records(0).body().SerializeAsString(),
            got[1].logs.resource_logs(0).scope_logs(0).log_records(0).body().SerializeAsString());
  EXPECT_EQ(g->stats().spans_exported, records.size());
}

// Logger -> BatchLogRecordProcessor -> OTLP: the record carries the current span and
// correlation id, and the JSON line still goes to its sink.
TEST(OtlpLogPipeline, LoggerRecordsCarryTheCurrentSpan) {
  HttpReceiver http;
  auto exporter = make(config_for(OtlpProtocol::kHttpProtobuf, http.logs_url()));
  auto processor = std::make_shared<log::BatchLogRecordProcessor>(std::move(exporter));
  auto lines = std::make_shared<log::MemorySink>();
  log::set_sink(lines);
  log::set_record_processor(processor);

  auto store = std::make_shared<InMemorySpanStore>();
  TracerProviderOptions options;
  options.processors.push_back(
      std::make_unique<SimpleSpanProcessor>(std::make_unique<InMemorySpanExporter>(store)));
  TracerProvider provider(std::move(options));
  SpanContext ctx;
  {
    auto span = provider.get_tracer("test").start_span("request");
    ctx = span.context();
    Scope scope(span);
    log::CorrelationScope correlation(std::string_view("corr-7"));
    log::Logger("pipeline").info("inside", {{"n", 1}});
    span.end();
  }
  log::Logger("pipeline").debug("not enabled at info");
  log::Logger("pipeline").error("outside");
  ASSERT_TRUE(processor->force_flush(10s));
  log::set_record_processor(nullptr);
  log::set_sink(nullptr);

  EXPECT_EQ(lines->size(), 2u);
  ASSERT_TRUE(http.wait_for_spans(2, 10s));
  std::vector<logsdata::LogRecord> got;
  for (const auto& req : http.received())
    for (const auto& rl : req.logs.resource_logs())
      for (const auto& sl : rl.scope_logs()) {
        EXPECT_EQ(sl.scope().name(), "pipeline");
        for (const auto& r : sl.log_records())
          got.push_back(r);
      }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].body().string_value(), "inside");
  EXPECT_EQ(got[0].trace_id(),
            std::string(reinterpret_cast<const char*>(ctx.trace_id().data()), 16));
  EXPECT_EQ(got[0].span_id(), std::string(reinterpret_cast<const char*>(ctx.span_id().data()), 8));
  EXPECT_EQ(got[0].flags(), static_cast<uint32_t>(ctx.flags().bits()));
  auto attrs = attributes_of(got[0]);
  EXPECT_EQ(attrs["correlation_id"].string_value(), "corr-7");
  EXPECT_EQ(attrs["n"].int_value(), 1);
  EXPECT_EQ(got[1].body().string_value(), "outside");
  EXPECT_TRUE(got[1].trace_id().empty());

  log::LogExportStats st;
  processor->add_stats(st);
  EXPECT_EQ(st.records_emitted, 2u);
  EXPECT_EQ(st.records_exported, 2u);
  EXPECT_EQ(st.records_dropped, 0u);
}

// A free loopback port nobody listens on.
int dead_port() {
  HttpReceiver r;
  return r.port();
}

// Logs `n` lines through a small queue to `config`; returns the time the logging took.
struct FaultRun {
  std::chrono::nanoseconds logging_time;
  log::LogExportStats stats;
};
FaultRun log_through(const OtlpConfig& config, size_t n) {
  otlp::ExporterOptions o = fast_retries();
  auto exporter = make(config, o);
  log::LogBatchOptions batch;
  batch.max_queue_size = 64;
  batch.max_export_batch_size = 16;
  batch.schedule_delay = 10ms;
  batch.export_timeout = 300ms;
  auto processor = std::make_shared<log::BatchLogRecordProcessor>(std::move(exporter), batch);
  log::set_sink(std::make_shared<log::MemorySink>());
  log::set_record_processor(processor);
  const auto start = Clock::now();
  log::Logger logger("fault");
  for (size_t i = 0; i < n; ++i)
    logger.info("line", {{"i", i}});
  const auto took = Clock::now() - start;
  log::set_record_processor(nullptr);
  log::set_sink(nullptr);
  // Returns as soon as the queue is drained; the long timeout is for a loaded machine, where a
  // shutdown cut short would leave the worker counting while the stats are read.
  processor->shutdown(10s);
  FaultRun run{took, {}};
  processor->add_stats(run.stats);
  return run;
}

// Every record is accounted for: exported, or dropped for a counted reason.
void expect_accounted(const log::LogExportStats& st, size_t n) {
  EXPECT_EQ(st.records_emitted, n);
  EXPECT_EQ(st.records_exported + st.records_dropped, n)
      << "exported " << st.records_exported << ", dropped " << st.records_dropped;
}

// Upper bounds are loose (a loaded 2-core machine, sanitizers): what they catch is a logging
// thread that waits for the network, which would take seconds here.
constexpr auto kNeverBlocks = 3s;

TEST(OtlpLogFaults, CollectorDown) {
  auto c = config_for(OtlpProtocol::kHttpProtobuf,
                      "http://127.0.0.1:" + std::to_string(dead_port()) + "/v1/logs");
  auto run = log_through(c, 5000);
  EXPECT_LT(run.logging_time, kNeverBlocks);
  expect_accounted(run.stats, 5000);
  EXPECT_EQ(run.stats.records_exported, 0u);
  EXPECT_GT(run.stats.records_dropped_queue_full, 0u) << "a 64-record queue cannot hold 5000";
  EXPECT_GT(run.stats.export_failures, 0u);
}

TEST(OtlpLogFaults, CollectorSlow) {
  GrpcReceiver grpc;
  GrpcReply slow;
  slow.delay = 1s;  // longer than the export timeout
  grpc.script({slow, slow, slow, slow, slow, slow});
  auto run = log_through(config_for(OtlpProtocol::kGrpc, grpc.endpoint()), 5000);
  EXPECT_LT(run.logging_time, kNeverBlocks);
  expect_accounted(run.stats, 5000);
  EXPECT_GT(run.stats.records_dropped_queue_full, 0u);
}

TEST(OtlpLogFaults, CollectorUnavailableThenBack) {
  GrpcReceiver grpc;
  std::vector<GrpcReply> unavailable(30, GrpcReply{14, "overloaded"});
  grpc.script(unavailable);
  auto run = log_through(config_for(OtlpProtocol::kGrpc, grpc.endpoint()), 2000);
  EXPECT_LT(run.logging_time, kNeverBlocks);
  expect_accounted(run.stats, 2000);

  HttpReceiver http;
  HttpReply busy;
  busy.status = 503;
  http.script(std::vector<HttpReply>(30, busy));
  run = log_through(config_for(OtlpProtocol::kHttpJson, http.logs_url()), 2000);
  EXPECT_LT(run.logging_time, kNeverBlocks);
  expect_accounted(run.stats, 2000);
  EXPECT_GT(run.stats.export_failures + run.stats.records_dropped_queue_full, 0u);
}

}  // namespace
}  // namespace tracekit::testing
