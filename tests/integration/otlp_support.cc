#include "otlp_support.h"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <zlib.h>

namespace tracekit::testing {

namespace {

constexpr uint64_t kT0 = 1'700'000'000'000'000'000ull;  // 2023-11-14, in ns

Timestamp at(uint64_t ns) {
  return Timestamp(std::chrono::nanoseconds(ns));
}

SpanContext remote_context(std::string_view tracestate, uint8_t flags) {
  auto ts = TraceState::parse(tracestate);
  return SpanContext(generate_trace_id(), generate_span_id(), TraceFlags(flags), true,
                     ts ? *ts : TraceState());
}

}  // namespace

KnownSpans make_known_spans() {
  KnownSpans k;
  k.store = std::make_shared<InMemorySpanStore>();
  TracerProviderOptions o;
  OwnedAttributes res;
  res.set("service.name", "checkout");
  res.set("service.version", "1.2.3");
  res.set("host.cores", int64_t{8});
  res.set("sample.ratio", 0.25);
  res.set("feature.enabled", true);
  res.set("deployment.regions", AttributeValue({std::string_view("eu-north-1"), "us-east-2"}));
  o.resource = Resource(std::move(res), "https://opentelemetry.io/schemas/1.21.0");
  o.limits.attribute_count = 12;
  o.limits.event_count = 3;
  o.limits.link_count = 2;
  o.limits.attributes_per_event = 4;
  o.limits.attributes_per_link = 3;
  o.processors.push_back(
      std::make_unique<SimpleSpanProcessor>(std::make_unique<InMemorySpanExporter>(k.store)));
  k.provider = std::make_unique<TracerProvider>(std::move(o));

  Tracer& tracer = k.provider->get_tracer("tracekit.test", "4.5.6");
  Tracer& other =
      k.provider->get_tracer("second-lib", "0.9", "https://opentelemetry.io/schemas/1.24.0");

  {
    Span server =
        tracer.start_span("GET /tools/{id}", {.kind = SpanKind::kServer, .start_time = at(kT0)});
    const std::string_view strings[] = {"x", "y", ""};
    const int64_t ints[] = {1, -2, 3, INT64_MAX, INT64_MIN};
    const double doubles[] = {0.5, -1.25, 1e300};
    const bool bools[] = {true, false};
    server.set_attribute("http.method", "GET")
        .set_attribute("http.status_code", 200)
        .set_attribute("negative", int64_t{-42})
        .set_attribute("ratio", 3.5)
        .set_attribute("cached", false)
        .set_attribute("empty", "")
        .set_attribute("unicode", "h\xC3\xA9llo \xE2\x9C\x93")
        .set_attribute("strings", std::span<const std::string_view>(strings))
        .set_attribute("ints", std::span<const int64_t>(ints))
        .set_attribute("doubles", std::span<const double>(doubles))
        .set_attribute("bools", std::span<const bool>(bools));
    server.add_event("cache.miss", at(kT0 + 1'000'000), {{"key", "user:1"}, {"hit", false}});
    server.add_event("retry", at(kT0 + 2'000'000));

    {
      Span client = tracer.start_span(
          "db.query", {.kind = SpanKind::kClient, .parent = server, .start_time = at(kT0 + 100)});
      SpanContext linked = remote_context("vendor=abc,other=1", TraceFlags::kSampled);
      client.add_link(linked, {{"link.reason", "batch"}, {"link.index", 1}});
      client.set_status(StatusCode::kError, "connection reset");
      client.end(at(kT0 + 3'000'000));
    }
    server.set_status(StatusCode::kOk);
    server.end(at(kT0 + 5'000'000));
  }
  {
    SpanContext parent = remote_context("k=v", TraceFlags::kSampled | TraceFlags::kRandom);
    Span consumer = tracer.start_span(
        "consume", {.kind = SpanKind::kConsumer, .parent = parent, .start_time = at(kT0 + 7)});
    SpanContext local_link(generate_trace_id(), generate_span_id(), TraceFlags(0), false);
    consumer.add_link(local_link);
    consumer.end(at(kT0 + 8));
  }
  {
    Span overflow = tracer.start_span("overflow", {.start_time = at(kT0 + 10)});
    for (int i = 0; i < 14; ++i) {
      std::string key = "a";  // (not "a" + to_string: GCC 12 -O3 warns falsely, -Wrestrict)
      key += std::to_string(i);
      overflow.set_attribute(key, i);
    }
    overflow.add_event("e0", at(kT0 + 11), {{"k1", 1}, {"k2", 2}, {"k3", 3}, {"k4", 4}, {"k5", 5}});
    overflow.add_event("e1", at(kT0 + 12));
    overflow.add_event("e2", at(kT0 + 13));
    overflow.add_event("e3", at(kT0 + 14));
    for (int i = 0; i < 3; ++i) {
      overflow.add_link(remote_context("", TraceFlags::kSampled),
                        {{"l1", 1}, {"l2", 2}, {"l3", 3}, {"l4", 4}});
    }
    overflow.end(at(kT0 + 20));
  }
  {
    Span producer =
        other.start_span("publish", {.kind = SpanKind::kProducer, .start_time = at(kT0 + 30)});
    producer.set_attribute("messaging.system", "kafka");
    producer.end(at(kT0 + 40));
  }
  k.spans = k.store->spans();
  return k;
}

namespace {

std::string bytes_of(const uint8_t* p, size_t n) {
  return std::string(reinterpret_cast<const char*>(p), n);
}

void expect_value(const commonv1::AnyValue& got, const AttributeValue& want,
                  const std::string& where) {
  SCOPED_TRACE(where);
  auto expect_array = [&](size_t n, auto&& check) {
    ASSERT_EQ(got.value_case(), commonv1::AnyValue::kArrayValue);
    ASSERT_EQ(static_cast<size_t>(got.array_value().values_size()), n);
    for (size_t i = 0; i < n; ++i)
      check(got.array_value().values(static_cast<int>(i)), i);
  };
  switch (want.type()) {
    case AttributeType::kBool:
      ASSERT_EQ(got.value_case(), commonv1::AnyValue::kBoolValue);
      EXPECT_EQ(got.bool_value(), want.as_bool());
      break;
    case AttributeType::kInt:
      ASSERT_EQ(got.value_case(), commonv1::AnyValue::kIntValue);
      EXPECT_EQ(got.int_value(), want.as_int());
      break;
    case AttributeType::kDouble:
      ASSERT_EQ(got.value_case(), commonv1::AnyValue::kDoubleValue);
      EXPECT_EQ(got.double_value(), want.as_double());
      break;
    case AttributeType::kString:
      ASSERT_EQ(got.value_case(), commonv1::AnyValue::kStringValue);
      EXPECT_EQ(got.string_value(), want.as_string());
      break;
    case AttributeType::kBoolArray:
      expect_array(want.as_bool_array().size(), [&](const commonv1::AnyValue& v, size_t i) {
        ASSERT_EQ(v.value_case(), commonv1::AnyValue::kBoolValue);
        EXPECT_EQ(v.bool_value(), want.as_bool_array()[i]);
      });
      break;
    case AttributeType::kIntArray:
      expect_array(want.as_int_array().size(), [&](const commonv1::AnyValue& v, size_t i) {
        ASSERT_EQ(v.value_case(), commonv1::AnyValue::kIntValue);
        EXPECT_EQ(v.int_value(), want.as_int_array()[i]);
      });
      break;
    case AttributeType::kDoubleArray:
      expect_array(want.as_double_array().size(), [&](const commonv1::AnyValue& v, size_t i) {
        ASSERT_EQ(v.value_case(), commonv1::AnyValue::kDoubleValue);
        EXPECT_EQ(v.double_value(), want.as_double_array()[i]);
      });
      break;
    case AttributeType::kStringArray:
      expect_array(want.as_string_array().size(), [&](const commonv1::AnyValue& v, size_t i) {
        ASSERT_EQ(v.value_case(), commonv1::AnyValue::kStringValue);
        EXPECT_EQ(v.string_value(), want.as_string_array()[i]);
      });
      break;
  }
}

void expect_attributes(const google::protobuf::RepeatedPtrField<commonv1::KeyValue>& got,
                       std::span<const KeyValue> want, const std::string& where) {
  ASSERT_EQ(static_cast<size_t>(got.size()), want.size()) << where;
  for (size_t i = 0; i < want.size(); ++i) {
    const auto& kv = got.Get(static_cast<int>(i));
    EXPECT_EQ(kv.key(), want[i].key) << where;
    expect_value(kv.value(), want[i].value, where + " attribute " + std::string(want[i].key));
  }
}

uint32_t flags_of(TraceFlags f, bool remote) {
  return f.bits() | 0x100u | (remote ? 0x200u : 0u);
}

void expect_span(const tracev1::Span& got, const SpanData& want) {
  const std::string where = "span " + std::string(want.name());
  SCOPED_TRACE(where);
  const SpanContext& c = want.context();
  EXPECT_EQ(got.trace_id(), bytes_of(c.trace_id().data(), 16));
  EXPECT_EQ(got.span_id(), bytes_of(c.span_id().data(), 8));
  EXPECT_EQ(got.trace_state(), c.trace_state().empty() ? "" : c.trace_state().header());
  if (want.parent_span_id().is_valid()) {
    EXPECT_EQ(got.parent_span_id(), bytes_of(want.parent_span_id().data(), 8));
  } else {
    EXPECT_TRUE(got.parent_span_id().empty());
  }
  EXPECT_EQ(got.flags(), flags_of(c.flags(), want.has_remote_parent()));
  EXPECT_EQ(got.name(), want.name());
  EXPECT_EQ(static_cast<int>(got.kind()), static_cast<int>(want.kind()));
  EXPECT_EQ(got.start_time_unix_nano(), want.start_time_ns());
  EXPECT_EQ(got.end_time_unix_nano(), want.end_time_ns());
  expect_attributes(got.attributes(), want.attributes(), where);
  EXPECT_EQ(got.dropped_attributes_count(), want.dropped_attributes_count());
  ASSERT_EQ(static_cast<size_t>(got.events_size()), want.events().size());
  for (size_t i = 0; i < want.events().size(); ++i) {
    const auto& ge = got.events(static_cast<int>(i));
    const Event& we = want.events()[i];
    EXPECT_EQ(ge.time_unix_nano(), we.time_ns);
    EXPECT_EQ(ge.name(), we.name);
    expect_attributes(ge.attributes(), we.attributes, where + " event " + std::string(we.name));
    EXPECT_EQ(ge.dropped_attributes_count(), we.dropped_attributes_count);
  }
  EXPECT_EQ(got.dropped_events_count(), want.dropped_events_count());
  ASSERT_EQ(static_cast<size_t>(got.links_size()), want.links().size());
  for (size_t i = 0; i < want.links().size(); ++i) {
    const auto& gl = got.links(static_cast<int>(i));
    const Link& wl = want.links()[i];
    EXPECT_EQ(gl.trace_id(), bytes_of(wl.context.trace_id().data(), 16));
    EXPECT_EQ(gl.span_id(), bytes_of(wl.context.span_id().data(), 8));
    EXPECT_EQ(gl.trace_state(),
              wl.context.trace_state().empty() ? "" : wl.context.trace_state().header());
    expect_attributes(gl.attributes(), wl.attributes, where + " link");
    EXPECT_EQ(gl.dropped_attributes_count(), wl.dropped_attributes_count);
    EXPECT_EQ(gl.flags(), flags_of(wl.context.flags(), wl.context.is_remote()));
  }
  EXPECT_EQ(got.dropped_links_count(), want.dropped_links_count());
  EXPECT_EQ(static_cast<int>(got.status().code()), static_cast<int>(want.status_code()));
  EXPECT_EQ(got.status().message(), want.status_description());
}

}  // namespace

size_t count_spans(const otlpv1::ExportTraceServiceRequest& request) {
  size_t n = 0;
  for (const auto& rs : request.resource_spans())
    for (const auto& ss : rs.scope_spans())
      n += static_cast<size_t>(ss.spans_size());
  return n;
}

size_t expect_request_matches(const otlpv1::ExportTraceServiceRequest& request,
                              std::span<const SpanDataPtr> spans) {
  size_t found = 0;
  for (const auto& rs : request.resource_spans()) {
    for (const auto& ss : rs.scope_spans()) {
      for (const auto& s : ss.spans()) {
        const SpanData* match = nullptr;
        for (const auto& d : spans) {
          if (s.span_id() == bytes_of(d->context().span_id().data(), 8)) match = d.get();
        }
        if (!match) {
          ADD_FAILURE() << "a span that was not sent: " << s.name();
          continue;
        }
        ++found;
        expect_span(s, *match);
        // The span sits under its own resource and scope.
        const Resource& r = match->resource();
        expect_attributes(rs.resource().attributes(), r.attributes().items(), "resource");
        EXPECT_EQ(rs.schema_url(), r.schema_url());
        const InstrumentationScope& sc = match->scope();
        EXPECT_EQ(ss.scope().name(), sc.name);
        EXPECT_EQ(ss.scope().version(), sc.version);
        EXPECT_EQ(ss.schema_url(), sc.schema_url);
        expect_attributes(ss.scope().attributes(), sc.attributes.items(), "scope");
      }
    }
  }
  return found;
}

namespace {

std::string base64(const std::string& bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) |
                 (static_cast<uint8_t>(bytes[i + 1]) << 8) | static_cast<uint8_t>(bytes[i + 2]);
    for (int k = 18; k >= 0; k -= 6)
      out += kAlphabet[(v >> k) & 63];
  }
  if (size_t rest = bytes.size() - i) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace

namespace {
std::string json_to_message(std::string_view json, google::protobuf::Message* out);
}

std::string json_to_request(std::string_view json, otlpv1::ExportTraceServiceRequest* out) {
  return json_to_message(json, out);
}

std::string json_to_request(std::string_view json, logsv1::ExportLogsServiceRequest* out) {
  return json_to_message(json, out);
}

size_t count_log_records(const logsv1::ExportLogsServiceRequest& request) {
  size_t n = 0;
  for (const auto& rl : request.resource_logs())
    for (const auto& sl : rl.scope_logs())
      n += static_cast<size_t>(sl.log_records_size());
  return n;
}

namespace {
std::string json_to_message(std::string_view json, google::protobuf::Message* out) {
  std::string text;
  text.reserve(json.size());
  struct Key {
    std::string_view pattern;
    size_t hex_len;
    size_t next;
  };
  Key keys[] = {
      {"\"traceId\":\"", 32, 0}, {"\"spanId\":\"", 16, 0}, {"\"parentSpanId\":\"", 16, 0}};
  for (auto& k : keys)
    k.next = json.find(k.pattern);
  size_t i = 0;
  for (;;) {
    Key* best = nullptr;
    for (auto& k : keys) {
      if (k.next != std::string_view::npos && (!best || k.next < best->next)) best = &k;
    }
    if (!best) {
      text.append(json.substr(i));
      break;
    }
    const size_t value_at = best->next + best->pattern.size();
    text.append(json.substr(i, value_at - i));
    const size_t close = json.find('"', value_at);
    if (close == std::string_view::npos) return "unterminated id";
    std::string_view hex = json.substr(value_at, close - value_at);
    if (hex.size() != best->hex_len) return "id of the wrong length: " + std::string(hex);
    std::string bytes;
    for (size_t h = 0; h < hex.size(); h += 2) {
      auto nib = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;  // OTLP allows upper case, but we always write lower case
      };
      int hi = nib(hex[h]), lo = nib(hex[h + 1]);
      if (hi < 0 || lo < 0) return "id is not lower-case hex: " + std::string(hex);
      bytes += static_cast<char>(hi * 16 + lo);
    }
    text += base64(bytes);
    i = close;
    best->next = json.find(best->pattern, close);
  }
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;
  auto st = google::protobuf::util::JsonStringToMessage(text, out, opts);
  if (!st.ok()) return st.ToString();
  return {};
}
}  // namespace

bool gunzip(std::string_view in, std::string& out) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return false;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  char buf[16384];
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return false;
    }
    out.append(buf, sizeof buf - zs.avail_out);
  } while (rc != Z_STREAM_END);
  inflateEnd(&zs);
  return true;
}

}  // namespace tracekit::testing
