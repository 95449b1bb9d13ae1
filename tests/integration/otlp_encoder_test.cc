// SPDX-License-Identifier: Apache-2.0
// The OTLP encoders against libprotobuf's generated classes: every field of a known set of spans
// survives protobuf and JSON encoding, and our protobuf bytes are exactly what libprotobuf
// itself would write for the same message.
#include <gtest/gtest.h>

#include <variant>

#include "google/rpc/retry_info.pb.h"
#include "google/rpc/status.pb.h"
#include "otlp_support.h"
#include "tracekit/detail/utf8.h"
#include "tracekit/otlp/encoder.h"
#include "tracekit/otlp_json.h"

namespace tracekit::testing {
namespace {

const tracev1::Span* find_span(const otlpv1::ExportTraceServiceRequest& req,
                               std::string_view name) {
  for (const auto& rs : req.resource_spans())
    for (const auto& ss : rs.scope_spans())
      for (const auto& s : ss.spans())
        if (s.name() == name) return &s;
  return nullptr;
}

const commonv1::AnyValue* find_attr(const tracev1::Span& s, std::string_view key) {
  for (const auto& kv : s.attributes())
    if (kv.key() == key) return &kv.value();
  return nullptr;
}

// Checks a few values literally, so the test does not rest on the span records alone.
void expect_literals(const otlpv1::ExportTraceServiceRequest& req) {
  ASSERT_EQ(req.resource_spans_size(), 1);
  const auto& rs = req.resource_spans(0);
  EXPECT_EQ(rs.schema_url(), "https://opentelemetry.io/schemas/1.21.0");
  ASSERT_EQ(rs.scope_spans_size(), 2);
  EXPECT_EQ(rs.scope_spans(0).scope().name(), "tracekit.test");
  EXPECT_EQ(rs.scope_spans(0).scope().version(), "4.5.6");
  EXPECT_EQ(rs.scope_spans(1).scope().name(), "second-lib");
  EXPECT_EQ(rs.scope_spans(1).schema_url(), "https://opentelemetry.io/schemas/1.24.0");
  bool found_service = false;
  for (const auto& kv : rs.resource().attributes()) {
    if (kv.key() == "service.name") {
      found_service = true;
      EXPECT_EQ(kv.value().string_value(), "checkout");
    }
  }
  EXPECT_TRUE(found_service);

  const tracev1::Span* server = find_span(req, "GET /tools/{id}");
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->kind(), tracev1::Span::SPAN_KIND_SERVER);
  EXPECT_EQ(server->start_time_unix_nano(), 1'700'000'000'000'000'000ull);
  EXPECT_EQ(server->end_time_unix_nano(), 1'700'000'000'005'000'000ull);
  EXPECT_TRUE(server->parent_span_id().empty());
  EXPECT_EQ(server->trace_id().size(), 16u);
  EXPECT_EQ(server->span_id().size(), 8u);
  EXPECT_EQ(server->flags(), 0x103u);  // sampled + random trace id, parent known not remote
  EXPECT_EQ(server->status().code(), tracev1::Status::STATUS_CODE_OK);
  ASSERT_NE(find_attr(*server, "http.status_code"), nullptr);
  EXPECT_EQ(find_attr(*server, "http.status_code")->int_value(), 200);
  EXPECT_EQ(find_attr(*server, "negative")->int_value(), -42);
  EXPECT_EQ(find_attr(*server, "ratio")->double_value(), 3.5);
  EXPECT_EQ(find_attr(*server, "cached")->value_case(), commonv1::AnyValue::kBoolValue);
  EXPECT_EQ(find_attr(*server, "empty")->value_case(), commonv1::AnyValue::kStringValue);
  EXPECT_EQ(find_attr(*server, "unicode")->string_value(), "h\xC3\xA9llo \xE2\x9C\x93");
  EXPECT_EQ(find_attr(*server, "ints")->array_value().values(3).int_value(), INT64_MAX);
  EXPECT_EQ(find_attr(*server, "ints")->array_value().values(4).int_value(), INT64_MIN);
  ASSERT_EQ(server->events_size(), 2);
  EXPECT_EQ(server->events(0).name(), "cache.miss");
  EXPECT_EQ(server->events(0).time_unix_nano(), 1'700'000'000'001'000'000ull);

