// SPDX-License-Identifier: Apache-2.0
// OTLP decoding: protobuf from our encoder checked field by field against the span records,
// OTLP/JSON in every spelling the specification allows, gzip, and payloads that must be refused.
#include <gtest/gtest.h>
#include <zlib.h>

#include "collector_test_support.h"
#include "log_decode.h"
#include "otlp_decode.h"
#include "otlp_request_size.h"
#include "tracekit/otlp/encoder.h"

namespace tracekit::collector {
namespace {

using testing::KnownSpans;

TEST(CollectorDecode, ProtobufFromOurEncoderKeepsEveryField) {
  KnownSpans known = testing::make_known_spans();
  std::string body;
  otlp::encode_request(known.spans, body);
  auto decoded = decode_protobuf(body);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->rejected, 0);
  ASSERT_EQ(decoded->spans.size(), known.spans.size());
  // Back to a request through the API's JSON, then every field against the records.
  const auto request = request_from_stored(decoded->spans);
  EXPECT_EQ(testing::expect_request_matches(request, known.spans), known.spans.size());
  for (const StoredSpan& s : decoded->spans) {
    EXPECT_EQ(s.trace_id.size(), 32u);
    EXPECT_EQ(s.span_id.size(), 16u);
    EXPECT_EQ(s.service, "checkout");
  }
}

TEST(CollectorDecode, JsonWithCamelCaseEnumNamesAndStringIntegers) {
  const std::string body = R"({"resourceSpans":[{"resource":{"attributes":[
      {"key":"service.name","value":{"stringValue":"web"}}]},
    "scopeSpans":[{"scope":{"name":"lib","version":"1"},"spans":[{
      "traceId":"0AF7651916CD43DD8448EB211C80319C","spanId":"b7ad6b7169203331",
      "parentSpanId":"","name":"GET /","kind":"SPAN_KIND_SERVER",
      "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":1700000000005000000,
      "attributes":[{"key":"n","value":{"intValue":"9007199254740993"}},
                    {"key":"f","value":{"doubleValue":0.5}},
                    {"key":"b","value":{"boolValue":true}}],
      "events":[{"timeUnixNano":"1700000000001000000","name":"e"}],
      "status":{"code":"STATUS_CODE_ERROR","message":"boom"},
      "unknownField":{"ignored":true}}]}]}]})";
  auto decoded = decode_json(body);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  ASSERT_EQ(decoded->spans.size(), 1u);
  const StoredSpan& s = decoded->spans[0];
  EXPECT_EQ(s.trace_id, "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(s.span_id, "b7ad6b7169203331");
  EXPECT_EQ(s.parent_span_id, "");
  EXPECT_EQ(s.service, "web");
  EXPECT_EQ(s.kind, 2);
  EXPECT_EQ(s.start_ns, 1700000000000000000);
  EXPECT_EQ(s.end_ns, 1700000000005000000);
  EXPECT_EQ(s.status_code, 2);
  EXPECT_EQ(s.status_message, "boom");
  EXPECT_NE(s.attributes_json.find(R"("intValue":"9007199254740993")"), std::string::npos)
      << s.attributes_json;
  EXPECT_NE(s.attributes_json.find(R"("boolValue":true)"), std::string::npos);
  EXPECT_NE(s.events_json.find(R"("name":"e")"), std::string::npos);
}

TEST(CollectorDecode, JsonWithSnakeCaseKeysAndEnumNumbers) {
  const std::string body = R"({"resource_spans":[{"resource":{"attributes":[
      {"key":"service.name","value":{"string_value":"svc"}}]},
    "scope_spans":[{"spans":[{
      "trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"b7ad6b7169203331",
      "parent_span_id":"00f067aa0ba902b7","name":"child","kind":3,
      "start_time_unix_nano":"100","end_time_unix_nano":"250",
      "links":[{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7"}],
      "status":{"code":1}}]}]}]})";
  auto decoded = decode_json(body);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  ASSERT_EQ(decoded->spans.size(), 1u);
  const StoredSpan& s = decoded->spans[0];
  EXPECT_EQ(s.service, "svc");
  EXPECT_EQ(s.parent_span_id, "00f067aa0ba902b7");
  EXPECT_EQ(s.kind, 3);
  EXPECT_EQ(s.duration_ns(), 150);
  EXPECT_EQ(s.status_code, 1);
  EXPECT_NE(s.links_json.find("4bf92f3577b34da6a3ce929d0e0e4736"), std::string::npos);
}

