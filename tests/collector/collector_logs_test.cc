// SPDX-License-Identifier: Apache-2.0
// Log records in the collector: the store (a trace's logs in time order, every search filter,
// correlation ids, retention by age, resources shared with spans), and the binary fed by our
// OTLP log exporter over gRPC, HTTP/protobuf and HTTP/JSON+gzip, with the same error answers
// as for spans.
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "collector_test_support.h"
#include "google/rpc/status.pb.h"
#include "log_decode.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.grpc.pb.h"
#include "query_api.h"
#include "span_store.h"
#include "sqlite_db.h"
#include "tracekit/log/record.h"
#include "tracekit/otlp/log_exporter.h"

namespace tracekit::collector {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

StoredLog make_log(std::string trace_id, std::string span_id, int64_t time_ns, int severity,
                   std::string body, std::string service, std::string correlation = {}) {
  StoredLog l;
  l.trace_id = std::move(trace_id);
  l.span_id = std::move(span_id);
  l.time_ns = l.observed_ns = time_ns;
  l.severity_number = severity;
  l.severity_text = severity >= 17 ? "ERROR" : severity >= 13 ? "WARN" : "INFO";
  l.body = std::move(body);
  l.service = std::move(service);
  l.correlation_id = std::move(correlation);
  l.resource_json = R"({"attributes":[{"key":"service.name","value":{"stringValue":")" + l.service +
                    R"("}}],"droppedAttributesCount":0,"schemaUrl":""})";
  l.scope_json =
      R"({"name":"app","version":"","attributes":[],"droppedAttributesCount":0,"schemaUrl":""})";
  return l;
}

const std::string kTraceA(32, 'a'), kTraceB(32, 'b');

class LogStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<SpanStore> open() {
    StoreOptions o;
    o.path = dir.file("spans.db");
    auto store = SpanStore::open(o);
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? std::move(*store) : nullptr;
  }
  void fill(SpanStore& store) {
    std::vector<StoredLog> logs = {
        make_log(kTraceA, "1111111111111111", 3'000, 9, "third", "web", "c-1"),
        make_log(kTraceA, "2222222222222222", 1'000, 17, "first failed", "db", "c-1"),
        make_log(kTraceA, "1111111111111111", 2'000, 13, "second slow", "web", "c-1"),
        make_log(kTraceB, "3333333333333333", 4'000, 9, "other trace", "web", "c-2"),
        make_log("", "", 5'000, 9, "no trace at all", "batch"),
    };
    ASSERT_EQ(store.submit_logs_and_wait(std::move(logs), 10s), WriteOutcome::kCommitted);
  }
  testing::TempDir dir;
};

std::vector<std::string> bodies(const Result<std::vector<StoredLog>>& logs) {
  EXPECT_TRUE(logs.ok()) << (logs.ok() ? "" : logs.error().message);
  std::vector<std::string> out;
  if (logs.ok())
    for (const auto& l : *logs)
      out.push_back(l.body);
  return out;
}

TEST_F(LogStoreTest, ATracesLogsComeInTimeOrderWithEveryField) {
  auto store = open();
  fill(*store);
  auto logs = store->trace_logs(kTraceA, 100);
  EXPECT_EQ(bodies(logs), (std::vector<std::string>{"first failed", "second slow", "third"}));
  const StoredLog& l = (*logs)[0];
  EXPECT_EQ(l.span_id, "2222222222222222");
  EXPECT_EQ(l.severity_number, 17);
  EXPECT_EQ(l.service, "db");
  EXPECT_EQ(l.correlation_id, "c-1");
  EXPECT_NE(l.resource_json.find("\"db\""), std::string::npos);
  EXPECT_NE(l.scope_json.find("\"app\""), std::string::npos);
  EXPECT_EQ(bodies(store->trace_logs(kTraceA, 2)).size(), 2u) << "the limit holds";
  EXPECT_TRUE(bodies(store->trace_logs(std::string(32, 'c'), 10)).empty());
  EXPECT_EQ(*store->log_count(), 5);
}

TEST_F(LogStoreTest, SearchFilters) {
  auto store = open();
  fill(*store);
  auto find = [&](LogQuery q) { return bodies(store->find_logs(q)); };
  EXPECT_EQ(find({}).size(), 5u);
  EXPECT_EQ(find({}).front(), "no trace at all") << "newest first";
  EXPECT_EQ(find({.service = "web"}),
            (std::vector<std::string>{"other trace", "third", "second slow"}));
  EXPECT_EQ(find({.min_severity = 13}), (std::vector<std::string>{"second slow", "first failed"}));
  EXPECT_EQ(find({.text = "slow"}), (std::vector<std::string>{"second slow"}));
  EXPECT_EQ(find({.text = "%"}).size(), 0u) << "no wildcards";
  EXPECT_EQ(find({.start_ns = 2'000, .end_ns = 3'000}),
            (std::vector<std::string>{"third", "second slow"}));
  EXPECT_EQ(find({.correlation_id = "c-2"}), (std::vector<std::string>{"other trace"}));
  EXPECT_EQ(find({.trace_id = kTraceB}), (std::vector<std::string>{"other trace"}));
  EXPECT_EQ(find({.limit = 2}).size(), 2u);
  auto traces = store->traces_for_correlation("c-1", 10);
  ASSERT_TRUE(traces.ok());
  EXPECT_EQ(*traces, std::vector<std::string>{kTraceA}) << "distinct trace ids";
  EXPECT_TRUE(store->traces_for_correlation("nope", 10)->empty());
}

// Log records go by arrival, like spans: a record with an old time (a replay, an import, a
// test's fixed dates) stays its full age, and a trace keeps its logs as long as its spans.
TEST_F(LogStoreTest, RetentionByAgeDeletesWhatArrivedBeforeTheCutoffAndKeepsResourcesLogsUse) {
  StoreOptions o;
  o.path = dir.file("spans.db");
  o.max_age = 1h;
  o.arrival_granularity = 0ms;
  auto opened = SpanStore::open(o);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  auto store = std::move(*opened);
  const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const int64_t days_ago = now_ns - int64_t{100} * 3600 * 1'000'000'000;
  ASSERT_EQ(store->submit_logs_and_wait(
                {make_log(kTraceA, "1111111111111111", now_ns, 9, "first", "web")}, 10s),
            WriteOutcome::kCommitted);
  const auto first_batch_done = std::chrono::system_clock::now();
  std::this_thread::sleep_for(2ms);
  ASSERT_EQ(store->submit_logs_and_wait({make_log(kTraceA, "1111111111111111", days_ago, 9,
                                                  "dated days ago", "logs-only-service")},
                                        10s),
            WriteOutcome::kCommitted);

  auto deleted = store->run_retention(std::chrono::system_clock::now());
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  EXPECT_EQ(store->stats().logs_deleted, 0u) << "a record's own old time does not delete it";
  EXPECT_EQ(bodies(store->trace_logs(kTraceA, 10)).size(), 2u);

  deleted = store->run_retention(first_batch_done + 1h + std::chrono::nanoseconds(1));
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  EXPECT_EQ(bodies(store->trace_logs(kTraceA, 10)), std::vector<std::string>{"dated days ago"})
      << "the record that arrived first went, the later one stays";
  EXPECT_EQ(store->stats().logs_deleted, 1u);
  // The surviving record still finds its resource (the clean-up checks logs, not only spans).
  auto left = store->find_logs({});
  ASSERT_TRUE(left.ok() && left->size() == 1u);
  EXPECT_NE((*left)[0].resource_json.find("logs-only-service"), std::string::npos);

  deleted = store->run_retention(std::chrono::system_clock::now() + 2h);
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  EXPECT_EQ(*store->log_count(), 0);
}

// A file from before log arrivals were kept: its records count as arriving when it is opened,
// so they stay the full age from then and then go.
TEST_F(LogStoreTest, RecordsOfAnOlderFileAgeFromWhenItIsOpened) {
  {
    auto store = open();
    fill(*store);
  }
  {
    Database db;
    ASSERT_TRUE(db.open(dir.file("spans.db"), false).ok());
    ASSERT_TRUE(db.exec("DROP TABLE log_ingest_batches").ok());
  }
  StoreOptions o;
  o.path = dir.file("spans.db");
  o.max_age = 1h;
  const auto before_open = std::chrono::system_clock::now();
  auto opened = SpanStore::open(o);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  auto store = std::move(*opened);
  ASSERT_TRUE(store->run_retention(std::chrono::system_clock::now()).ok());
  EXPECT_EQ(*store->log_count(), 5) << "records dated 1970 are kept";
  ASSERT_TRUE(store->run_retention(before_open + 1h - 1ms).ok());
  EXPECT_EQ(*store->log_count(), 5);
  ASSERT_TRUE(store->run_retention(std::chrono::system_clock::now() + 1h + 1s).ok());
  EXPECT_EQ(*store->log_count(), 0) << "an hour after the file was opened they go";
}

// A trace's logs and a log search answer at most about ApiLimits::log_page_bytes, each record's
// resource counted: 40 records under a 64 KiB resource were one 2.6 MB answer (1,000 under a
// 1 MiB resource, 1 GB, and the collector's memory with it). Past the budget an answer stops with
// "next", and the pages give every record once, in order, also when many share one time.
class LogPagesTest : public LogStoreTest {
 protected:
  static constexpr int kRecords = 40;
  static constexpr size_t kBudget = 256 << 10;
  void fill_large_resource(SpanStore& store) {
    std::vector<StoredLog> logs;
    for (int i = 0; i < kRecords; ++i) {
      // Half the records share one time: the cursor must tell them apart.
      logs.push_back(make_log(kTraceA, "1111111111111111", i < kRecords / 2 ? 5'000 : 5'000 + i, 9,
                              "record " + std::to_string(i), "big"));
      logs.back().resource_json =
          R"({"attributes":[{"key":"service.name","value":{"stringValue":"big"}},)"
          R"({"key":"blob","value":{"stringValue":")" +
          std::string(64 << 10, 'z') + R"("}}],"droppedAttributesCount":0,"schemaUrl":""})";
    }
    ASSERT_EQ(store.submit_logs_and_wait(std::move(logs), 10s), WriteOutcome::kCommitted);
  }
  json::object get(SpanStore& store, const std::string& target, size_t* bytes = nullptr) {
    Response r = handle_api(target, store, {.log_page_bytes = kBudget});
    EXPECT_EQ(r.status, 200) << target << ": " << r.body.substr(0, 300);
    if (bytes) *bytes = r.body.size();
    return json::parse(r.body).as_object();
  }
  // Every page from `first` on (following "next" with after=); the bodies in answer order.
  std::vector<std::string> all_pages(SpanStore& store, const std::string& first, const char* key,
                                     int* pages, size_t* largest) {
    std::vector<std::string> out;
    std::string target = first;
    *pages = 0;
    *largest = 0;
    for (;;) {
      size_t bytes = 0;
      json::object page = get(store, target, &bytes);
      ++*pages;
      *largest = std::max(*largest, bytes);
      for (const auto& l : page.at(key).as_array()) {
        out.push_back(std::string(l.at("body").as_string()));
        // Not compact: every record as before, with its resource.
        EXPECT_NE(json::serialize(l.at("resource")).find("zzzz"), std::string::npos);
      }
      if (!page.contains("next")) break;
      target = first + (first.find('?') == std::string::npos ? "?" : "&") +
               "after=" + std::string(page.at("next").as_string());
      if (*pages > kRecords) break;  // a cursor that does not move
    }
    return out;
  }
};

