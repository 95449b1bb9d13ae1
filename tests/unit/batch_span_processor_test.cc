// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <numeric>
#include <set>
#include <thread>
#include <vector>

#include "support/core_test_support.h"
#include "tracekit/tracekit.h"

namespace tracekit {
namespace {

using namespace std::chrono_literals;
using testing::DiagnosticsRecorder;
using testing::ExportScript;
using testing::ScriptedExporter;

// Longer than this machine has been up, so "once per interval" means "once" in these tests.
constexpr std::chrono::milliseconds kOneYear = std::chrono::hours(24 * 365);

// A provider with one batch processor exporting to a ScriptedExporter. The test keeps a pointer
// to the processor to flush it, shut it down and read its counts directly.
struct Fixture {
  std::shared_ptr<ExportScript> script = std::make_shared<ExportScript>();
  BatchSpanProcessor* processor = nullptr;
  std::unique_ptr<TracerProvider> provider;

  explicit Fixture(BatchOptions options, std::unique_ptr<Sampler> sampler = nullptr) {
    auto p =
        std::make_unique<BatchSpanProcessor>(std::make_unique<ScriptedExporter>(script), options);
    processor = p.get();
    TracerProviderOptions o;
    o.sampler = std::move(sampler);
    o.processors.push_back(std::move(p));
    provider = std::make_unique<TracerProvider>(std::move(o));
  }
  ~Fixture() {
    script->set_blocked(false);  // never leave the worker hanging
  }
  Tracer& tracer() { return provider->get_tracer("bsp-test"); }
  void end_spans(int n, std::string_view name = "span") {
    for (int i = 0; i < n; ++i) {
      tracer().start_span(name);
    }
  }
  TracerStats processor_stats() const {
    TracerStats s;
    processor->add_stats(s);
    return s;
  }
};

TEST(BatchSpanProcessor, ExportsEverythingOnShutdown) {
  Fixture f({.schedule_delay = 1h});
  f.end_spans(1000);
  EXPECT_TRUE(f.provider->shutdown(20s));
  EXPECT_EQ(f.script->exported_count(), 1000u);
  EXPECT_EQ(f.script->shutdown_calls, 1);
  TracerStats stats = f.provider->stats();
  EXPECT_EQ(stats.spans_exported, 1000u);
  EXPECT_EQ(stats.spans_dropped, 0u);
}

TEST(BatchSpanProcessor, DestructorExportsWhatIsQueued) {
  auto script = std::make_shared<ExportScript>();
  {
    TracerProviderOptions o;
    o.processors.push_back(std::make_unique<BatchSpanProcessor>(
        std::make_unique<ScriptedExporter>(script), BatchOptions{.schedule_delay = 1h}));
    TracerProvider provider(std::move(o));
    for (int i = 0; i < 10; ++i) {
      provider.get_tracer("t").start_span("s");
    }
  }
  EXPECT_EQ(script->exported_count(), 10u);
}

TEST(BatchSpanProcessor, BatchesNeverExceedTheMaximum) {
  Fixture f({.max_queue_size = 4096, .max_export_batch_size = 16, .schedule_delay = 1h});
  f.end_spans(1000);
  ASSERT_TRUE(f.processor->force_flush(20s));
  auto batches = f.script->batches();
  ASSERT_FALSE(batches.empty());
  EXPECT_LE(*std::max_element(batches.begin(), batches.end()), 16u);
  EXPECT_GE(*std::min_element(batches.begin(), batches.end()), 1u);
  EXPECT_EQ(std::accumulate(batches.begin(), batches.end(), size_t{0}), 1000u);
  EXPECT_EQ(f.processor_stats().export_calls, batches.size());
}

TEST(BatchSpanProcessor, BatchSizeLargerThanTheQueueIsCappedToIt) {
  Fixture f({.max_queue_size = 8, .max_export_batch_size = 100, .schedule_delay = 1h});
  EXPECT_EQ(f.processor->options().max_export_batch_size, 8u);
  f.end_spans(50);
  ASSERT_TRUE(f.processor->force_flush(20s));
  for (size_t b : f.script->batches())
    EXPECT_LE(b, 8u);
  TracerStats stats = f.provider->stats();
  EXPECT_EQ(stats.spans_exported + stats.spans_dropped_queue_full, 50u);
  EXPECT_EQ(stats.spans_exported, f.script->exported_count());
}

TEST(BatchSpanProcessor, ScheduleDelayExportsWithoutAFullBatch) {
  Fixture f({.max_export_batch_size = 512, .schedule_delay = 20ms});
  f.end_spans(3);
  // No flush: the timer alone must get the spans out.
  EXPECT_TRUE(testing::wait_until([&] { return f.script->exported_count() == 3; }));
  EXPECT_EQ(f.script->exported_count(), 3u);
}

TEST(BatchSpanProcessor, AFullBatchIsExportedWithoutWaitingForTheTimer) {
  Fixture f({.max_queue_size = 2048, .max_export_batch_size = 64, .schedule_delay = 1h});
  f.end_spans(200);
  EXPECT_TRUE(testing::wait_until([&] { return f.script->exported_count() >= 64; }))
      << "the worker must wake up when a batch is ready, not after the hour-long delay";
}

TEST(BatchSpanProcessor, AFullQueueWakesTheWorker) {
  // Queue and batch the same size: the queue fills exactly when a batch is ready.
  Fixture f({.max_queue_size = 64, .max_export_batch_size = 64, .schedule_delay = 1h});
  f.end_spans(64);
  f.end_spans(1);  // finds the queue full
  EXPECT_TRUE(testing::wait_until([&] { return f.script->exported_count() >= 64; }))
      << "a full queue with a sleeping worker drops every span until the schedule delay";
}

TEST(BatchSpanProcessor, QueueFullWithABlockedExporterDropsAndCountsExactly) {
  Fixture f({.max_queue_size = 4, .max_export_batch_size = 1, .schedule_delay = 1h});
  f.script->set_blocked(true);
  f.end_spans(1);
  ASSERT_TRUE(f.script->wait_calls_entered(1));  // the worker holds span 1 in the exporter
  f.end_spans(4);                                // fills the queue
  f.end_spans(10);                               // all dropped; ending them must not block
  TracerStats stats = f.provider->stats();
  EXPECT_EQ(stats.spans_dropped_queue_full, 10u);
  EXPECT_EQ(stats.spans_dropped, 10u);
  EXPECT_EQ(stats.spans_ended, 15u);
  f.script->set_blocked(false);
  ASSERT_TRUE(f.processor->force_flush(20s));
  stats = f.provider->stats();
  EXPECT_EQ(stats.spans_exported, 5u);
  EXPECT_EQ(stats.spans_dropped_queue_full, 10u);
  EXPECT_EQ(stats.spans_exported + stats.spans_dropped, stats.spans_ended);
}

TEST(BatchSpanProcessor, TheQueueBoundHoldsForAllThreadsTogether) {
  // OTEL_BSP_MAX_QUEUE_SIZE bounds the process's queue, not each thread's share of it.
  Fixture f({.max_queue_size = 64, .max_export_batch_size = 1, .schedule_delay = 1h});
  f.script->set_blocked(true);
  f.end_spans(1);
  ASSERT_TRUE(f.script->wait_calls_entered(1));  // the worker holds span 1 in the exporter
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] { f.end_spans(64); });
  for (auto& t : threads)
    t.join();
  TracerStats stats = f.provider->stats();
  EXPECT_EQ(stats.spans_ended, 257u);
  EXPECT_GE(stats.spans_dropped_queue_full, 256u - 64u) << "more than 64 spans were queued";
  f.script->set_blocked(false);
  ASSERT_TRUE(f.processor->force_flush(20s));
  stats = f.provider->stats();
  EXPECT_LE(stats.spans_exported, 65u);
  EXPECT_EQ(stats.spans_exported + stats.spans_dropped, stats.spans_ended);
}