TEST(CollectorDecode, SpansWithBadIdsAreRejectedTheRestKept) {
  testing::otlpv1::ExportTraceServiceRequest request;
  auto* spans = request.add_resource_spans()->add_scope_spans();
  auto* good = spans->add_spans();
  good->set_trace_id(std::string(16, '\1'));
  good->set_span_id(std::string(8, '\2'));
  good->set_name("good");
  auto* bad = spans->add_spans();
  bad->set_trace_id(std::string(16, '\1'));
  bad->set_span_id("abc");
  auto decoded = decode_protobuf(request.SerializeAsString());
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->spans.size(), 1u);
  EXPECT_EQ(decoded->spans[0].name, "good");
  EXPECT_EQ(decoded->spans[0].service, "unknown_service");
  EXPECT_EQ(decoded->rejected, 1);
  EXPECT_NE(decoded->rejected_reason.find("span_id"), std::string::npos);
}

// A span with one string attribute (key "k") holding `value`, and valid ids from `n`.
void add_span(testing::otlpv1::ExportTraceServiceRequest& request, int n,
              const std::string& value) {
  auto* ss = request.resource_spans_size()
                 ? request.mutable_resource_spans(0)->mutable_scope_spans(0)
                 : request.add_resource_spans()->add_scope_spans();
  auto* span = ss->add_spans();
  span->set_trace_id(std::string(16, '\1'));
  span->set_span_id(std::string(7, '\0') + static_cast<char>(n));
  span->set_name("span-" + std::to_string(n));
  auto* a = span->add_attributes();
  a->set_key("k");
  a->mutable_value()->set_string_value(value);
}

boost::json::value parse(const std::string& text) {
  return boost::json::parse(text);
}

TEST(CollectorDecode, SpanLimitsTruncateAndCountWhatTheyDrop) {
  testing::otlpv1::ExportTraceServiceRequest request;
  auto* rs = request.add_resource_spans();
  for (int i = 0; i < 5; ++i) {
    auto* a = rs->mutable_resource()->add_attributes();
    a->set_key("r" + std::to_string(i));
    a->mutable_value()->set_string_value("v");
  }
  auto* span = rs->add_scope_spans()->add_spans();
  span->set_trace_id(std::string(16, '\1'));
  span->set_span_id(std::string(8, '\2'));
  span->set_name(std::string(100, 'n'));
  span->set_dropped_attributes_count(1);
  for (int i = 0; i < 5; ++i) {
    auto* a = span->add_attributes();
    a->set_key("a" + std::to_string(i));
    // "é" is two bytes: a cut at 9 bytes must not split the last one.
    a->mutable_value()->set_string_value("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9");
  }
  auto* arr = span->add_attributes()->mutable_value()->mutable_array_value();
  for (int i = 0; i < 10; ++i)
    arr->add_values()->set_int_value(i);
  for (int i = 0; i < 6; ++i) {
    auto* e = span->add_events();
    e->set_name("e");
    for (int j = 0; j < 4; ++j)
      e->add_attributes()->set_key("x" + std::to_string(j));
  }
  for (int i = 0; i < 4; ++i) {
    auto* l = span->add_links();
    l->set_trace_id(std::string(16, '\3'));
    l->set_span_id(std::string(8, static_cast<char>(4 + i)));
  }
  const SpanLimits limits{
      .max_attribute_length = 9, .max_attributes = 3, .max_events = 2, .max_links = 1};
  auto decoded = decode_protobuf(request.SerializeAsString(), limits);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  ASSERT_EQ(decoded->spans.size(), 1u);
  const StoredSpan& s = decoded->spans[0];
  EXPECT_EQ(s.name, std::string(9, 'n'));
  const auto attributes = parse(s.attributes_json).as_array();
  ASSERT_EQ(attributes.size(), 3u);
  EXPECT_EQ(attributes[0].at("value").at("stringValue").as_string(),
            "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9");  // 8 bytes: whole characters only
  EXPECT_EQ(s.dropped_attributes, 1u + 3u);       // as sent, plus three of the six
  const auto events = parse(s.events_json).as_array();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].at("attributes").as_array().size(), 3u);
  EXPECT_EQ(events[0].at("droppedAttributesCount").as_int64(), 1);
  EXPECT_EQ(s.dropped_events, 4u);
  EXPECT_EQ(parse(s.links_json).as_array().size(), 1u);
  EXPECT_EQ(s.dropped_links, 3u);
  const auto resource = parse(s.resource_json);
  EXPECT_EQ(resource.at("attributes").as_array().size(), 3u);
  EXPECT_EQ(resource.at("droppedAttributesCount").as_int64(), 2);

  // The array's elements are held to the attribute count too.
  SpanLimits wide = limits;
  wide.max_attributes = 100;
  auto decoded_wide = decode_protobuf(request.SerializeAsString(), wide);
  ASSERT_TRUE(decoded_wide.ok());
  EXPECT_EQ(parse(decoded_wide->spans[0].attributes_json)
                .as_array()[5]
                .at("value")
                .at("arrayValue")
                .at("values")
                .as_array()
                .size(),
            10u);
  wide.max_attributes = 6;
  auto decoded_narrow = decode_protobuf(request.SerializeAsString(), wide);
  EXPECT_EQ(parse(decoded_narrow->spans[0].attributes_json)
                .as_array()[5]
                .at("value")
                .at("arrayValue")
                .at("values")
                .as_array()
                .size(),
            6u);
}

