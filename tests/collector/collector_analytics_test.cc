// SPDX-License-Identifier: Apache-2.0
// The dependency graph and per-operation statistics on a real store (span_analytics), their
// API (/api/dependencies, /api/operations/stats) with its parameter checks, and gzip answers
// (unit and through the real binary).
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>

#include "analytics_api.h"
#include "collector_test_support.h"
#include "otlp_support.h"
#include "query_api.h"
#include "response_gzip.h"
#include "span_analytics.h"
#include "span_store.h"

namespace tracekit::collector {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

constexpr int64_t kHourNs = 3'600'000'000'000;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

StoredSpan span(const std::string& trace, const std::string& id, const std::string& parent,
                const std::string& service, const std::string& name, int64_t start_ns,
                int64_t duration_ns, bool error = false) {
  StoredSpan s;
  s.trace_id = trace;
  s.span_id = id;
  s.parent_span_id = parent;
  s.service = service;
  s.name = name;
  s.kind = 2;
  s.start_ns = start_ns;
  s.end_ns = start_ns + duration_ns;
  s.status_code = error ? 2 : 0;
  s.attributes_json = s.events_json = s.links_json = "[]";
  s.scope_json = "{}";
  s.resource_json = R"({"attributes":[]})";
  return s;
}

std::string hex_id(int n, size_t digits) {
  std::string s = std::to_string(n);
  return std::string(digits - s.size(), '0') + s;
}

// 100 traces in the last 10 minutes: web "GET /cart" (1..100 ms) calls db "SELECT" (every
// tenth an error) and, in-process, web "render" (not an edge). One trace two hours ago: web
// calls a "legacy" service (outside the default hour).
class AnalyticsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SpanStore::open({.path = dir.file("analytics.db")});
    ASSERT_TRUE(s.ok());
    store = std::move(*s);
    const int64_t now = now_ns();
    std::vector<StoredSpan> spans;
    for (int i = 1; i <= 100; ++i) {
      const std::string trace = hex_id(i, 32), root = hex_id(i * 10, 16);
      const int64_t start = now - 600'000'000'000 + i * 1'000'000'000LL;
      spans.push_back(span(trace, root, "", "web", "GET /cart", start, i * 1'000'000LL));
      spans.push_back(span(trace, hex_id(i * 10 + 1, 16), root, "db", "SELECT", start + 100,
                           500'000, i % 10 == 0));
      spans.push_back(
          span(trace, hex_id(i * 10 + 2, 16), root, "web", "render", start + 200, 100'000));
    }
    const std::string old_trace = hex_id(999, 32);
    spans.push_back(span(old_trace, hex_id(9990, 16), "", "web", "GET /old", now - 2 * kHourNs, 5));
    spans.push_back(span(old_trace, hex_id(9991, 16), hex_id(9990, 16), "legacy", "call",
                         now - 2 * kHourNs, 1));
    ASSERT_TRUE(store->submit(std::move(spans)));
    ASSERT_TRUE(store->flush(10s));
  }

  json::value get(const std::string& target, int expected_status = 200) {
    Response r = handle_api(target, *store);
    EXPECT_EQ(r.status, expected_status) << target << ": " << r.body;
    return json::parse(r.body);
  }

  testing::TempDir dir;
  std::unique_ptr<SpanStore> store;
};

TEST_F(AnalyticsTest, DependenciesAreCallsBetweenServicesInTheWindow) {
  auto edges = service_dependencies(*store, now_ns() - kHourNs, now_ns());
  ASSERT_TRUE(edges.ok()) << edges.error().message;
  ASSERT_EQ(edges->items.size(), 1u)
      << "web->web is not an edge, web->legacy is older than the window";
  EXPECT_FALSE(edges->truncated);
  EXPECT_EQ(edges->items[0].parent, "web");
  EXPECT_EQ(edges->items[0].child, "db");
  EXPECT_EQ(edges->items[0].calls, 100);
  EXPECT_EQ(edges->items[0].errors, 10);

  auto all = service_dependencies(*store, 0, now_ns());
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->items.size(), 2u);
  EXPECT_EQ(all->items[1].child, "legacy");
  EXPECT_EQ(all->items[1].calls, 1);

  // Past its byte budget (names plus about 64 bytes each) the list stops and says so.
  auto one = service_dependencies(*store, 0, now_ns(), 64 + 12);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->items.size(), 1u);
  EXPECT_TRUE(one->truncated);
}

TEST_F(AnalyticsTest, OperationStatsHaveCountsErrorsAndPercentiles) {
  auto ops = operation_stats(*store, now_ns() - kHourNs, now_ns(), "");
  ASSERT_TRUE(ops.ok()) << ops.error().message;
  ASSERT_EQ(ops->items.size(), 3u);
  EXPECT_FALSE(ops->truncated);
  const OperationStats& select = ops->items[0];
  EXPECT_EQ(select.service, "db");
  EXPECT_EQ(select.count, 100);
  EXPECT_EQ(select.errors, 10);
  const OperationStats& cart = ops->items[1];
  EXPECT_EQ(cart.service, "web");
  EXPECT_EQ(cart.operation, "GET /cart");
  EXPECT_EQ(cart.errors, 0);
  EXPECT_EQ(cart.p50_ns, 50'000'000);  // nearest rank of 1..100 ms
  EXPECT_EQ(cart.p95_ns, 95'000'000);
  EXPECT_EQ(cart.p99_ns, 99'000'000);
  EXPECT_EQ(cart.max_ns, 100'000'000);
  EXPECT_EQ(ops->items[2].operation, "render");

  auto db_only = operation_stats(*store, 0, now_ns(), "db");
  ASSERT_TRUE(db_only.ok());
  ASSERT_EQ(db_only->items.size(), 1u);
  EXPECT_EQ(db_only->items[0].operation, "SELECT");

  // Past the byte budget no new operation is taken; those taken are counted whole.
  auto first = operation_stats(*store, now_ns() - kHourNs, now_ns(), "", 64 + 10);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->truncated);
  ASSERT_EQ(first->items.size(), 1u);
  const OperationStats& kept = first->items[0];
  const auto full = std::find_if(ops->items.begin(), ops->items.end(), [&](const auto& o) {
    return o.service == kept.service && o.operation == kept.operation;
  });
  ASSERT_NE(full, ops->items.end());
  EXPECT_EQ(kept.count, full->count);
  EXPECT_EQ(kept.errors, full->errors);
  EXPECT_EQ(kept.p99_ns, full->p99_ns);
}

