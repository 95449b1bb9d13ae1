// SPDX-License-Identifier: Apache-2.0
// OTLP decoding: protobuf from our encoder checked field by field against the span records,
// OTLP/JSON in every spelling the specification allows, gzip, and payloads that must be refused.
#include <gtest/gtest.h>
#include <zlib.h>

#include "collector_test_support.h"
#include "otlp_decode.h"
#include "tracekit/otlp/encoder.h"

namespace tracekit::collector {
namespace {

using testing::KnownSpans;

std::string gzip(std::string_view in) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

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