TEST(BatchSpanProcessor, ThreadsThatExitGiveTheirShareOfTheQueueBack) {
  // Each producing thread takes room in the queue a few slots at a time; short-lived threads
  // must not keep what they did not use, or the queue would look full with few spans in it.
  Fixture f({.max_queue_size = 1024, .max_export_batch_size = 1024, .schedule_delay = 1h});
  for (int t = 0; t < 200; ++t) {
    std::thread([&] { f.end_spans(1); }).join();
  }
  f.end_spans(800);
  ASSERT_TRUE(f.processor->force_flush(20s));
  TracerStats stats = f.provider->stats();
  EXPECT_EQ(stats.spans_dropped, 0u);
  EXPECT_EQ(stats.spans_exported, 1000u);
}

TEST(BatchSpanProcessor, DroppedSpansAreReportedAtMostOncePerInterval) {
  DiagnosticsRecorder diagnostics;
  Fixture f({.max_queue_size = 4,
             .max_export_batch_size = 1,
             .schedule_delay = 1h,
             .warning_interval = kOneYear});
  auto overflow = [&](int dropped) {
    f.script->set_blocked(true);
    const int entered = f.script->calls();
    f.end_spans(1);
    ASSERT_TRUE(f.script->wait_calls_entered(entered + 1));
    f.end_spans(4 + dropped);
    f.script->set_blocked(false);
    // The worker reports (or not) after the export round; the flush waits for that round.
    ASSERT_TRUE(f.processor->force_flush(20s));
  };
  overflow(6);
  auto warnings = diagnostics.containing("queue full");
  ASSERT_EQ(warnings.size(), 1u) << "the first drops are reported at once";
  EXPECT_EQ(warnings[0],
            "batch span processor queue full (max_queue_size=4): dropped 6 spans since the last "
            "report, 6 in all");
  overflow(3);
  overflow(2);
  EXPECT_EQ(diagnostics.containing("queue full").size(), 1u)
      << "later drops wait for the interval to pass";
  EXPECT_EQ(f.provider->stats().spans_dropped_queue_full, 11u);
  // Shutdown reports what was not reported yet, once.
  EXPECT_TRUE(f.provider->shutdown(20s));
  warnings = diagnostics.containing("queue full");
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[1].find("dropped 5"), std::string::npos) << warnings[1];
  EXPECT_NE(warnings[1].find("11 in all"), std::string::npos) << warnings[1];
}