TEST_F(LogPagesTest, ATracesLogsStopAtTheByteBudgetAndContinueWithNext) {
  auto store = open();
  fill_large_resource(*store);
  int pages = 0;
  size_t largest = 0;
  auto got = all_pages(*store, "/api/traces/" + kTraceA + "/logs", "logs", &pages, &largest);
  std::vector<std::string> want;
  for (int i = 0; i < kRecords; ++i)
    want.push_back("record " + std::to_string(i));  // time order, then arrival
  EXPECT_EQ(got, want);
  EXPECT_GT(pages, 1) << "one answer of " << largest << " bytes";
  EXPECT_LT(largest, kBudget + (100 << 10)) << "the budget and one record";
  // The limit pages too, with the same cursor.
  auto first = get(*store, "/api/traces/" + kTraceA + "/logs?limit=1");
  EXPECT_EQ(first.at("logs").as_array().size(), 1u);
  EXPECT_TRUE(first.contains("next"));
}

TEST_F(LogPagesTest, ALogSearchStopsAtTheByteBudgetAndContinuesWithNext) {
  auto store = open();
  fill_large_resource(*store);
  int pages = 0;
  size_t largest = 0;
  auto got = all_pages(*store, "/api/logs?service=big&limit=1000", "data", &pages, &largest);
  std::vector<std::string> want;
  for (int i = kRecords - 1; i >= 0; --i)
    want.push_back("record " + std::to_string(i));  // newest first
  EXPECT_EQ(got, want);
  EXPECT_GT(pages, 1) << "one answer of " << largest << " bytes";
  EXPECT_LT(largest, kBudget + (100 << 10));
}

