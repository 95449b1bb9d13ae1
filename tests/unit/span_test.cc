// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/core_test_support.h"
#include "tracekit/tracekit.h"

namespace tracekit {
namespace {

using testing::remote_context;

// Samples everything and remembers what it was asked.
class RecordingSampler final : public Sampler {
 public:
  struct Call {
    SpanContext parent;
    std::string name;
    SpanKind kind;
    std::vector<std::pair<std::string, std::string>> attributes;
  };
  SamplingResult should_sample(const SamplingParameters& p) const noexcept override {
    std::lock_guard lock(mutex_);
    Call call{p.parent, std::string(p.name), p.kind, {}};
    for (const auto& kv : p.attributes)
      call.attributes.emplace_back(std::string(kv.key), kv.value.to_string());
    calls_.push_back(std::move(call));
    return {SamplingDecision::kRecordAndSample};
  }
  std::string description() const override { return "RecordingSampler"; }
  std::vector<Call> calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }

 private:
  mutable std::mutex mutex_;
  mutable std::vector<Call> calls_;
};

struct Fixture {
  std::shared_ptr<InMemorySpanStore> store = std::make_shared<InMemorySpanStore>();
  std::unique_ptr<TracerProvider> provider;
  explicit Fixture(SpanLimits limits = {}, std::unique_ptr<Sampler> sampler = nullptr) {
    TracerProviderOptions o;
    o.limits = limits;
    o.sampler = std::move(sampler);
    o.processors.push_back(
        std::make_unique<SimpleSpanProcessor>(std::make_unique<InMemorySpanExporter>(store)));
    provider = std::make_unique<TracerProvider>(std::move(o));
  }
  Tracer& tracer() { return provider->get_tracer("test", "1.0"); }
  // The one exported span with this name (fails the test if missing).
  SpanDataPtr get(std::string_view name) {
    SpanDataPtr s = store->find(name);
    EXPECT_TRUE(s) << "no exported span named " << name;
    return s;
  }
};

Timestamp at_ns(uint64_t ns) {
  return Timestamp(std::chrono::nanoseconds(ns));
}

TEST(Span, RecordsNameKindTimesAndAttributes) {
  Fixture f;
  {
    Span s = f.tracer().start_span("op", {.kind = SpanKind::kServer});
    s.set_attribute("b", true).set_attribute("i", 42).set_attribute("d", 1.5);
    s.set_attribute("s", std::string("text"));
    int64_t ints[] = {1, 2, 3};
    s.set_attribute("ia", std::span<const int64_t>(ints));
    s.set_attribute("i", 43);  // replaces
  }
  ASSERT_EQ(f.store->size(), 1u);
  auto span = f.store->spans()[0];
  EXPECT_EQ(span->name(), "op");
  EXPECT_EQ(span->kind(), SpanKind::kServer);
  EXPECT_GT(span->start_time_ns(), 0u);
  EXPECT_GE(span->end_time_ns(), span->start_time_ns());
  ASSERT_EQ(span->attributes().size(), 5u);
  EXPECT_EQ(span->attribute("i")->as_int(), 43);
  EXPECT_EQ(span->attribute("s")->as_string(), "text");
  EXPECT_EQ(span->attribute("ia")->as_int_array().size(), 3u);
  EXPECT_TRUE(span->context().is_valid());
  EXPECT_TRUE(span->context().is_sampled());
}

TEST(Span, KeepsEveryAttributeTypeAsACopy) {
  Fixture f;
  {
    Span s = f.tracer().start_span("types");
    std::string temp = "temporary";
    std::vector<int64_t> ints = {1, -2, 3};
    std::vector<double> doubles = {0.5, -1.25};
    const bool bools[] = {true, false};
    std::string element = "element";
    std::vector<std::string_view> strings = {element, "two"};
    s.set_attribute("bool", false);
    s.set_attribute("int", int64_t{-9'000'000'000});
    s.set_attribute("double", 3.25);
    s.set_attribute("string", temp);
    s.set_attribute("bools", std::span<const bool>(bools));
    s.set_attribute("ints", ints);
    s.set_attribute("doubles", doubles);
    s.set_attribute("strings", strings);
    s.set_attributes({{"list.a", 1}, {"list.b", "b"}});
    // The span copied everything: scribbling over the caller's memory changes nothing.
    temp.assign(temp.size(), 'X');
    element.assign(element.size(), 'X');
    ints[0] = 100;
    doubles[0] = 100;
  }
  auto span = f.get("types");
  ASSERT_TRUE(span);
  EXPECT_EQ(span->attributes().size(), 10u);
  EXPECT_EQ(*span->attribute("bool"), AttributeValue(false));
  EXPECT_EQ(span->attribute("int")->as_int(), -9'000'000'000);
  EXPECT_EQ(span->attribute("double")->as_double(), 3.25);
  EXPECT_EQ(span->attribute("string")->as_string(), "temporary");
  EXPECT_EQ(span->attribute("bools")->to_string(), "[true,false]");
  EXPECT_EQ(span->attribute("ints")->to_string(), "[1,-2,3]");
  EXPECT_EQ(span->attribute("doubles")->to_string(), "[0.5,-1.25]");
  EXPECT_EQ(span->attribute("strings")->to_string(), "[\"element\",\"two\"]");
  EXPECT_EQ(span->attribute("list.a")->as_int(), 1);
  EXPECT_EQ(span->attribute("list.b")->as_string(), "b");
  EXPECT_EQ(span->attribute("missing"), nullptr);
}

// Literals outlive every span: a span refers to them instead of copying them (fewer bytes per
// span, and none for the exporting thread to fetch from the producing core). Text anywhere
// else, even a static but writable buffer, is copied.
char g_writable_key[] = "writable.key";

TEST(Span, RefersToLiteralsAndCopiesEverythingElse) {
  Fixture f;
  static constexpr std::string_view kLiteralKey = "literal.key";
  static constexpr std::string_view kLiteralValue = "literal value";
  std::string heap_key(40, 'h');
  char stack_key[] = "stack.key";
  {
    Span s = f.tracer().start_span("literal span name");
    s.set_attribute(kLiteralKey, kLiteralValue);
    s.set_attribute(heap_key, "v");
    s.set_attribute(std::string_view(stack_key), 1);
    s.set_attribute(std::string_view(g_writable_key), 2);
    s.add_event("literal event", {{kLiteralKey, 3}});
    heap_key.assign(heap_key.size(), 'X');
    stack_key[0] = 'X';
    g_writable_key[0] = 'X';
  }
  auto span = f.get("literal span name");
  ASSERT_TRUE(span);
  EXPECT_EQ(span->name().data(), std::string_view("literal span name").data());
  const auto& attrs = span->attributes();
  ASSERT_EQ(attrs.size(), 4u);
  EXPECT_EQ(attrs[0].key.data(), kLiteralKey.data());
  EXPECT_EQ(attrs[0].value.as_string().data(), kLiteralValue.data());
  EXPECT_EQ(attrs[1].key, std::string(40, 'h'));
  EXPECT_NE(attrs[1].key.data(), heap_key.data());
  EXPECT_EQ(attrs[2].key, "stack.key");
  EXPECT_EQ(attrs[3].key, "writable.key");
  ASSERT_EQ(span->events().size(), 1u);
  EXPECT_EQ(span->events()[0].attributes[0].key.data(), kLiteralKey.data());
  g_writable_key[0] = 'w';
}

TEST(Span, LiteralValuesAreStillCutToTheLengthLimit) {
  Fixture f(SpanLimits{.attribute_value_length = 4});
  {
    Span s = f.tracer().start_span("cut");
    s.set_attribute("k", "caf\xc3\xa9 au lait");  // the limit falls inside the two-byte \xc3\xa9
  }
  auto span = f.get("cut");
  ASSERT_TRUE(span);
  EXPECT_EQ(span->attribute("k")->as_string(), "caf");
}

TEST(Span, SameKeyReplacesTheValueInPlace) {
  Fixture f;
  {
    Span s = f.tracer().start_span("replace");
    s.set_attribute("first", 1);
    s.set_attribute("k", 1);
    s.set_attribute("last", 1);
    s.set_attribute("k", "now a string");
    s.set_attributes({{"k", 2.5}, {"first", 2}});
  }
  auto span = f.get("replace");
  ASSERT_TRUE(span);
  ASSERT_EQ(span->attributes().size(), 3u);
  EXPECT_EQ(span->attributes()[0].key, "first");
  EXPECT_EQ(span->attributes()[0].value.as_int(), 2);
  EXPECT_EQ(span->attributes()[1].key, "k");
  EXPECT_EQ(span->attributes()[1].value.as_double(), 2.5);
  EXPECT_EQ(span->dropped_attributes_count(), 0u);
}

TEST(Span, EmptyAttributeKeyIsIgnored) {
  Fixture f;
  { f.tracer().start_span("empty-key").set_attribute("", 1); }
  auto span = f.get("empty-key");
  ASSERT_TRUE(span);
  EXPECT_TRUE(span->attributes().empty());
}

TEST(Span, EventsWithAttributesAndTimestamps) {
  Fixture f;
  uint64_t before = 0, after = 0;
  {
    Span s = f.tracer().start_span("events");
    before = clock::now_ns();
    s.add_event("now", {{"n", 1}, {"what", "x"}});
    after = clock::now_ns();
    s.add_event("explicit", at_ns(1'700'000'000'123'456'789ull), {{"b", true}});
    s.add_event("bare");
  }
  auto span = f.get("events");
  ASSERT_TRUE(span);
  ASSERT_EQ(span->events().size(), 3u);
  const Event& now = span->events()[0];
  EXPECT_EQ(now.name, "now");
  EXPECT_GE(now.time_ns, before);
  EXPECT_LE(now.time_ns, after);
  ASSERT_EQ(now.attributes.size(), 2u);
  EXPECT_EQ(now.attributes[0].key, "n");
  EXPECT_EQ(now.attributes[1].value.as_string(), "x");
  EXPECT_EQ(span->events()[1].time_ns, 1'700'000'000'123'456'789ull);
  EXPECT_EQ(span->events()[1].attributes[0].value.as_bool(), true);
  EXPECT_TRUE(span->events()[2].attributes.empty());
  EXPECT_EQ(span->dropped_events_count(), 0u);
}

TEST(Span, EventAttributesWithRepeatedKeyKeepTheLast) {
  Fixture f;
  { f.tracer().start_span("event-repeat").add_event("e", {{"k", 1}, {"k", 2}, {"", 3}}); }
  auto span = f.get("event-repeat");
  ASSERT_TRUE(span);
  ASSERT_EQ(span->events()[0].attributes.size(), 1u);
  EXPECT_EQ(span->events()[0].attributes[0].value.as_int(), 2);
}

TEST(Span, LinksWithAttributesAndInvalidLinksIgnored) {
  Fixture f;
  const SpanContext linked = remote_context(true, *TraceState::parse("vendor=value"));
  {
    Span s = f.tracer().start_span("links");
    s.add_link(linked, {{"link.kind", "follows"}});
    s.add_link(SpanContext(), {{"ignored", true}});  // invalid: says nothing
    s.add_link(SpanContext(generate_trace_id(), SpanId(), TraceFlags(1), false));
  }
  auto span = f.get("links");
  ASSERT_TRUE(span);
  ASSERT_EQ(span->links().size(), 1u);
  EXPECT_EQ(span->links()[0].context, linked);
  EXPECT_EQ(span->links()[0].context.trace_state().header(), "vendor=value");
  ASSERT_EQ(span->links()[0].attributes.size(), 1u);
  EXPECT_EQ(span->links()[0].attributes[0].value.as_string(), "follows");
  EXPECT_EQ(span->dropped_links_count(), 0u);
}

struct StatusCase {
  std::vector<std::pair<StatusCode, std::string>> calls;
  StatusCode code;
  std::string description;
};

TEST(Span, StatusPrecedence) {
  const std::vector<StatusCase> cases = {
      {{}, StatusCode::kUnset, ""},
      {{{StatusCode::kUnset, "ignored"}}, StatusCode::kUnset, ""},
      {{{StatusCode::kOk, "dropped description"}}, StatusCode::kOk, ""},
      {{{StatusCode::kError, "boom"}}, StatusCode::kError, "boom"},
      {{{StatusCode::kError, "boom"}, {StatusCode::kUnset, ""}}, StatusCode::kError, "boom"},
      {{{StatusCode::kError, "first"}, {StatusCode::kError, "second"}},
       StatusCode::kError,
       "second"},
      {{{StatusCode::kError, "boom"}, {StatusCode::kOk, "fine"}}, StatusCode::kOk, ""},
      {{{StatusCode::kOk, ""}, {StatusCode::kError, "too late"}}, StatusCode::kOk, ""},
      {{{StatusCode::kOk, ""}, {StatusCode::kUnset, ""}}, StatusCode::kOk, ""},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    Fixture f;
    const std::string name = "status-" + std::to_string(i);
    {
      Span s = f.tracer().start_span(name);
      for (const auto& [code, description] : cases[i].calls)
        s.set_status(code, description);
    }
    auto span = f.get(name);
    ASSERT_TRUE(span);
    EXPECT_EQ(span->status_code(), cases[i].code) << "case " << i;
    EXPECT_EQ(span->status_description(), cases[i].description) << "case " << i;
  }
}

namespace custom {
struct ToolFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};
}  // namespace custom

TEST(Span, RecordExceptionAddsAnExceptionEvent) {
  Fixture f;
  {
    Span s = f.tracer().start_span("exception");
    try {
      throw std::runtime_error("disk full");
    } catch (const std::exception& e) {
      s.record_exception(e);
    }
    try {
      throw custom::ToolFailure("tool exited 3");
    } catch (const std::exception& e) {
      s.record_exception(e, {{"exception.escaped", true}, {"tool.id", 7}});
    }
    s.record_exception("TimeoutError", "took too long");
  }
  auto span = f.get("exception");
  ASSERT_TRUE(span);
  ASSERT_EQ(span->events().size(), 3u);
  for (const auto& e : span->events())
    EXPECT_EQ(e.name, "exception");
  auto attr = [](const Event& e, std::string_view key) -> std::string {
    for (const auto& kv : e.attributes) {
      if (kv.key == key) return kv.value.to_string();
    }
    return "<missing>";
  };
  EXPECT_EQ(attr(span->events()[0], "exception.type"), "\"std::runtime_error\"");
  EXPECT_EQ(attr(span->events()[0], "exception.message"), "\"disk full\"");
  EXPECT_EQ(attr(span->events()[1], "exception.type"),
            "\"tracekit::(anonymous namespace)::custom::ToolFailure\"");
  EXPECT_EQ(attr(span->events()[1], "exception.message"), "\"tool exited 3\"");
  EXPECT_EQ(attr(span->events()[1], "exception.escaped"), "true");
  EXPECT_EQ(attr(span->events()[1], "tool.id"), "7");
  EXPECT_EQ(attr(span->events()[2], "exception.type"), "\"TimeoutError\"");
  EXPECT_EQ(attr(span->events()[2], "exception.message"), "\"took too long\"");
  // Recording an exception does not set the status; the caller decides.
  EXPECT_EQ(span->status_code(), StatusCode::kUnset);
}

TEST(Span, InSpanRecordsAnEscapingExceptionAsTheSeedsWithBlockDoes) {
  Fixture f;
  EXPECT_THROW(f.tracer().in_span("failing",
                                  [](ScopedSpan& span) {
                                    span.set_attribute("step", 1);
                                    throw custom::ToolFailure("database is locked");
                                  }),
               custom::ToolFailure);
  auto span = f.get("failing");
  ASSERT_TRUE(span);
  EXPECT_EQ(span->status_code(), StatusCode::kError);
  EXPECT_EQ(span->status_description(), "database is locked");
  ASSERT_EQ(span->events().size(), 1u);
  EXPECT_EQ(span->events()[0].name, "exception");
  std::string type;
  for (const auto& kv : span->events()[0].attributes) {
    if (kv.key == "exception.type") type = kv.value.to_string();
  }
  EXPECT_EQ(type, "\"tracekit::(anonymous namespace)::custom::ToolFailure\"");
  // Without an exception: the value comes back, the span is current inside and ends OK.
  SpanContext inside;
  const int value = f.tracer().in_span("fine", [&] {
    inside = current_span().context();
    return 42;
  });
  EXPECT_EQ(value, 42);
  auto fine = f.get("fine");
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->context().span_id(), inside.span_id());
  EXPECT_EQ(fine->status_code(), StatusCode::kUnset);
}

TEST(Span, UpdateName) {
  Fixture f;
  {
    Span s = f.tracer().start_span("GET");
    s.update_name("GET /tools/{id}");
  }
  EXPECT_TRUE(f.store->find("GET /tools/{id}"));
  EXPECT_FALSE(f.store->find("GET"));
}

TEST(Span, EndIsIdempotentAndTakesAnExplicitTime) {
  Fixture f;
  const uint64_t start = 1'700'000'000'000'000'000ull;
  Span s = f.tracer().start_span("end", {.start_time = at_ns(start)});
  SpanRef ref = s;
  ref.end(at_ns(start + 500));
  ref.end(at_ns(start + 900));
  s.end(at_ns(start + 1000));
  s.end();
  ASSERT_EQ(f.store->size(), 1u);
  auto span = f.get("end");
  EXPECT_EQ(span->start_time_ns(), start);
  EXPECT_EQ(span->end_time_ns(), start + 500);
}

TEST(Span, EndTimeBeforeStartIsClampedToStart) {
  Fixture f;
  const uint64_t start = 1'700'000'000'000'000'000ull;
  {
    Span s = f.tracer().start_span("clamped", {.start_time = at_ns(start)});
    s.end(at_ns(start - 1'000'000));
  }
  auto span = f.get("clamped");
  ASSERT_TRUE(span);
  EXPECT_EQ(span->end_time_ns(), start);
}

TEST(Span, DefaultTimesComeFromTheClock) {
  Fixture f;
  const uint64_t before = clock::now_ns();
  { Span s = f.tracer().start_span("timed"); }
  const uint64_t after = clock::now_ns();
  auto span = f.get("timed");
  ASSERT_TRUE(span);
  EXPECT_GE(span->start_time_ns(), before);
  EXPECT_LE(span->end_time_ns(), after);
  EXPECT_LE(span->start_time_ns(), span->end_time_ns());
}

TEST(Span, AfterEndEveryCallIsANoOp) {
  Fixture f;
  Span s = f.tracer().start_span("ended");
  s.set_attribute("before", 1);
  SpanRef ref = s;  // another handle on the same span
  EXPECT_TRUE(ref.is_recording());
  const SpanContext context = s.context();
  s.end();
  EXPECT_FALSE(s.is_recording());
  EXPECT_FALSE(ref.is_recording());
  EXPECT_EQ(s.context(), context);  // the context stays readable
  EXPECT_EQ(ref.context(), context);
  EXPECT_EQ(s.data(), nullptr);

  ref.set_attribute("after", 1);
  ref.set_attributes({{"after2", 2}});
  ref.add_event("late");
  ref.add_link(remote_context(true));
  ref.set_status(StatusCode::kError, "late");
  ref.update_name("renamed");
  ref.record_exception("E", "late");
  s.set_attribute("after3", 3);
  ref.end();

  ASSERT_EQ(f.store->size(), 1u);
  auto span = f.store->spans()[0];
  EXPECT_EQ(span->name(), "ended");
  ASSERT_EQ(span->attributes().size(), 1u);
  EXPECT_EQ(span->attributes()[0].key, "before");
  EXPECT_TRUE(span->events().empty());
  EXPECT_TRUE(span->links().empty());
  EXPECT_EQ(span->status_code(), StatusCode::kUnset);
}

TEST(Span, MoveAssignmentEndsTheSpanItReplaces) {
  Fixture f;
  Span s = f.tracer().start_span("first");
  s = f.tracer().start_span("second");
  EXPECT_EQ(f.store->size(), 1u);
  EXPECT_TRUE(f.store->find("first"));
  EXPECT_TRUE(s.is_recording());
  s.end();
  EXPECT_EQ(f.store->size(), 2u);
}

TEST(SpanLimits, AttributeCountWithDroppedCount) {
  Fixture f({.attribute_count = 3});
  {
    Span s = f.tracer().start_span("limited");
    for (int i = 0; i < 10; ++i)
      s.set_attribute("k" + std::to_string(i), i);
    s.set_attribute("k1", 100);  // replacing an attribute it kept is still allowed
  }
  auto span = f.get("limited");
  ASSERT_TRUE(span);
  ASSERT_EQ(span->attributes().size(), 3u);
  EXPECT_EQ(span->attribute("k0")->as_int(), 0);
  EXPECT_EQ(span->attribute("k1")->as_int(), 100);
  EXPECT_EQ(span->attribute("k3"), nullptr);
  EXPECT_EQ(span->dropped_attributes_count(), 7u);
}

TEST(SpanLimits, AttributeCountAppliesToStartAttributes) {
  Fixture f({.attribute_count = 1});
  { Span s = f.tracer().start_span("start-limited", {.attributes = {{"a", 1}, {"b", 2}}}); }
  auto span = f.get("start-limited");
  ASSERT_TRUE(span);
  EXPECT_EQ(span->attributes().size(), 1u);
  EXPECT_EQ(span->dropped_attributes_count(), 1u);
}

TEST(SpanLimits, ZeroAttributesKeepsNone) {
  Fixture f({.attribute_count = 0});
  { f.tracer().start_span("none").set_attribute("a", 1).set_attribute("b", 2); }
  auto span = f.get("none");
  ASSERT_TRUE(span);
  EXPECT_TRUE(span->attributes().empty());
  EXPECT_EQ(span->dropped_attributes_count(), 2u);
}

TEST(SpanLimits, ValueLengthIsCutOnAUtf8Boundary) {
  Fixture f({.attribute_value_length = 5});
  {
    Span s = f.tracer().start_span("truncated");
    s.set_attribute("ascii", "abcdefgh");
    s.set_attribute("fits", "abcde");
    s.set_attribute("two-byte", "abcd\xC3\xA9");  // "abcdé": é would be cut in half
    s.set_attribute("three-byte",
                    "ab\xE2\x82\xAC"
                    "cd");  // "ab€cd": exactly 5 bytes + 2
    s.set_attribute("four-byte",
                    "a\xF0\x9F\x98\x80"
                    "b");                                // "a😀b": cut after the emoji
    s.set_attribute("euro-at-edge", "abc\xE2\x82\xAC");  // "abc€": € straddles byte 5
    std::vector<std::string_view> strings = {"123456789", "ok", "abcd\xC3\xA9"};
    s.set_attribute("array", strings);
    s.set_attribute("int", int64_t{1234567890123});  // numbers are never cut
    s.add_event("e", {{"long", "0123456789"}});
    s.add_link(remote_context(true), {{"long", "0123456789"}});
  }
  auto span = f.get("truncated");
  ASSERT_TRUE(span);
  EXPECT_EQ(span->attribute("ascii")->as_string(), "abcde");
  EXPECT_EQ(span->attribute("fits")->as_string(), "abcde");
  EXPECT_EQ(span->attribute("two-byte")->as_string(), "abcd");
  EXPECT_EQ(span->attribute("three-byte")->as_string(), "ab\xE2\x82\xAC");
  EXPECT_EQ(span->attribute("four-byte")->as_string(), "a\xF0\x9F\x98\x80");
  EXPECT_EQ(span->attribute("euro-at-edge")->as_string(), "abc");
  auto array = span->attribute("array")->as_string_array();
  ASSERT_EQ(array.size(), 3u);
  EXPECT_EQ(array[0], "12345");
  EXPECT_EQ(array[1], "ok");
  EXPECT_EQ(array[2], "abcd");
  EXPECT_EQ(span->attribute("int")->as_int(), 1234567890123);
  EXPECT_EQ(span->events()[0].attributes[0].value.as_string(), "01234");
  EXPECT_EQ(span->links()[0].attributes[0].value.as_string(), "01234");
  // Truncation is not dropping.
  EXPECT_EQ(span->dropped_attributes_count(), 0u);
}

TEST(SpanLimits, ValueLengthZeroKeepsEmptyStrings) {
  Fixture f({.attribute_value_length = 0});
  { f.tracer().start_span("zero-length").set_attribute("s", "abc"); }
  auto span = f.get("zero-length");
  ASSERT_TRUE(span);
  ASSERT_NE(span->attribute("s"), nullptr);
  EXPECT_EQ(span->attribute("s")->type(), AttributeType::kString);
  EXPECT_EQ(span->attribute("s")->as_string(), "");
}

TEST(SpanLimits, EventCountWithDroppedCount) {
  Fixture f({.event_count = 2});
  {
    Span s = f.tracer().start_span("events-limited");
    for (int i = 0; i < 5; ++i)
      s.add_event("e" + std::to_string(i));
    s.record_exception("E", "also an event");
  }
  auto span = f.get("events-limited");
  ASSERT_TRUE(span);
  ASSERT_EQ(span->events().size(), 2u);
  EXPECT_EQ(span->events()[0].name, "e0");
  EXPECT_EQ(span->events()[1].name, "e1");
  EXPECT_EQ(span->dropped_events_count(), 4u);
}

TEST(SpanLimits, LinkCountWithDroppedCountIncludingStartLinks) {
  Fixture f({.link_count = 2});
  const Link start_links[] = {{remote_context(true), {}, 0}, {remote_context(false), {}, 0}};
  {
    Span s = f.tracer().start_span("links-limited", {.links = start_links});
    s.add_link(remote_context(true));
    s.add_link(remote_context(true));
    s.add_link(SpanContext());  // invalid: neither kept nor counted
  }
  auto span = f.get("links-limited");
  ASSERT_TRUE(span);
  EXPECT_EQ(span->links().size(), 2u);
  EXPECT_EQ(span->dropped_links_count(), 2u);
}

TEST(SpanLimits, AttributesPerEventAndPerLink) {
  Fixture f({.attributes_per_event = 2, .attributes_per_link = 1});
  {
    Span s = f.tracer().start_span("nested-limits");
    s.add_event("e", {{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}});
    s.add_link(remote_context(true), {{"x", 1}, {"y", 2}, {"z", 3}});
    s.record_exception("Type", "message", {{"extra", 1}});
  }
  auto span = f.get("nested-limits");
  ASSERT_TRUE(span);
  const Event& e = span->events()[0];
  ASSERT_EQ(e.attributes.size(), 2u);
  EXPECT_EQ(e.attributes[0].key, "a");
  EXPECT_EQ(e.attributes[1].key, "b");
  EXPECT_EQ(e.dropped_attributes_count, 2u);
  const Link& l = span->links()[0];
  ASSERT_EQ(l.attributes.size(), 1u);
  EXPECT_EQ(l.attributes[0].key, "x");
  EXPECT_EQ(l.dropped_attributes_count, 2u);
  const Event& ex = span->events()[1];
  EXPECT_EQ(ex.attributes.size(), 2u);
  EXPECT_EQ(ex.dropped_attributes_count, 1u);
  // The span's own counts are separate.
  EXPECT_EQ(span->dropped_attributes_count(), 0u);
}

TEST(SpanArena, ManyLargeAttributesEventsAndLinksStayIntact) {
  Fixture f({.attribute_count = 1000, .event_count = 1000, .link_count = 100});
  auto value_of = [](int i) { return std::string(50 + i % 200, static_cast<char>('a' + i % 26)); };
  const std::string huge(64 * 1024, 'h');  // larger than any pooled block
  const TraceState state = *TraceState::parse("k1=v1,k2=v2");
  {
    Span s = f.tracer().start_span("big");
    for (int i = 0; i < 300; ++i)
      s.set_attribute("attr." + std::to_string(i), value_of(i));
    s.set_attribute("huge", huge);
    std::vector<int64_t> ints(500);
    for (int i = 0; i < 500; ++i)
      ints[i] = i * 3;
    s.set_attribute("ints", ints);
    for (int i = 0; i < 200; ++i) {
      const std::string detail = value_of(i + 7);
      s.add_event("event." + std::to_string(i), {{"index", i}, {"detail", detail}});
    }
    for (int i = 0; i < 40; ++i) {
      SpanContext linked(generate_trace_id(), generate_span_id(), TraceFlags(1), true, state);
      s.add_link(linked, {{"n", i}});
    }
  }
  auto span = f.get("big");
  ASSERT_TRUE(span);
  ASSERT_EQ(span->attributes().size(), 302u);
  for (int i = 0; i < 300; ++i) {
    const AttributeValue* v = span->attribute("attr." + std::to_string(i));
    ASSERT_NE(v, nullptr) << i;
    EXPECT_EQ(v->as_string(), value_of(i)) << i;
  }
  EXPECT_EQ(span->attribute("huge")->as_string(), huge);
  auto ints = span->attribute("ints")->as_int_array();
  ASSERT_EQ(ints.size(), 500u);
  for (int i = 0; i < 500; ++i)
    ASSERT_EQ(ints[i], i * 3);
  ASSERT_EQ(span->events().size(), 200u);
  for (int i = 0; i < 200; ++i) {
    const Event& e = span->events()[i];
    EXPECT_EQ(e.name, "event." + std::to_string(i));
    ASSERT_EQ(e.attributes.size(), 2u);
    EXPECT_EQ(e.attributes[0].value.as_int(), i);
    EXPECT_EQ(e.attributes[1].value.as_string(), value_of(i + 7));
  }
  ASSERT_EQ(span->links().size(), 40u);
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(span->links()[i].context.trace_state().header(), "k1=v1,k2=v2");
    EXPECT_EQ(span->links()[i].attributes[0].value.as_int(), i);
  }
  EXPECT_EQ(span->dropped_attributes_count(), 0u);
}

TEST(SpanArena, LongNameAndManySpansInARow) {
  Fixture f;
  const std::string long_name(5000, 'n');
  for (int i = 0; i < 300; ++i) {
    Span s = f.tracer().start_span(i % 2 ? long_name : "short");
    s.set_attribute("i", i);
    s.set_attribute("payload", std::string(300 + i, 'p'));
  }
  auto spans = f.store->spans();
  ASSERT_EQ(spans.size(), 300u);
  for (int i = 0; i < 300; ++i) {
    EXPECT_EQ(spans[i]->name(), i % 2 ? std::string_view(long_name) : "short");
    EXPECT_EQ(spans[i]->attribute("i")->as_int(), i);
    EXPECT_EQ(spans[i]->attribute("payload")->as_string().size(), 300u + i);
  }
}

TEST(SpanOptions, KindsStartAttributesLinksAndStartTime) {
  auto owned_sampler = std::make_unique<RecordingSampler>();
  RecordingSampler* sampler = owned_sampler.get();
  Fixture f({}, std::move(owned_sampler));
  const SpanContext linked = remote_context(true);
  const Link links[] = {{linked, {}, 0}};
  const uint64_t start = 1'650'000'000'000'000'000ull;
  for (SpanKind kind : {SpanKind::kInternal, SpanKind::kServer, SpanKind::kClient,
                        SpanKind::kProducer, SpanKind::kConsumer}) {
    const std::string name = "kind-" + std::string(to_string(kind));
    Span s = f.tracer().start_span(name, {.kind = kind,
                                          .parent = Parent::root(),
                                          .attributes = {{"http.method", "GET"}, {"n", 1}},
                                          .links = links,
                                          .start_time = at_ns(start)});
  }
  ASSERT_EQ(f.store->size(), 5u);
  auto calls = sampler->calls();
  ASSERT_EQ(calls.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    auto span = f.store->spans()[i];
    EXPECT_EQ(static_cast<int>(span->kind()), static_cast<int>(i) + 1);
    EXPECT_EQ(span->start_time_ns(), start);
    EXPECT_EQ(span->attribute("http.method")->as_string(), "GET");
    ASSERT_EQ(span->links().size(), 1u);
    EXPECT_EQ(span->links()[0].context, linked);
    // The sampler saw the name, kind and the attributes given at start.
    EXPECT_EQ(calls[i].name, span->name());
    EXPECT_EQ(calls[i].kind, span->kind());
    ASSERT_EQ(calls[i].attributes.size(), 2u);
    EXPECT_EQ(calls[i].attributes[0],
              std::make_pair(std::string("http.method"), std::string("\"GET\"")));
    EXPECT_FALSE(calls[i].parent.is_valid());
  }
  EXPECT_EQ(to_string(SpanKind::kServer), "SERVER");
  EXPECT_EQ(to_string(StatusCode::kError), "ERROR");
}

TEST(SpanParent, RootSpanHasNoParentAndARandomSampledTrace) {
  Fixture f;
  Span root = f.tracer().start_span("root");
  EXPECT_TRUE(root.context().is_valid());
  EXPECT_FALSE(root.context().is_remote());
  EXPECT_EQ(root.context().flags().bits(), TraceFlags::kSampled | TraceFlags::kRandom);
  EXPECT_TRUE(root.context().trace_state().empty());
  root.end();
  auto data = f.get("root");
  ASSERT_TRUE(data);
  EXPECT_FALSE(data->parent_span_id().is_valid());
  EXPECT_FALSE(data->has_remote_parent());
}

TEST(SpanParent, FromSpanRefSpanContextContextAndCurrent) {
  Fixture f;
  Span root = f.tracer().start_span("root");
  const SpanContext root_ctx = root.context();

  Span from_ref = f.tracer().start_span("from-ref", {.parent = root});
  Span from_span_context = f.tracer().start_span("from-span-context", {.parent = root_ctx});
  const Context ctx = Context().with_span(root);
  Span from_context = f.tracer().start_span("from-context", {.parent = ctx});
  Span from_current;
  {
    Scope scope(root);
    from_current = f.tracer().start_span("from-current");
  }
  for (Span* child : {&from_ref, &from_span_context, &from_context, &from_current}) {
    EXPECT_EQ(child->context().trace_id(), root_ctx.trace_id());
    EXPECT_NE(child->context().span_id(), root_ctx.span_id());
    EXPECT_FALSE(child->context().is_remote());
    child->end();
  }
  root.end();
  for (const char* name : {"from-ref", "from-span-context", "from-context", "from-current"}) {
    auto data = f.get(name);
    ASSERT_TRUE(data);
    EXPECT_EQ(data->parent_span_id(), root_ctx.span_id()) << name;
    EXPECT_FALSE(data->has_remote_parent()) << name;
  }
}

TEST(SpanParent, RootIgnoresTheCurrentContext) {
  Fixture f;
  Span outer = f.tracer().start_span("outer");
  Scope scope(outer);
  Span fresh = f.tracer().start_span("fresh", {.parent = Parent::root()});
  EXPECT_NE(fresh.context().trace_id(), outer.context().trace_id());
  fresh.end();
  auto data = f.get("fresh");
  ASSERT_TRUE(data);
  EXPECT_FALSE(data->parent_span_id().is_valid());
}

TEST(SpanParent, InvalidParentStartsANewTrace) {
  Fixture f;
  Span s = f.tracer().start_span("orphan", {.parent = SpanContext()});
  EXPECT_TRUE(s.context().is_valid());
  s.end();
  EXPECT_FALSE(f.get("orphan")->parent_span_id().is_valid());
}

TEST(SpanParent, RemoteParentIsMarkedAndItsTraceStateInherited) {
  Fixture f;
  const SpanContext remote = remote_context(true, *TraceState::parse("congo=t61rcWkgMzE,rojo=1"));
  Span server = f.tracer().start_span("server", {.kind = SpanKind::kServer, .parent = remote});
  EXPECT_EQ(server.context().trace_id(), remote.trace_id());
  EXPECT_FALSE(server.context().is_remote());
  EXPECT_EQ(server.context().trace_state().header(), "congo=t61rcWkgMzE,rojo=1");
  Span child = f.tracer().start_span("child", {.parent = server});
  EXPECT_EQ(child.context().trace_state().header(), "congo=t61rcWkgMzE,rojo=1");
  child.end();
  server.end();
  auto server_data = f.get("server");
  auto child_data = f.get("child");
  ASSERT_TRUE(server_data && child_data);
  EXPECT_EQ(server_data->parent_span_id(), remote.span_id());
  EXPECT_TRUE(server_data->has_remote_parent());
  EXPECT_EQ(child_data->parent_span_id(), server.context().span_id());
  EXPECT_FALSE(child_data->has_remote_parent());
}

TEST(SpanFlags, ChildrenInheritTheRandomFlag) {
  Fixture f;
  // A parent that says its trace id is random, and one that does not.
  Span with_random = f.tracer().start_span("a", {.parent = remote_context(true, {}, true)});
  Span without_random = f.tracer().start_span("b", {.parent = remote_context(true, {}, false)});
  EXPECT_EQ(with_random.context().flags().bits(), 0x03);
  EXPECT_EQ(without_random.context().flags().bits(), 0x01);
  Span grandchild = f.tracer().start_span("c", {.parent = with_random});
  EXPECT_EQ(grandchild.context().flags().bits(), 0x03);
  Span local_root = f.tracer().start_span("d", {.parent = Parent::root()});
  Span local_child = f.tracer().start_span("e", {.parent = local_root});
  EXPECT_TRUE(local_child.context().flags().random());
}

TEST(SpanSampling, UnsampledParentGivesANonRecordingSpanThatCarriesTheTrace) {
  Fixture f;  // parentbased_always_on
  const SpanContext remote = remote_context(false, *TraceState::parse("a=b"));
  Span s = f.tracer().start_span("unsampled", {.parent = remote});
  EXPECT_FALSE(s.is_recording());
  EXPECT_EQ(s.data(), nullptr);
  EXPECT_EQ(s.context().trace_id(), remote.trace_id());
  EXPECT_TRUE(s.context().span_id().is_valid());
  EXPECT_NE(s.context().span_id(), remote.span_id());
  EXPECT_FALSE(s.context().is_sampled());
  EXPECT_EQ(s.context().trace_state().header(), "a=b");
  s.set_attribute("x", 1).add_event("e").set_status(StatusCode::kError);
  s.end();
  EXPECT_EQ(f.store->size(), 0u);
  EXPECT_EQ(f.provider->stats().spans_started, 0u);
}

TEST(SpanThreads, AnotherThreadCanUseTheSameSpan) {
  Fixture f;
  Span s = f.tracer().start_span("shared");
  SpanRef ref = s;
  std::thread other([ref] {
    for (int i = 0; i < 100; ++i)
      ref.set_attribute("t." + std::to_string(i), i);
    ref.add_event("from another thread");
  });
  for (int i = 0; i < 100; ++i)
    s.set_attribute("m." + std::to_string(i), i);
  other.join();
  s.end();
  auto data = f.get("shared");
  ASSERT_TRUE(data);
  EXPECT_EQ(data->attributes().size() + data->dropped_attributes_count(), 200u);
  EXPECT_EQ(data->attributes().size(), 128u);  // the default limit
  EXPECT_EQ(data->events().size(), 1u);
}

// A Span handle skips the span's lock while it holds the only reference. Another thread's
// SpanRef copy makes every call lock until that copy is gone; then the handle goes back to the
// lock-free path. Under TSan this checks the hand-over between the two.
TEST(SpanThreads, HandleGoesBackToExclusiveAfterAnotherThreadLetsGo) {
  Fixture f;
  constexpr int kRounds = 50;
  for (int round = 0; round < kRounds; ++round) {
    Span s = f.tracer().start_span("flip");
    std::thread other([ref = SpanRef(s)]() mutable {
      for (int i = 0; i < 20; ++i)
        ref.set_attribute("other." + std::to_string(i), i);
      ref.add_event("other");
      ref = SpanRef();  // lets go while the owner keeps writing
    });
    for (int i = 0; i < 20; ++i) {
      s.set_attribute("owner." + std::to_string(i), i);
      if (i % 5 == 0) std::this_thread::yield();
    }
    other.join();
    s.add_event("owner");  // certainly exclusive now
    s.end();
  }
  auto spans = f.store->spans();
  ASSERT_EQ(spans.size(), static_cast<size_t>(kRounds));
  for (const auto& span : spans) {
    EXPECT_EQ(span->attributes().size(), 40u);
    EXPECT_EQ(span->events().size(), 2u);
    EXPECT_EQ(span->dropped_attributes_count(), 0u);
  }
}

// Span::share counts without a locked instruction while the handle holds the only reference, and
// as a copy once it does not; every reference it hands out keeps the record alive after the span
// ends, and another thread's copies and releases keep the count right (TSan checks the hand-over).
TEST(SpanThreads, ShareCountsEveryReference) {
  Fixture f;
  for (int round = 0; round < 50; ++round) {
    Span s = f.tracer().start_span("shared-ref");
    ASSERT_EQ(s.data()->ref_count(), 1u);
    SpanRef first = s.share();  // the handle holds every reference: the plain increment
    EXPECT_EQ(s.data()->ref_count(), 2u);
    EXPECT_EQ(first.data(), s.data());
    EXPECT_EQ(first.context().span_id(), s.context().span_id());
    SpanRef second = s.share(2);  // the handle and `first`, both on this thread: plain again
    EXPECT_EQ(s.data()->ref_count(), 3u);
    std::thread other([ref = first] {
      for (int i = 0; i < 10; ++i) {
        SpanRef copy = ref;
        copy.set_attribute("other." + std::to_string(i), i);
      }
    });
    SpanRef third = s.share(2);  // not every reference is the caller's: a counted copy
    other.join();
    EXPECT_EQ(s.data()->ref_count(), 4u);
    s.end();
    // The handle's reference went to the exporter's store; the three SpanRefs hold theirs.
    EXPECT_EQ(first.data()->ref_count(), 4u);
    EXPECT_FALSE(first.is_recording());
    second = SpanRef();
    third = SpanRef();
    EXPECT_EQ(first.data()->ref_count(), 2u);
  }
  auto spans = f.store->spans();
  ASSERT_EQ(spans.size(), 50u);
  for (const auto& span : spans)
    EXPECT_EQ(span->attributes().size(), 10u);
  // A non-recording span shares its context and nothing else.
  Span none;
  EXPECT_EQ(none.share().data(), nullptr);
}

}  // namespace
}  // namespace tracekit
