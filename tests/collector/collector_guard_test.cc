// SPDX-License-Identifier: Apache-2.0
// The collector's listeners against hostile browsers and unauthenticated clients, with the
// binary as users run it: the viewer/API refuse a foreign Host (DNS rebinding) and carry the
// security headers; with tokens set, the API, the viewer (through its cookie login), OTLP/HTTP
// and OTLP/gRPC each require theirs; a cross-site page cannot post spans.
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "collector_test_support.h"
#include "options.h"
#include "tracekit/otlp/exporter.h"

namespace tracekit::collector {
namespace {

using namespace std::chrono_literals;

// Exports the known spans with our exporter, sending `headers`; whether the export succeeded.
bool export_known_spans(OtlpProtocol protocol, const std::string& endpoint,
                        std::vector<std::pair<std::string, std::string>> headers) {
  testing::KnownSpans known = testing::make_known_spans();
  OtlpConfig config;
  config.protocol = protocol;
  config.endpoint = endpoint;
  config.insecure = true;
  config.timeout = 10s;
  config.headers = std::move(headers);
  otlp::ExporterOptions options;
  options.retry.max_attempts = 1;
  auto exporter = otlp::make_exporter(config, options);
  if (!exporter.ok()) return false;
  ExportResult r = (*exporter)->export_spans(known.spans, std::chrono::steady_clock::now() + 15s);
  (*exporter)->shutdown(5s);
  return r.ok();
}

class CollectorGuard : public ::testing::Test {
 protected:
  std::string data_path() {
    path_ = ::testing::TempDir() + "collector-guard-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    std::remove(path_.c_str());
    return path_;
  }
  void TearDown() override {
    for (const char* suffix : {"", "-wal", "-shm"})
      std::remove((path_ + suffix).c_str());
  }
  std::string path_;
};

TEST_F(CollectorGuard, TheApiAndViewerRefuseAForeignHost) {
  CollectorProcess c(data_path());
  ASSERT_TRUE(c.ready()) << c.startup_output();
  const std::string port = std::to_string(c.ui_port());
  for (const char* path : {"/api/services", "/api/traces", "/"}) {
    HttpResult rebound = http_call("GET", c.ui_url() + path, {"Host: evil.example:" + port});
    EXPECT_EQ(rebound.status, 421) << path << ": " << rebound.body;
    EXPECT_EQ(rebound.body.find("\"services\""), std::string::npos);
  }
  HttpResult own = http_call("GET", c.ui_url() + "/api/services");
  EXPECT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(http_call("GET", c.ui_url() + "/api/services", {"Host: localhost:" + port}).status,
            200);
  // A cross-site page cannot post spans to the OTLP/HTTP port, whatever Host it uses.
  HttpResult cross = http_call("POST", c.otlp_url(),
                               {"Content-Type: application/json", "Origin: http://evil.example"},
                               "{\"resourceSpans\":[]}");
  EXPECT_EQ(cross.status, 403) << cross.body;
  HttpResult any_name = http_call("POST", c.otlp_url(),
                                  {"Content-Type: application/json", "Host: collector.internal"},
                                  "{\"resourceSpans\":[]}");
  EXPECT_EQ(any_name.status, 200) << "exporters may know the collector under any name";
}

TEST_F(CollectorGuard, ConfiguredHostsAreAnswered) {
  CollectorProcess c(data_path(), {"--allowed-hosts", "traces.example, other.example:80"});
  ASSERT_TRUE(c.ready()) << c.startup_output();
  EXPECT_EQ(http_call("GET", c.ui_url() + "/api/services", {"Host: traces.example:8443"}).status,
            200);
  EXPECT_EQ(http_call("GET", c.ui_url() + "/api/services", {"Host: other.example"}).status, 200);
  EXPECT_EQ(http_call("GET", c.ui_url() + "/api/services", {"Host: evil.example"}).status, 421);
}

TEST_F(CollectorGuard, TokensGuardTheApiViewerAndBothIngestPorts) {
  CollectorProcess c(data_path(), {"--api-token", "api-7c1d", "--ingest-token", "ingest-93b2"});
  ASSERT_TRUE(c.ready()) << c.startup_output();
  EXPECT_EQ(c.startup_output().find("api-7c1d"), std::string::npos) << "a token was printed";
  // API: bearer token.
  EXPECT_EQ(http_call("GET", c.ui_url() + "/api/services").status, 401);
  EXPECT_EQ(
      http_call("GET", c.ui_url() + "/api/services", {"Authorization: Bearer ingest-93b2"}).status,
      401);
  EXPECT_EQ(
      http_call("GET", c.ui_url() + "/api/services", {"Authorization: Bearer api-7c1d"}).status,
      200);
  // Viewer: one visit with ?token= sets the cookie the page's own fetch() calls then carry.
  HttpResult login = http_call("GET", c.ui_url() + "/?token=api-7c1d");
  EXPECT_EQ(login.status, 303) << login.body;
  EXPECT_EQ(http_call("GET", c.ui_url() + "/").status, 401);
  // Ingest: OTLP/HTTP and OTLP/gRPC want the ingest token, as OTEL_EXPORTER_OTLP_HEADERS sends.
  EXPECT_FALSE(export_known_spans(OtlpProtocol::kHttpProtobuf, c.otlp_url(), {}));
  EXPECT_FALSE(export_known_spans(OtlpProtocol::kGrpc, c.grpc_endpoint(), {}));
  EXPECT_FALSE(export_known_spans(OtlpProtocol::kGrpc, c.grpc_endpoint(),
                                  {{"authorization", "Bearer api-7c1d"}}));
  EXPECT_TRUE(export_known_spans(OtlpProtocol::kHttpProtobuf, c.otlp_url(),
                                 {{"Authorization", "Bearer ingest-93b2"}}));
  EXPECT_TRUE(export_known_spans(OtlpProtocol::kGrpc, c.grpc_endpoint(),
                                 {{"authorization", "Bearer ingest-93b2"}}));
  // What the authorized exporters sent is stored (seen through the API, with its token).
  bool stored = false;
  for (int i = 0; i < 200 && !stored; ++i) {
    HttpResult services =
        http_call("GET", c.ui_url() + "/api/services", {"Authorization: Bearer api-7c1d"});
    stored = services.status == 200 && services.body.find("\"data\":[]") == std::string::npos;
    if (!stored) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(stored);
}

TEST(CollectorGuardOptions, FlagsAndEnvironment) {
  std::map<std::string, std::string> env{{"TRACEKIT_COLLECTOR_API_TOKEN", "from-env"},
                                         {"TRACEKIT_COLLECTOR_ALLOWED_HOSTS", "a.example,b"}};
  auto getenv = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  auto o = parse_options({"--ingest-token=flag-token"}, getenv);
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->api_token, "from-env");
  EXPECT_EQ(o->ingest_token, "flag-token");
  EXPECT_EQ(o->allowed_hosts, (std::vector<std::string>{"a.example", "b"}));
  auto bad = parse_options({"--api-token", "has space"}, getenv);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("--api-token"), std::string::npos);
  EXPECT_EQ(bad.error().message.find("has space"), std::string::npos) << "the token is echoed";
}

}  // namespace
}  // namespace tracekit::collector