TEST_F(AnalyticsTest, Api) {
  json::value deps = get("/api/dependencies?lookback=1h");
  ASSERT_EQ(deps.at("data").as_array().size(), 1u);
  EXPECT_EQ(deps.at("data").at(0),
            json::parse(R"({"parent":"web","child":"db","callCount":100,"errorCount":10})"));
  EXPECT_EQ(get("/api/dependencies").at("data").as_array().size(), 1u) << "an hour by default";
  EXPECT_EQ(get("/api/dependencies?lookback=3h").at("data").as_array().size(), 2u);
  EXPECT_EQ(get("/api/dependencies?start=0&end=1").at("data").as_array().size(), 0u);

  json::value stats = get("/api/operations/stats?lookback=1h&service=web");
  EXPECT_EQ(stats.at("windowSeconds").to_number<double>(), 3600);
  const json::array& data = stats.at("data").as_array();
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(data[0].at("operation"), "GET /cart");
  EXPECT_EQ(data[0].at("count"), 100);
  EXPECT_EQ(data[0].at("p95Ns"), 95'000'000);
  EXPECT_NEAR(data[0].at("ratePerSecond").to_number<double>(), 100.0 / 3600, 1e-6);
  EXPECT_EQ(get("/api/operations/stats?service=db").at("data").at(0).at("errorRatio"), 0.1);

  for (const char* bad : {"/api/dependencies?lookback=soon", "/api/dependencies?service=web",
                          "/api/dependencies?start=x", "/api/dependencies?start=5&end=1",
                          "/api/dependencies?lookback=1h&start=1", "/api/operations/stats?limit=3",
                          "/api/operations/stats?lookback=-1h"}) {
    json::value e = get(bad, 400);
    EXPECT_TRUE(e.as_object().contains("error")) << bad;
  }
}

