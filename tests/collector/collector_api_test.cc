// SPDX-License-Identifier: Apache-2.0
// The JSON API's handler on a real store, parameter checking, the viewer's files, and options.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>

#include "options.h"
#include "otlp_decode.h"
#include "otlp_support.h"
#include "query_api.h"
#include "span_store.h"
#include "web_assets.h"

namespace tracekit::collector {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SpanStore::open({.path = dir.file("api.db")});
    ASSERT_TRUE(s.ok());
    store = std::move(*s);
    auto decoded = decode_json(R"({"resourceSpans":[{"resource":{"attributes":[
        {"key":"service.name","value":{"stringValue":"shop"}}]},"scopeSpans":[{"spans":[
      {"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"GET /cart",
       "kind":2,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000250000000",
       "attributes":[{"key":"http.status_code","value":{"intValue":"500"}}],
       "status":{"code":2,"message":"boom"}},
      {"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00f067aa0ba902b7",
       "parentSpanId":"b7ad6b7169203331","name":"<script>alert(1)</script>","kind":3,
       "startTimeUnixNano":"1700000000010000000","endTimeUnixNano":"1700000000020000000"}]}]}]})");
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    ASSERT_TRUE(store->submit(std::move(decoded->spans)));
    ASSERT_TRUE(store->flush(10s));
  }

  json::value get(const std::string& target, int expected_status = 200) {
    Response r = handle_api(target, *store);
    EXPECT_EQ(r.status, expected_status) << target << ": " << r.body;
    EXPECT_EQ(r.content_type, "application/json");
    return json::parse(r.body);
  }

  testing::TempDir dir;
  std::unique_ptr<SpanStore> store;
};

TEST_F(ApiTest, Endpoints) {
  EXPECT_EQ(get("/api/services"), json::parse(R"({"data":["shop"]})"));
  EXPECT_EQ(
      get("/api/services/shop/operations"),
      json::parse(
          R"({"data":[{"name":"<script>alert(1)</script>","kind":"CLIENT"},{"name":"GET /cart","kind":"SERVER"}]})"));
  EXPECT_EQ(get("/api/services/nobody/operations"), json::parse(R"({"data":[]})"));

  json::value found = get(
      "/api/"
      "traces?service=shop&minDuration=100ms&errors=true&attribute=http.status_code%3D500&limit=5");
  ASSERT_EQ(found.at("data").as_array().size(), 1u);
  const json::object& t = found.at("data").at(0).as_object();
  EXPECT_EQ(t.at("traceId"), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(t.at("rootName"), "GET /cart");
  EXPECT_EQ(t.at("spanCount"), 2);
  EXPECT_EQ(t.at("errorCount"), 1);
  EXPECT_EQ(t.at("durationNs"), "250000000");
  EXPECT_EQ(get("/api/traces?minDuration=1s").at("data").as_array().size(), 0u);
  EXPECT_EQ(
      get("/api/traces?start=1700000000100000&end=1700000001000000").at("data").as_array().size(),
      0u)
      << "no span starts in that range";

  json::value trace = get("/api/traces/0AF7651916CD43DD8448EB211C80319C");
  const json::array& spans = trace.at("spans").as_array();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].at("status").at("code"), "ERROR");
  EXPECT_EQ(spans[1].at("name"), "<script>alert(1)</script>");
  EXPECT_EQ(spans[1].at("parentSpanId"), "b7ad6b7169203331");
}

TEST_F(ApiTest, BadRequestsSayWhatIsWrong) {
  auto message = [&](const std::string& target, int status) {
    return std::string(get(target, status).at("error").as_string());
  };
  EXPECT_NE(message("/api/traces?minDuration=fast", 400).find("minDuration"), std::string::npos);
  EXPECT_NE(message("/api/traces?limit=0", 400).find("limit"), std::string::npos);
  EXPECT_NE(message("/api/traces?limit=abc", 400).find("limit"), std::string::npos);
  EXPECT_NE(message("/api/traces?start=yesterday", 400).find("start"), std::string::npos);
  EXPECT_NE(message("/api/traces?attribute=novalue", 400).find("key=value"), std::string::npos);
  EXPECT_NE(message("/api/traces?colour=red", 400).find("colour"), std::string::npos);
  EXPECT_NE(message("/api/traces/xyz", 400).find("trace id"), std::string::npos);
  EXPECT_NE(message("/api/traces/0af7651916cd43dd8448eb211c80319d", 404).find("no trace"),
            std::string::npos);
  EXPECT_NE(message("/api/nothing", 404).find("no such"), std::string::npos);
}