  const tracev1::Span* client = find_span(req, "db.query");
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->parent_span_id(), server->span_id());
  EXPECT_EQ(client->trace_id(), server->trace_id());
  EXPECT_EQ(client->status().code(), tracev1::Status::STATUS_CODE_ERROR);
  EXPECT_EQ(client->status().message(), "connection reset");
  ASSERT_EQ(client->links_size(), 1);
  EXPECT_EQ(client->links(0).trace_state(), "vendor=abc,other=1");
  EXPECT_EQ(client->links(0).flags(), 0x301u);  // sampled, remote

  const tracev1::Span* consumer = find_span(req, "consume");
  ASSERT_NE(consumer, nullptr);
  EXPECT_EQ(consumer->kind(), tracev1::Span::SPAN_KIND_CONSUMER);
  EXPECT_EQ(consumer->trace_state(), "k=v");
  EXPECT_EQ(consumer->flags(), 0x303u);  // sampled + random, parent remote
  EXPECT_EQ(consumer->links(0).flags(), 0x100u);

  const tracev1::Span* overflow = find_span(req, "overflow");
  ASSERT_NE(overflow, nullptr);
  EXPECT_EQ(overflow->attributes_size(), 12);
  EXPECT_EQ(overflow->dropped_attributes_count(), 2u);
  EXPECT_EQ(overflow->events_size(), 3);
  EXPECT_EQ(overflow->dropped_events_count(), 1u);
  EXPECT_EQ(overflow->events(0).dropped_attributes_count(), 1u);
  EXPECT_EQ(overflow->links_size(), 2);
  EXPECT_EQ(overflow->dropped_links_count(), 1u);
  EXPECT_EQ(overflow->links(0).dropped_attributes_count(), 1u);
  EXPECT_EQ(overflow->kind(), tracev1::Span::SPAN_KIND_INTERNAL);

  const tracev1::Span* producer = find_span(req, "publish");
  ASSERT_NE(producer, nullptr);
  EXPECT_EQ(producer->kind(), tracev1::Span::SPAN_KIND_PRODUCER);
}

TEST(OtlpProtobufEncoder, EveryFieldOfKnownSpansSurvives) {
  KnownSpans k = make_known_spans();
  ASSERT_EQ(k.spans.size(), 5u);
  std::string bytes;
  otlp::encode_request(k.spans, bytes);
  otlpv1::ExportTraceServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(bytes));
  EXPECT_EQ(expect_request_matches(req, k.spans), k.spans.size());
  expect_literals(req);
}

TEST(OtlpProtobufEncoder, BytesEqualLibprotobufSerialization) {
  KnownSpans k = make_known_spans();
  std::string ours;
  otlp::encode_request(k.spans, ours);
  otlpv1::ExportTraceServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(ours));
  std::string theirs;
  {
    google::protobuf::io::StringOutputStream sos(&theirs);
    google::protobuf::io::CodedOutputStream cos(&sos);
    cos.SetSerializationDeterministic(true);
    ASSERT_TRUE(req.SerializeToCodedStream(&cos));
  }
  EXPECT_EQ(ours.size(), theirs.size());
  EXPECT_TRUE(ours == theirs) << "our encoding is not canonical";
}

TEST(OtlpProtobufEncoder, AppendsToWhatIsThere) {
  KnownSpans k = make_known_spans();
  std::string alone, appended = "prefix";
  otlp::encode_request(k.spans, alone);
  otlp::encode_request(k.spans, appended);
  EXPECT_EQ(appended, "prefix" + alone);
}

