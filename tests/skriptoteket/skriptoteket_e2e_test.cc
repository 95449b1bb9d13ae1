// SPDX-License-Identifier: Apache-2.0
// Skriptoteket end to end: skriptoteket-runner and skriptoteket-web as real processes on
// ephemeral ports, real SQLite, real scripts. One run request must give one trace across both
// processes with the seed's spans and events, logs carrying its trace id, and every error path
// must answer the documented JSON error.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "e2e_support.h"
#include "test_tracing.h"
#include "tracekit/http/server.h"

namespace skriptoteket {
namespace {

namespace json = boost::json;
using e2e::ExportedSpan;
using e2e::ServiceProcess;

class SkriptoteketE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    runner_ = new ServiceProcess();
    web_ = new ServiceProcess();
    std::string error;
    const std::map<std::string, std::string> tracing = {
        {"OTEL_TRACING_ENABLED", "true"},
        {"OTEL_SDK_DISABLED", ""},
        {"OTEL_TRACES_EXPORTER", "console"},
        {"OTEL_BSP_SCHEDULE_DELAY", "50"},
        {"OTEL_SERVICE_NAME", ""},
        {"OTEL_TRACES_SAMPLER", ""},
        {"LOG_LEVEL", "info"},
        {"SKRIPTOTEKET_RUNNER_TOKEN_FILE", (dir_->path() / "runner.token").string()}};
    auto runner_env = tracing;
    runner_env.insert({{"SERVICE_NAME", "skriptoteket-runner"},
                       {"TRACEKIT_CONSOLE_PATH", (dir_->path() / "runner.spans").string()},
                       {"SKRIPTOTEKET_RUNNER_PORT", "0"},
                       {"SKRIPTOTEKET_WORK_DIR", (dir_->path() / "runs").string()},
                       {"SKRIPTOTEKET_OUTPUT_LIMIT_BYTES", "2000"}});
    if (!runner_->start(SKRIPTOTEKET_RUNNER_BIN, runner_env, dir_->path(), "runner", error)) {
      setup_error_ = error;
      return;
    }
    auto web_env = tracing;
    web_env.insert({{"SERVICE_NAME", "skriptoteket-web"},
                    {"TRACEKIT_CONSOLE_PATH", (dir_->path() / "web.spans").string()},
                    {"SKRIPTOTEKET_WEB_PORT", "0"},
                    {"SKRIPTOTEKET_DB_PATH", (dir_->path() / "data" / "skriptoteket.db").string()},
                    {"SKRIPTOTEKET_RUNNER_URL", runner_->base_url()},
                    {"SKRIPTOTEKET_MAX_SCRIPT_BYTES", "4096"},
                    // ConcurrentRunsEachGetTheirOwnOutputAndTrace runs six at once; the
                    // default (half of the eight workers) would refuse two of them.
                    {"SKRIPTOTEKET_MAX_CONCURRENT_RUNS", "6"},
                    {"SKRIPTOTEKET_TRACECONTEXT_TEST", "true"}});
    if (!web_->start(SKRIPTOTEKET_WEB_BIN, web_env, dir_->path(), "web", error)) {
      setup_error_ = error;
    }
  }
  static void TearDownTestSuite() {
    delete web_;
    delete runner_;
    delete dir_;
  }
  void SetUp() override { ASSERT_TRUE(setup_error_.empty()) << setup_error_; }

  static std::string url(const std::string& path) { return web_->base_url() + path; }

  // POSTs JSON and returns the parsed object; fails the test unless the status is `expected`.
  json::object post(const std::string& path, const json::value& body, int expected,
                    tracekit::http::HeaderList headers = {}) {
    auto r = http_.call("POST", url(path), json::serialize(body), std::move(headers));
    EXPECT_EQ(r.status, expected) << path << ": " << r.body;
    std::error_code ec;
    auto v = json::parse(r.body, ec);
    return !ec && v.is_object() ? v.as_object() : json::object{};
  }
  std::string create_tool(const std::string& slug) {
    auto tool = post("/tools", json::object{{"slug", slug}, {"title", "Tool " + slug}}, 201);
    return tool.contains("id") ? std::string(tool["id"].as_string()) : std::string();
  }
  std::string create_version(const std::string& tool_id, const std::string& language,
                             const std::string& source) {
    auto v = post("/tools/" + tool_id + "/versions",
                  json::object{{"language", language}, {"source", source}}, 201);
    return v.contains("id") ? std::string(v["id"].as_string()) : std::string();
  }
  // The error body's shape: {"error": "<code>", "detail": "..."}.
  void expect_error(const tracekit::http::ClientResponse& r, int status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body;
    std::error_code ec;
    auto v = json::parse(r.body, ec);
    ASSERT_FALSE(ec) << r.body;
    ASSERT_TRUE(v.is_object()) << r.body;
    ASSERT_TRUE(v.as_object().contains("error")) << r.body;
    ASSERT_TRUE(v.as_object().contains("detail")) << r.body;
    EXPECT_EQ(v.as_object().at("error").as_string(), code) << r.body;
    EXPECT_FALSE(v.as_object().at("detail").as_string().empty());
    EXPECT_EQ(r.header("Content-Type").value_or(""), "application/json");
  }

  // Waits until both processes have exported every named span of `trace_id`.
  std::vector<ExportedSpan> wait_for_trace(const std::string& trace_id,
                                           const std::vector<std::string>& names) {
    std::vector<ExportedSpan> found;
    testing_wait([&] {
      found.clear();
      for (const char* file : {"web.spans", "runner.spans"}) {
        for (auto& s : e2e::read_spans(dir_->path() / file)) {
          if (s.trace_id == trace_id) found.push_back(std::move(s));
        }
      }
      for (const auto& n : names) {
        bool present = false;
        for (const auto& s : found)
          present = present || s.name == n;
        if (!present) return false;
      }
      return true;
    });
    return found;
  }
  template <class Pred>
  static bool testing_wait(Pred done) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done()) {
      if (std::chrono::steady_clock::now() > give_up) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return true;
  }
  static const ExportedSpan* find(const std::vector<ExportedSpan>& spans, const std::string& name) {
    for (const auto& s : spans)
      if (s.name == name) return &s;
    return nullptr;
  }

  static inline testing::TempDir* dir_ = nullptr;
  static inline ServiceProcess* runner_ = nullptr;
  static inline ServiceProcess* web_ = nullptr;
  static inline std::string setup_error_;
  e2e::Http http_;
};