TEST_F(ApiTest, TooManyAttributeFiltersAreRefused) {
  std::string target = "/api/traces?lookback=all";
  for (int i = 0; i < 16; ++i)
    target += "&attribute=k" + std::to_string(i) + "%3Dv";
  EXPECT_EQ(get(target).at("data").as_array().size(), 0u);  // 16: the limit
  target += "&attribute=one%3Dmore";
  const std::string error(get(target, 400).at("error").as_string());
  EXPECT_NE(error.find("more than 16 attribute filters"), std::string::npos) << error;
}

TEST_F(ApiTest, ATraceComesInPagesWithACursor) {
  const ApiLimits one_span_pages{.trace_page_spans = 1};
  const std::string base = "/api/traces/0af7651916cd43dd8448eb211c80319c";
  Response first = handle_api(base, *store, one_span_pages);
  ASSERT_EQ(first.status, 200) << first.body;
  const json::value page1 = json::parse(first.body);
  ASSERT_EQ(page1.at("spans").as_array().size(), 1u);
  // Pages follow span ids (an index range, no sort of the whole trace).
  EXPECT_EQ(page1.at("spans").at(0).at("spanId"), "00f067aa0ba902b7");
  const std::string next(page1.at("next").as_string());
  EXPECT_EQ(next, "00f067aa0ba902b7");
  Response second = handle_api(base + "?after=" + next, *store, one_span_pages);
  const json::value page2 = json::parse(second.body);
  ASSERT_EQ(page2.at("spans").as_array().size(), 1u);
  EXPECT_EQ(page2.at("spans").at(0).at("spanId"), "b7ad6b7169203331");
  EXPECT_EQ(page2.as_object().if_contains("next"), nullptr);
  // One page, by start time, when the trace fits (the default page is 10,000 spans / 8 MiB).
  EXPECT_EQ(get(base).at("spans").at(0).at("spanId"), "b7ad6b7169203331");
  EXPECT_EQ(get(base).as_object().if_contains("next"), nullptr);
  EXPECT_NE(std::string(get(base + "?after=xyz", 400).at("error").as_string()).find("after"),
            std::string::npos);
  EXPECT_EQ(get(base + "?after=ffffffffffffffff").at("spans").as_array().size(), 0u);
}

TEST(CollectorApiBudget, AQueryPastItsBudgetIsA503) {
  testing::TempDir dir;
  auto store = SpanStore::open({.path = dir.file("slow.db"), .query_budget = 1ms});
  ASSERT_TRUE(store.ok());
  std::vector<StoredSpan> spans;
  for (int i = 0; i < 20'000; ++i) {
    StoredSpan s;
    s.trace_id = std::string(31, 'a') + static_cast<char>('0' + i % 10);
    char id[17];
    std::snprintf(id, sizeof id, "%016x", i + 1);
    s.span_id = id;
    s.service = "svc";
    s.name = "op";
    s.attributes_json = R"([{"key":"k","value":{"stringValue":"v"}}])";
    spans.push_back(std::move(s));
  }
  ASSERT_TRUE((*store)->submit(std::move(spans)));
  ASSERT_TRUE((*store)->flush(60s));
  std::string target = "/api/traces?lookback=all";
  for (int i = 0; i < 8; ++i)
    target += "&attribute=absent" + std::to_string(i) + "%3Dx";
  Response r = handle_api(target, **store);
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find("time budget"), std::string::npos) << r.body;
}

