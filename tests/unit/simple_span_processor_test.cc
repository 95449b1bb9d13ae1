// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <thread>

#include "support/core_test_support.h"
#include "tracekit/tracekit.h"

namespace tracekit {
namespace {

using namespace std::chrono_literals;
using testing::ExportScript;
using testing::ScriptedExporter;

struct Fixture {
  std::shared_ptr<ExportScript> script = std::make_shared<ExportScript>();
  SimpleSpanProcessor* processor = nullptr;
  std::unique_ptr<TracerProvider> provider;
  explicit Fixture(std::unique_ptr<Sampler> sampler = nullptr) {
    auto p = std::make_unique<SimpleSpanProcessor>(std::make_unique<ScriptedExporter>(script));
    processor = p.get();
    TracerProviderOptions o;
    o.sampler = std::move(sampler);
    o.processors.push_back(std::move(p));
    provider = std::make_unique<TracerProvider>(std::move(o));
  }
  Tracer& tracer() { return provider->get_tracer("simple-test"); }
};

TEST(SimpleSpanProcessor, ExportsSynchronouslyOneSpanPerCall) {
  Fixture f;
  Span s = f.tracer().start_span("one");
  EXPECT_EQ(f.script->exported_count(), 0u);
  s.end();
  // Already exported when end() returns, on this thread.
  ASSERT_EQ(f.script->exported_count(), 1u);
  EXPECT_EQ(f.script->exported()[0].name, "one");
  { f.tracer().start_span("two"); }
  EXPECT_EQ(f.script->batches(), (std::vector<size_t>{1, 1}));
  TracerStats stats = f.provider->stats();
  EXPECT_EQ(stats.spans_exported, 2u);
  EXPECT_EQ(stats.export_calls, 2u);
  EXPECT_EQ(stats.spans_dropped, 0u);
}

TEST(SimpleSpanProcessor, CountsFailuresAndRejections) {
  Fixture f;
  f.script->fail = true;
  for (int i = 0; i < 3; ++i) {
    f.tracer().start_span("failed");
  }
  f.script->fail = false;
  f.script->reject_prefix = "bad";
  for (int i = 0; i < 2; ++i) {
    f.tracer().start_span("bad");
  }
  { f.tracer().start_span("good"); }
  TracerStats stats = f.provider->stats();
  EXPECT_EQ(stats.export_calls, 6u);
  EXPECT_EQ(stats.export_failures, 3u);
  EXPECT_EQ(stats.spans_dropped_export_failed, 3u);
  EXPECT_EQ(stats.spans_rejected, 2u);
  EXPECT_EQ(stats.spans_exported, 1u);
  EXPECT_EQ(stats.spans_dropped, 5u);
  EXPECT_EQ(stats.spans_exported + stats.spans_dropped, stats.spans_ended);
}

TEST(SimpleSpanProcessor, UnsampledSpansAreNotExported) {
  class RecordOnly final : public Sampler {
   public:
    SamplingResult should_sample(const SamplingParameters&) const noexcept override {
      return {SamplingDecision::kRecordOnly};
    }
    std::string description() const override { return "RecordOnly"; }
  };
  Fixture f(std::make_unique<RecordOnly>());
  { f.tracer().start_span("record-only"); }
  EXPECT_EQ(f.script->calls(), 0);
  EXPECT_EQ(f.provider->stats().spans_ended, 1u);
  EXPECT_EQ(f.provider->stats().spans_exported, 0u);
}

TEST(SimpleSpanProcessor, ShutdownShutsTheExporterDownOnceAndLaterSpansAreDropped) {
  Fixture f;
  Span late = f.tracer().start_span("late");
  EXPECT_TRUE(f.processor->shutdown(1s));
  EXPECT_TRUE(f.processor->shutdown(1s));
  EXPECT_EQ(f.script->shutdown_calls, 1);
  late.end();
  EXPECT_EQ(f.script->calls(), 0);
  TracerStats stats = f.provider->stats();
  EXPECT_EQ(stats.spans_ended, 1u);
  EXPECT_EQ(stats.spans_dropped, 1u);
}

TEST(SimpleSpanProcessor, ForceFlushReachesTheExporter) {
  Fixture f;
  EXPECT_TRUE(f.provider->force_flush(1s));
  EXPECT_EQ(f.script->force_flush_calls, 1);
}

TEST(SimpleSpanProcessor, ExportCallsAreSerialisedAcrossThreads) {
  // The exporter contract: one call at a time. A non-thread-safe exporter must see no overlap.
  class OverlapDetector final : public SpanExporter {
   public:
    std::atomic<int> inside{0};
    std::atomic<int> overlaps{0};
    std::atomic<int> spans{0};
    ExportResult export_spans(std::span<const SpanDataPtr> batch, Deadline) noexcept override {
      if (inside.fetch_add(1) != 0) overlaps.fetch_add(1);
      std::this_thread::yield();
      spans.fetch_add(static_cast<int>(batch.size()));
      inside.fetch_sub(1);
      return ExportResult::success();
    }
    bool shutdown(std::chrono::milliseconds) noexcept override { return true; }
  };
  auto exporter = std::make_unique<OverlapDetector>();
  OverlapDetector* detector = exporter.get();
  TracerProviderOptions o;
  o.processors.push_back(std::make_unique<SimpleSpanProcessor>(std::move(exporter)));
  TracerProvider provider(std::move(o));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        provider.get_tracer("t").start_span("s");
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(detector->overlaps.load(), 0);
  EXPECT_EQ(detector->spans.load(), 2000);
}

}  // namespace
}  // namespace tracekit
