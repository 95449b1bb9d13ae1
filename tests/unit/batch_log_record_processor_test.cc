// SPDX-License-Identifier: Apache-2.0
// The batch log record processor on its own: what it exports, what it drops and counts, what it
// reports, and that flush and shutdown keep their deadlines with a hung exporter.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "support/core_test_support.h"
#include "tracekit/log/record.h"

namespace tracekit::log {
namespace {

using namespace std::chrono_literals;
using tracekit::testing::DiagnosticsRecorder;

constexpr std::chrono::milliseconds kOneYear = std::chrono::hours(24 * 365);

// Shared with the test after the exporter is handed over.
struct LogScript : tracekit::testing::ExportGate {
  bool fail = false;
  uint64_t reject_each_call = 0;  // records refused per call (partial success)
  std::vector<std::string> bodies;

  size_t exported() {
    std::lock_guard lock(mutex);
    return bodies.size();
  }
  int shutdowns() {
    std::lock_guard lock(mutex);
    return shutdown_calls;
  }
};

class ScriptedLogExporter final : public LogRecordExporter {
 public:
  explicit ScriptedLogExporter(std::shared_ptr<LogScript> s) : s_(std::move(s)) {}
  ExportResult export_records(std::span<const LogRecordPtr> records, Deadline) noexcept override {
    std::unique_lock lock(s_->mutex);
    ++s_->calls_entered;
    s_->changed.notify_all();
    s_->changed.wait(lock, [&] { return !s_->blocked; });
    if (s_->fail) return ExportResult::failure("collector unavailable");
    const uint64_t rejected = std::min<uint64_t>(s_->reject_each_call, records.size());
    for (size_t i = rejected; i < records.size(); ++i)
      s_->bodies.emplace_back(records[i]->body());
    ExportResult result = ExportResult::success();
    result.rejected_spans = rejected;
    if (rejected) result.error = "refused";
    return result;
  }
  bool shutdown(std::chrono::milliseconds) noexcept override {
    std::lock_guard lock(s_->mutex);
    ++s_->shutdown_calls;
    return true;
  }

 private:
  std::shared_ptr<LogScript> s_;
};

struct Fixture {
  std::shared_ptr<LogScript> script = std::make_shared<LogScript>();
  BatchLogRecordProcessor processor;
  explicit Fixture(LogBatchOptions o)
      : processor(std::make_unique<ScriptedLogExporter>(script), o) {}
  ~Fixture() { script->set_blocked(false); }
  void emit(int n, std::string_view body = "line") {
    for (int i = 0; i < n; ++i)
      processor.on_emit(
          LogRecord::make(1, Level::kInfo, "test", body, {}, {}, {}, {}, std::string_view()));
  }
  LogExportStats stats() const {
    LogExportStats st;
    processor.add_stats(st);
    return st;
  }
};

TEST(BatchLogRecordProcessor, ShutdownExportsEverythingQueued) {
  Fixture f({.schedule_delay = 1h});
  f.emit(1000);
  EXPECT_TRUE(f.processor.shutdown(20s));
  EXPECT_EQ(f.script->exported(), 1000u);
  EXPECT_EQ(f.script->shutdowns(), 1);
  const LogExportStats st = f.stats();
  EXPECT_EQ(st.records_emitted, 1000u);
  EXPECT_EQ(st.records_exported, 1000u);
  EXPECT_EQ(st.records_dropped, 0u);
}

TEST(BatchLogRecordProcessor, ForceFlushExportsWhatWasEmittedBeforeIt) {
  Fixture f({.schedule_delay = 1h});
  for (size_t round = 1; round <= 3; ++round) {
    f.emit(10);
    ASSERT_TRUE(f.processor.force_flush(20s));
    EXPECT_EQ(f.script->exported(), 10u * round);
  }
}

TEST(BatchLogRecordProcessor, ScheduleDelayExportsWithoutAFullBatch) {
  Fixture f({.schedule_delay = 20ms});
  f.emit(3);
  EXPECT_TRUE(tracekit::testing::wait_until([&] { return f.script->exported() == 3; }));
}

TEST(BatchLogRecordProcessor, AFullQueueDropsCountsAndReportsOnce) {
  DiagnosticsRecorder diagnostics;
  Fixture f({.max_queue_size = 4,
             .max_export_batch_size = 1,
             .schedule_delay = 1h,
             .warning_interval = kOneYear});
  f.script->set_blocked(true);
  f.emit(1);
  ASSERT_TRUE(f.script->wait_calls_entered(1));  // the worker holds record 1 in the exporter
  f.emit(4);                                     // fills the queue
  f.emit(6);                                     // all dropped; emitting must not block
  LogExportStats st = f.stats();
  EXPECT_EQ(st.records_emitted, 11u);
  EXPECT_EQ(st.records_dropped_queue_full, 6u);
  EXPECT_EQ(st.records_dropped, 6u);
  f.script->set_blocked(false);
  ASSERT_TRUE(f.processor.force_flush(20s));
  st = f.stats();
  EXPECT_EQ(st.records_exported, 5u);
  EXPECT_EQ(st.records_exported + st.records_dropped, st.records_emitted);
  const auto warnings = diagnostics.containing("queue full");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0],
            "batch log record processor queue full (max_queue_size=4): dropped 6 log records "
            "since the last report, 6 in all");
}

