// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "support/core_test_support.h"
#include "tracekit/tracekit.h"

namespace tracekit {
namespace {

using namespace std::chrono_literals;
using testing::ExportScript;
using testing::ScriptedExporter;

std::unique_ptr<TracerProvider> make_provider(std::shared_ptr<InMemorySpanStore> store,
                                              std::unique_ptr<Sampler> sampler = nullptr) {
  TracerProviderOptions o;
  o.sampler = std::move(sampler);
  o.processors.push_back(
      std::make_unique<SimpleSpanProcessor>(std::make_unique<InMemorySpanExporter>(store)));
  return std::make_unique<TracerProvider>(std::move(o));
}

TEST(TracerProvider, SameScopeGivesTheSameTracer) {
  auto store = std::make_shared<InMemorySpanStore>();
  auto provider = make_provider(store);
  Tracer& a = provider->get_tracer("lib", "1.0");
  EXPECT_EQ(&a, &provider->get_tracer("lib", "1.0"));
  EXPECT_NE(&a, &provider->get_tracer("lib", "2.0"));
  EXPECT_NE(&a, &provider->get_tracer("lib"));
  EXPECT_NE(&a, &provider->get_tracer("other", "1.0"));
  EXPECT_NE(&a, &provider->get_tracer("lib", "1.0", "https://opentelemetry.io/schemas/1.21.0"));
  EXPECT_EQ(a.scope().name, "lib");
  EXPECT_EQ(a.scope().version, "1.0");
  EXPECT_TRUE(a.enabled());
}

TEST(TracerProvider, GetTracerFromManyThreadsGivesOneTracer) {
  auto provider = make_provider(std::make_shared<InMemorySpanStore>());
  std::vector<Tracer*> seen(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] { seen[i] = &provider->get_tracer("shared", "1"); });
  }
  for (auto& t : threads)
    t.join();
  for (Tracer* t : seen)
    EXPECT_EQ(t, seen[0]);
}

TEST(TracerProvider, ExportedSpansCarryTheirScopeAndResource) {
  auto store = std::make_shared<InMemorySpanStore>();
  TracerProviderOptions o;
  o.resource = Resource(OwnedAttributes{{"service.name", "svc"}});
  o.processors.push_back(
      std::make_unique<SimpleSpanProcessor>(std::make_unique<InMemorySpanExporter>(store)));
  TracerProvider provider(std::move(o));
  { provider.get_tracer("lib.a", "1.2.3").start_span("from-a"); }
  { provider.get_tracer("lib.b").start_span("from-b"); }
  auto a = store->find("from-a");
  auto b = store->find("from-b");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->scope().name, "lib.a");
  EXPECT_EQ(a->scope().version, "1.2.3");
  EXPECT_EQ(b->scope().name, "lib.b");
  EXPECT_EQ(b->scope().version, "");
  EXPECT_EQ(a->resource().get_string("service.name"), "svc");
  EXPECT_EQ(&a->resource(), &provider.resource());
}

TEST(TracerProvider, ShutdownStopsRecordingAndCountsLateSpans) {
  auto store = std::make_shared<InMemorySpanStore>();
  auto provider = make_provider(store);
  Tracer& tracer = provider->get_tracer("t");
  Span before = tracer.start_span("started-before-shutdown");
  { tracer.start_span("exported"); }
  EXPECT_TRUE(provider->shutdown(5s));
  EXPECT_FALSE(tracer.enabled());
  EXPECT_FALSE(provider->shutdown(5s)) << "only the first shutdown does the work";

  Span after = tracer.start_span("started-after-shutdown");
  EXPECT_FALSE(after.is_recording());
  // A span started after shutdown still carries its parent's context through.
  const SpanContext parent = testing::remote_context(true);
  Span child = tracer.start_span("child-after-shutdown", {.parent = parent});
  EXPECT_EQ(child.context(), parent);
  after.end();
  child.end();
  before.end();  // ended after shutdown: dropped, and counted

  EXPECT_EQ(store->size(), 1u);
  TracerStats stats = provider->stats();
  EXPECT_EQ(stats.spans_started, 2u);
  EXPECT_EQ(stats.spans_ended, 2u);
  EXPECT_EQ(stats.spans_exported, 1u);
  EXPECT_EQ(stats.spans_dropped, 1u);
}

