// SPDX-License-Identifier: Apache-2.0
// The JSON logger: format, escaping, levels, trace and correlation fields, sinks.
#include <cstdlib>
#include <fstream>

#include "http_test_support.h"

namespace tracekit::log {
namespace {

using http::testing::LogCapture;
using http::testing::str;

TEST(Logger, WritesOneJsonObjectPerLine) {
  LogCapture logs;
  Logger("skriptoteket.web")
      .info("tool.executed", {{"tool_id", "t-1"},
                              {"duration_ms", 12.5},
                              {"ok", true},
                              {"count", 3},
                              {"big", uint64_t{18446744073709551615u}},
                              {"nothing", nullptr}});
  auto raw = logs.sink().lines();
  ASSERT_EQ(raw.size(), 1u);
  EXPECT_EQ(raw[0].find('\n'), std::string::npos);
  auto o = logs.lines()[0];
  EXPECT_EQ(str(o, "level"), "info");
  EXPECT_EQ(str(o, "event"), "tool.executed");
  EXPECT_EQ(str(o, "logger"), "skriptoteket.web");
  EXPECT_EQ(str(o, "tool_id"), "t-1");
  EXPECT_DOUBLE_EQ(o.at("duration_ms").as_double(), 12.5);
  EXPECT_TRUE(o.at("ok").as_bool());
  EXPECT_EQ(o.at("count").as_int64(), 3);
  EXPECT_EQ(o.at("big").as_uint64(), 18446744073709551615u);
  EXPECT_TRUE(o.at("nothing").is_null());
  EXPECT_FALSE(o.contains("trace_id"));
  EXPECT_FALSE(o.contains("correlation_id"));
  // RFC 3339 UTC with milliseconds: 2026-11-25T09:30:00.123Z
  const std::string ts = str(o, "timestamp");
  ASSERT_EQ(ts.size(), 24u) << ts;
  EXPECT_EQ(ts[4], '-');
  EXPECT_EQ(ts[10], 'T');
  EXPECT_EQ(ts[19], '.');
  EXPECT_EQ(ts[23], 'Z');
}

TEST(Logger, EscapesEverythingIntoValidJson) {
  LogCapture logs;
  const std::string nasty =
      std::string("q\"b\\s/n\nr\rt\tc\x01") + "\xff\xc3\x28" + "é€😀" + std::string(1, '\0') + "end";
  Logger("x\"y").warn("ev\n", {{"k\"ey", nasty}, {"nan", std::nan("")}});
  auto o = logs.lines()[0];
  EXPECT_EQ(str(o, "logger"), "x\"y");
  EXPECT_EQ(str(o, "event"), "ev\n");
  EXPECT_EQ(str(o, "k\"ey"), std::string("q\"b\\s/n\nr\rt\tc\x01") + "\xEF\xBF\xBD\xEF\xBF\xBD(" +
                                 "é€😀" + std::string(1, '\0') + "end");
  EXPECT_TRUE(o.at("nan").is_null());
}

TEST(Logger, ReservedKeysCannotBeOverwritten) {
  LogCapture logs;
  Logger("l").info("real", {{"event", "fake"}, {"trace_id", "fake"}});
  auto o = logs.lines()[0];
  EXPECT_EQ(str(o, "event"), "real");
  EXPECT_EQ(str(o, "field.event"), "fake");
  EXPECT_EQ(str(o, "field.trace_id"), "fake");
  EXPECT_FALSE(o.contains("trace_id"));
}

TEST(Logger, LevelsFilter) {
  LogCapture logs;
  set_level(Level::kWarn);
  Logger l("l");
  l.debug("d");
  l.info("i");
  l.warn("w");
  l.error("e");
  set_level(Level::kInfo);
  auto lines = logs.lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(str(lines[0], "level"), "warn");
  EXPECT_EQ(str(lines[1], "level"), "error");
  EXPECT_EQ(*parse_level("WARNING"), Level::kWarn);
  EXPECT_FALSE(parse_level("verbose").ok());
  ::setenv("LOG_LEVEL", "loud", 1);
  auto r = configure_from_env();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("LOG_LEVEL"), std::string::npos);
  EXPECT_NE(r.error().message.find("loud"), std::string::npos);
  ::setenv("LOG_LEVEL", "debug", 1);
  EXPECT_TRUE(configure_from_env().ok());
  EXPECT_EQ(level(), Level::kDebug);
  ::unsetenv("LOG_LEVEL");
  set_level(Level::kInfo);
}

TEST(Logger, AddsTraceIdsAndCorrelationId) {
  http::testing::span_store();
  LogCapture logs;
  {
    auto span = get_tracer("log_test").start_as_current_span("op");
    const std::string corr = "c-123";
    CorrelationScope scope(corr);
    Logger("l").info("inside");
    EXPECT_EQ(current_correlation_id(), "c-123");
    auto o = logs.lines()[0];
    EXPECT_EQ(str(o, "trace_id"), span.context().trace_id().to_hex());
    EXPECT_EQ(str(o, "span_id"), span.context().span_id().to_hex());
    EXPECT_EQ(str(o, "correlation_id"), "c-123");
  }
  Logger("l").info("outside");
  auto o = logs.lines()[1];
  EXPECT_FALSE(o.contains("trace_id"));
  EXPECT_FALSE(o.contains("correlation_id"));
  EXPECT_TRUE(current_correlation_id().empty());
}

TEST(Logger, LiveCorrelationScopeSeesChanges) {
  std::string id = "first";
  CorrelationScope scope(&id);
  EXPECT_EQ(current_correlation_id(), "first");
  id = "a-much-longer-correlation-id-that-reallocates";
  EXPECT_EQ(current_correlation_id(), id);
}

TEST(Logger, FileSinkAppendsLinesAndReportsBadPaths) {
  const std::string path = ::testing::TempDir() + "tracekit_log_test_" + std::to_string(::getpid());
  {
    auto sink = file_sink(path);
    ASSERT_TRUE(sink.ok()) << sink.error().message;
    set_sink(*sink);
    Logger("f").info("one");
    Logger("f").error("two");
    (*sink)->flush();
    set_sink(nullptr);
  }
  std::ifstream in(path);
  std::string l1, l2;
  ASSERT_TRUE(std::getline(in, l1));
  ASSERT_TRUE(std::getline(in, l2));
  EXPECT_NE(l1.find("\"event\":\"one\""), std::string::npos);
  EXPECT_NE(l2.find("\"event\":\"two\""), std::string::npos);
  // A path below a regular file cannot be created (spdlog makes missing directories).
  auto bad = file_sink(path + "/under-a-file.log");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find(path + "/under-a-file.log"), std::string::npos);
  std::remove(path.c_str());
}

TEST(Logger, ManyThreadsNeverInterleaveLines) {
  LogCapture logs;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      Logger l("t" + std::to_string(t));
      for (int i = 0; i < 500; ++i)
        l.info("line", {{"i", i}, {"pad", std::string(100, 'p')}});
    });
  }
  for (auto& th : threads)
    th.join();
  auto lines = logs.lines();  // parses every line
  EXPECT_EQ(lines.size(), 2000u);
}

}  // namespace
}  // namespace tracekit::log