TEST(CollectorDecode, AllZeroIdsAreRefusedPerSpan) {
  testing::otlpv1::ExportTraceServiceRequest request;
  add_span(request, 1, "good");
  add_span(request, 2, "zero trace");
  add_span(request, 3, "zero span");
  add_span(request, 4, "zero parent and link");
  auto* spans = request.mutable_resource_spans(0)->mutable_scope_spans(0);
  spans->mutable_spans(1)->set_trace_id(std::string(16, '\0'));
  spans->mutable_spans(2)->set_span_id(std::string(8, '\0'));
  spans->mutable_spans(3)->set_parent_span_id(std::string(8, '\0'));
  auto* link = spans->mutable_spans(3)->add_links();
  link->set_trace_id(std::string(16, '\0'));
  link->set_span_id(std::string(8, '\0'));
  auto decoded = decode_protobuf(request.SerializeAsString());
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->rejected, 2);
  EXPECT_NE(decoded->rejected_reason.find("all zeros"), std::string::npos);
  ASSERT_EQ(decoded->spans.size(), 2u);
  EXPECT_EQ(decoded->spans[1].parent_span_id, "");  // a zero parent means no parent
  EXPECT_EQ(decoded->spans[1].links_json, "[]");
  EXPECT_EQ(decoded->spans[1].dropped_links, 1u);
  EXPECT_NE(partial_success_message(*decoded).find("2 span(s) refused"), std::string::npos);

  auto json = decode_json(
      R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"00000000000000000000000000000000","spanId":"b7ad6b7169203331"},{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"0000000000000000"},{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331"}]}]}]})");
  ASSERT_TRUE(json.ok()) << json.error().message;
  EXPECT_EQ(json->rejected, 2);
  EXPECT_EQ(json->spans.size(), 1u);
}

TEST(CollectorDecode, InvalidUtf8IsRepairedPerValueNotRefusedPerRequest) {
  testing::otlpv1::ExportTraceServiceRequest request;
  add_span(request, 1, "fine");
  add_span(request, 2, "@@@@");  // becomes invalid UTF-8 below
  std::string body = request.SerializeAsString();
  const auto at = body.find("@@@@");
  ASSERT_NE(at, std::string::npos);
  body.replace(at, 4, "a\xFF\xC3z");  // a stray byte and a cut two-byte sequence
  // protobuf itself refuses the whole message:
  testing::otlpv1::ExportTraceServiceRequest strict;
  ASSERT_FALSE(strict.ParseFromString(body));
  auto decoded = decode_protobuf(body);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  ASSERT_EQ(decoded->spans.size(), 2u);
  EXPECT_EQ(decoded->rejected, 0);
  EXPECT_EQ(decoded->repaired_values, 1u);
  EXPECT_EQ(parse(decoded->spans[1].attributes_json).as_array()[0].at("value").at("stringValue"),
            "a\xEF\xBF\xBD\xEF\xBF\xBDz");
  EXPECT_NE(partial_success_message(*decoded).find("UTF-8"), std::string::npos);
  // Still garbage is still refused.
  EXPECT_FALSE(decode_protobuf(body.substr(0, body.size() - 3)).ok());

  auto json = decode_json(
      "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":"
      "\"0af7651916cd43dd8448eb211c80319c\",\"spanId\":\"b7ad6b7169203331\",\"name\":\"x\xFFy\"}]}]"
      "}]}");
  ASSERT_TRUE(json.ok()) << json.error().message;
  ASSERT_EQ(json->spans.size(), 1u);
  EXPECT_EQ(json->spans[0].name, "x\xEF\xBF\xBDy");
  EXPECT_EQ(json->repaired_values, 1u);
}