TEST(OtlpProtobufEncoder, LongValuesManySpansAndBigMessages) {
  auto store = std::make_shared<InMemorySpanStore>();
  TracerProviderOptions o;
  o.processors.push_back(
      std::make_unique<SimpleSpanProcessor>(std::make_unique<InMemorySpanExporter>(store)));
  TracerProvider provider(std::move(o));
  Tracer& tracer = provider.get_tracer("big");
  std::string long_text(20000, 'x');  // needs a 3-byte length inside a span
  std::vector<int64_t> many(300);
  for (size_t i = 0; i < many.size(); ++i)
    many[i] = static_cast<int64_t>(i) * 1'000'003;
  // ~5000 spans of ~600 bytes: the ScopeSpans message passes 2 MiB (a 4-byte length).
  for (int i = 0; i < 5000; ++i) {
    std::string name = "span-";
    name += std::to_string(i);
    Span s = tracer.start_span(name);
    s.set_attribute("text", std::string_view(long_text).substr(0, i == 7 ? 20000 : 500));
    if (i % 100 == 0) s.set_attribute("many", many);
  }
  auto spans = store->spans();
  std::string bytes;
  otlp::encode_request(spans, bytes);
  EXPECT_GT(bytes.size(), 2u * 1024 * 1024);
  otlpv1::ExportTraceServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(bytes));
  EXPECT_EQ(expect_request_matches(req, spans), spans.size());
  std::string theirs;
  {
    google::protobuf::io::StringOutputStream sos(&theirs);
    google::protobuf::io::CodedOutputStream cos(&sos);
    cos.SetSerializationDeterministic(true);
    ASSERT_TRUE(req.SerializeToCodedStream(&cos));
  }
  EXPECT_TRUE(bytes == theirs);
}

TEST(OtlpProtobufEncoder, InvalidUtf8IsReplaced) {
  auto store = std::make_shared<InMemorySpanStore>();
  TracerProviderOptions o;
  o.processors.push_back(
      std::make_unique<SimpleSpanProcessor>(std::make_unique<InMemorySpanExporter>(store)));
  TracerProvider provider(std::move(o));
  {
    Span s = provider.get_tracer("t").start_span("bad\xFFname");
    s.set_attribute("k", "a\xC3(b");  // a truncated two-byte sequence
  }
  std::string bytes;
  otlp::encode_request(store->spans(), bytes);
  otlpv1::ExportTraceServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(bytes));  // libprotobuf rejects invalid UTF-8 in proto3
  const auto& span = req.resource_spans(0).scope_spans(0).spans(0);
  EXPECT_EQ(span.name(), "bad\xEF\xBF\xBDname");
  EXPECT_EQ(span.attributes(0).value().string_value(), "a\xEF\xBF\xBD(b");
}