TEST(BatchSpanProcessor, FailingExporterIsCountedAndReportedRateLimited) {
  DiagnosticsRecorder diagnostics;
  Fixture f({.max_export_batch_size = 1, .schedule_delay = 1h, .warning_interval = kOneYear});
  f.script->fail = true;
  f.script->failure_reason = "connection refused";
  f.end_spans(5);
  ASSERT_TRUE(f.processor->force_flush(20s));
  TracerStats stats = f.provider->stats();
  EXPECT_EQ(stats.export_calls, 5u);
  EXPECT_EQ(stats.export_failures, 5u);
  EXPECT_EQ(stats.spans_dropped_export_failed, 5u);
  EXPECT_EQ(stats.spans_dropped, 5u);
  EXPECT_EQ(stats.spans_exported, 0u);
  auto warnings = diagnostics.containing("export failed");
  ASSERT_EQ(warnings.size(), 1u);
  // The worker may report after the first failed batch: the counts vary, the wording does not.
  EXPECT_TRUE(warnings[0].starts_with("span export failed ")) << warnings[0];
  EXPECT_TRUE(warnings[0].ends_with(" spans lost); last error: connection refused")) << warnings[0];

  f.end_spans(5);
  ASSERT_TRUE(f.processor->force_flush(20s));
  EXPECT_EQ(diagnostics.containing("export failed").size(), 1u);
  EXPECT_EQ(f.provider->stats().export_failures, 10u);
  EXPECT_EQ(f.provider->stats().spans_dropped_export_failed, 10u);
}

TEST(BatchSpanProcessor, PartialSuccessCountsRejectedSpans) {
  Fixture f({.max_export_batch_size = 4, .schedule_delay = 1h});
  f.script->reject_prefix = "bad";
  f.end_spans(7, "good");
  f.end_spans(5, "bad");
  f.end_spans(3, "good");
  ASSERT_TRUE(f.processor->force_flush(20s));
  TracerStats stats = f.provider->stats();
  EXPECT_EQ(stats.spans_exported, 10u);
  EXPECT_EQ(stats.spans_rejected, 5u);
  EXPECT_EQ(stats.spans_dropped, 5u);
  EXPECT_EQ(stats.export_failures, 0u);
  EXPECT_EQ(f.script->exported_count(), 10u);
}

TEST(BatchSpanProcessor, UnsampledSpansNeverReachTheExporter) {
  class RecordOnly final : public Sampler {
   public:
    SamplingResult should_sample(const SamplingParameters& p) const noexcept override {
      return {p.name == "sampled" ? SamplingDecision::kRecordAndSample
                                  : SamplingDecision::kRecordOnly};
    }
    std::string description() const override { return "RecordOnly"; }
  };
  Fixture f({.max_export_batch_size = 1, .schedule_delay = 1h}, std::make_unique<RecordOnly>());
  f.end_spans(5, "record-only");
  f.end_spans(2, "sampled");
  f.end_spans(5, "record-only");
  ASSERT_TRUE(f.processor->force_flush(20s));
  auto exported = f.script->exported();
  ASSERT_EQ(exported.size(), 2u);
  for (const auto& s : exported) {
    EXPECT_EQ(s.name, "sampled");
    EXPECT_TRUE(s.sampled);
  }
  TracerStats stats = f.provider->stats();
  EXPECT_EQ(stats.spans_ended, 12u);
  EXPECT_EQ(stats.spans_exported, 2u);
  EXPECT_EQ(stats.spans_dropped, 0u);
}

