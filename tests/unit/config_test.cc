// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "support/core_test_support.h"
#include "tracekit/config.h"
#include "tracekit/config_variables.h"

namespace tracekit {
namespace {

using namespace std::chrono_literals;
using Vars = std::map<std::string, std::string>;

Result<Config> parse(Vars vars, const ConfigOptions& options = {}) {
  return Config::from_env(testing::map_getter(std::move(vars)), options);
}

Config parse_ok(Vars vars, const ConfigOptions& options = {}) {
  auto c = parse(vars, options);
  EXPECT_TRUE(c.ok()) << c.error().message;
  return c.ok() ? std::move(*c) : Config{};
}

// The error for one variable set to one value; the message must name both.
std::string error_for(const std::string& name, const std::string& value, Vars others = {}) {
  others[name] = value;
  auto c = parse(others);
  EXPECT_FALSE(c.ok()) << name << "=" << value << " was accepted";
  if (c.ok()) return {};
  const std::string& message = c.error().message;
  EXPECT_NE(message.find(name), std::string::npos) << message;
  EXPECT_NE(message.find(value), std::string::npos) << message;
  return message;
}

TEST(Config, Defaults) {
  Config c = parse_ok({});
  EXPECT_FALSE(c.enabled);
  // The OpenTelemetry specification's default, not the reference service's name.
  EXPECT_EQ(c.service_name, "unknown_service:config_test");
  EXPECT_EQ(c.service_version, "");
  EXPECT_EQ(c.environment, "");
  EXPECT_TRUE(c.resource_attributes.empty());
  EXPECT_EQ(c.sampler, (samplers::Choice{samplers::Kind::kParentBasedAlwaysOn, 1.0}));
  EXPECT_EQ(c.propagators, (std::vector<propagation::Kind>{propagation::Kind::kTraceContext,
                                                           propagation::Kind::kBaggage}));
  EXPECT_EQ(c.exporters, (std::vector<ExporterKind>{ExporterKind::kOtlp}));
  EXPECT_TRUE(c.warnings.empty());
  EXPECT_EQ(c.console_path, "");
  EXPECT_EQ(c.batch.max_queue_size, 8192u);
  EXPECT_EQ(c.batch.max_export_batch_size, 2048u);
  EXPECT_EQ(c.batch.schedule_delay, 5000ms);
  EXPECT_EQ(c.batch.export_timeout, 30000ms);
  EXPECT_EQ(c.limits.attribute_count, 128u);
  EXPECT_EQ(c.limits.attribute_value_length, SpanLimits::kUnlimited);
  EXPECT_EQ(c.limits.event_count, 128u);
  EXPECT_EQ(c.limits.link_count, 128u);
  EXPECT_EQ(c.limits.attributes_per_event, 128u);
  EXPECT_EQ(c.limits.attributes_per_link, 128u);
  EXPECT_EQ(c.otlp.protocol, OtlpProtocol::kGrpc);
  EXPECT_EQ(c.otlp.endpoint, "http://localhost:4317");
  EXPECT_TRUE(c.otlp.headers.empty());
  EXPECT_EQ(c.otlp.timeout, 10000ms);
  EXPECT_FALSE(c.otlp.gzip);
  EXPECT_TRUE(c.otlp.insecure) << "the default endpoint is http://";
  EXPECT_EQ(c.otlp.certificate_file, "");
}

TEST(Config, EveryVariableIsRead) {
  testing::TempFile ca;
  { std::ofstream(ca.path()) << "pem"; }
  Config c = parse_ok({
      {"OTEL_TRACING_ENABLED", "true"},
      {"OTEL_SERVICE_NAME", "runner"},
      {"OTEL_RESOURCE_ATTRIBUTES", "team=core,region=eu%20north"},
      {"OTEL_TRACES_SAMPLER", "parentbased_traceidratio"},
      {"OTEL_TRACES_SAMPLER_ARG", "0.25"},
      {"OTEL_PROPAGATORS", "tracecontext"},
      {"OTEL_TRACES_EXPORTER", "console,otlp"},
      {"TRACEKIT_CONSOLE_PATH", "/tmp/spans.jsonl"},
      {"OTEL_BSP_MAX_QUEUE_SIZE", "4096"},
      {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "256"},
      {"OTEL_BSP_SCHEDULE_DELAY", "250"},
      {"OTEL_BSP_EXPORT_TIMEOUT", "7000"},
      {"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "64"},
      {"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "1024"},
      {"OTEL_SPAN_EVENT_COUNT_LIMIT", "16"},
      {"OTEL_SPAN_LINK_COUNT_LIMIT", "8"},
      {"OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "4"},
      {"OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", "2"},
      {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"},
      {"OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector.example:4318"},
      {"OTEL_EXPORTER_OTLP_HEADERS", "api-key=s%3Dcret,X-Tenant = acme "},
      {"OTEL_EXPORTER_OTLP_TIMEOUT", "2500"},
      {"OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"},
      {"OTEL_EXPORTER_OTLP_CERTIFICATE", ca.path()},
  });
  EXPECT_TRUE(c.enabled);
  EXPECT_EQ(c.service_name, "runner");
  EXPECT_EQ(c.resource_attributes.get("team")->as_string(), "core");
  EXPECT_EQ(c.resource_attributes.get("region")->as_string(), "eu north");
  EXPECT_EQ(c.sampler, (samplers::Choice{samplers::Kind::kParentBasedTraceIdRatio, 0.25}));
  EXPECT_EQ(c.propagators, (std::vector<propagation::Kind>{propagation::Kind::kTraceContext}));
  EXPECT_EQ(c.exporters, (std::vector<ExporterKind>{ExporterKind::kConsole, ExporterKind::kOtlp}));
  EXPECT_EQ(c.console_path, "/tmp/spans.jsonl");
  EXPECT_EQ(c.batch.max_queue_size, 4096u);
  EXPECT_EQ(c.batch.max_export_batch_size, 256u);
  EXPECT_EQ(c.batch.schedule_delay, 250ms);
  EXPECT_EQ(c.batch.export_timeout, 7000ms);
  EXPECT_EQ(c.limits.attribute_count, 64u);
  EXPECT_EQ(c.limits.attribute_value_length, 1024u);
  EXPECT_EQ(c.limits.event_count, 16u);
  EXPECT_EQ(c.limits.link_count, 8u);
  EXPECT_EQ(c.limits.attributes_per_event, 4u);
  EXPECT_EQ(c.limits.attributes_per_link, 2u);
  EXPECT_EQ(c.otlp.protocol, OtlpProtocol::kHttpJson);
  EXPECT_EQ(c.otlp.endpoint, "https://collector.example:4318/v1/traces");
  using Header = std::pair<std::string, std::string>;
  EXPECT_EQ(c.otlp.headers, (std::vector<Header>{{"api-key", "s=cret"}, {"x-tenant", "acme"}}));
  EXPECT_EQ(c.otlp.timeout, 2500ms);
  EXPECT_TRUE(c.otlp.gzip);
  EXPECT_FALSE(c.otlp.insecure) << "https:// means TLS";
  EXPECT_EQ(c.otlp.certificate_file, ca.path());
  EXPECT_EQ(to_string(c.otlp.protocol), "http/json");
}

TEST(Config, BooleansInEveryAcceptedSpelling) {
  for (const char* yes : {"true", "TRUE", "True", "1", "yes", "on", " true "}) {
    EXPECT_TRUE(parse_ok({{"OTEL_TRACING_ENABLED", yes}}).enabled) << yes;
  }
  for (const char* no : {"false", "FALSE", "0", "no", "off"}) {
    EXPECT_FALSE(parse_ok({{"OTEL_TRACING_ENABLED", no}}).enabled) << no;
  }
}

TEST(Config, EmptyValuesCountAsUnset) {
  Config c = parse_ok({{"OTEL_TRACES_SAMPLER", ""},
                       {"OTEL_SERVICE_NAME", "  "},
                       {"OTEL_BSP_MAX_QUEUE_SIZE", ""},
                       {"OTEL_TRACING_ENABLED", ""},
                       {"OTEL_EXPORTER_OTLP_ENDPOINT", ""}});
  EXPECT_EQ(c.sampler.kind, samplers::Kind::kParentBasedAlwaysOn);
  EXPECT_EQ(c.service_name, "unknown_service:config_test");
  EXPECT_EQ(c.batch.max_queue_size, 8192u);
  EXPECT_FALSE(c.enabled);
  EXPECT_EQ(c.otlp.endpoint, "http://localhost:4317");
}

TEST(Config, InvalidBooleans) {
  for (const char* var : {"OTEL_TRACING_ENABLED", "OTEL_SDK_DISABLED",
                          "OTEL_EXPORTER_OTLP_INSECURE", "OTEL_EXPORTER_OTLP_TRACES_INSECURE"}) {
    for (const char* value : {"maybe", "2", "enabled", "tru"}) {
      std::string message = error_for(var, value);
      EXPECT_NE(message.find("true or false"), std::string::npos) << message;
    }
  }
}

TEST(Config, InvalidIntegers) {
  const char* vars[] = {
      "OTEL_BSP_MAX_QUEUE_SIZE",          "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
      "OTEL_BSP_SCHEDULE_DELAY",          "OTEL_BSP_EXPORT_TIMEOUT",
      "OTEL_EXPORTER_OTLP_TIMEOUT",       "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
      "OTEL_ATTRIBUTE_COUNT_LIMIT",       "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
      "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT",  "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT",
      "OTEL_SPAN_EVENT_COUNT_LIMIT",      "OTEL_SPAN_LINK_COUNT_LIMIT",
      "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT"};
  for (const char* var : vars) {
    for (const char* value :
         {"abc", "-1", "1.5", "10ms", "0x10", "+5", "99999999999999999999999"}) {
      std::string message = error_for(var, value);
      EXPECT_NE(message.find("whole number"), std::string::npos) << message;
    }
  }
}

TEST(Config, ZeroIsAllowedOnlyWhereItMeansSomething) {
  // Span limits may be 0 (keep nothing).
  Config c = parse_ok({{"OTEL_SPAN_EVENT_COUNT_LIMIT", "0"}, {"OTEL_SPAN_LINK_COUNT_LIMIT", "0"}});
  EXPECT_EQ(c.limits.event_count, 0u);
  // A queue, a batch, a delay or a timeout of 0 is not.
  for (const char* var :
       {"OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "OTEL_BSP_SCHEDULE_DELAY",
        "OTEL_BSP_EXPORT_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"}) {
    error_for(var, "0");
  }
}

TEST(Config, IntegersTooLargeForTheirSetting) {
  // Span limits are 32-bit.
  error_for("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "4294967296");
  EXPECT_EQ(parse_ok({{"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "4294967295"}}).limits.attribute_count,
            4294967295u);
  // Durations so large that adding them to a clock reading overflows are refused, not wrapped
  // into a deadline in the past (which made the batch worker spin).
  for (const char* var : {"OTEL_BSP_SCHEDULE_DELAY", "OTEL_BSP_EXPORT_TIMEOUT",
                          "OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"}) {
    error_for(var, "9223372036854775807");
    error_for(var, "10000000000000");
  }
}

TEST(Config, BatchSizeLargerThanTheQueue) {
  auto c = parse({{"OTEL_BSP_MAX_QUEUE_SIZE", "100"}, {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "101"}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("OTEL_BSP_MAX_EXPORT_BATCH_SIZE=101"), std::string::npos)
      << c.error().message;
  EXPECT_NE(c.error().message.find("OTEL_BSP_MAX_QUEUE_SIZE=100"), std::string::npos)
      << c.error().message;
  EXPECT_TRUE(
      parse({{"OTEL_BSP_MAX_QUEUE_SIZE", "100"}, {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "100"}}).ok());
  // A queue set smaller than the default batch (2,048) alone takes the batch down with it.
  auto small = parse({{"OTEL_BSP_MAX_QUEUE_SIZE", "100"}});
  ASSERT_TRUE(small.ok()) << small.error().message;
  EXPECT_EQ(small->batch.max_export_batch_size, 100u);
  auto logs = parse({{"OTEL_BLRP_MAX_QUEUE_SIZE", "300"}});
  ASSERT_TRUE(logs.ok()) << logs.error().message;
  EXPECT_EQ(logs->log_batch.max_export_batch_size, 300u);
}

TEST(Config, InvalidSampler) {
  std::string message = error_for("OTEL_TRACES_SAMPLER", "sometimes");
  EXPECT_NE(message.find("always_on"), std::string::npos) << message;
  message = error_for("OTEL_TRACES_SAMPLER_ARG", "1.5", {{"OTEL_TRACES_SAMPLER", "traceidratio"}});
  EXPECT_NE(message.find("0 to 1"), std::string::npos) << message;
  error_for("OTEL_TRACES_SAMPLER_ARG", "half",
            {{"OTEL_TRACES_SAMPLER", "parentbased_traceidratio"}});
  // The sampler name is not case-sensitive.
  EXPECT_EQ(parse_ok({{"OTEL_TRACES_SAMPLER", "AlWaYs_On"}}).sampler.kind,
            samplers::Kind::kAlwaysOn);
}

TEST(Config, InvalidPropagatorsAndExporters) {
  std::string message = error_for("OTEL_PROPAGATORS", "tracecontext,b3");
  EXPECT_NE(message.find("\"b3\""), std::string::npos) << message;
  message = error_for("OTEL_TRACES_EXPORTER", "zipkin");
  EXPECT_NE(message.find("otlp, console or none"), std::string::npos) << message;
  EXPECT_EQ(parse_ok({{"OTEL_PROPAGATORS", " Baggage , none ,"}}).propagators,
            (std::vector<propagation::Kind>{propagation::Kind::kBaggage}));
  EXPECT_TRUE(parse_ok({{"OTEL_PROPAGATORS", "none"}}).propagators.empty());
  EXPECT_TRUE(parse_ok({{"OTEL_TRACES_EXPORTER", "none"}}).exporters.empty());
}

TEST(Config, InvalidOtlpSettings) {
  std::string message = error_for("OTEL_EXPORTER_OTLP_PROTOCOL", "http");
  EXPECT_NE(message.find("http/protobuf"), std::string::npos) << message;
  error_for("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "thrift");
  message = error_for("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd");
  EXPECT_NE(message.find("gzip or none"), std::string::npos) << message;
  error_for("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "deflate");
  for (const char* endpoint : {"localhost:4317", "collector", "ftp://collector:21", "http://",
                               "https:///v1/traces", "http://:4318"}) {
    error_for("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint);
    error_for("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint);
  }
}

TEST(Config, OtlpHeaders) {
  Config c = parse_ok({{"OTEL_EXPORTER_OTLP_HEADERS", "a=1,Shared=generic,,b=x%20y"},
                       {"OTEL_EXPORTER_OTLP_TRACES_HEADERS", "shared=specific,c=%2C"}});
  using Header = std::pair<std::string, std::string>;
  EXPECT_EQ(c.otlp.headers,
            (std::vector<Header>{{"a", "1"}, {"b", "x y"}, {"shared", "specific"}, {"c", ","}}));
  std::string message = error_for("OTEL_EXPORTER_OTLP_HEADERS", "a=1,novalue");
  EXPECT_NE(message.find("\"novalue\""), std::string::npos) << message;
  error_for("OTEL_EXPORTER_OTLP_HEADERS", "=value");
  message = error_for("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "key=%zz");
  EXPECT_NE(message.find("percent"), std::string::npos) << message;
  error_for("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "k%g=v");
}

TEST(Config, CertificateFiles) {
  testing::TempFile key;
  testing::TempFile cert;
  { std::ofstream(key.path()) << "key"; }
  { std::ofstream(cert.path()) << "cert"; }
  const std::string missing = key.dir() + "/missing.pem";
  for (const char* var :
       {"OTEL_EXPORTER_OTLP_CERTIFICATE", "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
        "OTEL_EXPORTER_OTLP_CLIENT_KEY", "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE"}) {
    error_for(var, missing);
  }
  // A client key without a client certificate (or the reverse) is a mistake.
  auto c = parse({{"OTEL_EXPORTER_OTLP_CLIENT_KEY", key.path()}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE"), std::string::npos);
  // The error names the variable that was set (found with fuzz_config).
  auto lone = parse({{"OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE", cert.path()}});
  ASSERT_FALSE(lone.ok());
  EXPECT_EQ(lone.error().message.rfind("OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE is set", 0),
            0u)
      << lone.error().message;
  Config both = parse_ok({{"OTEL_EXPORTER_OTLP_CLIENT_KEY", key.path()},
                          {"OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE", cert.path()},
                          {"OTEL_LOGS_EXPORTER", "none"}});
  EXPECT_EQ(both.otlp.client_key_file, key.path());
  EXPECT_EQ(both.otlp.client_certificate_file, cert.path());
  // With log export on, the logs' pair is incomplete (the generic key, no certificate): an
  // error naming the logs' variables, not a log exporter that silently lacks its certificate.
  auto logs_pair = parse({{"OTEL_EXPORTER_OTLP_CLIENT_KEY", key.path()},
                          {"OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE", cert.path()}});
  ASSERT_FALSE(logs_pair.ok());
  EXPECT_NE(logs_pair.error().message.find("OTEL_EXPORTER_OTLP_[LOGS_]CLIENT_CERTIFICATE"),
            std::string::npos)
      << logs_pair.error().message;
}

TEST(Config, SdkDisabledWinsOverTracingEnabled) {
  EXPECT_FALSE(parse_ok({{"OTEL_TRACING_ENABLED", "true"}, {"OTEL_SDK_DISABLED", "true"}}).enabled);
  EXPECT_TRUE(parse_ok({{"OTEL_TRACING_ENABLED", "true"}, {"OTEL_SDK_DISABLED", "false"}}).enabled);
  EXPECT_FALSE(parse_ok({{"OTEL_SDK_DISABLED", "false"}}).enabled) << "tracing is opt-in";
}

TEST(Config, ServiceNamePrecedence) {
  const std::string attrs = "service.name=from-attributes,team=core";
  ConfigOptions seed;  // what Skriptoteket passes when SERVICE_NAME=seed
  seed.service_name = ProgramValue{"seed", "SERVICE_NAME", true};
  EXPECT_EQ(parse_ok({{"OTEL_SERVICE_NAME", "otel"}, {"OTEL_RESOURCE_ATTRIBUTES", attrs}}, seed)
                .service_name,
            "otel");
  EXPECT_EQ(parse_ok({{"OTEL_RESOURCE_ATTRIBUTES", attrs}}, seed).service_name, "seed");
  EXPECT_EQ(parse_ok({{"OTEL_RESOURCE_ATTRIBUTES", attrs}}).service_name, "from-attributes");
  EXPECT_EQ(parse_ok({{"OTEL_RESOURCE_ATTRIBUTES", "team=core"}}).service_name,
            "unknown_service:config_test");
  // A program's default loses to the attributes and wins over unknown_service.
  ConfigOptions fallback;
  fallback.service_name = ProgramValue{"skriptoteket", "skriptoteket default", false};
  EXPECT_EQ(parse_ok({{"OTEL_RESOURCE_ATTRIBUTES", attrs}}, fallback).service_name,
            "from-attributes");
  EXPECT_EQ(parse_ok({}, fallback).service_name, "skriptoteket");
}

TEST(Config, TheLibraryReadsNoGenericVariables) {
  // SERVICE_NAME, SERVICE_VERSION and ENVIRONMENT are common in containers for other purposes:
  // only a program that asks for them (Skriptoteket) uses them.
  std::vector<std::string> asked;
  auto c = Config::from_env([&asked](std::string_view name) -> std::optional<std::string> {
    asked.emplace_back(name);
    if (name == "SERVICE_NAME" || name == "SERVICE_VERSION" || name == "ENVIRONMENT")
      return "from-a-generic-variable";
    return std::nullopt;
  });
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->service_name, "unknown_service:config_test");
  EXPECT_EQ(c->service_version, "");
  EXPECT_EQ(c->environment, "");
  for (const auto& name : {"SERVICE_NAME", "SERVICE_VERSION", "ENVIRONMENT"}) {
    EXPECT_EQ(std::count(asked.begin(), asked.end(), name), 0) << name;
  }
}

TEST(Config, ProgramValuesAgainstResourceAttributes) {
  ConfigOptions options;
  options.service_version = ProgramValue{"9.9.9", "SERVICE_VERSION", true};
  options.deployment_environment = ProgramValue{"development", "skriptoteket default", false};
  Config c = parse_ok(
      {{"OTEL_RESOURCE_ATTRIBUTES", "service.version=1.0,deployment.environment=prod"}}, options);
  EXPECT_EQ(c.service_version, "9.9.9") << "a set variable beats the attribute list";
  EXPECT_EQ(c.environment, "") << "a default does not: the attribute stays";
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0],
            "SERVICE_VERSION=\"9.9.9\" wins over service.version=\"1.0\" in "
            "OTEL_RESOURCE_ATTRIBUTES");
  Config d = parse_ok({}, options);
  EXPECT_EQ(d.environment, "development");
}

TEST(Config, EveryVariableReadIsRegisteredAndEveryRegisteredOneIsRead) {
  std::set<std::string> asked;
  auto c = Config::from_env([&asked](std::string_view name) -> std::optional<std::string> {
    asked.emplace(name);
    return std::nullopt;
  });
  ASSERT_TRUE(c.ok());
  for (const auto& name : asked) {
    EXPECT_NE(config::find_library_variable(name), nullptr) << name << " is not registered";
  }
  for (const auto& v : config::library_variables()) {
    // http and log read theirs where they are used; the rest goes through Config.
    if (v.component == "http" || v.component == "log") continue;
    EXPECT_EQ(asked.count(std::string(v.name)), 1u) << v.name << " is registered but not read";
  }
}

TEST(Config, ConflictingVariablesAreWarnedAboutOnceNamingTheWinner) {
  Config c = parse_ok({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://generic:4317"},
                       {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://specific:4317"},
                       {"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "20"},
                       {"OTEL_ATTRIBUTE_COUNT_LIMIT", "10"},
                       {"OTEL_TRACING_ENABLED", "true"},
                       {"OTEL_SDK_DISABLED", "true"}});
  EXPECT_EQ(c.otlp.endpoint, "http://specific:4317");
  ASSERT_EQ(c.warnings.size(), 3u);
  EXPECT_NE(std::find(c.warnings.begin(), c.warnings.end(),
                      "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=\"http://specific:4317\" wins over "
                      "OTEL_EXPORTER_OTLP_ENDPOINT=\"http://generic:4317\""),
            c.warnings.end());
  EXPECT_NE(std::find(c.warnings.begin(), c.warnings.end(),
                      "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT=\"20\" wins over "
                      "OTEL_ATTRIBUTE_COUNT_LIMIT=\"10\""),
            c.warnings.end());
  EXPECT_NE(std::find(c.warnings.begin(), c.warnings.end(),
                      "OTEL_SDK_DISABLED=true wins over OTEL_TRACING_ENABLED=true: tracing is off"),
            c.warnings.end());
  // The same value twice is no conflict.
  EXPECT_TRUE(parse_ok({{"OTEL_EXPORTER_OTLP_TIMEOUT", "100"},
                        {"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "100"}})
                  .warnings.empty());
  ConfigOptions seed;
  seed.service_name = ProgramValue{"seed", "SERVICE_NAME", true};
  Config s = parse_ok({{"OTEL_SERVICE_NAME", "otel"}}, seed);
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_EQ(s.warnings[0], "OTEL_SERVICE_NAME=\"otel\" wins over SERVICE_NAME=\"seed\"");
}

TEST(Config, SummaryNamesEachValueAndItsOrigin) {
  ConfigOptions options;
  options.service_version = ProgramValue{"0.1.0", "skriptoteket default", false};
  Config c = parse_ok({{"OTEL_TRACING_ENABLED", "true"},
                       {"OTEL_SERVICE_NAME", "web"},
                       {"OTEL_TRACES_SAMPLER", "traceidratio"},
                       {"OTEL_TRACES_SAMPLER_ARG", "0.5"},
                       {"OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20secret"}},
                      options);
  const std::string line = summary_line(c);
  EXPECT_EQ(line.rfind("tracing on: service.name=web, propagators=tracecontext,baggage, "
                       "sampler=traceidratio(0.5",
                       0),
            0u)
      << line;
  EXPECT_NE(line.find("exporters=otlp(grpc http://localhost:4317)"), std::string::npos) << line;
  std::string details;
  for (const auto& d : summary_details(c))
    details += d + "\n";
  EXPECT_NE(details.find("OTEL_SERVICE_NAME=\"web\" (from environment)"), std::string::npos)
      << details;
  EXPECT_NE(details.find("service.version=\"0.1.0\" (from skriptoteket default)"),
            std::string::npos)
      << details;
  EXPECT_EQ(details.find("secret"), std::string::npos) << "header values never reach the log";
  EXPECT_NE(details.find("authorization=<redacted>"), std::string::npos) << details;
  EXPECT_EQ(summary_line(parse_ok({})).rfind("tracing off", 0), 0u);
}

TEST(Config, BadClockIsAnError) {
  std::string message = error_for("TRACEKIT_CLOCK", "rdtsc");
  EXPECT_NE(message.find("system or tsc"), std::string::npos) << message;
  EXPECT_TRUE(parse({{"TRACEKIT_CLOCK", "system"}}).ok());
  EXPECT_TRUE(parse({{"TRACEKIT_CLOCK", "tsc"}}).ok());
}

TEST(Config, InvalidResourceAttributes) {
  // The message names the variable and the bad item in it.
  auto c = parse({{"OTEL_RESOURCE_ATTRIBUTES", "a=1,broken"}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("OTEL_RESOURCE_ATTRIBUTES"), std::string::npos);
  EXPECT_NE(c.error().message.find("\"broken\""), std::string::npos) << c.error().message;
  c = parse({{"OTEL_RESOURCE_ATTRIBUTES", "a=%ZZ"}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("%ZZ"), std::string::npos) << c.error().message;
}

TEST(Config, SpanSpecificLimitsWinOverGeneralOnes) {
  Config c = parse_ok({{"OTEL_ATTRIBUTE_COUNT_LIMIT", "10"},
                       {"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "20"},
                       {"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "30"},
                       {"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "40"}});
  EXPECT_EQ(c.limits.attribute_count, 20u);
  EXPECT_EQ(c.limits.attribute_value_length, 40u);
  Config general =
      parse_ok({{"OTEL_ATTRIBUTE_COUNT_LIMIT", "10"}, {"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "30"}});
  EXPECT_EQ(general.limits.attribute_count, 10u);
  EXPECT_EQ(general.limits.attribute_value_length, 30u);
}

TEST(Config, TracesSpecificOtlpVariablesWinOverGenericOnes) {
  testing::TempFile generic_ca, specific_ca;
  { std::ofstream(generic_ca.path()) << "a"; }
  { std::ofstream(specific_ca.path()) << "b"; }
  Config c = parse_ok({{"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"},
                       {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"},
                       {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://generic:4318"},
                       {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://specific:4318/custom/path"},
                       {"OTEL_EXPORTER_OTLP_TIMEOUT", "1000"},
                       {"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "2000"},
                       {"OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"},
                       {"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "none"},
                       {"OTEL_EXPORTER_OTLP_INSECURE", "false"},
                       {"OTEL_EXPORTER_OTLP_TRACES_INSECURE", "true"},
                       {"OTEL_EXPORTER_OTLP_CERTIFICATE", generic_ca.path()},
                       {"OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", specific_ca.path()}});
  EXPECT_EQ(c.otlp.protocol, OtlpProtocol::kHttpProtobuf);
  EXPECT_EQ(c.otlp.endpoint, "http://specific:4318/custom/path") << "used exactly as given";
  EXPECT_EQ(c.otlp.timeout, 2000ms);
  EXPECT_FALSE(c.otlp.gzip);
  EXPECT_TRUE(c.otlp.insecure);
  EXPECT_EQ(c.otlp.certificate_file, specific_ca.path());
}

TEST(Config, OtlpEndpointPaths) {
  struct Case {
    Vars vars;
    std::string endpoint;
  };
  const Case cases[] = {
      // gRPC: scheme://host:port as given.
      {{{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"}}, "http://collector:4317"},
      // HTTP: the generic endpoint gets /v1/traces, with or without a trailing slash or a path.
      {{{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"},
        {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"}},
       "http://collector:4318/v1/traces"},
      {{{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"},
        {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"}},
       "http://collector:4318/v1/traces"},
      {{{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"},
        {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://gateway/otel"}},
       "http://gateway/otel/v1/traces"},
      // HTTP: the traces endpoint is used as is, even without a path.
      {{{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"},
        {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector:4318"}},
       "http://collector:4318"},
      // HTTP defaults.
      {{{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"}}, "http://localhost:4318/v1/traces"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(parse_ok(c.vars).otlp.endpoint, c.endpoint);
  }
}

TEST(Config, InsecureFollowsTheSchemeUnlessSet) {
  EXPECT_TRUE(parse_ok({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"}}).otlp.insecure);
  EXPECT_FALSE(parse_ok({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://c:4317"}}).otlp.insecure);
  EXPECT_TRUE(parse_ok({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://c:4317"},
                        {"OTEL_EXPORTER_OTLP_INSECURE", "true"}})
                  .otlp.insecure);
  EXPECT_FALSE(parse_ok({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"},
                         {"OTEL_EXPORTER_OTLP_INSECURE", "false"}})
                   .otlp.insecure);
}

TEST(Config, LogsDefaults) {
  Config c = parse_ok({});
  EXPECT_EQ(c.log_exporters, std::vector<ExporterKind>{ExporterKind::kOtlp});
  EXPECT_EQ(c.log_batch.max_queue_size, 2048u);
  EXPECT_EQ(c.log_batch.max_export_batch_size, 512u);
  EXPECT_EQ(c.log_batch.schedule_delay, 1000ms) << "OTEL_BLRP_SCHEDULE_DELAY's default";
  EXPECT_EQ(c.log_batch.export_timeout, 30000ms);
  EXPECT_EQ(c.logs_otlp.protocol, OtlpProtocol::kGrpc);
  EXPECT_EQ(c.logs_otlp.endpoint, "http://localhost:4317");
  EXPECT_EQ(parse_ok({{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"}}).logs_otlp.endpoint,
            "http://localhost:4318/v1/logs");
}

TEST(Config, LogsSpecificOtlpVariablesWinOverGenericOnes) {
  testing::TempFile generic_ca, specific_ca;
  { std::ofstream(generic_ca.path()) << "a"; }
  { std::ofstream(specific_ca.path()) << "b"; }
  Config c = parse_ok({{"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"},
                       {"OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "http/json"},
                       {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://generic:4318"},
                       {"OTEL_EXPORTER_OTLP_HEADERS", "a=1,b=2"},
                       {"OTEL_EXPORTER_OTLP_LOGS_HEADERS", "b=3"},
                       {"OTEL_EXPORTER_OTLP_TIMEOUT", "1000"},
                       {"OTEL_EXPORTER_OTLP_LOGS_TIMEOUT", "3000"},
                       {"OTEL_EXPORTER_OTLP_COMPRESSION", "none"},
                       {"OTEL_EXPORTER_OTLP_LOGS_COMPRESSION", "gzip"},
                       {"OTEL_EXPORTER_OTLP_CERTIFICATE", generic_ca.path()},
                       {"OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE", specific_ca.path()}});
  EXPECT_EQ(c.logs_otlp.protocol, OtlpProtocol::kHttpJson);
  EXPECT_EQ(c.logs_otlp.endpoint, "http://generic:4318/v1/logs") << "the generic endpoint + path";
  const std::vector<std::pair<std::string, std::string>> headers = {{"a", "1"}, {"b", "3"}};
  EXPECT_EQ(c.logs_otlp.headers, headers);
  EXPECT_EQ(c.logs_otlp.timeout, 3000ms);
  EXPECT_TRUE(c.logs_otlp.gzip);
  EXPECT_EQ(c.logs_otlp.certificate_file, specific_ca.path());
  // The trace settings keep the generic values: each signal reads only its own variables.
  EXPECT_EQ(c.otlp.protocol, OtlpProtocol::kGrpc);
  EXPECT_EQ(c.otlp.timeout, 1000ms);
  EXPECT_FALSE(c.otlp.gzip);
  EXPECT_EQ(c.otlp.certificate_file, generic_ca.path());
  EXPECT_EQ(parse_ok({{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"},
                      {"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "http://logs:4318/x"}})
                .logs_otlp.endpoint,
            "http://logs:4318/x")
      << "the logs endpoint is used as is";
}

TEST(Config, LogsVariablesAreCheckedLikeTheTraceOnes) {
  error_for("OTEL_LOGS_EXPORTER", "loki");
  error_for("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "http/xml");
  error_for("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "collector:4317");
  error_for("OTEL_EXPORTER_OTLP_LOGS_TIMEOUT", "-5");
  error_for("OTEL_EXPORTER_OTLP_LOGS_COMPRESSION", "brotli");
  error_for("OTEL_EXPORTER_OTLP_LOGS_HEADERS", "novalue");
  error_for("OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE", "/nonexistent/ca.pem");
  error_for("OTEL_BLRP_MAX_QUEUE_SIZE", "0");
  error_for("OTEL_BLRP_MAX_QUEUE_SIZE", "999999999999");
  error_for("OTEL_BLRP_SCHEDULE_DELAY", "soon");
  error_for("OTEL_BLRP_EXPORT_TIMEOUT", "0");
  error_for("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "100", {{"OTEL_BLRP_MAX_QUEUE_SIZE", "10"}});
  Config c = parse_ok({{"OTEL_LOGS_EXPORTER", "console, none"},
                       {"OTEL_BLRP_MAX_QUEUE_SIZE", "100"},
                       {"OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "10"},
                       {"OTEL_BLRP_SCHEDULE_DELAY", "50"},
                       {"OTEL_BLRP_EXPORT_TIMEOUT", "700"}});
  EXPECT_EQ(c.log_exporters, std::vector<ExporterKind>{ExporterKind::kConsole});
  EXPECT_EQ(c.log_batch.max_queue_size, 100u);
  EXPECT_EQ(c.log_batch.max_export_batch_size, 10u);
  EXPECT_EQ(c.log_batch.schedule_delay, 50ms);
  EXPECT_EQ(c.log_batch.export_timeout, 700ms);
  EXPECT_EQ(c.batch.max_queue_size, 8192u) << "OTEL_BLRP_* leave the span batch alone";
}

}  // namespace
}  // namespace tracekit