// compact=true: each resource and scope once per answer, records name them by id; the 40
// records fit one answer of about one resource.
TEST_F(LogPagesTest, CompactAnswersHoldEachResourceOnce) {
  auto store = open();
  fill_large_resource(*store);
  for (std::string target : {"/api/traces/" + kTraceA + "/logs?compact=true",
                             std::string("/api/logs?service=big&limit=1000&compact=true")}) {
    size_t bytes = 0;
    json::object page = get(*store, target, &bytes);
    const auto& logs = page.at(target.starts_with("/api/logs") ? "data" : "logs").as_array();
    EXPECT_EQ(logs.size(), static_cast<size_t>(kRecords)) << target;
    EXPECT_FALSE(page.contains("next")) << target;
    EXPECT_LT(bytes, (64u << 10) + 40 * 1024) << target;
    const auto& resources = page.at("resources").as_object();
    const auto& scopes = page.at("scopes").as_object();
    ASSERT_EQ(resources.size(), 1u) << target;
    ASSERT_EQ(scopes.size(), 1u) << target;
    for (const auto& l : logs) {
      EXPECT_FALSE(l.as_object().contains("resource"));
      const auto& r = resources.at(l.at("resourceId").as_string());
      EXPECT_NE(json::serialize(r).find("zzzz"), std::string::npos);
      EXPECT_EQ(scopes.at(l.at("scopeId").as_string()).at("name"), "app");
    }
  }
}

TEST_F(LogPagesTest, BadCursorsAndCompactValuesAre400) {
  auto store = open();
  fill(*store);
  for (const std::string& target :
       {"/api/traces/" + kTraceA + "/logs?after=12", "/api/traces/" + kTraceA + "/logs?after=x:1",
        "/api/traces/" + kTraceA + "/logs?compact=yes", std::string("/api/logs?after=1:"),
        std::string("/api/logs?compact=1")}) {
    Response r = handle_api(target, *store);
    EXPECT_EQ(r.status, 400) << target << ": " << r.body;
  }
  // A cursor past the last record: an empty page, not an error.
  Response r = handle_api("/api/traces/" + kTraceA + "/logs?after=9999999:99", *store);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body).at("logs").as_array().size(), 0u);
}

// ---- the binary ----

