// SPDX-License-Identifier: Apache-2.0
// configure_tracing() and shutdown_tracing() change process-wide state (the global tracer
// provider and propagator); the tests here run in order and each sets what it needs.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "support/core_test_support.h"
#include "tracekit/tracekit.h"
#include "tracekit/version.h"

namespace tracekit {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using testing::TempFile;

Config console_config(const TempFile& file) {
  Config c;
  c.enabled = true;
  c.service_name = "skriptoteket-test";
  c.service_version = "2.3.4";
  c.environment = "ci";
  c.exporters = {ExporterKind::kConsole};
  c.console_path = file.path();
  c.batch.schedule_delay = 1h;  // only shutdown exports
  return c;
}

// Every span in every line of an OTLP/JSON file, with the resource it came with.
struct ExportedSpan {
  std::string name;
  json::object span;
  json::object resource;
  std::string scope;
};

std::vector<ExportedSpan> read_spans(const TempFile& file) {
  std::vector<ExportedSpan> out;
  for (const auto& line : file.lines()) {
    boost::system::error_code ec;
    json::value request = json::parse(line, ec);
    EXPECT_FALSE(ec) << line;
    if (ec) continue;
    for (const auto& rs : request.at("resourceSpans").as_array()) {
      for (const auto& ss : rs.at("scopeSpans").as_array()) {
        for (const auto& span : ss.at("spans").as_array()) {
          out.push_back({std::string(span.at("name").as_string()), span.as_object(),
                         rs.at("resource").as_object(),
                         std::string(ss.at("scope").at("name").as_string())});
        }
      }
    }
  }
  return out;
}

std::string string_attribute(const json::object& holder, std::string_view key) {
  for (const auto& kv : holder.at("attributes").as_array()) {
    if (kv.at("key").as_string() == key) {
      return std::string(kv.at("value").at("stringValue").as_string());
    }
  }
  return "<missing>";
}

TEST(Setup, ConsoleExporterGetsSpansWithTheSeedResource) {
  TempFile file;
  Config config = console_config(file);
  config.resource_attributes = OwnedAttributes{{"team", "core"}, {"service.name", "overridden"}};
  auto configured = configure_tracing(config);
  ASSERT_TRUE(configured.ok()) << configured.error().message;
  ASSERT_NE(global_tracer_provider(), nullptr);

  Tracer& tracer = get_tracer("setup.test", "9.9");
  EXPECT_TRUE(tracer.enabled());
  {
    auto request =
        tracer.start_as_current_span("POST /tools/{id}/run", {.kind = SpanKind::kServer});
    auto inner = tracer.start_as_current_span("execute_tool_version");
  }
  EXPECT_TRUE(shutdown_tracing(20s));
  EXPECT_FALSE(tracer.enabled()) << "after shutdown, spans do not record";
  EXPECT_FALSE(tracer.start_span("after-shutdown").is_recording());

  auto spans = read_spans(file);
  ASSERT_EQ(spans.size(), 2u);
  for (const auto& s : spans) {
    EXPECT_EQ(s.scope, "setup.test");
    EXPECT_EQ(string_attribute(s.resource, "service.name"), "skriptoteket-test");
    EXPECT_EQ(string_attribute(s.resource, "service.version"), "2.3.4");
    EXPECT_EQ(string_attribute(s.resource, "deployment.environment"), "ci");
    EXPECT_EQ(string_attribute(s.resource, "telemetry.sdk.name"), "tracekit");
    EXPECT_EQ(string_attribute(s.resource, "telemetry.sdk.language"), "cpp");
    EXPECT_EQ(string_attribute(s.resource, "telemetry.sdk.version"), kVersion);
    EXPECT_EQ(string_attribute(s.resource, "team"), "core");
  }
  const auto& inner = spans[0].name == "execute_tool_version" ? spans[0] : spans[1];
  const auto& outer = spans[0].name == "execute_tool_version" ? spans[1] : spans[0];
  EXPECT_EQ(outer.name, "POST /tools/{id}/run");
  EXPECT_EQ(inner.span.at("parentSpanId"), outer.span.at("spanId"));
}

TEST(Setup, FromTheEnvironmentThroughAGetter) {
  TempFile file;
  auto config = Config::from_env(testing::map_getter({
      {"OTEL_TRACING_ENABLED", "true"},
      {"OTEL_TRACES_EXPORTER", "console"},
      {"TRACEKIT_CONSOLE_PATH", file.path()},
      {"OTEL_SERVICE_NAME", "from-env"},
      {"OTEL_RESOURCE_ATTRIBUTES", "region=eu"},
      {"OTEL_TRACES_SAMPLER", "always_on"},
  }));
  ASSERT_TRUE(config.ok()) << config.error().message;
  ASSERT_TRUE(configure_tracing(*config).ok());
  { get_tracer("env.test").start_span("from-env-span"); }
  EXPECT_TRUE(shutdown_tracing(20s));
  auto spans = read_spans(file);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(string_attribute(spans[0].resource, "service.name"), "from-env");
  EXPECT_EQ(string_attribute(spans[0].resource, "region"), "eu");
}

TEST(Setup, DisabledMeansNoOpTracersThatStillPassTheContextOn) {
  TempFile file;
  Config config = console_config(file);
  config.enabled = false;
  ASSERT_TRUE(configure_tracing(config).ok());
  EXPECT_EQ(global_tracer_provider(), nullptr);
  Tracer& tracer = get_tracer("disabled.test");
  EXPECT_FALSE(tracer.enabled());
  const SpanContext parent = testing::remote_context(true);
  Span s = tracer.start_span("nothing", {.parent = parent});
  EXPECT_FALSE(s.is_recording());
  EXPECT_EQ(s.context(), parent);
  s.end();
  EXPECT_TRUE(shutdown_tracing(1s)) << "nothing to shut down";
  EXPECT_TRUE(file.contents().empty());
}

TEST(Setup, ExporterNoneRecordsButExportsNothing) {
  Config config;
  config.enabled = true;
  config.exporters = {};
  ASSERT_TRUE(configure_tracing(config).ok());
  Span s = get_tracer("none.test").start_span("recorded");
  EXPECT_TRUE(s.is_recording());
  s.end();
  auto provider = global_tracer_provider();
  ASSERT_NE(provider, nullptr);
  EXPECT_EQ(provider->stats().spans_ended, 1u);
  EXPECT_EQ(provider->stats().spans_exported, 0u);
  EXPECT_TRUE(shutdown_tracing(1s));
}

TEST(Setup, InvalidConfigIsAnErrorAndChangesNothing) {
  TempFile file;
  ASSERT_TRUE(configure_tracing(console_config(file)).ok());
  const auto before = global_tracer_provider();
  ASSERT_NE(before, nullptr);

  // Sampler and propagator names are checked by Config::from_env (config_test); a Config holds
  // them as values, so only the outside world can make configure_tracing fail.
  Config bad_path = console_config(file);
  bad_path.console_path = file.dir() + "/missing/dir/spans.jsonl";
  auto r = configure_tracing(bad_path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("TRACEKIT_CONSOLE_PATH"), std::string::npos)
      << r.error().message;

  EXPECT_EQ(global_tracer_provider(), before) << "a failed configuration must change nothing";
  { get_tracer("still.working").start_span("kept"); }
  EXPECT_TRUE(shutdown_tracing(20s));
  auto spans = read_spans(file);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].name, "kept");
}

