#include <gtest/gtest.h>

#include "tracekit/tracekit.h"

namespace tracekit {
namespace {

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
};

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

}  // namespace
}  // namespace tracekit