TEST(CollectorGzip, AcceptEncodingParsing) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("gzip, deflate, br"));
  EXPECT_TRUE(accepts_gzip("br;q=1.0, GZIP;q=0.5"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("*, gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("deflate, br"));
}

std::string gunzip(const std::string& in) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  std::string out(in.size() * 50 + 1024, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

// zlib counts the bytes of one deflate() call in 32 bits: a body of 4 GiB or more handed over in
// one call was cut silently (maybe_gzip cast its size to uInt). It now goes in pieces of at most
// 4 GiB - 1; small pieces run the same path here without 4 GiB of memory.
TEST(CollectorGzip, DeflatesInPiecesAsABodyPast4GiBNeeds) {
  std::string body = "{\"data\":[";
  for (int i = 0; i < 4000; ++i)
    body += "{\"name\":\"GET /cart/" + std::to_string(i * 7919 % 1000) +
            "\",\"count\":" + std::to_string(i) + "},";
  body += "{}]}";
  for (size_t piece : {size_t{3}, size_t{1000}, size_t{65536}, SIZE_MAX}) {
    std::string packed;
    ASSERT_TRUE(gzip_in_pieces(body, packed, piece)) << piece;
    EXPECT_LT(packed.size(), body.size() / 3) << piece;
    EXPECT_EQ(gunzip(packed), body) << piece;
  }
  // Bytes that do not shrink are not worth sending gzipped: refused, and the output buffer never
  // grew past the body.
  std::string noise(100'000, '\0');
  uint32_t x = 12345;
  for (char& c : noise) {
    x = x * 1664525 + 1013904223;
    c = static_cast<char>(x >> 24);
  }
  std::string packed;
  EXPECT_FALSE(gzip_in_pieces(noise, packed, 4096));
}

TEST(CollectorGzip, CompressesLargeTextOnlyWhenAccepted) {
  std::string body = "{\"data\":[";
  for (int i = 0; i < 500; ++i)
    body += "{\"name\":\"GET /cart\",\"count\":" + std::to_string(i) + "},";
  body += "{}]}";
  Response r{200, "application/json", body, {}};
  maybe_gzip(r, "gzip, deflate");
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.headers[1], (std::pair<std::string, std::string>("Content-Encoding", "gzip")));
  EXPECT_LT(r.body.size(), body.size() / 5);
  EXPECT_EQ(gunzip(r.body), body);

  Response plain{200, "application/json", body, {}};
  maybe_gzip(plain, "br");
  EXPECT_EQ(plain.body, body);
  EXPECT_EQ(plain.headers.size(), 1u) << "Vary only";
  Response small{200, "application/json", "{\"data\":[]}", {}};
  maybe_gzip(small, "gzip");
  EXPECT_EQ(small.body, "{\"data\":[]}");
  Response binary{200, "application/octet-stream", body, {}};
  maybe_gzip(binary, "gzip");
  EXPECT_EQ(binary.body, body);
}

// Through the binary: the API and the viewer's files come gzipped to a client that asks.
TEST(CollectorGzip, TheViewerAnswersGzipWhenAsked) {
  testing::TempDir dir;
  CollectorProcess collector(dir.file("gzip.db"));
  ASSERT_TRUE(collector.ready()) << collector.startup_output();
  HttpResult plain = http_call("GET", collector.ui_url() + "/app.js");
  ASSERT_EQ(plain.status, 200);
  HttpResult packed = http_call("GET", collector.ui_url() + "/app.js", {"Accept-Encoding: gzip"});
  ASSERT_EQ(packed.status, 200);
  ASSERT_GE(packed.body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(packed.body[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(packed.body[1]), 0x8b);
  EXPECT_LT(packed.body.size(), plain.body.size());
  EXPECT_EQ(gunzip(packed.body), plain.body);
  HttpResult deps =
      http_call("GET", collector.ui_url() + "/api/dependencies", {"Accept-Encoding: gzip"});
  EXPECT_EQ(deps.status, 200);
  EXPECT_EQ(deps.body.substr(0, 9), R"({"start":)") << "small answers stay plain";
}

}  // namespace
}  // namespace tracekit::collector