TEST(TracerProvider, StatsAreExact) {
  auto store = std::make_shared<InMemorySpanStore>();
  auto provider = make_provider(store);  // parentbased_always_on
  Tracer& tracer = provider->get_tracer("t");
  for (int i = 0; i < 5; ++i) {
    Span s = tracer.start_span("sampled");
  }
  for (int i = 0; i < 3; ++i) {
    // Not recorded at all: neither started nor ended in the counts.
    Span s = tracer.start_span("unsampled", {.parent = testing::remote_context(false)});
  }
  Span open = tracer.start_span("still-open");
  TracerStats stats = provider->stats();
  EXPECT_EQ(stats.spans_started, 6u);
  EXPECT_EQ(stats.spans_ended, 5u);
  EXPECT_EQ(stats.spans_exported, 5u);
  EXPECT_EQ(stats.spans_dropped, 0u);
  EXPECT_EQ(stats.export_calls, 5u);
  EXPECT_EQ(stats.export_failures, 0u);
  open.end();
  stats = provider->stats();
  EXPECT_EQ(stats.spans_ended, 6u);
  EXPECT_EQ(stats.spans_exported, 6u);
}

TEST(TracerProvider, StatsAddUpOverSeveralProcessors) {
  auto script = std::make_shared<ExportScript>();
  script->fail = true;
  auto store = std::make_shared<InMemorySpanStore>();
  TracerProviderOptions o;
  o.processors.push_back(
      std::make_unique<SimpleSpanProcessor>(std::make_unique<InMemorySpanExporter>(store)));
  o.processors.push_back(
      std::make_unique<SimpleSpanProcessor>(std::make_unique<ScriptedExporter>(script)));
  o.processors.push_back(nullptr);  // ignored
  TracerProvider provider(std::move(o));
  for (int i = 0; i < 4; ++i) {
    provider.get_tracer("t").start_span("s");
  }
  TracerStats stats = provider.stats();
  EXPECT_EQ(stats.spans_started, 4u);
  EXPECT_EQ(stats.spans_ended, 4u);
  EXPECT_EQ(stats.spans_exported, 4u);
  EXPECT_EQ(stats.export_failures, 4u);
  EXPECT_EQ(stats.spans_dropped_export_failed, 4u);
  EXPECT_EQ(stats.export_calls, 8u);
  EXPECT_EQ(store->size(), 4u);
}

// A provider whose only processor exports to a hung exporter. The exporter lets go when the
// test ends, so the processor's detached worker can finish.
struct HungProvider {
  std::shared_ptr<ExportScript> script = std::make_shared<ExportScript>();
  std::unique_ptr<TracerProvider> provider;
  HungProvider() {
    TracerProviderOptions o;
    o.processors.push_back(std::make_unique<BatchSpanProcessor>(
        std::make_unique<ScriptedExporter>(script),
        BatchOptions{.max_export_batch_size = 1, .schedule_delay = 1h}));
    provider = std::make_unique<TracerProvider>(std::move(o));
    script->set_blocked(true);
    { provider->get_tracer("t").start_span("stuck"); }
    // The worker takes the span and hangs in the exporter.
    EXPECT_TRUE(script->wait_calls_entered(1));
  }
  ~HungProvider() {
    script->set_blocked(false);
    provider.reset();
    // The worker shuts the exporter down when it gets free; wait for it so no thread outlives
    // the test.
    testing::wait_until([&] {
      std::lock_guard lock(script->mutex);
      return script->shutdown_calls > 0;
    });
  }
};

TEST(TracerProvider, ForceFlushGivesUpAfterItsTimeout) {
  HungProvider hung;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(hung.provider->force_flush(200ms));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 195ms) << "waits (nearly) the whole timeout";
  EXPECT_LT(took, 20s) << "hang guard only";
}