TEST(Setup, ReconfiguringReplacesTheProvider) {
  TempFile first, second;
  ASSERT_TRUE(configure_tracing(console_config(first)).ok());
  const auto first_provider = global_tracer_provider();
  Tracer& tracer = get_tracer("reconfigure.test");
  { tracer.start_span("to-first"); }
  ASSERT_TRUE(configure_tracing(console_config(second)).ok());
  EXPECT_NE(global_tracer_provider(), first_provider);
  { tracer.start_span("to-second"); }
  EXPECT_TRUE(shutdown_tracing(20s));
  auto second_spans = read_spans(second);
  ASSERT_EQ(second_spans.size(), 1u);
  EXPECT_EQ(second_spans[0].name, "to-second");
  // The replaced provider is retired, not shut down: what it still holds is exported only when
  // someone flushes it.
  EXPECT_TRUE(first_provider->shutdown(20s));
  auto first_spans = read_spans(first);
  ASSERT_EQ(first_spans.size(), 1u);
  EXPECT_EQ(first_spans[0].name, "to-first");
}

TEST(Setup, ShutdownWithoutConfigurationIsHarmless) {
  set_global_tracer_provider(nullptr);
  EXPECT_TRUE(shutdown_tracing(1s));
  EXPECT_FALSE(get_tracer("x").start_span("y").is_recording());
}

}  // namespace
}  // namespace tracekit
