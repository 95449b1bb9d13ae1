// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "support/core_test_support.h"
#include "tracekit/tracekit.h"

namespace tracekit {
namespace {

// A trace id whose right-most 7 bytes (what traceidratio reads) hold `low56`, with the other
// bytes set to `high_fill` (which must not matter).
TraceId trace_id_with_low56(uint64_t low56, uint8_t high_fill = 0xAB) {
  std::array<uint8_t, 16> bytes;
  bytes.fill(high_fill);
  for (int i = 15; i >= 9; --i) {
    bytes[i] = static_cast<uint8_t>(low56 & 0xFF);
    low56 >>= 8;
  }
  return TraceId(bytes);
}

SamplingDecision decide(const Sampler& sampler, const SpanContext& parent, const TraceId& id,
                        std::string_view name = "span") {
  return sampler.should_sample(SamplingParameters{parent, id, name, SpanKind::kInternal, {}})
      .decision;
}

SamplingDecision decide_root(const Sampler& sampler, const TraceId& id) {
  return decide(sampler, SpanContext(), id);
}

constexpr uint64_t kTwo56 = uint64_t{1} << 56;

TEST(Sampler, AlwaysOnAndAlwaysOff) {
  auto on = samplers::always_on();
  auto off = samplers::always_off();
  for (int i = 0; i < 100; ++i) {
    TraceId id = generate_trace_id();
    EXPECT_EQ(decide_root(*on, id), SamplingDecision::kRecordAndSample);
    EXPECT_EQ(decide_root(*off, id), SamplingDecision::kDrop);
    // They ignore the parent.
    EXPECT_EQ(decide(*on, testing::remote_context(false), id), SamplingDecision::kRecordAndSample);
    EXPECT_EQ(decide(*off, testing::remote_context(true), id), SamplingDecision::kDrop);
  }
  EXPECT_EQ(on->description(), "AlwaysOnSampler");
  EXPECT_EQ(off->description(), "AlwaysOffSampler");
}

TEST(TraceIdRatio, DecidesFromTheLow56BitsOnly) {
  auto half = samplers::trace_id_ratio(0.5);
  // The threshold is ratio * 2^56: below it sampled, at or above it not.
  EXPECT_EQ(decide_root(*half, trace_id_with_low56(0)), SamplingDecision::kRecordAndSample);
  EXPECT_EQ(decide_root(*half, trace_id_with_low56(kTwo56 / 2 - 1)),
            SamplingDecision::kRecordAndSample);
  EXPECT_EQ(decide_root(*half, trace_id_with_low56(kTwo56 / 2)), SamplingDecision::kDrop);
  EXPECT_EQ(decide_root(*half, trace_id_with_low56(kTwo56 - 1)), SamplingDecision::kDrop);
  // The high bytes do not matter.
  for (uint8_t fill : {0x00, 0x7F, 0xFF}) {
    EXPECT_EQ(decide_root(*half, trace_id_with_low56(1, fill)), SamplingDecision::kRecordAndSample);
    EXPECT_EQ(decide_root(*half, trace_id_with_low56(kTwo56 - 2, fill)), SamplingDecision::kDrop);
  }
}

TEST(TraceIdRatio, SameTraceIdSameDecision) {
  auto a = samplers::trace_id_ratio(0.3);
  auto b = samplers::trace_id_ratio(0.3);  // another service with the same ratio
  for (int i = 0; i < 1000; ++i) {
    TraceId id = generate_trace_id();
    const SamplingDecision first = decide_root(*a, id);
    EXPECT_EQ(decide_root(*a, id), first);
    EXPECT_EQ(decide_root(*b, id), first);
  }
}

TEST(TraceIdRatio, SampledFractionIsCloseToTheRatio) {
  // 100000 random ids: the standard deviation of the fraction is about 0.0015, so a tolerance of
  // 0.03 (20 standard deviations) cannot fail by chance.
  constexpr int kCount = 100000;
  for (double ratio : {0.1, 0.25, 0.5, 0.9}) {
    auto sampler = samplers::trace_id_ratio(ratio);
    int sampled = 0;
    for (int i = 0; i < kCount; ++i) {
      if (decide_root(*sampler, generate_trace_id()) == SamplingDecision::kRecordAndSample) {
        ++sampled;
      }
    }
    EXPECT_NEAR(static_cast<double>(sampled) / kCount, ratio, 0.03) << "ratio " << ratio;
  }
}

TEST(TraceIdRatio, ZeroAndOneAndOutOfRange) {
  auto zero = samplers::trace_id_ratio(0.0);
  auto one = samplers::trace_id_ratio(1.0);
  auto below = samplers::trace_id_ratio(-0.5);
  auto above = samplers::trace_id_ratio(7.0);
  auto nan = samplers::trace_id_ratio(std::numeric_limits<double>::quiet_NaN());
  for (uint64_t low : {uint64_t{0}, uint64_t{1}, kTwo56 / 2, kTwo56 - 1}) {
    const TraceId id = trace_id_with_low56(low);
    EXPECT_EQ(decide_root(*zero, id), SamplingDecision::kDrop) << low;
    EXPECT_EQ(decide_root(*below, id), SamplingDecision::kDrop) << low;
    EXPECT_EQ(decide_root(*nan, id), SamplingDecision::kDrop) << low;
    EXPECT_EQ(decide_root(*one, id), SamplingDecision::kRecordAndSample) << low;
    EXPECT_EQ(decide_root(*above, id), SamplingDecision::kRecordAndSample) << low;
  }
  EXPECT_EQ(zero->description(), "TraceIdRatioBased{0}");
  EXPECT_EQ(one->description(), "TraceIdRatioBased{1}");
  EXPECT_EQ(samplers::trace_id_ratio(0.25)->description(), "TraceIdRatioBased{0.25}");
}

// A sampler that answers a fixed decision, to see which delegate parent_based asks.
class Fixed final : public Sampler {
 public:
  explicit Fixed(SamplingDecision d, std::string name) : d_(d), name_(std::move(name)) {}
  SamplingResult should_sample(const SamplingParameters&) const noexcept override { return {d_}; }
  std::string description() const override { return name_; }