class CollectorLogsE2E : public ::testing::Test {
 protected:
  testing::TempDir dir;
};

Resource resource(const std::string& service) {
  OwnedAttributes a;
  a.set("service.name", service);
  return Resource(std::move(a));
}

std::vector<log::LogRecordPtr> records_for(const TraceId& trace, const std::string& tag) {
  std::vector<log::LogRecordPtr> out;
  const SpanId span = SpanId::from_hex("00f067aa0ba902b7").value();
  const log::Field fields[] = {{"tool_id", "t<1>"}, {"n", 3}};
  out.push_back(log::LogRecord::make(1'700'000'000'000'000'000ull, log::Level::kInfo, "web",
                                     tag + " started", fields, trace, span, TraceFlags(1),
                                     "corr-" + tag));
  out.push_back(log::LogRecord::make(1'700'000'000'500'000'000ull, log::Level::kError, "web",
                                     tag + " <b>failed</b>", {}, trace, span, TraceFlags(1),
                                     "corr-" + tag));
  return out;
}

TEST_F(CollectorLogsE2E, OurLogExporterDeliversOverEveryTransport) {
  CollectorProcess c(dir.file("spans.db"));
  ASSERT_TRUE(c.ready()) << c.startup_output();
  const std::string logs_url = "http://127.0.0.1:" + std::to_string(c.http_port()) + "/v1/logs";
  struct Way {
    std::string tag;
    OtlpProtocol protocol;
    std::string endpoint;
    bool gzip;
  };
  const Way ways[] = {{"grpc", OtlpProtocol::kGrpc, c.grpc_endpoint(), true},
                      {"proto", OtlpProtocol::kHttpProtobuf, logs_url, false},
                      {"json", OtlpProtocol::kHttpJson, logs_url, true}};
  uint64_t n = 1;
  for (const Way& w : ways) {
    SCOPED_TRACE(w.tag);
    OtlpConfig config;
    config.protocol = w.protocol;
    config.endpoint = w.endpoint;
    config.gzip = w.gzip;
    config.timeout = 10s;
    auto exporter = otlp::OtlpLogExporter::create(config, resource("svc-" + w.tag));
    ASSERT_TRUE(exporter.ok()) << exporter.error().message;
    char hex[33];
    std::snprintf(hex, sizeof hex, "%032llx", static_cast<unsigned long long>(n++));
    const TraceId trace = TraceId::from_hex(hex).value();
    auto records = records_for(trace, w.tag);
    ExportResult r = (*exporter)->export_records(records, std::chrono::steady_clock::now() + 20s);
    ASSERT_TRUE(r.ok()) << r.error;
    // Acknowledged after commit: the API has them at once.
    long status = 0;
    json::value v = get_json(c.ui_url() + "/api/traces/" + hex + "/logs", &status);
    ASSERT_EQ(status, 200);
    const auto& logs = v.at("logs").as_array();
    ASSERT_EQ(logs.size(), 2u);
    EXPECT_EQ(logs[0].at("body").as_string(), w.tag + " started");
    EXPECT_EQ(logs[1].at("body").as_string(), w.tag + " <b>failed</b>");
    EXPECT_EQ(logs[0].at("severityNumber").as_int64(), 9);
    EXPECT_EQ(logs[1].at("severityText").as_string(), "ERROR");
    EXPECT_EQ(logs[0].at("spanId").as_string(), "00f067aa0ba902b7");
    EXPECT_EQ(logs[0].at("service").as_string(), "svc-" + w.tag);
    EXPECT_EQ(logs[0].at("correlationId").as_string(), "corr-" + w.tag);
    EXPECT_EQ(logs[0].at("scope").at("name").as_string(), "web");
    EXPECT_EQ(logs[0].at("timeUnixNano").as_string(), "1700000000000000000");
    // Search and correlation lookup.
    json::value found = get_json(c.ui_url() + "/api/logs?service=svc-" + w.tag + "&severity=error");
    ASSERT_TRUE(found.is_object());
    ASSERT_EQ(found.at("data").as_array().size(), 1u);
    json::value corr = get_json(c.ui_url() + "/api/correlations/corr-" + w.tag);
    ASSERT_TRUE(corr.is_object());
    ASSERT_EQ(corr.at("data").as_array().size(), 1u);
    EXPECT_EQ(corr.at("data").as_array()[0].as_string(), hex);
  }
  // Bad API parameters are 400s that say why.
  long status = 0;
  get_json(c.ui_url() + "/api/logs?severity=loud", &status);
  EXPECT_EQ(status, 400);
  get_json(c.ui_url() + "/api/logs?colour=red", &status);
  EXPECT_EQ(status, 400);
  get_json(c.ui_url() + "/api/traces/xyz/logs", &status);
  EXPECT_EQ(status, 400);
}