TEST(BatchLogRecordProcessor, FailedAndRejectedExportsAreCountedAndReported) {
  DiagnosticsRecorder diagnostics;
  Fixture f({.max_export_batch_size = 2, .schedule_delay = 1h, .warning_interval = kOneYear});
  f.script->fail = true;
  f.emit(4);
  ASSERT_TRUE(f.processor.force_flush(20s));
  f.script->fail = false;
  f.script->reject_each_call = 1;
  f.emit(2);
  ASSERT_TRUE(f.processor.force_flush(20s));
  const LogExportStats st = f.stats();
  EXPECT_EQ(st.export_calls, 3u);
  EXPECT_EQ(st.export_failures, 2u);
  EXPECT_EQ(st.records_dropped_export_failed, 4u);
  EXPECT_EQ(st.records_rejected, 1u);
  EXPECT_EQ(st.records_exported, 1u);
  EXPECT_EQ(st.records_dropped, 5u);
  const auto warnings = diagnostics.containing("export failed");
  ASSERT_EQ(warnings.size(), 1u);
  // The worker may report after the first failed batch: the counts vary, the wording does not.
  EXPECT_TRUE(warnings[0].starts_with("log export failed ")) << warnings[0];
  EXPECT_TRUE(warnings[0].ends_with(" log records lost); last error: collector unavailable"))
      << warnings[0];
}

TEST(BatchLogRecordProcessor, RecordsAfterShutdownAreDroppedAndCounted) {
  Fixture f({.schedule_delay = 1h});
  f.emit(2);
  ASSERT_TRUE(f.processor.shutdown(20s));
  f.emit(3);
  const LogExportStats st = f.stats();
  EXPECT_EQ(st.records_emitted, 5u);
  EXPECT_EQ(st.records_exported, 2u);
  EXPECT_EQ(st.records_dropped, 3u);
  EXPECT_FALSE(f.processor.force_flush(1s)) << "nothing can be flushed after shutdown";
  EXPECT_TRUE(f.processor.shutdown(1s));
}

TEST(BatchLogRecordProcessor, ShutdownGivesUpOnAHungExporterWithinItsTimeout) {
  DiagnosticsRecorder diagnostics;
  Fixture f({.max_export_batch_size = 1, .schedule_delay = 1h});
  f.script->set_blocked(true);
  f.emit(3);
  ASSERT_TRUE(f.script->wait_calls_entered(1));
  EXPECT_FALSE(f.processor.shutdown(100ms));
  EXPECT_EQ(diagnostics.containing("shutdown timed out").size(), 1u);
  EXPECT_EQ(diagnostics.containing("shutdown timed out")[0],
            "batch log record processor shutdown timed out after 100 ms; unexported log records "
            "are lost");
  f.script->set_blocked(false);
  // The detached worker finishes on its own; what the deadline left queued is counted.
  EXPECT_TRUE(tracekit::testing::wait_until([&] { return f.script->shutdowns() == 1; }));
  const LogExportStats st = f.stats();
  EXPECT_EQ(st.records_exported + st.records_dropped, 3u);
}

}  // namespace
}  // namespace tracekit::log