TEST(CollectorDecode, GarbageIsAnErrorNotACrash) {
  EXPECT_FALSE(decode_protobuf("\xff\xff\xff\xff garbage").ok());
  // A length prefix pointing past the end (a truncated message).
  KnownSpans known = testing::make_known_spans();
  std::string body;
  otlp::encode_request(known.spans, body);
  EXPECT_FALSE(decode_protobuf(std::string_view(body).substr(0, body.size() / 2)).ok());

  EXPECT_FALSE(decode_json("{").ok());
  EXPECT_FALSE(decode_json("[1,2]").ok());
  EXPECT_FALSE(decode_json(R"({"resourceSpans":"nope"})").ok());
  // A bad hex id refuses that span only.
  auto bad_hex = decode_json(
      R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz","spanId":"b7ad6b7169203331"},{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331"}]}]}]})");
  ASSERT_TRUE(bad_hex.ok()) << bad_hex.error().message;
  EXPECT_EQ(bad_hex->rejected, 1);
  EXPECT_EQ(bad_hex->spans.size(), 1u);
  EXPECT_NE(bad_hex->rejected_reason.find("traceId \"xyz\""), std::string::npos)
      << bad_hex->rejected_reason;
  auto bad_time = decode_json(
      R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"soon"}]}]}]})");
  EXPECT_FALSE(bad_time.ok());
  // An enum name from a newer protocol version is ignored like an unknown field (proto3 JSON).
  auto new_kind = decode_json(
      R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","kind":"SPAN_KIND_FUTURE"}]}]}]})");
  ASSERT_TRUE(new_kind.ok()) << new_kind.error().message;
  EXPECT_EQ(new_kind->spans.at(0).kind, 0);
  // Deep nesting must not blow the stack.
  std::string deep(100000, '[');
  EXPECT_FALSE(decode_json(deep).ok());
}

// One resource of 32 attributes of 32 KiB (1 MiB) and `spans` spans with nothing but ids.
testing::otlpv1::ExportTraceServiceRequest large_resource_request(int spans) {
  testing::otlpv1::ExportTraceServiceRequest request;
  auto* rs = request.add_resource_spans();
  for (int i = 0; i < 32; ++i) {
    auto* kv = rs->mutable_resource()->add_attributes();
    kv->set_key("k" + std::to_string(i));
    kv->mutable_value()->set_string_value(std::string(32 * 1024, 'x'));
  }
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("lib");
  for (int i = 0; i < spans; ++i) {
    auto* span = ss->add_spans();
    span->set_trace_id(std::string(16, '\x07'));
    span->set_span_id(std::string(7, '\x01') + static_cast<char>(i + 1));
  }
  return request;
}

// The spans of one resource and scope share its decoded text rather than a copy each: a
// ~1 MiB resource followed by N tiny spans cost N MiB (the reviewer's amplification).
TEST(CollectorDecode, SpansShareTheirResourceAndScopeText) {
  const std::string body = large_resource_request(100).SerializeAsString();
  auto decoded = decode_protobuf(body);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  ASSERT_EQ(decoded->spans.size(), 100u);
  const StoredSpan& first = decoded->spans.front();
  EXPECT_GT(first.resource_json.size(), 32u * 32 * 1024);
  EXPECT_NE(first.scope_json.find("\"lib\""), std::string::npos);
  for (const StoredSpan& s : decoded->spans) {
    EXPECT_TRUE(s.resource_json.same_as(first.resource_json));
    EXPECT_TRUE(s.scope_json.same_as(first.scope_json));
  }
  // The same text from OTLP/JSON, shared the same way.
  std::string json_body = R"({"resourceSpans":[{"resource":{"attributes":[)";
  for (int i = 0; i < 32; ++i) {
    json_body += std::string(i ? "," : "") + R"({"key":"k)" + std::to_string(i) +
                 R"(","value":{"stringValue":")" + std::string(32 * 1024, 'x') + "\"}}";
  }
  json_body +=
      R"(]},"scopeSpans":[{"scope":{"name":"lib"},"spans":[)"
      R"({"traceId":"07070707070707070707070707070707","spanId":"0101010101010101"},)"
      R"({"traceId":"07070707070707070707070707070707","spanId":"0101010101010102"}]}]}]})";
  auto from_json = decode_json(json_body);
  ASSERT_TRUE(from_json.ok()) << from_json.error().message;
  ASSERT_EQ(from_json->spans.size(), 2u);
  EXPECT_EQ(from_json->spans[0].resource_json, first.resource_json);
  EXPECT_EQ(from_json->spans[0].scope_json, first.scope_json);
  EXPECT_TRUE(from_json->spans[1].resource_json.same_as(from_json->spans[0].resource_json));
}