TEST(CollectorDurations, Parse) {
  int64_t ns = 0;
  EXPECT_TRUE(parse_duration_ns("250us", ns));
  EXPECT_EQ(ns, 250'000);
  EXPECT_TRUE(parse_duration_ns("1.5ms", ns));
  EXPECT_EQ(ns, 1'500'000);
  EXPECT_TRUE(parse_duration_ns("2h", ns));
  EXPECT_EQ(ns, 7'200'000'000'000);
  EXPECT_TRUE(parse_duration_ns("3\xC2\xB5s", ns));
  EXPECT_EQ(ns, 3'000);
  EXPECT_TRUE(parse_duration_ns("0", ns));
  EXPECT_EQ(ns, 0);
  for (const char* bad : {"", "ms", "5", "5x", "-1s", "1e999s", "1..2s"}) {
    EXPECT_FALSE(parse_duration_ns(bad, ns)) << bad;
  }
}

TEST(CollectorSizes, Parse) {
  uint64_t bytes = 0;
  EXPECT_TRUE(parse_size("512", bytes));
  EXPECT_EQ(bytes, 512u);
  EXPECT_TRUE(parse_size("10MiB", bytes));
  EXPECT_EQ(bytes, 10u * 1024 * 1024);
  EXPECT_TRUE(parse_size("1.5GB", bytes));
  EXPECT_EQ(bytes, 1'500'000'000u);
  for (const char* bad : {"", "MB", "5XB", "-1MB", "1e999", "2..5KB", "1e30GiB"}) {
    EXPECT_FALSE(parse_size(bad, bytes)) << bad;
  }
}

TEST(CollectorWeb, FilesAreEmbeddedWithASecurityPolicy) {
  Response index = handle_web("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_NE(index.body.find("<script type=\"module\" src=\"/app.js\""), std::string::npos);
  bool csp = false;
  for (const auto& [name, value] : index.headers) {
    if (name == "Content-Security-Policy")
      csp = value.find("script-src 'self'") != std::string::npos;
  }
  EXPECT_TRUE(csp);
  EXPECT_EQ(handle_web("/trace/0af7651916cd43dd8448eb211c80319c").body, index.body);
  Response js = handle_web("/app.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  // Every script of the viewer (app.js and the modules it imports) puts span data in as text.
  for (const EmbeddedFile& f : embedded_web_files()) {
    if (!f.path.ends_with(".js")) continue;
    EXPECT_EQ(handle_web(f.path).content_type, "text/javascript; charset=utf-8") << f.path;
    EXPECT_EQ(f.content.find("innerHTML"), std::string::npos) << f.path;
    EXPECT_EQ(f.content.find("insertAdjacentHTML"), std::string::npos) << f.path;
    EXPECT_EQ(f.content.find("outerHTML"), std::string::npos) << f.path;
  }
  EXPECT_EQ(handle_web("/favicon.svg").content_type, "image/svg+xml");
  EXPECT_EQ(handle_web("/favicon.ico").body, handle_web("/favicon.svg").body);
  EXPECT_EQ(handle_web("/dependencies").body, index.body);
  EXPECT_EQ(handle_web("/operations").body, index.body);
  EXPECT_EQ(handle_web("/style.css").content_type, "text/css; charset=utf-8");
  EXPECT_EQ(handle_web("/../etc/passwd").status, 404);
}

TEST(CollectorOptions, DefaultsEnvironmentAndFlags) {
  std::map<std::string, std::string> env;
  auto getenv = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  auto o = parse_options({}, getenv);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->grpc.to_string(), "127.0.0.1:4317");
  EXPECT_EQ(o->http.to_string(), "127.0.0.1:4318");
  EXPECT_EQ(o->ui.to_string(), "127.0.0.1:16686");
  EXPECT_EQ(o->retention_age, std::chrono::hours(72));

  env["TRACEKIT_COLLECTOR_UI_LISTEN"] = "0.0.0.0:8080";
  env["TRACEKIT_COLLECTOR_RETENTION_SIZE"] = "500MB";
  env["TRACEKIT_COLLECTOR_DATA"] = "/tmp/env.db";
  o = parse_options({"--data", "/tmp/flag.db", "--grpc-listen=[::1]:0", "--retention-age", "30m"},
                    getenv);
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->ui.to_string(), "0.0.0.0:8080");
  EXPECT_EQ(o->grpc.to_string(), "[::1]:0");
  EXPECT_EQ(o->retention_bytes, 500'000'000u);
  EXPECT_EQ(o->data_path, "/tmp/flag.db") << "a flag wins over its variable";
  EXPECT_EQ(o->retention_age, std::chrono::minutes(30));

  auto error_of = [&](std::vector<std::string> args) {
    auto r = parse_options(args, getenv);
    return r.ok() ? std::string() : r.error().message;
  };
  EXPECT_NE(error_of({"--http-listen", "localhost"}).find("--http-listen"), std::string::npos);
  EXPECT_NE(error_of({"--http-listen", "1.2.3.4:99999"}).find("65535"), std::string::npos);
  EXPECT_NE(error_of({"--retention-size", "lots"}).find("--retention-size"), std::string::npos);
  EXPECT_NE(error_of({"--retention-age"}).find("needs a value"), std::string::npos);
  EXPECT_NE(error_of({"--colour"}).find("unknown option"), std::string::npos);
  EXPECT_NE(error_of({"--max-request-size", "0"}).find("--max-request-size must be more than 0"),
            std::string::npos);
  // The error names the variable when the variable said 0 (found with fuzz_config).
  env["TRACEKIT_COLLECTOR_MAX_REQUEST_SIZE"] = "0B";
  EXPECT_NE(error_of({}).find("TRACEKIT_COLLECTOR_MAX_REQUEST_SIZE must be more than 0"),
            std::string::npos);
  env.erase("TRACEKIT_COLLECTOR_MAX_REQUEST_SIZE");
  EXPECT_NE(error_of({"--trace-page-spans", "0"}).find("--trace-page-spans \"0\" is not a count"),
            std::string::npos);
  env["TRACEKIT_COLLECTOR_TRACE_PAGE_SPANS"] = "0";  // found with fuzz_config, like the above
  EXPECT_NE(error_of({}).find("TRACEKIT_COLLECTOR_TRACE_PAGE_SPANS \"0\" is not a count from 1"),
            std::string::npos);
  env.erase("TRACEKIT_COLLECTOR_TRACE_PAGE_SPANS");
  EXPECT_NE(error_of({"--ack", "later"}).find("--ack"), std::string::npos);
  EXPECT_NE(error_of({"--max-events", "-1"}).find("--max-events"), std::string::npos);
  EXPECT_NE(error_of({"--query-timeout", "soon"}).find("--query-timeout"), std::string::npos);

  // The limits and durability settings.
  EXPECT_TRUE(o->ack_after_commit);
  EXPECT_EQ(o->max_attribute_length, 32u * 1024);
  EXPECT_EQ(o->max_attributes, 128u);
  EXPECT_EQ(o->max_queue_bytes, 64u << 20);
  EXPECT_EQ(o->query_timeout, std::chrono::seconds(5));
  env["TRACEKIT_COLLECTOR_MAX_ATTRIBUTES"] = "16";
  o = parse_options({"--ack", "queue", "--max-attribute-length", "1KiB", "--max-events=4",
                     "--max-links", "2", "--max-queue-size", "8MiB", "--query-timeout", "250ms"},
                    getenv);
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_FALSE(o->ack_after_commit);
  EXPECT_EQ(o->max_attribute_length, 1024u);
  EXPECT_EQ(o->max_attributes, 16u);
  EXPECT_EQ(o->max_events, 4u);
  EXPECT_EQ(o->max_links, 2u);
  EXPECT_EQ(o->max_queue_bytes, 8u << 20);
  EXPECT_EQ(o->query_timeout, std::chrono::milliseconds(250));

  env["TRACEKIT_COLLECTOR_RETENTION_AGE"] = "forever";
  EXPECT_NE(error_of({}).find("TRACEKIT_COLLECTOR_RETENTION_AGE"), std::string::npos);
}

}  // namespace
}  // namespace tracekit::collector