TEST_F(CollectorLogsE2E, BadLogPayloadsGetTheSameAnswersAsSpans) {
  CollectorProcess c(dir.file("spans.db"), {"--max-request-size", "64KiB"});
  ASSERT_TRUE(c.ready()) << c.startup_output();
  const std::string url = "http://127.0.0.1:" + std::to_string(c.http_port()) + "/v1/logs";
  const std::string proto = "Content-Type: application/x-protobuf";
  const std::string json_type = "Content-Type: application/json";
  struct Case {
    const char* what;
    std::vector<std::string> headers;
    std::string body;
    long status;
  };
  const std::vector<Case> cases = {
      {"garbage protobuf", {proto}, "\xff\xff\xff\xff\x0f garbage", 400},
      {"garbage JSON", {json_type}, "{\"resourceLogs\": [", 400},
      {"wrong content type", {"Content-Type: text/plain"}, "{}", 415},
      {"oversized body", {proto}, std::string(100 * 1024, 'x'), 413},
      {"unknown encoding", {proto, "Content-Encoding: br"}, "", 415},
      {"empty request", {json_type}, "{}", 200},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.what);
    HttpResult r = http_call("POST", url, k.headers, k.body);
    EXPECT_EQ(r.status, k.status) << r.error << " " << r.body;
  }
  EXPECT_EQ(http_call("GET", url).status, 405);
  // A record with a malformed id is refused alone: a partial success.
  HttpResult partial =
      http_call("POST", url, {json_type}, R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[
      {"traceId":"zz","body":{"stringValue":"refused"}},
      {"traceId":"0af7651916cd43dd8448eb211c80319c","body":{"stringValue":"kept"}}]}]}]})");
  EXPECT_EQ(partial.status, 200) << partial.body;
  EXPECT_NE(partial.body.find("rejectedLogRecords"), std::string::npos) << partial.body;
  json::value kept = get_json(c.ui_url() + "/api/traces/0af7651916cd43dd8448eb211c80319c/logs");
  ASSERT_TRUE(kept.is_object());
  EXPECT_EQ(kept.at("logs").as_array().size(), 1u);

  // gRPC: garbage is INVALID_ARGUMENT, too large RESOURCE_EXHAUSTED.
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(c.grpc_port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = logsv1::LogsService::NewStub(channel);
  auto call = [&](const logsv1::ExportLogsServiceRequest& request) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 10s);
    logsv1::ExportLogsServiceResponse response;
    return stub->Export(&context, request, &response);
  };
  logsv1::ExportLogsServiceRequest garbage;
  garbage.GetReflection()->MutableUnknownFields(&garbage)->AddLengthDelimited(
      1, "\xff\xff\xff garbage");
  EXPECT_EQ(call(garbage).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  logsv1::ExportLogsServiceRequest big;
  big.add_resource_logs()->add_scope_logs()->add_log_records()->mutable_body()->set_string_value(
      std::string(100 * 1024, 'b'));
  EXPECT_EQ(call(big).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(c.alive());
}

}  // namespace
}  // namespace tracekit::collector