TEST(CollectorDecode, LogRecordsShareTheirResourceAndScopeText) {
  logsv1::ExportLogsServiceRequest request;
  auto* rl = request.add_resource_logs();
  auto* kv = rl->mutable_resource()->add_attributes();
  kv->set_key("big");
  kv->mutable_value()->set_string_value(std::string(32 * 1024, 'y'));
  for (int scope = 0; scope < 2; ++scope) {
    auto* sl = rl->add_scope_logs();
    sl->mutable_scope()->set_name("scope" + std::to_string(scope));
    for (int i = 0; i < 50; ++i)
      sl->add_log_records();  // empty: 2 bytes on the wire
  }
  auto decoded = decode_logs_protobuf(request.SerializeAsString());
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  ASSERT_EQ(decoded->logs.size(), 100u);
  for (size_t i = 0; i < decoded->logs.size(); ++i) {
    const StoredLog& l = decoded->logs[i];
    EXPECT_TRUE(l.resource_json.same_as(decoded->logs[0].resource_json));
    EXPECT_TRUE(l.scope_json.same_as(decoded->logs[i < 50 ? 0 : 50].scope_json));
  }
  EXPECT_NE(decoded->logs[0].scope_json, decoded->logs[50].scope_json);
  EXPECT_NE(decoded->logs[50].scope_json.find("scope1"), std::string::npos);
  // Counted once in what the records hold: a record is a few hundred bytes, not 32 KiB.
  EXPECT_LT(log_memory_bytes(decoded->logs[1]), 1024u);
}

// The census counts from the bytes exactly what the parser finds.
TEST(CollectorDecode, TheCensusCountsRecordsAndMessagesFromTheBytes) {
  KnownSpans known = testing::make_known_spans();
  std::string body;
  otlp::encode_request(known.spans, body);
  testing::otlpv1::ExportTraceServiceRequest request;
  ASSERT_TRUE(request.ParseFromString(body));
  const RequestCensus census = trace_request_census(body);
  EXPECT_EQ(census.records, known.spans.size());
  EXPECT_GT(census.messages, census.records);  // resources, scopes, attributes, events, links
  // A truncated body is counted up to where it breaks, never past it.
  const RequestCensus half =
      trace_request_census(std::string_view(body).substr(0, body.size() / 2));
  EXPECT_LE(half.records, census.records);
  EXPECT_EQ(trace_request_census("\xff\xff\xff garbage").records, 0u);

  logsv1::ExportLogsServiceRequest logs;
  auto* sl = logs.add_resource_logs()->add_scope_logs();
  for (int i = 0; i < 7; ++i)
    sl->add_log_records()->add_attributes()->set_key("a");
  const RequestCensus log_census = logs_request_census(logs.SerializeAsString());
  EXPECT_EQ(log_census.records, 7u);
  EXPECT_EQ(log_census.messages, 2u + 7u * 2);  // ResourceLogs, ScopeLogs, records, KeyValues
}