TEST(BatchSpanProcessor, SpansEndedAfterTheProcessorShutDownAreDroppedAndCounted) {
  Fixture f({.schedule_delay = 1h});
  Span late = f.tracer().start_span("late");
  f.end_spans(2);
  ASSERT_TRUE(f.processor->shutdown(20s));
  late.end();
  f.end_spans(3);  // the provider still records them; the processor refuses them
  EXPECT_EQ(f.script->exported_count(), 2u);
  TracerStats stats = f.provider->stats();
  EXPECT_EQ(stats.spans_ended, 6u);
  EXPECT_EQ(stats.spans_exported, 2u);
  EXPECT_EQ(stats.spans_dropped, 4u);
  EXPECT_FALSE(f.processor->force_flush(1s)) << "nothing can be flushed after shutdown";
  EXPECT_TRUE(f.processor->shutdown(1s));
}

TEST(BatchSpanProcessor, ForceFlushExportsWhatWasQueuedBeforeIt) {
  Fixture f({.schedule_delay = 1h});
  for (int round = 1; round <= 3; ++round) {
    f.end_spans(10);
    ASSERT_TRUE(f.processor->force_flush(20s));
    // Synchronous: when force_flush returns, the spans ended before it are exported.
    EXPECT_EQ(f.script->exported_count(), 10u * round);
  }
  EXPECT_EQ(f.script->force_flush_calls, 3);
}

TEST(BatchSpanProcessor, ConcurrentForceFlushesAllSucceed) {
  Fixture f({.max_export_batch_size = 8, .schedule_delay = 1h});
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        f.end_spans(5);
        if (f.processor->force_flush(20s)) ok.fetch_add(1);
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(ok.load(), 80);
  EXPECT_EQ(f.script->exported_count(), 400u);
}

// An export started before the shutdown has its own, longer deadline: near the end of the
// shutdown's time it is cancelled, so that the worker counts what is left and stops, within the
// timeout and without being left running (the collector that stalls an export no longer costs
// the log processor's shutdown its time, nor leaves a thread inside libcurl at exit).
TEST(BatchSpanProcessor, ShutdownCancelsAnExportInFlightAndStopsInTime) {
  Fixture f({.max_export_batch_size = 1, .schedule_delay = 1h});
  {
    std::lock_guard lock(f.script->mutex);
    f.script->cancellable = true;
  }
  f.script->set_blocked(true);
  f.end_spans(3);
  ASSERT_TRUE(f.script->wait_calls_entered(1));
  DiagnosticsRecorder diagnostics;
  const auto start = std::chrono::steady_clock::now();
  // Cancelled a fifth (500 ms) before the end: the worker then has that long to count and stop,
  // which a loaded machine under ThreadSanitizer needs.
  EXPECT_FALSE(f.processor->shutdown(2500ms)) << "not everything was exported";
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, 2500ms + 1s) << "returns at its timeout (the margin is the machine's, not ours)";
  EXPECT_GE(took, 1900ms) << "cancelled only near the end of the shutdown's time";
  {
    std::lock_guard lock(f.script->mutex);
    EXPECT_EQ(f.script->cancel_calls, 1);
    EXPECT_EQ(f.script->shutdown_calls, 1) << "the worker finished before shutdown returned";
  }
  EXPECT_EQ(diagnostics.containing("timed out").size(), 0u);
  EXPECT_EQ(diagnostics.containing("cancelled the export in flight").size(), 1u);
  TracerStats stats;
  f.processor->add_stats(stats);
  EXPECT_EQ(stats.spans_exported, 0u);
  EXPECT_EQ(stats.spans_dropped, 3u) << "every span counted";
}

TEST(BatchSpanProcessor, ShutdownGivesUpOnAHungExporterWithinItsTimeout) {
  Fixture f({.max_export_batch_size = 1, .schedule_delay = 1h});
  f.script->set_blocked(true);
  f.end_spans(3);
  ASSERT_TRUE(f.script->wait_calls_entered(1));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(f.processor->shutdown(100ms));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s) << "hang guard only";
  f.script->set_blocked(false);
  // The detached worker finishes on its own and shuts the exporter down.
  EXPECT_TRUE(testing::wait_until([&] {
    std::lock_guard lock(f.script->mutex);
    return f.script->shutdown_calls == 1;
  }));
}

}  // namespace
}  // namespace tracekit