// Short string and integer attributes take a path of their own (Writer::small_key_value): at
// every key and value length around its limits, ASCII or not, valid UTF-8 or not, the bytes are
// libprotobuf's and the values survive.
TEST(OtlpProtobufEncoder, AttributesOfEveryLengthAndKind) {
  auto store = std::make_shared<InMemorySpanStore>();
  TracerProviderOptions o;
  o.limits.attribute_count = 100000;
  o.processors.push_back(
      std::make_unique<SimpleSpanProcessor>(std::make_unique<InMemorySpanExporter>(store)));
  TracerProvider provider(std::move(o));
  struct Expected {
    std::string key;
    std::variant<std::string, int64_t> value;
  };
  std::vector<Expected> expected;
  std::vector<std::string> names;
  {
    Span s = provider.get_tracer("t").start_span("lengths");
    const std::vector<size_t> key_lengths = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 99, 100, 101, 130};
    const std::vector<size_t> value_lengths = {0,  1,  2,  3,  4,  5,  7,   8,   9,   15,  16,
                                               17, 23, 24, 25, 31, 64, 119, 120, 121, 122, 200};
    const std::vector<int64_t> ints = {0, 1, 127, 128, 16383, 16384, -1, INT64_MAX, INT64_MIN};
    int variant = 0;
    for (size_t kl : key_lengths) {
      for (size_t vl : value_lengths) {
        std::string key(kl, 'k');
        key += std::to_string(variant++);  // distinct keys
        std::string value(vl, 'v');
        for (size_t i = 0; i < vl; ++i)
          value[i] = static_cast<char>('a' + (i * 7 + kl) % 26);
        switch (variant % 4) {
          case 1:  // valid UTF-8, not ASCII, in the last word
            if (vl >= 2) value.replace(vl - 2, 2, "\xC3\xA9");
            break;
          case 2:  // invalid UTF-8: replaced by U+FFFD
            if (vl >= 1) value[vl / 2] = '\xFF';
            break;
          case 3:  // a non-ASCII key
            key += "\xC3\xA9";
            break;
          default:
            break;
        }
        s.set_attribute(key, value);
        expected.push_back({key, tracekit::detail::utf8::sanitize(value)});
        if (kl == 1) {  // span names take the same short-text path (Writer::string_always)
          Span named = provider.get_tracer("t").start_span(value);
          names.push_back(tracekit::detail::utf8::sanitize(value));
        }
      }
      for (int64_t v : ints) {
        std::string key(kl, 'i');
        key += std::to_string(variant++);
        s.set_attribute(key, v);
        expected.push_back({key, v});
      }
    }
  }
  std::string bytes;
  otlp::encode_request(store->spans(), bytes);
  otlpv1::ExportTraceServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(bytes));
  const auto& spans = req.resource_spans(0).scope_spans(0).spans();
  ASSERT_EQ(static_cast<size_t>(spans.size()), names.size() + 1);
  for (size_t i = 0; i < names.size(); ++i)
    EXPECT_EQ(spans[static_cast<int>(i)].name(), names[i]) << i;
  const auto& span = spans[static_cast<int>(names.size())];
  EXPECT_EQ(span.name(), "lengths");
  ASSERT_EQ(static_cast<size_t>(span.attributes_size()), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const auto& kv = span.attributes(static_cast<int>(i));
    EXPECT_EQ(kv.key(), expected[i].key) << i;
    if (const auto* text = std::get_if<std::string>(&expected[i].value)) {
      EXPECT_EQ(kv.value().value_case(), commonv1::AnyValue::kStringValue) << i;
      EXPECT_EQ(kv.value().string_value(), *text) << kv.key();
    } else {
      EXPECT_EQ(kv.value().int_value(), std::get<int64_t>(expected[i].value)) << kv.key();
    }
  }
  std::string theirs;
  {
    google::protobuf::io::StringOutputStream sos(&theirs);
    google::protobuf::io::CodedOutputStream cos(&sos);
    cos.SetSerializationDeterministic(true);
    ASSERT_TRUE(req.SerializeToCodedStream(&cos));
  }
  EXPECT_TRUE(bytes == theirs) << "our encoding is not canonical";
}