TEST(TracerProvider, ShutdownGivesUpAfterItsTimeout) {
  HungProvider hung;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(hung.provider->shutdown(200ms));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 195ms) << "waits (nearly) the whole timeout";
  EXPECT_LT(took, 20s) << "hang guard only";
  EXPECT_FALSE(hung.provider->get_tracer("t").enabled());
}

TEST(TracerProvider, ZeroTimeoutReturnsAtOnce) {
  HungProvider hung;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(hung.provider->force_flush(0ms));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s) << "hang guard only";
}

TEST(TracerProvider, ForceFlushSucceedsWhenExportersKeepUp) {
  auto script = std::make_shared<ExportScript>();
  TracerProviderOptions o;
  o.processors.push_back(std::make_unique<BatchSpanProcessor>(
      std::make_unique<ScriptedExporter>(script), BatchOptions{.schedule_delay = 1h}));
  TracerProvider provider(std::move(o));
  for (int i = 0; i < 10; ++i) {
    provider.get_tracer("t").start_span("s");
  }
  EXPECT_TRUE(provider.force_flush(20s));
  EXPECT_EQ(script->exported_count(), 10u);
  EXPECT_EQ(script->force_flush_calls, 1);
}

// The global provider is process-wide, so this is the only test here that sets it.
TEST(GlobalTracerProvider, TracersTakenBeforeConfigurationStartRecordingOnceItIsSet) {
  set_global_tracer_provider(nullptr);
  EXPECT_EQ(global_tracer_provider(), nullptr);
  Tracer& early = get_tracer("early.lib", "0.1");
  EXPECT_EQ(&early, &get_tracer("early.lib", "0.1"));
  EXPECT_FALSE(early.enabled());

  // No provider: a no-op span that passes the parent's context through unchanged.
  const SpanContext parent = testing::remote_context(true, *TraceState::parse("k=v"));
  {
    Span s = early.start_span("noop", {.parent = parent});
    EXPECT_FALSE(s.is_recording());
    EXPECT_EQ(s.data(), nullptr);
    EXPECT_EQ(s.context(), parent);
    Span root = early.start_span("noop-root");
    EXPECT_FALSE(root.context().is_valid());
    // Made current, the no-op span still hands the parent on to spans started under it.
    Scope scope(s);
    EXPECT_EQ(current_span().context(), parent);
  }

  auto store = std::make_shared<InMemorySpanStore>();
  std::shared_ptr<TracerProvider> provider = make_provider(store);
  set_global_tracer_provider(provider);
  EXPECT_EQ(global_tracer_provider(), provider);
  EXPECT_TRUE(early.enabled());
  {
    Span s = early.start_span("recorded", {.parent = parent});
    EXPECT_TRUE(s.is_recording());
    EXPECT_EQ(s.context().trace_id(), parent.trace_id());
  }
  { get_tracer("late.lib").start_span("late"); }
  auto recorded = store->find("recorded");
  ASSERT_TRUE(recorded);
  EXPECT_EQ(recorded->scope().name, "early.lib");
  EXPECT_EQ(recorded->scope().version, "0.1");
  EXPECT_EQ(recorded->parent_span_id(), parent.span_id());
  EXPECT_TRUE(store->find("late"));

  // Replacing the provider moves every global tracer to the new one.
  auto second_store = std::make_shared<InMemorySpanStore>();
  std::shared_ptr<TracerProvider> second = make_provider(second_store);
  set_global_tracer_provider(second);
  { early.start_span("to-second"); }
  EXPECT_TRUE(second_store->find("to-second"));
  EXPECT_FALSE(store->find("to-second"));

  set_global_tracer_provider(nullptr);
  EXPECT_FALSE(early.enabled());
  { early.start_span("after-reset"); }
  EXPECT_FALSE(second_store->find("after-reset"));
}

}  // namespace
}  // namespace tracekit