TEST_F(SkriptoteketE2E, ARunIsOneTraceAcrossBothProcesses) {
  const std::string tool = create_tool("trace-demo");
  const std::string version = create_version(tool, "python3", "print('hello, trace')\n");
  auto r = http_.call("POST", url("/tools/" + tool + "/versions/" + version + "/run"), "{}");
  ASSERT_EQ(r.status, 201) << r.body;
  auto run = json::parse(r.body).as_object();
  EXPECT_EQ(run["status"].as_string(), "succeeded");
  EXPECT_EQ(run["stdout"].as_string(), "hello, trace\n");
  const std::string run_id(run["id"].as_string());
  const std::string trace_id(r.header("X-Trace-ID").value_or(""));
  ASSERT_EQ(trace_id.size(), 32u);
  ASSERT_EQ(r.header("X-Span-ID").value_or("").size(), 16u);

  const std::string server_name = "POST /tools/{id}/versions/{version_id}/run";
  auto spans = wait_for_trace(
      trace_id, {server_name, "execute_tool_version", "SELECT tool_versions", "INSERT runs",
                 "UPDATE runs", "POST", "POST /execute", "sandbox_runner.execute"});
  const ExportedSpan* server = find(spans, server_name);
  const ExportedSpan* execute = find(spans, "execute_tool_version");
  const ExportedSpan* select = find(spans, "SELECT tool_versions");
  const ExportedSpan* insert = find(spans, "INSERT runs");
  const ExportedSpan* client = find(spans, "POST");
  const ExportedSpan* runner_server = find(spans, "POST /execute");
  const ExportedSpan* runner_span = find(spans, "sandbox_runner.execute");
  ASSERT_TRUE(server && execute && select && insert && client && runner_server && runner_span)
      << "spans of the trace: " << spans.size();

  // The web process: SERVER -> execute_tool_version -> (SQLite CLIENT spans, HTTP CLIENT span).
  EXPECT_EQ(server->service, "skriptoteket-web");
  EXPECT_EQ(server->kind, 2);
  EXPECT_EQ(server->span_id, std::string(r.header("X-Span-ID").value_or("")));
  EXPECT_TRUE(server->parent_span_id.empty());
  EXPECT_EQ(server->attribute("http.method"), "POST");
  EXPECT_EQ(server->attribute("http.route"), "/tools/{id}/versions/{version_id}/run");
  EXPECT_EQ(server->attribute("http.status_code"), "201");
  EXPECT_EQ(execute->parent_span_id, server->span_id);
  EXPECT_EQ(execute->attribute("tool.id"), tool);
  EXPECT_EQ(execute->attribute("version.id"), version);
  EXPECT_EQ(execute->attribute("run.id"), run_id);
  EXPECT_EQ(execute->attribute("run.status"), "succeeded");
  for (const ExportedSpan* db : {select, insert}) {
    EXPECT_EQ(db->kind, 3);
    EXPECT_EQ(db->parent_span_id, execute->span_id);
    EXPECT_EQ(db->attribute("db.system"), "sqlite");
    EXPECT_EQ(db->attribute("db.statement").find(version), std::string::npos);
  }
  size_t updates = 0;
  for (const auto& s : spans) {
    if (s.name == "UPDATE runs") {
      ++updates;
      EXPECT_EQ(s.parent_span_id, execute->span_id);
      EXPECT_EQ(s.attribute("db.operation"), "UPDATE");
    }
  }
  EXPECT_EQ(updates, 2u);  // running, then the final status
  EXPECT_EQ(client->service, "skriptoteket-web");
  EXPECT_EQ(client->kind, 3);
  EXPECT_EQ(client->parent_span_id, execute->span_id);

  // The runner process: its SERVER span continues the web's CLIENT span.
  EXPECT_EQ(runner_server->service, "skriptoteket-runner");
  EXPECT_EQ(runner_server->kind, 2);
  EXPECT_EQ(runner_server->parent_span_id, client->span_id);
  EXPECT_EQ(runner_span->service, "skriptoteket-runner");
  EXPECT_EQ(runner_span->parent_span_id, runner_server->span_id);
  ASSERT_EQ(runner_span->events.size(), 3u);
  // The seed's §5 events, with the seed's names.
  EXPECT_EQ(runner_span->events[0].name, "volume_created");
  EXPECT_FALSE(runner_span->events[0].attributes.at("volume_name").empty());
  EXPECT_EQ(runner_span->events[1].name, "container_started");
  EXPECT_EQ(runner_span->events[1].attributes.at("container_id").rfind("sbx-", 0), 0u);
  EXPECT_EQ(runner_span->events[2].name, "container_finished");
  EXPECT_EQ(runner_span->events[2].attributes.at("exit_code"), "0");
  EXPECT_EQ(runner_span->events[2].attributes.at("timed_out"), "false");
  EXPECT_EQ(runner_span->events[2].attributes.at("oom_killed"), "false");
  EXPECT_EQ(runner_span->attribute("runner.sandbox"), "bubblewrap");

  // Both processes' logs carry the trace id.
  EXPECT_TRUE(testing_wait([&] {
    return web_->log_text().find("\"trace_id\":\"" + trace_id + "\"") != std::string::npos &&
           runner_->log_text().find("\"trace_id\":\"" + trace_id + "\"") != std::string::npos;
  })) << "web log:\n"
      << web_->log_text() << "\nrunner log:\n"
      << runner_->log_text();
  // And the correlation id the web service answered with.
  const std::string correlation(r.header("X-Correlation-ID").value_or(""));
  ASSERT_FALSE(correlation.empty());
  EXPECT_NE(runner_->log_text().find("\"correlation_id\":\"" + correlation + "\""),
            std::string::npos);
}