// Spans of two providers (two resources) and their scopes, interleaved as a shared exporter could
// receive them: each resource and each of its scopes is written once, in first-seen order, with
// its spans in batch order. The grouping reads a span's resource only when its scope changes
// (span_grouping.h), so runs of one scope and alternations are both here.
TEST(OtlpEncoders, InterleavedScopesAndResourcesAreGroupedInFirstSeenOrder) {
  auto store = std::make_shared<InMemorySpanStore>();
  auto make_provider = [&](std::string_view service) {
    TracerProviderOptions o;
    OwnedAttributes res;
    res.set("service.name", service);
    o.resource = Resource(std::move(res));
    o.processors.push_back(
        std::make_unique<SimpleSpanProcessor>(std::make_unique<InMemorySpanExporter>(store)));
    return std::make_unique<TracerProvider>(std::move(o));
  };
  auto a = make_provider("a");
  auto b = make_provider("b");
  Tracer* tracers[] = {&a->get_tracer("a.one"), &b->get_tracer("b.one"), &a->get_tracer("a.two"),
                       &b->get_tracer("b.two")};
  // Which tracer ends each span: runs, alternations, and a return to an earlier scope.
  const int order[] = {0, 0, 1, 2, 2, 0, 3, 1, 1, 2, 0, 3, 3, 0};
  for (size_t i = 0; i < std::size(order); ++i)
    tracers[order[i]]->start_span("s" + std::to_string(i)).end();
  const auto spans = store->spans();
  ASSERT_EQ(spans.size(), std::size(order));

  // What the request must hold: resource -> scope -> span names, in first-seen order.
  const std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>>
      expected = {{"a", {{"a.one", "s0 s1 s5 s10 s13"}, {"a.two", "s3 s4 s9"}}},
                  {"b", {{"b.one", "s2 s7 s8"}, {"b.two", "s6 s11 s12"}}}};
  auto check = [&](const otlpv1::ExportTraceServiceRequest& req) {
    ASSERT_EQ(req.resource_spans_size(), 2);
    for (int r = 0; r < 2; ++r) {
      const auto& rs = req.resource_spans(r);
      ASSERT_EQ(rs.resource().attributes_size(), 1);
      EXPECT_EQ(rs.resource().attributes(0).value().string_value(), expected[r].first);
      ASSERT_EQ(rs.scope_spans_size(), 2);
      for (int g = 0; g < 2; ++g) {
        const auto& ss = rs.scope_spans(g);
        EXPECT_EQ(ss.scope().name(), expected[r].second[g].first);
        std::string names;
        for (const auto& span : ss.spans())
          names += (names.empty() ? "" : " ") + span.name();
        EXPECT_EQ(names, expected[r].second[g].second);
      }
    }
  };
  std::string bytes;
  otlp::encode_request(spans, bytes);
  otlpv1::ExportTraceServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(bytes));
  check(req);
  EXPECT_EQ(expect_request_matches(req, spans), spans.size());

  std::string json;
  otlp_json::encode_request(spans, json);
  otlpv1::ExportTraceServiceRequest from_json;
  ASSERT_EQ(json_to_request(json, &from_json), "") << json;
  check(from_json);
}

TEST(OtlpProtobufEncoder, EmptyBatchIsAnEmptyRequest) {
  std::string bytes;
  otlp::encode_request({}, bytes);
  EXPECT_TRUE(bytes.empty());
}

TEST(OtlpJsonEncoder, EveryFieldOfKnownSpansSurvives) {
  KnownSpans k = make_known_spans();
  std::string json;
  otlp_json::encode_request(k.spans, json);
  otlpv1::ExportTraceServiceRequest req;
  std::string err = json_to_request(json, &req);
  ASSERT_EQ(err, "") << json;
  EXPECT_EQ(expect_request_matches(req, k.spans), k.spans.size());
  expect_literals(req);
}

TEST(OtlpJsonEncoder, FollowsOtlpJsonRules) {
  KnownSpans k = make_known_spans();
  std::string json;
  otlp_json::encode_request(k.spans, json);
  // Enums as numbers, 64-bit integers as strings, hex ids, lowerCamelCase keys.
  EXPECT_NE(json.find("\"kind\":2"), std::string::npos);
  EXPECT_NE(json.find("\"startTimeUnixNano\":\"1700000000000000000\""), std::string::npos);
  EXPECT_NE(json.find("\"intValue\":\"200\""), std::string::npos);
  EXPECT_NE(json.find("\"intValue\":\"-9223372036854775808\""), std::string::npos);
  EXPECT_NE(json.find("\"droppedAttributesCount\":2"), std::string::npos);
  EXPECT_EQ(json.find("SPAN_KIND"), std::string::npos);
  EXPECT_EQ(json.find("_count"), std::string::npos);
  const std::string hex = k.spans[0]->context().trace_id().to_hex();
  EXPECT_NE(json.find("\"traceId\":\"" + hex + "\""), std::string::npos);
}

TEST(OtlpResponse, PartialSuccessFromProtobuf) {
  otlpv1::ExportTraceServiceResponse r;
  r.mutable_partial_success()->set_rejected_spans(7);
  r.mutable_partial_success()->set_error_message("too old");
  otlp::PartialSuccess ps;
  ASSERT_TRUE(otlp::decode_response(r.SerializeAsString(), ps));
  EXPECT_EQ(ps.rejected_spans, 7);
  EXPECT_EQ(ps.error_message, "too old");

  otlp::PartialSuccess empty;
  EXPECT_TRUE(otlp::decode_response("", empty));
  EXPECT_EQ(empty.rejected_spans, 0);
  EXPECT_FALSE(otlp::decode_response("\x0a\x05\x08", empty));  // truncated
}

