// SPDX-License-Identifier: Apache-2.0
// The console exporter writes OTLP/JSON (one ExportTraceServiceRequest per line). These tests
// parse what it wrote with Boost.JSON and check the shape field by field.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cmath>
#include <limits>

#include "support/core_test_support.h"
#include "tracekit/otlp_json.h"
#include "tracekit/tracekit.h"

namespace tracekit {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using testing::TempFile;

// Spans made by a provider with a known resource, kept in memory to be fed to the console
// exporter directly.
struct Spans {
  std::shared_ptr<InMemorySpanStore> store = std::make_shared<InMemorySpanStore>();
  std::unique_ptr<TracerProvider> provider;
  Spans() {
    TracerProviderOptions o;
    o.resource = Resource(OwnedAttributes{{"service.name", "console-test"}, {"build", 7}});
    o.processors.push_back(
        std::make_unique<SimpleSpanProcessor>(std::make_unique<InMemorySpanExporter>(store)));
    provider = std::make_unique<TracerProvider>(std::move(o));
  }
};

std::unique_ptr<ConsoleSpanExporter> open(const TempFile& file) {
  auto exporter = ConsoleSpanExporter::open_file(file.path());
  EXPECT_TRUE(exporter.ok()) << exporter.error().message;
  return std::move(*exporter);
}

json::value parse_line(const std::string& line) {
  boost::system::error_code ec;
  json::value v = json::parse(line, ec);
  EXPECT_FALSE(ec) << ec.message() << " in: " << line;
  return v;
}

const json::object& find_span(const json::value& request, std::string_view name) {
  for (const auto& rs : request.at("resourceSpans").as_array()) {
    for (const auto& ss : rs.at("scopeSpans").as_array()) {
      for (const auto& span : ss.at("spans").as_array()) {
        if (span.at("name").as_string() == name) return span.as_object();
      }
    }
  }
  ADD_FAILURE() << "no span named " << name;
  static const json::object empty;
  return empty;
}

// The value object of the attribute `key` in an OTLP attribute list.
json::value attribute(const json::value& holder, std::string_view key) {
  for (const auto& kv : holder.at("attributes").as_array()) {
    if (kv.at("key").as_string() == key) return kv.at("value");
  }
  ADD_FAILURE() << "no attribute " << key;
  return nullptr;
}

bool is_lower_hex(const json::value& v, size_t size) {
  if (!v.is_string()) return false;
  const auto& s = v.as_string();
  if (s.size() != size) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool is_decimal_string(const json::value& v) {
  if (!v.is_string() || v.as_string().empty()) return false;
  for (char c : v.as_string()) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

TEST(ConsoleSpanExporter, WritesOneOtlpJsonObjectPerExport) {
  Spans spans;
  const SpanContext linked(*TraceId::from_hex("0af7651916cd43dd8448eb211c80319c"),
                           *SpanId::from_hex("b7ad6b7169203331"), TraceFlags(1), true,
                           *TraceState::parse("vendor=v1"));
  SpanContext root_ctx;
  {
    Tracer& tracer = spans.provider->get_tracer("lib.one", "1.0.0");
    Span root = tracer.start_span("root", {.kind = SpanKind::kServer});
    root_ctx = root.context();
    root.set_attribute("str", "text");
    root.set_attribute("int", int64_t{-9'007'199'254'740'993});  // not exact as a JSON double
    root.set_attribute("big", int64_t{42});
    root.set_attribute("dbl", 2.5);
    root.set_attribute("flag", true);
    const bool bools[] = {true, false};
    root.set_attribute("bools", std::span<const bool>(bools));
    root.set_attribute("ints", std::vector<int64_t>{1, 2});
    root.set_attribute("dbls", std::vector<double>{0.5});
    root.set_attribute("strs", std::vector<std::string_view>{"a", "b"});
    root.add_event("started", Timestamp(std::chrono::nanoseconds(1'700'000'000'000'000'001)),
                   {{"attempt", 1}});
    root.add_link(linked, {{"link.reason", "retry"}});
    root.set_status(StatusCode::kError, "it failed");
    Span child = tracer.start_span("child", {.kind = SpanKind::kClient, .parent = root});
    child.end();
    Span other = spans.provider->get_tracer("lib.two").start_span("other-scope");
    other.set_status(StatusCode::kOk);
  }
  ASSERT_EQ(spans.store->size(), 3u);

  TempFile file;
  auto exporter = open(file);
  ASSERT_TRUE(exporter->export_spans(spans.store->spans(), Deadline::max()).ok());
  ASSERT_TRUE(exporter->export_spans(spans.store->spans(), Deadline::max()).ok());
  ASSERT_TRUE(exporter->shutdown(1s));

  const std::string text = file.contents();
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  auto lines = file.lines();
  ASSERT_EQ(lines.size(), 2u) << "one line per export call";
  EXPECT_EQ(lines[0], lines[1]);
  json::value request = parse_line(lines[0]);
  ASSERT_TRUE(request.is_object());

  // resourceSpans -> one resource, two scopes (in first-seen order).
  const auto& resource_spans = request.at("resourceSpans").as_array();
  ASSERT_EQ(resource_spans.size(), 1u);
  const json::value& rs = resource_spans[0];
  EXPECT_EQ(attribute(rs.at("resource"), "service.name").at("stringValue"), "console-test");
  EXPECT_EQ(attribute(rs.at("resource"), "build").at("intValue"), "7");
  const auto& scope_spans = rs.at("scopeSpans").as_array();
  ASSERT_EQ(scope_spans.size(), 2u);
  EXPECT_EQ(scope_spans[0].at("scope").at("name"), "lib.one");
  EXPECT_EQ(scope_spans[0].at("scope").at("version"), "1.0.0");
  EXPECT_EQ(scope_spans[0].at("spans").as_array().size(), 2u);
  EXPECT_EQ(scope_spans[1].at("scope").at("name"), "lib.two");
  EXPECT_FALSE(scope_spans[1].at("scope").as_object().contains("version"));

  const json::object& root = find_span(request, "root");
  const json::object& child = find_span(request, "child");
  const json::object& other = find_span(request, "other-scope");

  // Ids: lower-case hex of the right length; parentSpanId only on children.
  EXPECT_TRUE(is_lower_hex(root.at("traceId"), 32));
  EXPECT_TRUE(is_lower_hex(root.at("spanId"), 16));
  EXPECT_EQ(root.at("traceId").as_string(), root_ctx.trace_id().to_hex());
  EXPECT_EQ(root.at("spanId").as_string(), root_ctx.span_id().to_hex());
  EXPECT_FALSE(root.contains("parentSpanId"));
  EXPECT_FALSE(other.contains("parentSpanId"));
  ASSERT_TRUE(child.contains("parentSpanId"));
  EXPECT_EQ(child.at("parentSpanId").as_string(), root_ctx.span_id().to_hex());
  EXPECT_EQ(child.at("traceId"), root.at("traceId"));

  // Enums are numbers; 64-bit integers and times are decimal strings.
  EXPECT_EQ(root.at("kind"), 2);
  EXPECT_EQ(child.at("kind"), 3);
  EXPECT_EQ(other.at("kind"), 1);
  EXPECT_TRUE(root.at("flags").is_int64() || root.at("flags").is_uint64());
  EXPECT_TRUE(is_decimal_string(root.at("startTimeUnixNano")));
  EXPECT_TRUE(is_decimal_string(root.at("endTimeUnixNano")));
  const SpanDataPtr root_data = spans.store->find("root");
  EXPECT_EQ(root.at("startTimeUnixNano").as_string(), std::to_string(root_data->start_time_ns()));
  EXPECT_EQ(root.at("endTimeUnixNano").as_string(), std::to_string(root_data->end_time_ns()));

  // Attribute values of every type.
  json::value holder = root;
  EXPECT_EQ(attribute(holder, "str").at("stringValue"), "text");
  EXPECT_EQ(attribute(holder, "int").at("intValue"), "-9007199254740993");
  EXPECT_EQ(attribute(holder, "big").at("intValue"), "42");
  EXPECT_EQ(attribute(holder, "dbl").at("doubleValue"), 2.5);
  EXPECT_EQ(attribute(holder, "flag").at("boolValue"), true);
  const json::value bools_value = attribute(holder, "bools");
  const auto& bools = bools_value.at("arrayValue").at("values").as_array();
  ASSERT_EQ(bools.size(), 2u);
  EXPECT_EQ(bools[0].at("boolValue"), true);
  EXPECT_EQ(bools[1].at("boolValue"), false);
  const json::value ints_value = attribute(holder, "ints");
  const auto& ints = ints_value.at("arrayValue").at("values").as_array();
  ASSERT_EQ(ints.size(), 2u);
  EXPECT_EQ(ints[1].at("intValue"), "2");
  EXPECT_EQ(attribute(holder, "dbls").at("arrayValue").at("values").at(0).at("doubleValue"), 0.5);
  EXPECT_EQ(attribute(holder, "strs").at("arrayValue").at("values").at(1).at("stringValue"), "b");

  // Events and links.
  const auto& events = root.at("events").as_array();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at("name"), "started");
  EXPECT_EQ(events[0].at("timeUnixNano"), "1700000000000000001");
  EXPECT_EQ(attribute(events[0], "attempt").at("intValue"), "1");
  const auto& links = root.at("links").as_array();
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(links[0].at("traceId"), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(links[0].at("spanId"), "b7ad6b7169203331");
  EXPECT_EQ(links[0].at("traceState"), "vendor=v1");
  EXPECT_EQ(attribute(links[0], "link.reason").at("stringValue"), "retry");
  EXPECT_TRUE(child.at("events").as_array().empty());
  EXPECT_TRUE(child.at("links").as_array().empty());

  // Status: code as a number, message only when there is one; unset is an empty object.
  EXPECT_EQ(root.at("status").at("code"), 2);
  EXPECT_EQ(root.at("status").at("message"), "it failed");
  EXPECT_EQ(other.at("status").at("code"), 1);
  EXPECT_FALSE(other.at("status").as_object().contains("message"));
  EXPECT_TRUE(child.at("status").as_object().empty());

  // Counts of dropped data appear only when something was dropped.
  EXPECT_FALSE(root.contains("droppedAttributesCount"));
  EXPECT_FALSE(root.contains("droppedEventsCount"));
}

TEST(ConsoleSpanExporter, DroppedCountsAndFlags) {
  Spans spans;
  {
    TracerProviderOptions o;
    o.limits.attribute_count = 1;
    o.limits.event_count = 0;
    o.processors.push_back(
        std::make_unique<SimpleSpanProcessor>(std::make_unique<InMemorySpanExporter>(spans.store)));
    TracerProvider limited(std::move(o));
    Span s =
        limited.get_tracer("t").start_span("limited", {.parent = testing::remote_context(true)});
    s.set_attribute("a", 1).set_attribute("b", 2).set_attribute("c", 3);
    s.add_event("gone");
    s.end();
    TempFile file;
    auto exporter = open(file);
    ASSERT_TRUE(exporter->export_spans(spans.store->spans(), Deadline::max()).ok());
    json::value request = parse_line(file.lines().at(0));
    const json::object& span = find_span(request, "limited");
    EXPECT_EQ(span.at("droppedAttributesCount"), 2);
    EXPECT_EQ(span.at("droppedEventsCount"), 1);
    // W3C flags (sampled, random) plus OTLP's "parent is remote" bits (0x100 | 0x200).
    EXPECT_EQ(span.at("flags"), 0x303);
  }
}

TEST(ConsoleSpanExporter, EscapesStringsAndReplacesInvalidUtf8) {
  Spans spans;
  const std::string controls = std::string("quote\" backslash\\ nl\n cr\r tab\t bs\b ff\f nul") +
                               '\0' + " bell\x07 unit\x1f end";
  const std::string valid_utf8 = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80";  // café € 😀
  const std::string invalid_utf8 =
      "a\xFF"
      "b\xC0\xAF"
      "c\xED\xA0\x80"
      "d\xE2\x82";
  {
    Span s = spans.provider->get_tracer("t").start_span(controls);
    s.set_attribute("valid", valid_utf8);
    s.set_attribute("invalid", invalid_utf8);
    s.set_attribute(controls, "as a key");
    s.set_attribute("nan", std::numeric_limits<double>::quiet_NaN());
    s.set_attribute("inf", -std::numeric_limits<double>::infinity());
  }
  TempFile file;
  auto exporter = open(file);
  ASSERT_TRUE(exporter->export_spans(spans.store->spans(), Deadline::max()).ok());
  const auto lines = file.lines();
  ASSERT_EQ(lines.size(), 1u) << "control characters must not break the line";
  for (unsigned char c : lines[0])
    ASSERT_GE(c, 0x20) << "raw control character in the output";

  json::value request = parse_line(lines[0]);
  const json::object& span = find_span(request, controls);
  json::value holder = span;
  EXPECT_EQ(attribute(holder, "valid").at("stringValue").as_string(), valid_utf8);
  const std::string fffd = "\xEF\xBF\xBD";
  // Each byte that does not start a valid sequence becomes one U+FFFD: the overlong C0 AF is two,
  // the surrogate ED A0 80 three, the truncated E2 82 two.
  EXPECT_EQ(attribute(holder, "invalid").at("stringValue").as_string(),
            "a" + fffd + "b" + fffd + fffd + "c" + fffd + fffd + fffd + "d" + fffd + fffd);
  EXPECT_EQ(attribute(holder, controls).at("stringValue"), "as a key");
  // The protobuf JSON mapping writes non-finite doubles as strings.
  EXPECT_EQ(attribute(holder, "nan").at("doubleValue"), "NaN");
  EXPECT_EQ(attribute(holder, "inf").at("doubleValue"), "-Infinity");
}

TEST(OtlpJson, AppendStringEscapes) {
  auto quoted = [](std::string_view in) {
    std::string out;
    otlp_json::append_string(out, in);
    return out;
  };
  EXPECT_EQ(quoted("plain"), "\"plain\"");
  EXPECT_EQ(quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(quoted("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
  EXPECT_EQ(quoted(std::string_view("\0\x01\x1f", 3)), "\"\\u0000\\u0001\\u001f\"");
  EXPECT_EQ(quoted("\x7f"), "\"\x7f\"");  // DEL needs no escape in JSON
  EXPECT_EQ(quoted("\xC3\xA9"), "\"\xC3\xA9\"");
  EXPECT_EQ(quoted("\x80"), "\"\xEF\xBF\xBD\"");
  EXPECT_EQ(quoted("\xF4\x90\x80\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"")
      << "above U+10FFFF";
  EXPECT_EQ(quoted(""), "\"\"");
}

TEST(ConsoleSpanExporter, OpenFileReportsAPathItCannotOpen) {
  TempFile file;
  const std::string bad = file.dir() + "/no/such/dir/out.jsonl";
  auto exporter = ConsoleSpanExporter::open_file(bad);
  ASSERT_FALSE(exporter.ok());
  EXPECT_NE(exporter.error().message.find(bad), std::string::npos) << exporter.error().message;
}

TEST(ConsoleSpanExporter, AppendsToAnExistingFile) {
  Spans spans;
  { spans.provider->get_tracer("t").start_span("s"); }
  TempFile file;
  {
    auto first = open(file);
    ASSERT_TRUE(first->export_spans(spans.store->spans(), Deadline::max()).ok());
  }
  {
    auto second = open(file);
    ASSERT_TRUE(second->export_spans(spans.store->spans(), Deadline::max()).ok());
  }
  EXPECT_EQ(file.lines().size(), 2u);
}

TEST(ConsoleSpanExporter, EmptyBatchWritesNothingAndShutdownRefusesMore) {
  Spans spans;
  { spans.provider->get_tracer("t").start_span("s"); }
  TempFile file;
  auto exporter = open(file);
  EXPECT_TRUE(exporter->export_spans({}, Deadline::max()).ok());
  EXPECT_TRUE(exporter->force_flush(1s));
  EXPECT_TRUE(file.contents().empty());
  EXPECT_TRUE(exporter->shutdown(1s));
  EXPECT_FALSE(exporter->export_spans(spans.store->spans(), Deadline::max()).ok());
  EXPECT_TRUE(file.contents().empty());
}

TEST(ConsoleSpanExporter, BehindABatchProcessorGroupsSpansIntoLines) {
  TempFile file;
  {
    TracerProviderOptions o;
    o.processors.push_back(std::make_unique<BatchSpanProcessor>(
        open(file), BatchOptions{.max_export_batch_size = 10, .schedule_delay = 1h}));
    TracerProvider provider(std::move(o));
    for (int i = 0; i < 25; ++i) {
      provider.get_tracer("t").start_span("span-" + std::to_string(i));
    }
    ASSERT_TRUE(provider.shutdown(20s));
  }
  size_t spans = 0;
  const auto lines = file.lines();
  for (const auto& line : lines) {
    json::value request = parse_line(line);
    for (const auto& rs : request.at("resourceSpans").as_array()) {
      for (const auto& ss : rs.at("scopeSpans").as_array()) {
        const size_t n = ss.at("spans").as_array().size();
        EXPECT_LE(n, 10u);
        spans += n;
      }
    }
  }
  EXPECT_EQ(spans, 25u);
  EXPECT_GE(lines.size(), 3u);
}

}  // namespace
}  // namespace tracekit