// The seed takes service.version and deployment.environment from its settings: they are on
// every span's resource even when SERVICE_VERSION and ENVIRONMENT are not set.
TEST_F(SkriptoteketE2E, TheResourceAlwaysNamesVersionAndEnvironment) {
  const std::string tool = create_tool("resource");
  ASSERT_FALSE(tool.empty());
  bool found = false;
  testing_wait([&] {
    // The web service's spans (both mains take the same configure_service_tracing()).
    for (const char* file : {"web.spans"}) {
      std::ifstream in(dir_->path() / file);
      const std::string text((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
      found =
          text.find(R"({"key":"service.version","value":{"stringValue":")" SKRIPTOTEKET_VERSION) !=
              std::string::npos &&
          text.find(R"({"key":"deployment.environment","value":{"stringValue":"development"}})") !=
              std::string::npos;
      if (!found) return false;
    }
    return true;
  });
  EXPECT_TRUE(found);
}

TEST_F(SkriptoteketE2E, AnIncomingTraceparentIsContinued) {
  const std::string tool = create_tool("continued");
  const std::string parent_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  auto r = http_.call("GET", url("/tools/" + tool), {},
                      {{"traceparent", "00-" + parent_trace + "-00f067aa0ba902b7-01"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("X-Trace-ID").value_or(""), parent_trace);
  auto spans = wait_for_trace(parent_trace, {"GET /tools/{id}", "SELECT tools"});
  const ExportedSpan* server = find(spans, "GET /tools/{id}");
  ASSERT_TRUE(server);
  EXPECT_EQ(server->parent_span_id, "00f067aa0ba902b7");
  const ExportedSpan* select = find(spans, "SELECT tools");
  ASSERT_TRUE(select);
  EXPECT_EQ(select->parent_span_id, server->span_id);
}

TEST_F(SkriptoteketE2E, ToolsAndVersionsCanBeReadBack) {
  const std::string tool = create_tool("read-back");
  const std::string version = create_version(tool, "bash", "echo hi\n");
  auto list = http_.call("GET", url("/tools"));
  ASSERT_EQ(list.status, 200);
  EXPECT_NE(list.body.find("read-back"), std::string::npos);
  auto one = http_.call("GET", url("/tools/" + tool));
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(json::parse(one.body).at("slug").as_string(), "read-back");
  auto v = http_.call("GET", url("/tools/" + tool + "/versions/" + version));
  ASSERT_EQ(v.status, 200) << v.body;
  EXPECT_EQ(json::parse(v.body).at("language").as_string(), "bash");
  EXPECT_EQ(json::parse(v.body).at("source").as_string(), "echo hi\n");
}

TEST_F(SkriptoteketE2E, EveryClientErrorIsAJsonErrorBody) {
  const std::string tool = create_tool("errors");
  const std::string version = create_version(tool, "bash", "true\n");
  const std::string missing = "00000000-0000-4000-8000-000000000000";
  // 400: not JSON, not an object, an id that is not a UUID.
  expect_error(http_.call("POST", url("/tools"), "{not json"), 400, "invalid_json");
  expect_error(http_.call("POST", url("/tools"), "[1,2]"), 400, "invalid_json");
  expect_error(http_.call("GET", url("/tools/not-a-uuid")), 400, "invalid_id");
  expect_error(http_.call("POST", url("/tools/" + tool + "/versions/xyz/run"), "{}"), 400,
               "invalid_id");
  // 404: unknown tool, version, run, version of another tool, unknown path.
  expect_error(http_.call("GET", url("/tools/" + missing)), 404, "not_found");
  expect_error(http_.call("GET", url("/runs/" + missing)), 404, "not_found");
  expect_error(http_.call("GET", url("/tools/" + tool + "/versions/" + missing)), 404, "not_found");
  expect_error(http_.call("POST", url("/tools/" + missing + "/versions"),
                          R"({"language":"bash","source":"true"})"),
               404, "not_found");
  expect_error(http_.call("POST", url("/tools/" + missing + "/versions/" + version + "/run"), "{}"),
               404, "not_found");
  expect_error(http_.call("GET", url("/no/such/path")), 404, "not_found");
  // 409: a slug that is taken.
  expect_error(http_.call("POST", url("/tools"), R"({"slug":"errors","title":"Again"})"), 409,
               "conflict");
  // 413: a script over the limit (4096 bytes in this test).
  expect_error(http_.call("POST", url("/tools/" + tool + "/versions"),
                          json::serialize(json::object{{"language", "bash"},
                                                       {"source", std::string(5000, '#')}})),
               413, "payload_too_large");
  // 413 also for any body over the server's limit, before it is read.
  expect_error(http_.call("POST", url("/tools"), std::string(100 * 1024, ' ')), 413,
               "payload_too_large");
  // 405: the path exists under other methods; Allow says which.
  auto not_allowed = http_.call("DELETE", url("/tools"));
  expect_error(not_allowed, 405, "method_not_allowed");
  EXPECT_NE(not_allowed.header("Allow").value_or("").find("POST"), std::string::npos);
  // 422: well-formed but invalid.
  expect_error(http_.call("POST", url("/tools"), R"({"title":"No slug"})"), 422,
               "validation_failed");
  expect_error(http_.call("POST", url("/tools"), R"({"slug":"Bad Slug!","title":"x"})"), 422,
               "validation_failed");
  expect_error(http_.call("POST", url("/tools"), R"({"slug":"ok","title":5})"), 422,
               "validation_failed");
  expect_error(http_.call("POST", url("/tools/" + tool + "/versions"),
                          R"({"language":"cobol","source":"x"})"),
               422, "validation_failed");
  expect_error(
      http_.call("POST", url("/tools/" + tool + "/versions"), R"({"language":"bash","source":""})"),
      422, "validation_failed");
  expect_error(http_.call("POST", url("/tools/" + tool + "/versions/" + version + "/run"),
                          R"({"time_limit_ms":0})"),
               422, "validation_failed");
  expect_error(http_.call("POST", url("/tools/" + tool + "/versions/" + version + "/run"),
                          R"({"time_limit_ms":"soon"})"),
               422, "validation_failed");
  // Nothing half-written: the failed creations left no tools behind.
  auto list = json::parse(http_.call("GET", url("/tools")).body);
  for (const auto& t : list.at("tools").as_array()) {
    EXPECT_NE(t.at("slug").as_string(), "ok");
    EXPECT_NE(t.at("title").as_string(), "Again");
  }
  // Errors on traced routes still carry the trace headers.
  auto traced = http_.call("GET", url("/tools/" + missing));
  EXPECT_EQ(traced.header("X-Trace-ID").value_or("").size(), 32u);
}

TEST_F(SkriptoteketE2E, AFailingScriptIsARecordedRun) {
  const std::string tool = create_tool("failing");
  const std::string version = create_version(tool, "bash", "echo oops >&2\nexit 3\n");
  auto run = post("/tools/" + tool + "/versions/" + version + "/run", json::object{}, 201);
  EXPECT_EQ(run["status"].as_string(), "failed");
  EXPECT_EQ(run["exit_code"].as_int64(), 3);
  EXPECT_EQ(run["stderr"].as_string(), "oops\n");
  auto stored = http_.call("GET", url("/runs/" + std::string(run["id"].as_string())));
  ASSERT_EQ(stored.status, 200);
  EXPECT_EQ(json::parse(stored.body).at("status").as_string(), "failed");
}

TEST_F(SkriptoteketE2E, AHangingScriptTimesOut) {
  const std::string tool = create_tool("hanging");
  const std::string version = create_version(tool, "python3", "import time\ntime.sleep(120)\n");
  auto r = http_.call("POST", url("/tools/" + tool + "/versions/" + version + "/run"),
                      R"({"time_limit_ms":700})");
  ASSERT_EQ(r.status, 201) << r.body;
  auto run = json::parse(r.body).as_object();
  EXPECT_EQ(run["status"].as_string(), "timed_out");
  const std::string trace_id(r.header("X-Trace-ID").value_or(""));
  auto spans = wait_for_trace(trace_id, {"execute_tool_version", "sandbox_runner.execute"});
  const ExportedSpan* runner_span = find(spans, "sandbox_runner.execute");
  ASSERT_TRUE(runner_span);
  ASSERT_EQ(runner_span->events.size(), 3u);
  EXPECT_EQ(runner_span->events[2].attributes.at("timed_out"), "true");
  EXPECT_EQ(find(spans, "execute_tool_version")->attribute("run.status"), "timed_out");
}

TEST_F(SkriptoteketE2E, AnOutputFloodIsCapped) {
  const std::string tool = create_tool("flood");
  const std::string version =
      create_version(tool, "python3", "import sys\nsys.stdout.write('y' * 3_000_000)\n");
  auto run = post("/tools/" + tool + "/versions/" + version + "/run", json::object{}, 201);
  EXPECT_EQ(run["status"].as_string(), "succeeded");
  EXPECT_EQ(run["stdout"].as_string().size(), 2000u);
  EXPECT_TRUE(run["stdout_truncated"].as_bool());
}

TEST_F(SkriptoteketE2E, ConcurrentRunsEachGetTheirOwnOutputAndTrace) {
  const std::string tool = create_tool("concurrent");
  constexpr int kRuns = 6;
  std::vector<std::string> versions;
  for (int i = 0; i < kRuns; ++i) {
    versions.push_back(create_version(
        tool, "python3", "import time\ntime.sleep(0.2)\nprint(" + std::to_string(i) + ")\n"));
  }
  std::vector<std::thread> threads;
  std::vector<tracekit::http::ClientResponse> responses(kRuns);
  for (int i = 0; i < kRuns; ++i) {
    threads.emplace_back([&, i] {
      e2e::Http own;
      responses[i] =
          own.call("POST", url("/tools/" + tool + "/versions/" + versions[i] + "/run"), "{}");
    });
  }
  for (auto& t : threads)
    t.join();
  std::set<std::string> traces;
  for (int i = 0; i < kRuns; ++i) {
    ASSERT_EQ(responses[i].status, 201) << responses[i].body;
    auto run = json::parse(responses[i].body).as_object();
    EXPECT_EQ(run["status"].as_string(), "succeeded");
    EXPECT_EQ(run["stdout"].as_string(), std::to_string(i) + "\n");
    traces.insert(std::string(responses[i].header("X-Trace-ID").value_or("")));
  }
  EXPECT_EQ(traces.size(), static_cast<size_t>(kRuns));
  // Each trace holds its own runner span under its own client span.
  for (const auto& trace_id : traces) {
    auto spans = wait_for_trace(trace_id, {"POST", "sandbox_runner.execute", "POST /execute"});
    const ExportedSpan* client = find(spans, "POST");
    const ExportedSpan* runner_server = find(spans, "POST /execute");
    ASSERT_TRUE(client && runner_server);
    EXPECT_EQ(runner_server->parent_span_id, client->span_id);
  }
}

TEST_F(SkriptoteketE2E, HealthMetricsAndStaticPage) {
  auto health = http_.call("GET", url("/healthz"));
  EXPECT_EQ(health.status, 200);
  EXPECT_FALSE(health.header("X-Trace-ID").has_value());  // excluded from tracing (seed §9)
  create_tool("metrics");
  http_.call("GET", url("/tools"));
  // A refused traceparent (version ff) is counted by reason; the request itself is served.
  auto refused =
      http_.call("GET", url("/tools"), {},
                 {{"traceparent", "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}});
  EXPECT_EQ(refused.status, 200);
  auto metrics = http_.call("GET", url("/metrics"));
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("# TYPE skriptoteket_http_requests_total counter"),
            std::string::npos);
  EXPECT_NE(
      metrics.body.find(
          "skriptoteket_http_requests_total{method=\"POST\",route=\"/tools\",status=\"201\"}"),
      std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find(
                "skriptoteket_http_request_duration_seconds_bucket{route=\"/tools\",le=\"+Inf\"}"),
            std::string::npos);
  EXPECT_NE(metrics.body.find("tracekit_spans_exported_total "), std::string::npos);
  EXPECT_NE(metrics.body.find("tracekit_spans_dropped_total "), std::string::npos);
  EXPECT_NE(metrics.body.find("tracekit_export_failures_total "), std::string::npos);
  EXPECT_EQ(metrics.body.find("tracekit_spans_started_total 0\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("tracekit_extract_rejected_total{reason=\"invalid_version\"} 1\n"),
            std::string::npos)
      << metrics.body;
  auto page = http_.call("GET", url("/static/index.html"));
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("Skriptoteket"), std::string::npos);
  auto runner_health = http_.call("GET", runner_->base_url() + "/healthz");
  EXPECT_EQ(runner_health.status, 200);
}

// The endpoint the W3C trace-context harness drives: each callback is a POST of `arguments`,
// made as a child of the incoming trace.
TEST_F(SkriptoteketE2E, TheTraceContextTestEndpointCallsBackInTheIncomingTrace) {
  std::mutex mutex;
  std::vector<std::pair<std::string, std::string>> seen;  // traceparent, body
  tracekit::http::Server callback({.port = 0});
  callback.route("POST", "/callback", [&](tracekit::http::Request& req) {
    std::lock_guard lock(mutex);
    seen.emplace_back(std::string(req.header("traceparent").value_or("")), req.body());
    return tracekit::http::Response::text(200, "ok");
  });
  ASSERT_TRUE(callback.start().ok());
  const std::string cb = callback.base_url() + "/callback";
  const std::string trace = "0af7651916cd43dd8448eb211c80319c";
  json::array body{json::object{{"url", cb}, {"arguments", json::array{1, 2}}},
                   json::object{{"url", cb}, {"arguments", json::array{}}}};
  auto r = http_.call(
      "POST", url("/test"), json::serialize(body),
      {{"TraceParent", "00-" + trace + "-b7ad6b7169203331-01"}, {"tracestate", "foo=1"}});
  EXPECT_EQ(r.status, 200) << r.body;
  callback.stop();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].second, "[1,2]");
  EXPECT_EQ(seen[1].second, "[]");
  for (const auto& [traceparent, _] : seen) {
    ASSERT_EQ(traceparent.size(), 55u) << traceparent;
    EXPECT_EQ(traceparent.substr(3, 32), trace);
    EXPECT_NE(traceparent.substr(36, 16), "b7ad6b7169203331");  // a new span, the client's
  }
  expect_error(http_.call("POST", url("/test"), "{}"), 400, "invalid_json");
}

// With the runner down, a run is recorded as failed and the answer says why (502), at once.
// The issue's cross-site request: a page on evil.example posts a tool as text/plain (no
// preflight needed), possibly through a DNS name rebound to 127.0.0.1. Each layer refuses it.
TEST_F(SkriptoteketE2E, ACrossSiteTextPlainPostCannotCreateATool) {
  const std::string body = R"({"slug":"cross-site","title":"x"})";
  const std::string port = std::to_string(web_->port());
  auto post = [&](const std::string& host, const std::string& extra) {
    return e2e::raw_exchange(web_->port(), "POST /tools HTTP/1.1\r\nHost: " + host + "\r\n" +
                                               extra +
                                               "Content-Length: " + std::to_string(body.size()) +
                                               "\r\nConnection: close\r\n\r\n" + body);
  };
  // The repro as filed: foreign Host (DNS rebinding), foreign Origin, text/plain.
  const std::string rebound = post("evil.example",
                                   "Origin: http://evil.example\r\n"
                                   "Content-Type: text/plain\r\n");
  EXPECT_EQ(e2e::raw_status(rebound), 421) << rebound;
  EXPECT_NE(rebound.find("\"error\":\"misdirected_request\""), std::string::npos) << rebound;
  // Right Host, foreign Origin: a plain cross-site request.
  const std::string cross =
      post("127.0.0.1:" + port, "Origin: http://evil.example\r\nContent-Type: text/plain\r\n");
  EXPECT_EQ(e2e::raw_status(cross), 403) << cross;
  // No Origin, but not JSON.
  const std::string plain = post("127.0.0.1:" + port, "Content-Type: text/plain\r\n");
  EXPECT_EQ(e2e::raw_status(plain), 415) << plain;
  EXPECT_NE(plain.find("\"error\":\"unsupported_media_type\""), std::string::npos) << plain;
  EXPECT_EQ(http_.call("GET", url("/tools")).body.find("cross-site"), std::string::npos);
}

TEST_F(SkriptoteketE2E, TheRunnerRefusesCrossSiteRequestsToo) {
  // POST /execute runs code: a page must not reach it either.
  const std::string body = R"({"language":"bash","source":"touch /tmp/pwned","time_limit_ms":100})";
  auto post = [&](const std::string& host, const std::string& extra) {
    return e2e::raw_exchange(runner_->port(), "POST /execute HTTP/1.1\r\nHost: " + host + "\r\n" +
                                                  extra +
                                                  "Content-Length: " + std::to_string(body.size()) +
                                                  "\r\nConnection: close\r\n\r\n" + body);
  };
  const std::string self = "127.0.0.1:" + std::to_string(runner_->port());
  EXPECT_EQ(e2e::raw_status(post("evil.example", "Content-Type: application/json\r\n")), 421);
  EXPECT_EQ(e2e::raw_status(post(self, "Content-Type: text/plain\r\n")), 415);
  EXPECT_EQ(e2e::raw_status(post(self,
                                 "Content-Type: application/json\r\n"
                                 "Origin: http://evil.example\r\n")),
            403);
}

TEST_F(SkriptoteketE2E, AForeignHostIsRefusedOnGetToo) {
  // A rebound name can read answers, so reads are refused as well.
  const std::string answer = e2e::raw_exchange(
      web_->port(), "GET /tools HTTP/1.1\r\nHost: evil.example:" + std::to_string(web_->port()) +
                        "\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(e2e::raw_status(answer), 421) << answer;
  EXPECT_EQ(answer.find("\"tools\""), std::string::npos);
}

TEST_F(SkriptoteketE2E, ASameOriginJsonRequestIsAcceptedWithSecurityHeaders) {
  const std::string origin = "http://127.0.0.1:" + std::to_string(web_->port());
  auto r = http_.call("POST", url("/tools"), R"({"slug":"same-origin","title":"Same origin"})",
                      {{"Origin", origin}, {"Sec-Fetch-Site", "same-origin"}});
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.header("X-Content-Type-Options").value_or(""), "nosniff");
  EXPECT_EQ(r.header("X-Frame-Options").value_or(""), "DENY");
  EXPECT_EQ(r.header("Referrer-Policy").value_or(""), "no-referrer");
  // The page works under the policy: its script and style are files of the service.
  auto page = http_.call("GET", url("/static/index.html"));
  EXPECT_NE(page.header("Content-Security-Policy").value_or("").find("script-src 'self'"),
            std::string::npos);
  EXPECT_EQ(page.body.find("<script>"), std::string::npos) << "inline script would be blocked";
  EXPECT_EQ(http_.call("GET", url("/static/app.js")).status, 200);
  EXPECT_EQ(http_.call("GET", url("/static/style.css")).status, 200);
}

// The environment of a web service started alone: a free port, no tracing, its data under `dir`,
// a runner URL where nothing listens (port 9: connections are refused); `extra` adds to or
// replaces these.
std::map<std::string, std::string> lone_web_env(const testing::TempDir& dir,
                                                const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> env = {
      {"SKRIPTOTEKET_WEB_PORT", "0"},
      {"OTEL_TRACING_ENABLED", "false"},
      {"SKRIPTOTEKET_DATA_DIR", (dir.path() / "data").string()},
      {"SKRIPTOTEKET_RUNNER_URL", "http://127.0.0.1:9"}};
  for (const auto& [k, v] : extra)
    env[k] = v;
  return env;
}

// A token guessed in a few tries, or credentials in the runner's URL (they would reach run
// errors, logs and spans), stop the web service at start with the reason.
TEST(SkriptoteketE2EGuard, AWeakTokenOrCredentialsInTheRunnerUrlStopTheStart) {
  struct Case {
    std::map<std::string, std::string> env;
    std::string said;
  };
  for (const Case& c :
       {Case{{{"SKRIPTOTEKET_API_TOKEN", "a"}}, "SKRIPTOTEKET_API_TOKEN is not valid"},
        Case{{{"SKRIPTOTEKET_API_TOKEN", "has space in the middle of it"}},
             "SKRIPTOTEKET_API_TOKEN is not valid"},
        Case{{{"SKRIPTOTEKET_RUNNER_URL", "http://svc:hunter2@127.0.0.1:9"}},
             "SKRIPTOTEKET_RUNNER_URL must not hold credentials"}}) {
    testing::TempDir dir;
    ServiceProcess web;
    std::string error;
    EXPECT_FALSE(
        web.start(SKRIPTOTEKET_WEB_BIN, lone_web_env(dir, c.env), dir.path(), "web", error));
    EXPECT_NE(error.find(c.said), std::string::npos) << error;
    EXPECT_EQ(error.find("hunter2"), std::string::npos) << "the refusal does not repeat it";
  }
}

TEST(SkriptoteketE2EGuard, TokenAndAllowedHostsComeFromTheEnvironment) {
  testing::TempDir dir;
  ServiceProcess web;
  std::string error;
  const std::string token = "tok-5f1e2d9a-7c3b-4e8f";
  ASSERT_TRUE(web.start(SKRIPTOTEKET_WEB_BIN,
                        lone_web_env(dir, {{"LOG_LEVEL", "info"},
                                           {"SKRIPTOTEKET_API_TOKEN", token},
                                           {"SKRIPTOTEKET_ALLOWED_HOSTS", "skripto.example"}}),
                        dir.path(), "web", error))
      << error;
  e2e::Http http;
  auto none = http.call("GET", web.base_url() + "/tools");
  EXPECT_EQ(none.status, 401) << none.body;
  EXPECT_NE(none.body.find("\"error\":\"unauthorized\""), std::string::npos) << none.body;
  EXPECT_EQ(
      http.call("GET", web.base_url() + "/tools", "", {{"Authorization", "Bearer wrong"}}).status,
      401);
  EXPECT_EQ(http.call("GET", web.base_url() + "/tools", "", {{"Authorization", "Bearer " + token}})
                .status,
            200);
  auto created = http.call("POST", web.base_url() + "/tools", R"({"slug":"t","title":"T"})",
                           {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(http.call("GET", web.base_url() + "/healthz").status, 200);  // probes need none
  const std::string configured = e2e::raw_exchange(
      web.port(), "GET /tools HTTP/1.1\r\nHost: skripto.example\r\nAuthorization: Bearer " + token +
                      "\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(e2e::raw_status(configured), 200) << configured;
  EXPECT_EQ(web.stop(), 0);
  EXPECT_EQ(web.log_text().find(token), std::string::npos) << "the token was logged";
}

// Makes a tool `slug` with one bash version of `source` and asks for a run of it; the answer
// (a failed step shows as a failure of the test and an empty answer).
tracekit::http::ClientResponse run_new_tool(e2e::Http& http, const std::string& base,
                                            const std::string& slug, const std::string& source) {
  auto tool = http.call("POST", base + "/tools",
                        json::serialize(json::object{{"slug", slug}, {"title", slug}}));
  EXPECT_EQ(tool.status, 201) << tool.body;
  if (tool.status != 201) return {};
  const std::string tool_id(json::parse(tool.body).at("id").as_string());
  auto version = http.call("POST", base + "/tools/" + tool_id + "/versions",
                           json::serialize(json::object{{"language", "bash"}, {"source", source}}));
  EXPECT_EQ(version.status, 201) << version.body;
  if (version.status != 201) return {};
  const std::string version_id(json::parse(version.body).at("id").as_string());
  return http.call("POST", base + "/tools/" + tool_id + "/versions/" + version_id + "/run");
}

TEST(SkriptoteketE2ERunnerDown, ARunIsRecordedAsFailedAndAnswered502) {
  testing::TempDir dir;
  ServiceProcess web;
  std::string error;
  ASSERT_TRUE(web.start(SKRIPTOTEKET_WEB_BIN, lone_web_env(dir, {}), dir.path(), "web", error))
      << error;
  e2e::Http http;
  auto run = run_new_tool(http, web.base_url(), "down", "echo never");
  ASSERT_EQ(run.status, 502) << run.body;
  auto body = json::parse(run.body).as_object();
  EXPECT_EQ(body["error"].as_string(), "runner_unavailable");
  EXPECT_FALSE(body["detail"].as_string().empty());
  const std::string run_id(body["run"].at("id").as_string());
  auto stored = http.call("GET", web.base_url() + "/runs/" + run_id);
  ASSERT_EQ(stored.status, 200);
  EXPECT_EQ(json::parse(stored.body).at("status").as_string(), "failed");
  EXPECT_NE(json::parse(stored.body).at("error").as_string().find("runner"), std::string::npos);
  EXPECT_TRUE(
      std::filesystem::exists(dir.path() / "data" / "skriptoteket.db"));  // the default path
  EXPECT_EQ(web.stop(), 0) << web.log_text();
}

// A token file others may read (made by hand, copied under a loose umask) is narrowed to its
// owner when it is read, as the database is.
TEST(SkriptoteketE2EGuard, AReadableRunnerTokenFileIsNarrowedToItsOwner) {
  testing::TempDir dir;
  const auto token_file = dir.path() / "runner.token";
  std::ofstream(token_file) << "hand-made-token-0123456789\n";
  std::filesystem::permissions(
      token_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                      std::filesystem::perms::group_read | std::filesystem::perms::others_read);
  ServiceProcess runner;
  std::string error;
  ASSERT_TRUE(runner.start(SKRIPTOTEKET_RUNNER_BIN,
                           {{"SKRIPTOTEKET_RUNNER_PORT", "0"},
                            {"OTEL_TRACING_ENABLED", "false"},
                            {"SKRIPTOTEKET_RUNNER_SANDBOX", "none"},
                            {"SKRIPTOTEKET_DATA_DIR", (dir.path() / "data").string()},
                            {"SKRIPTOTEKET_RUNNER_TOKEN_FILE", token_file.string()}},
                           dir.path(), "runner", error))
      << error;
  const auto perms = std::filesystem::status(token_file).permissions();
  EXPECT_EQ(perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
            std::filesystem::perms::none);
  EXPECT_EQ(runner.stop(), 0);
}

// Something on the runner's port that answers 200 without an exit code (another program, a
// runner of another version): the run is failed with the reason, never recorded as succeeded.
TEST(SkriptoteketE2ERunnerDown, AnAnswerWithoutAnExitCodeIsNoSuccess) {
  tracekit::http::Server impostor;
  impostor.route("POST", "/execute",
                 [](tracekit::http::Request&) -> boost::asio::awaitable<tracekit::http::Response> {
                   co_return tracekit::http::Response::json(200, R"({"stdout":"looks fine"})");
                 });
  ASSERT_TRUE(impostor.start().ok());
  testing::TempDir dir;
  ServiceProcess web;
  std::string error;
  ASSERT_TRUE(
      web.start(SKRIPTOTEKET_WEB_BIN,
                lone_web_env(dir, {{"SKRIPTOTEKET_RUNNER_TOKEN", "impostor-token-0123456789"},
                                   {"SKRIPTOTEKET_RUNNER_URL", impostor.base_url()}}),
                dir.path(), "web", error))
      << error;
  e2e::Http http;
  auto run = run_new_tool(http, web.base_url(), "impostor", "echo hi");
  ASSERT_EQ(run.status, 502) << run.body;
  const std::string run_id(json::parse(run.body).at("run").at("id").as_string());
  auto stored = json::parse(http.call("GET", web.base_url() + "/runs/" + run_id).body);
  EXPECT_EQ(stored.at("status").as_string(), "failed");
  EXPECT_NE(stored.at("error").as_string().find("exit_code"), std::string::npos) << stored;
  EXPECT_EQ(web.stop(), 0) << web.log_text();
}

// Waits (bounded) for `done`; false if it never came.
template <class Pred>
bool eventually(Pred done, std::chrono::seconds deadline = std::chrono::seconds(30)) {
  const auto give_up = std::chrono::steady_clock::now() + deadline;
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return true;
}

std::string id_of(const tracekit::http::ClientResponse& r) {
  std::error_code ec;
  auto v = json::parse(r.body, ec);
  if (ec || !v.is_object() || !v.as_object().contains("id")) return {};
  return std::string(v.as_object().at("id").as_string());
}

// The review's first denial of service: slow runs took every worker, and /healthz and every read
// waited behind them. Runs now have slots of their own (half the workers by default); a run
// request beyond them is refused at once with 503 and Retry-After, and the other workers keep
// answering. The scripts wait for a file the test writes, so the runs stay in flight exactly as
// long as the test needs them to (the runner runs them unsandboxed for that: they must see the
// test's directory).
TEST(SkriptoteketE2ERunSlots, HealthMetricsAndReadsAreServedWhileEveryRunSlotIsTaken) {
  testing::TempDir dir;
  const auto started_dir = dir.path() / "started";
  const auto release = dir.path() / "release";
  std::filesystem::create_directories(started_dir);
  // Whatever happens, the scripts end: nothing outlives the test.
  struct Release {
    std::filesystem::path file;
    ~Release() { std::ofstream(file) << "go\n"; }
  } release_at_end{release};
  ServiceProcess runner, web;
  std::string error;
  const std::string token_file = (dir.path() / "runner.token").string();
  ASSERT_TRUE(runner.start(SKRIPTOTEKET_RUNNER_BIN,
                           {{"SKRIPTOTEKET_RUNNER_PORT", "0"},
                            {"OTEL_TRACING_ENABLED", "false"},
                            {"SKRIPTOTEKET_RUNNER_SANDBOX", "none"},
                            {"SKRIPTOTEKET_DATA_DIR", (dir.path() / "data").string()},
                            {"SKRIPTOTEKET_RUNNER_TOKEN_FILE", token_file}},
                           dir.path(), "runner", error))
      << error;
  // Four workers: by default two run slots, and two workers for everything else.
  ASSERT_TRUE(web.start(SKRIPTOTEKET_WEB_BIN,
                        {{"SKRIPTOTEKET_WEB_PORT", "0"},
                         {"OTEL_TRACING_ENABLED", "false"},
                         {"SKRIPTOTEKET_WORKERS", "4"},
                         {"SKRIPTOTEKET_MAX_CONCURRENT_RUNS", ""},
                         {"SKRIPTOTEKET_DATA_DIR", (dir.path() / "data").string()},
                         {"SKRIPTOTEKET_RUNNER_URL", runner.base_url()},
                         {"SKRIPTOTEKET_RUNNER_TOKEN_FILE", token_file}},
                        dir.path(), "web", error))
      << error;
  e2e::Http http;
  const std::string base = web.base_url();
  const std::string tool =
      id_of(http.call("POST", base + "/tools", R"({"slug":"slow","title":"Slow"})"));
  ASSERT_FALSE(tool.empty());
  const std::string script = "touch '" + started_dir.string() + "/'$$\nwhile [ ! -e '" +
                             release.string() + "' ]; do sleep 0.05; done\necho released\n";
  const std::string version =
      id_of(http.call("POST", base + "/tools/" + tool + "/versions",
                      json::serialize(json::object{{"language", "bash"}, {"source", script}})));
  ASSERT_FALSE(version.empty());
  const std::string run_url = base + "/tools/" + tool + "/versions/" + version + "/run";

  // A run request whose body trickles in holds no run slot meanwhile (the server reads a body
  // only when asked; the slot is taken after it is in).
  {
    const std::string path = run_url.substr(base.size());
    e2e::StalledRequest stalled(
        web.port(), "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(web.port()) +
                        "\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{\"ti");
    ASSERT_TRUE(stalled.sent());
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto metrics = http.call("GET", base + "/metrics");
    EXPECT_NE(metrics.body.find("\nskriptoteket_runs_in_flight 0\n"), std::string::npos)
        << metrics.body;
  }

  // As many run requests as there are workers, at once.
  constexpr int kRuns = 4;
  std::mutex mutex;
  std::vector<tracekit::http::ClientResponse> answers;  // in the order they came
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kRuns; ++i) {
    clients.emplace_back([&] {
      e2e::Http own;
      auto answer = own.call("POST", run_url, R"({"time_limit_ms":60000})");
      std::lock_guard lock(mutex);
      answers.push_back(std::move(answer));
      ++answered;
    });
  }
  struct Join {
    std::vector<std::thread>& threads;
    std::filesystem::path release;
    ~Join() {
      std::ofstream(release) << "go\n";
      for (auto& t : threads)
        if (t.joinable()) t.join();
    }
  } join{clients, release};
  auto started = [&] {
    return std::distance(std::filesystem::directory_iterator(started_dir),
                         std::filesystem::directory_iterator{});
  };
  // Two runs execute; the other two were refused without waiting for them.
  ASSERT_TRUE(eventually([&] { return started() == 2 && answered.load() == 2; }))
      << started() << " scripts started, " << answered.load() << " requests answered";
  {
    std::lock_guard lock(mutex);
    ASSERT_EQ(answers.size(), 2u);
    for (const auto& a : answers) {
      EXPECT_EQ(a.status, 503) << a.body;
      EXPECT_EQ(a.header("Retry-After").value_or(""), "1");
      std::error_code ec;
      auto body = json::parse(a.body, ec);
      ASSERT_FALSE(ec) << a.body;
      EXPECT_EQ(body.at("error").as_string(), "too_many_runs");
      EXPECT_NE(std::string(body.at("detail").as_string()).find("SKRIPTOTEKET_MAX_CONCURRENT_RUNS"),
                std::string::npos);
    }
  }

  // Meanwhile everything else is answered: probes, metrics and reads.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(http.call("GET", base + "/healthz").status, 200);
    EXPECT_EQ(http.call("GET", base + "/tools").status, 200);
    EXPECT_EQ(http.call("GET", base + "/tools/" + tool).status, 200);
    EXPECT_EQ(http.call("GET", base + "/tools/" + tool + "/versions/" + version).status, 200);
  }
  EXPECT_EQ(http.call("POST", base + "/tools", R"({"slug":"meanwhile","title":"M"})").status, 201);
  auto metrics = http.call("GET", base + "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("\nskriptoteket_runs_in_flight 2\n"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("\nskriptoteket_runs_in_flight_limit 2\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("\nskriptoteket_runs_refused_total 2\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("skriptoteket_http_requests_total{method=\"POST\",route=\"/tools/"
                              "{id}/versions/{version_id}/run\",status=\"503\"} 2"),
            std::string::npos);

  // Released, the two runs finish normally, and their slots are free again.
  std::ofstream(release) << "go\n";
  ASSERT_TRUE(eventually([&] { return answered.load() == kRuns; }));
  int succeeded = 0;
  std::lock_guard lock(mutex);
  for (const auto& a : answers) {
    if (a.status != 201) continue;
    ++succeeded;
    auto run = json::parse(a.body).as_object();
    EXPECT_EQ(run["status"].as_string(), "succeeded") << a.body;
    EXPECT_EQ(run["stdout"].as_string(), "released\n");
  }
  EXPECT_EQ(succeeded, 2);
  auto again = http.call("POST", run_url, "{}");
  EXPECT_EQ(again.status, 201) << again.body;
  metrics = http.call("GET", base + "/metrics");
  EXPECT_NE(metrics.body.find("\nskriptoteket_runs_in_flight 0\n"), std::string::npos)
      << metrics.body;
  EXPECT_EQ(web.stop(), 0) << web.log_text();
  EXPECT_EQ(runner.stop(), 0) << runner.log_text();
}

// Run slots must leave a worker to everything else.
TEST(SkriptoteketE2EConfig, RunSlotsMustBeFewerThanTheWorkers) {
  testing::TempDir dir;
  ServiceProcess web;
  std::string error;
  EXPECT_FALSE(web.start(SKRIPTOTEKET_WEB_BIN,
                         {{"SKRIPTOTEKET_WEB_PORT", "0"},
                          {"SKRIPTOTEKET_WORKERS", "4"},
                          {"SKRIPTOTEKET_MAX_CONCURRENT_RUNS", "4"},
                          {"SKRIPTOTEKET_DATA_DIR", (dir.path() / "data").string()}},
                         dir.path(), "web", error));
  EXPECT_NE(error.find("SKRIPTOTEKET_MAX_CONCURRENT_RUNS=\"4\""), std::string::npos) << error;
  EXPECT_NE(error.find("SKRIPTOTEKET_WORKERS=4"), std::string::npos) << error;
}

// The review's second denial of service: a flood of versions (or tools, or runs) filled the disk.
// Each kind of row now has a limit: tools and versions are refused past theirs with 409
// limit_reached naming it; the oldest finished runs are deleted past theirs. GET /tools answers
// in pages.
TEST(SkriptoteketE2ELimits, StorageLimitsHoldAndToolsComeInPages) {
  testing::TempDir dir;
  ServiceProcess web;
  std::string error;
  // No runner: each run is recorded as failed (502), which is all the run limit needs.
  ASSERT_TRUE(web.start(SKRIPTOTEKET_WEB_BIN,
                        lone_web_env(dir, {{"SKRIPTOTEKET_MAX_TOOLS", "3"},
                                           {"SKRIPTOTEKET_MAX_VERSIONS_PER_TOOL", "2"},
                                           {"SKRIPTOTEKET_MAX_STORED_RUNS", "2"}}),
                        dir.path(), "web", error))
      << error;
  e2e::Http http;
  const std::string base = web.base_url();
  auto expect_limit = [](const tracekit::http::ClientResponse& r, const std::string& variable) {
    EXPECT_EQ(r.status, 409) << r.body;
    std::error_code ec;
    auto v = json::parse(r.body, ec);
    ASSERT_FALSE(ec) << r.body;
    EXPECT_EQ(v.at("error").as_string(), "limit_reached") << r.body;
    EXPECT_NE(std::string(v.at("detail").as_string()).find(variable), std::string::npos) << r.body;
  };
  std::vector<std::string> tools;
  for (const char* slug : {"one", "two", "three"}) {
    tools.push_back(id_of(http.call("POST", base + "/tools",
                                    std::string(R"({"slug":")") + slug + R"(","title":"T"})")));
    ASSERT_FALSE(tools.back().empty());
    // Below the limit, a taken slug is a conflict as before.
    if (tools.size() == 1) {
      auto taken = http.call("POST", base + "/tools", R"({"slug":"one","title":"T"})");
      EXPECT_EQ(taken.status, 409);
      EXPECT_NE(taken.body.find("\"error\":\"conflict\""), std::string::npos) << taken.body;
    }
  }
  expect_limit(http.call("POST", base + "/tools", R"({"slug":"four","title":"T"})"),
               "SKRIPTOTEKET_MAX_TOOLS");

  const std::string versions_url = base + "/tools/" + tools[0] + "/versions";
  const std::string source = R"({"language":"bash","source":"echo hi"})";
  const std::string version = id_of(http.call("POST", versions_url, source));
  ASSERT_FALSE(version.empty());
  EXPECT_EQ(http.call("POST", versions_url, source).status, 201);
  expect_limit(http.call("POST", versions_url, source), "SKRIPTOTEKET_MAX_VERSIONS_PER_TOOL");
  EXPECT_EQ(http.call("POST", base + "/tools/" + tools[1] + "/versions", source).status, 201);

  const std::string run_url = versions_url + "/" + version + "/run";
  std::vector<std::string> runs;
  for (int i = 0; i < 3; ++i) {
    auto r = http.call("POST", run_url);
    ASSERT_EQ(r.status, 502) << r.body;
    runs.emplace_back(json::parse(r.body).at("run").at("id").as_string());
  }
  EXPECT_EQ(http.call("GET", base + "/runs/" + runs[0]).status, 404);  // the oldest went
  EXPECT_EQ(http.call("GET", base + "/runs/" + runs[1]).status, 200);
  EXPECT_EQ(http.call("GET", base + "/runs/" + runs[2]).status, 200);

  auto metrics = http.call("GET", base + "/metrics").body;
  EXPECT_NE(metrics.find("skriptoteket_storage_limit_refusals_total{limit=\"tools\"} 1\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(
      metrics.find("skriptoteket_storage_limit_refusals_total{limit=\"versions_per_tool\"} 1\n"),
      std::string::npos);
  EXPECT_NE(metrics.find("\nskriptoteket_runs_pruned_total 1\n"), std::string::npos);

  // Pages: limit and cursor; the last page has next_cursor null; without them, the first 100.
  auto first = json::parse(http.call("GET", base + "/tools?limit=2").body).as_object();
  ASSERT_EQ(first["tools"].as_array().size(), 2u);
  EXPECT_EQ(first["tools"].as_array()[0].at("slug").as_string(), "one");
  ASSERT_TRUE(first["next_cursor"].is_string());
  auto second = json::parse(http.call("GET", base + "/tools?limit=2&cursor=" +
                                                 std::string(first["next_cursor"].as_string()))
                                .body)
                    .as_object();
  ASSERT_EQ(second["tools"].as_array().size(), 1u);
  EXPECT_EQ(second["tools"].as_array()[0].at("slug").as_string(), "three");
  EXPECT_TRUE(second["next_cursor"].is_null());
  auto all = json::parse(http.call("GET", base + "/tools").body).as_object();
  EXPECT_EQ(all["tools"].as_array().size(), 3u);
  EXPECT_TRUE(all["next_cursor"].is_null());
  for (const char* bad : {"/tools?limit=0", "/tools?limit=501", "/tools?limit=x",
                          "/tools?cursor=abc", "/tools?cursor=-1"}) {
    auto r = http.call("GET", base + bad);
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
    EXPECT_NE(r.body.find("\"error\":\"invalid_query\""), std::string::npos) << r.body;
  }
  EXPECT_EQ(web.stop(), 0) << web.log_text();
}

// With no limits configured, the review's version flood stops at the default limit (50).
TEST_F(SkriptoteketE2E, TheDefaultVersionLimitStopsAVersionFlood) {
  const std::string tool = create_tool("version-flood");
  const std::string body = json::serialize(
      json::object{{"language", "bash"}, {"source", "#" + std::string(4000, 'x') + "\n"}});
  int created = 0;
  tracekit::http::ClientResponse last;
  for (int i = 0; i < 60; ++i) {
    last = http_.call("POST", url("/tools/" + tool + "/versions"), body);
    if (last.status != 201) break;
    ++created;
  }
  EXPECT_EQ(created, 50);
  expect_error(last, 409, "limit_reached");
}

// A bad setting stops the process at start with a message naming it.
TEST(SkriptoteketE2EConfig, AnInvalidSettingIsAClearErrorAtStart) {
  testing::TempDir dir;
  ServiceProcess web;
  std::string error;
  EXPECT_FALSE(web.start(SKRIPTOTEKET_WEB_BIN,
                         {{"SKRIPTOTEKET_WEB_PORT", "eighty"},
                          {"SKRIPTOTEKET_DATA_DIR", (dir.path() / "data").string()}},
                         dir.path(), "web", error));
  EXPECT_NE(error.find("SKRIPTOTEKET_WEB_PORT=\"eighty\""), std::string::npos) << error;
}

}  // namespace
}  // namespace skriptoteket