// More records than a request may hold: refused whole with "too large" (413 /
// RESOURCE_EXHAUSTED at the receivers) before anything is parsed or built, in every encoding.
TEST(CollectorDecode, TooManyRecordsAreRefusedBeforeDecoding) {
  const SpanLimits limits{.max_request_records = 10};
  auto spans = decode_protobuf(large_resource_request(11).SerializeAsString(), limits);
  ASSERT_FALSE(spans.ok());
  EXPECT_TRUE(spans.error().message.starts_with("too large")) << spans.error().message;
  EXPECT_NE(spans.error().message.find("11 spans"), std::string::npos) << spans.error().message;
  EXPECT_TRUE(decode_protobuf(large_resource_request(10).SerializeAsString(), limits).ok());

  std::string json_body = R"({"resourceSpans":[{"scopeSpans":[{"spans":[)";
  for (int i = 0; i < 11; ++i)
    json_body += std::string(i ? "," : "") + "{}";
  json_body += "]}]}]}";
  auto from_json = decode_json(json_body, limits);
  ASSERT_FALSE(from_json.ok());
  EXPECT_TRUE(from_json.error().message.starts_with("too large")) << from_json.error().message;

  // 2 bytes a record: 300,000 empty log records are 600 KB, past the default 200,000.
  logsv1::ExportLogsServiceRequest logs;
  auto* sl = logs.add_resource_logs()->add_scope_logs();
  for (int i = 0; i < 300'000; ++i)
    sl->add_log_records();
  auto refused = decode_logs_protobuf(logs.SerializeAsString());
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.error().message.starts_with("too large")) << refused.error().message;
  EXPECT_NE(refused.error().message.find("300000 log records"), std::string::npos);
  std::string json_logs = R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[)";
  for (int i = 0; i < 11; ++i)
    json_logs += std::string(i ? "," : "") + "{}";
  json_logs += "]}]}]}";
  auto refused_json = decode_logs_json(json_logs, limits);
  ASSERT_FALSE(refused_json.ok());
  EXPECT_TRUE(refused_json.error().message.starts_with("too large"));
  // A message built in memory is held to the same bound.
  EXPECT_FALSE(logs_from_request(logs).ok());
}

// Few records but millions of empty attributes (2 bytes each on the wire, an object and its
// JSON decoded): refused by the estimated decoded size, before protobuf builds them.
TEST(CollectorDecode, TooMuchToDecodeIsRefusedByItsEstimate) {
  testing::otlpv1::ExportTraceServiceRequest request = large_resource_request(1);
  auto* span = request.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0);
  for (int i = 0; i < 100'000; ++i)
    span->add_attributes();
  const std::string body = request.SerializeAsString();
  const SpanLimits small{.max_request_decoded_bytes = 8u << 20};
  auto refused = decode_protobuf(body, small);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.error().message.starts_with("too large")) << refused.error().message;
  EXPECT_NE(refused.error().message.find("decoding the request would take"), std::string::npos);
  auto accepted = decode_protobuf(body);  // the default bound (256 MiB) takes it
  ASSERT_TRUE(accepted.ok()) << accepted.error().message;
  EXPECT_EQ(accepted->spans.at(0).dropped_attributes, 100'000u - 128);
  // What the estimate cannot see is counted as the records are built: text that grows when
  // written as JSON (each control character becomes six).
  testing::otlpv1::ExportTraceServiceRequest escaped;
  auto* s = escaped.add_resource_spans()->add_scope_spans()->add_spans();
  s->set_trace_id(std::string(16, '\x07'));
  s->set_span_id(std::string(8, '\x01'));
  for (int i = 0; i < 64; ++i) {
    auto* kv = s->add_attributes();
    kv->set_key("k" + std::to_string(i));
    kv->mutable_value()->set_string_value(std::string(32 * 1024, '\x01'));
  }
  const std::string escaped_body = escaped.SerializeAsString();  // 2 MiB, 12 MiB as JSON
  const SpanLimits tight{.max_request_decoded_bytes = 8u << 20};
  ASSERT_LT(estimated_decoding_bytes(escaped_body.size(), trace_request_census(escaped_body), 0),
            tight.max_request_decoded_bytes);
  auto grown = decode_protobuf(escaped_body, tight);
  ASSERT_FALSE(grown.ok());
  EXPECT_TRUE(grown.error().message.starts_with("too large")) << grown.error().message;
}

TEST(CollectorDecode, GzipRoundTripTruncationAndBombs) {
  const std::string plain(100000, 'x');
  const std::string packed = gzip(plain);
  auto out = gunzip(packed, 1 << 20);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(*out, plain);
  EXPECT_FALSE(gunzip(std::string_view(packed).substr(0, packed.size() - 10), 1 << 20).ok());
  EXPECT_FALSE(gunzip("not gzip at all", 1 << 20).ok());
  auto bomb = gunzip(packed, 50000);
  ASSERT_FALSE(bomb.ok());
  EXPECT_TRUE(bomb.error().message.starts_with("too large")) << bomb.error().message;
  auto empty = gunzip(gzip(""), 10);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "");
}

}  // namespace
}  // namespace tracekit::collector