TEST(OtlpResponse, PartialSuccessFromJson) {
  otlp::PartialSuccess ps;
  ASSERT_TRUE(otlp::decode_json_response(
      R"({"partialSuccess":{"rejectedSpans":"3","errorMessage":"bad \"span\" \u00e9"},"x":[1,{"y":null}]})",
      ps));
  EXPECT_EQ(ps.rejected_spans, 3);
  EXPECT_EQ(ps.error_message, "bad \"span\" \xC3\xA9");
  otlp::PartialSuccess num;
  ASSERT_TRUE(
      otlp::decode_json_response(R"( { "partialSuccess" : { "rejectedSpans" : 4 } } )", num));
  EXPECT_EQ(num.rejected_spans, 4);
  otlp::PartialSuccess none;
  EXPECT_TRUE(otlp::decode_json_response("{}", none));
  EXPECT_TRUE(otlp::decode_json_response("", none));
  EXPECT_EQ(none.rejected_spans, 0);
  EXPECT_FALSE(otlp::decode_json_response("{\"partialSuccess\":", none));
  EXPECT_FALSE(otlp::decode_json_response("[", none));
  // A repeated key replaces the earlier value (found by fuzz_otlp_response: it was appended).
  otlp::PartialSuccess twice;
  ASSERT_TRUE(otlp::decode_json_response(
      R"({"partialSuccess":{"errorMessage":"first","errorMessage":"second"}})", twice));
  EXPECT_EQ(twice.error_message, "second");
}

TEST(OtlpResponse, RpcStatusWithRetryInfo) {
  google::rpc::RetryInfo info;
  info.mutable_retry_delay()->set_seconds(2);
  info.mutable_retry_delay()->set_nanos(500'000'000);
  google::rpc::Status st;
  st.set_code(14);
  st.set_message("overloaded");
  st.add_details()->PackFrom(info);
  otlp::RpcStatus out;
  ASSERT_TRUE(otlp::decode_rpc_status(st.SerializeAsString(), out));
  EXPECT_EQ(out.code, 14);
  EXPECT_EQ(out.message, "overloaded");
  EXPECT_EQ(out.retry_delay_ns, 2'500'000'000);

  google::rpc::Status plain;
  plain.set_code(3);
  plain.set_message("bad data");
  otlp::RpcStatus out2;
  ASSERT_TRUE(otlp::decode_rpc_status(plain.SerializeAsString(), out2));
  EXPECT_EQ(out2.retry_delay_ns, -1);

  // Found by fuzz_otlp_response. The last RetryInfo decides, even when it has no delay...
  google::rpc::Status two = st;
  two.add_details()->PackFrom(google::rpc::RetryInfo());
  otlp::RpcStatus out3;
  ASSERT_TRUE(otlp::decode_rpc_status(two.SerializeAsString(), out3));
  EXPECT_EQ(out3.retry_delay_ns, 0);
  // ... and a retry_delay sent twice merges, as libprotobuf merges a repeated message field.
  google::rpc::RetryInfo seconds_only, nanos_only;
  seconds_only.mutable_retry_delay()->set_seconds(3);
  nanos_only.mutable_retry_delay()->set_nanos(7);
  google::rpc::Status merged;
  auto* any = merged.add_details();
  any->PackFrom(seconds_only);
  any->set_value(seconds_only.SerializeAsString() + nanos_only.SerializeAsString());
  otlp::RpcStatus out4;
  ASSERT_TRUE(otlp::decode_rpc_status(merged.SerializeAsString(), out4));
  EXPECT_EQ(out4.retry_delay_ns, 3'000'000'007);
}

}  // namespace
}  // namespace tracekit::testing