 private:
  SamplingDecision d_;
  std::string name_;
};

SpanContext parent_context(bool remote, bool sampled) {
  return SpanContext(generate_trace_id(), generate_span_id(),
                     TraceFlags(sampled ? TraceFlags::kSampled : 0), remote);
}

TEST(ParentBased, DefaultMatrixFollowsTheParent) {
  auto sampler = samplers::parent_based(samplers::always_off());
  const TraceId id = generate_trace_id();
  EXPECT_EQ(decide(*sampler, parent_context(true, true), id), SamplingDecision::kRecordAndSample);
  EXPECT_EQ(decide(*sampler, parent_context(true, false), id), SamplingDecision::kDrop);
  EXPECT_EQ(decide(*sampler, parent_context(false, true), id), SamplingDecision::kRecordAndSample);
  EXPECT_EQ(decide(*sampler, parent_context(false, false), id), SamplingDecision::kDrop);
  // No parent: the root sampler decides.
  EXPECT_EQ(decide_root(*sampler, id), SamplingDecision::kDrop);
  auto on_root = samplers::parent_based(samplers::always_on());
  EXPECT_EQ(decide_root(*on_root, id), SamplingDecision::kRecordAndSample);
  // A parent with an invalid id counts as no parent.
  SpanContext invalid(TraceId(), generate_span_id(), TraceFlags(1), true);
  EXPECT_EQ(decide(*sampler, invalid, id), SamplingDecision::kDrop);
}

TEST(ParentBased, EachCaseAsksItsOwnDelegate) {
  samplers::ParentBasedOptions o;
  o.remote_parent_sampled = std::make_unique<Fixed>(SamplingDecision::kDrop, "rs");
  o.remote_parent_not_sampled = std::make_unique<Fixed>(SamplingDecision::kRecordOnly, "rn");
  o.local_parent_sampled = std::make_unique<Fixed>(SamplingDecision::kRecordOnly, "ls");
  o.local_parent_not_sampled = std::make_unique<Fixed>(SamplingDecision::kRecordAndSample, "ln");
  auto sampler = samplers::parent_based(
      std::make_unique<Fixed>(SamplingDecision::kRecordOnly, "root"), std::move(o));
  const TraceId id = generate_trace_id();
  EXPECT_EQ(decide(*sampler, parent_context(true, true), id), SamplingDecision::kDrop);
  EXPECT_EQ(decide(*sampler, parent_context(true, false), id), SamplingDecision::kRecordOnly);
  EXPECT_EQ(decide(*sampler, parent_context(false, true), id), SamplingDecision::kRecordOnly);
  EXPECT_EQ(decide(*sampler, parent_context(false, false), id), SamplingDecision::kRecordAndSample);
  EXPECT_EQ(decide_root(*sampler, id), SamplingDecision::kRecordOnly);
  EXPECT_EQ(sampler->description(),
            "ParentBased{root:root,remoteParentSampled:rs,remoteParentNotSampled:rn,"
            "localParentSampled:ls,localParentNotSampled:ln}");
}

TEST(FromName, AllSixNames) {
  struct Case {
    const char* name;
    const char* arg;
    const char* description;
  };
  const Case cases[] = {
      {"always_on", "", "AlwaysOnSampler"},
      {"always_off", "", "AlwaysOffSampler"},
      {"traceidratio", "0.25", "TraceIdRatioBased{0.25}"},
      {"traceidratio", "", "TraceIdRatioBased{1}"},
      {"parentbased_always_on", "",
       "ParentBased{root:AlwaysOnSampler,remoteParentSampled:AlwaysOnSampler,"
       "remoteParentNotSampled:AlwaysOffSampler,localParentSampled:AlwaysOnSampler,"
       "localParentNotSampled:AlwaysOffSampler}"},
      {"parentbased_always_off", "",
       "ParentBased{root:AlwaysOffSampler,remoteParentSampled:AlwaysOnSampler,"
       "remoteParentNotSampled:AlwaysOffSampler,localParentSampled:AlwaysOnSampler,"
       "localParentNotSampled:AlwaysOffSampler}"},
      {"parentbased_traceidratio", "0.5",
       "ParentBased{root:TraceIdRatioBased{0.5},remoteParentSampled:AlwaysOnSampler,"
       "remoteParentNotSampled:AlwaysOffSampler,localParentSampled:AlwaysOnSampler,"
       "localParentNotSampled:AlwaysOffSampler}"},
      // The ratio argument is ignored by samplers that take none.
      {"always_on", "0.1", "AlwaysOnSampler"},
  };
  for (const auto& c : cases) {
    auto sampler = samplers::from_name(c.name, c.arg);
    ASSERT_TRUE(sampler.ok()) << c.name << ": " << sampler.error().message;
    EXPECT_EQ((*sampler)->description(), c.description) << c.name;
  }
  // And they behave as named.
  const TraceId low = trace_id_with_low56(0), high = trace_id_with_low56(kTwo56 - 1);
  auto ratio = samplers::from_name("traceidratio", "0.5").value();
  EXPECT_EQ(decide_root(*ratio, low), SamplingDecision::kRecordAndSample);
  EXPECT_EQ(decide_root(*ratio, high), SamplingDecision::kDrop);
  auto pb_ratio = samplers::from_name("parentbased_traceidratio", "0.5").value();
  EXPECT_EQ(decide(*pb_ratio, parent_context(true, true), high),
            SamplingDecision::kRecordAndSample);
  EXPECT_EQ(decide_root(*pb_ratio, high), SamplingDecision::kDrop);
}

TEST(FromName, UnknownNameIsAnErrorNamingTheVariable) {
  for (const char* name : {"sometimes", "", "AlwaysOn", "parentbased_", "xray"}) {
    auto sampler = samplers::from_name(name, "");
    ASSERT_FALSE(sampler.ok()) << name;
    const std::string& message = sampler.error().message;
    EXPECT_NE(message.find("OTEL_TRACES_SAMPLER"), std::string::npos) << message;
    EXPECT_NE(message.find(std::string("\"") + name + "\""), std::string::npos) << message;
    EXPECT_NE(message.find("parentbased_traceidratio"), std::string::npos)
        << "the message lists what is allowed: " << message;
  }
}

TEST(FromName, BadRatioIsAnErrorNamingTheArgumentVariable) {
  for (const char* arg : {"abc", "-0.1", "1.5", "nan", "inf", "0.5x", " 0.5", "50%", "1e3"}) {
    for (const char* name : {"traceidratio", "parentbased_traceidratio"}) {
      auto sampler = samplers::from_name(name, arg);
      ASSERT_FALSE(sampler.ok()) << name << " " << arg;
      const std::string& message = sampler.error().message;
      EXPECT_NE(message.find("OTEL_TRACES_SAMPLER_ARG"), std::string::npos) << message;
      EXPECT_NE(message.find(std::string("\"") + arg + "\""), std::string::npos) << message;
    }
  }
  for (const char* arg : {"0", "1", "0.0001", "1.0", "1e-3"}) {
    EXPECT_TRUE(samplers::from_name("traceidratio", arg).ok()) << arg;
  }
}

// Samples nothing but records everything.
class RecordOnly final : public Sampler {
 public:
  SamplingResult should_sample(const SamplingParameters&) const noexcept override {
    return {SamplingDecision::kRecordOnly};
  }
  std::string description() const override { return "RecordOnly"; }
};

TEST(SamplingDecision, RecordOnlySpansRecordButAreNeverExported) {
  auto script = std::make_shared<testing::ExportScript>();
  auto store = std::make_shared<InMemorySpanStore>();
  TracerProviderOptions o;
  o.sampler = std::make_unique<RecordOnly>();
  o.processors.push_back(
      std::make_unique<SimpleSpanProcessor>(std::make_unique<InMemorySpanExporter>(store)));
  o.processors.push_back(std::make_unique<BatchSpanProcessor>(
      std::make_unique<testing::ScriptedExporter>(script),
      BatchOptions{.schedule_delay = std::chrono::milliseconds(1)}));
  TracerProvider provider(std::move(o));
  {
    Span s = provider.get_tracer("t").start_span("record-only");
    EXPECT_TRUE(s.is_recording());
    EXPECT_NE(s.data(), nullptr);
    EXPECT_FALSE(s.context().is_sampled());
    EXPECT_TRUE(s.context().is_valid());
    s.set_attribute("kept", true);
    EXPECT_EQ(s.data()->attribute("kept")->as_bool(), true);
  }
  ASSERT_TRUE(provider.force_flush(std::chrono::seconds(20)));
  EXPECT_EQ(store->size(), 0u);
  EXPECT_EQ(script->exported_count(), 0u);
  EXPECT_EQ(script->calls(), 0);
  TracerStats stats = provider.stats();
  EXPECT_EQ(stats.spans_started, 1u);
  EXPECT_EQ(stats.spans_ended, 1u);
  EXPECT_EQ(stats.spans_exported, 0u);
  EXPECT_EQ(stats.spans_dropped, 0u);
}

// A sampler that rewrites the tracestate.
class StampsTraceState final : public Sampler {
 public:
  SamplingResult should_sample(const SamplingParameters& p) const noexcept override {
    SamplingResult r{SamplingDecision::kRecordAndSample};
    r.replace_trace_state = true;
    r.trace_state = p.parent.trace_state().set("sampler", "seen");
    return r;
  }
  std::string description() const override { return "StampsTraceState"; }
};

TEST(SamplingDecision, SamplerMayReplaceTheTraceState) {
  TracerProviderOptions o;
  o.sampler = std::make_unique<StampsTraceState>();
  TracerProvider provider(std::move(o));
  Span s = provider.get_tracer("t").start_span(
      "stamped", {.parent = testing::remote_context(true, *TraceState::parse("a=1"))});
  EXPECT_EQ(s.context().trace_state().header(), "sampler=seen,a=1");
}

}  // namespace
}  // namespace tracekit
