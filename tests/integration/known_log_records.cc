// SPDX-License-Identifier: Apache-2.0
#include "known_log_records.h"

#include <gtest/gtest.h>

namespace tracekit::testing {

namespace {

namespace logsdata = opentelemetry::proto::logs::v1;

const TraceId kTrace = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").value();
const SpanId kSpan = SpanId::from_hex("00f067aa0ba902b7").value();

}  // namespace

std::map<std::string, commonv1::AnyValue> attributes_of(const logsdata::LogRecord& r) {
  std::map<std::string, commonv1::AnyValue> m;
  for (const auto& kv : r.attributes())
    m[kv.key()] = kv.value();
  return m;
}

Resource known_log_resource() {
  OwnedAttributes a;
  a.set("service.name", "log-test");
  a.set("service.version", "1.2.3");
  return Resource(std::move(a));
}

std::vector<log::LogRecordPtr> make_known_log_records() {
  std::vector<log::LogRecordPtr> records;
  const log::Field fields[] = {
      {"tool_id", "t-1"}, {"count", int64_t{-7}}, {"big", uint64_t{1} << 40}, {"ratio", 0.25},
      {"ok", true},       {"nothing", nullptr},   {"text", "ä \"quoted\" \n"}};
  records.push_back(log::LogRecord::make(1'700'000'000'123'456'789ull, log::Level::kWarn,
                                         "skriptoteket.web", "tool.executed", fields, kTrace, kSpan,
                                         TraceFlags(1), "corr-42"));
  records.push_back(log::LogRecord::make(1'700'000'001'000'000'000ull, log::Level::kError,
                                         "skriptoteket.runner", "runner.failed", {}, TraceId(),
                                         SpanId(), TraceFlags(), ""));
  return records;
}

void expect_known_log_records(const logsv1::ExportLogsServiceRequest& req) {
  ASSERT_EQ(req.resource_logs_size(), 1);
  const auto& rl = req.resource_logs(0);
  std::map<std::string, std::string> resource;
  for (const auto& kv : rl.resource().attributes())
    resource[kv.key()] = kv.value().string_value();
  EXPECT_EQ(resource.size(), 2u);
  EXPECT_EQ(resource["service.name"], "log-test");
  EXPECT_EQ(resource["service.version"], "1.2.3");
  ASSERT_EQ(rl.scope_logs_size(), 2);
  EXPECT_EQ(rl.scope_logs(0).scope().name(), "skriptoteket.web");
  EXPECT_EQ(rl.scope_logs(1).scope().name(), "skriptoteket.runner");
  ASSERT_EQ(rl.scope_logs(0).log_records_size(), 1);
  ASSERT_EQ(rl.scope_logs(1).log_records_size(), 1);

  const auto& a = rl.scope_logs(0).log_records(0);
  EXPECT_EQ(a.time_unix_nano(), 1'700'000'000'123'456'789ull);
  EXPECT_EQ(a.observed_time_unix_nano(), 1'700'000'000'123'456'789ull);
  EXPECT_EQ(a.severity_number(), logsdata::SEVERITY_NUMBER_WARN);
  EXPECT_EQ(a.severity_text(), "WARN");
  EXPECT_EQ(a.body().value_case(), commonv1::AnyValue::kStringValue);
  EXPECT_EQ(a.body().string_value(), "tool.executed");
  EXPECT_EQ(a.trace_id(), std::string(reinterpret_cast<const char*>(kTrace.data()), 16));
  EXPECT_EQ(a.span_id(), std::string(reinterpret_cast<const char*>(kSpan.data()), 8));
  EXPECT_EQ(a.flags(), 1u);
  EXPECT_EQ(a.dropped_attributes_count(), 0u);
  auto attrs = attributes_of(a);
  EXPECT_EQ(attrs.size(), 8u);
  EXPECT_EQ(attrs["tool_id"].string_value(), "t-1");
  EXPECT_EQ(attrs["count"].int_value(), -7);
  EXPECT_EQ(attrs["big"].int_value(), int64_t{1} << 40);
  EXPECT_EQ(attrs["ratio"].double_value(), 0.25);
  EXPECT_EQ(attrs["ok"].value_case(), commonv1::AnyValue::kBoolValue);
  EXPECT_TRUE(attrs["ok"].bool_value());
  EXPECT_EQ(attrs["nothing"].value_case(), commonv1::AnyValue::VALUE_NOT_SET);
  EXPECT_EQ(attrs["text"].string_value(), "ä \"quoted\" \n");
  EXPECT_EQ(attrs["correlation_id"].string_value(), "corr-42");

  const auto& b = rl.scope_logs(1).log_records(0);
  EXPECT_EQ(b.time_unix_nano(), 1'700'000'001'000'000'000ull);
  EXPECT_EQ(b.observed_time_unix_nano(), 1'700'000'001'000'000'000ull);
  EXPECT_EQ(b.severity_number(), logsdata::SEVERITY_NUMBER_ERROR);
  EXPECT_EQ(b.severity_text(), "ERROR");
  EXPECT_EQ(b.body().string_value(), "runner.failed");
  EXPECT_TRUE(b.trace_id().empty()) << "no span was current";
  EXPECT_TRUE(b.span_id().empty());
  EXPECT_EQ(b.flags(), 0u);
  EXPECT_EQ(b.attributes_size(), 0);
}

}  // namespace tracekit::testing
