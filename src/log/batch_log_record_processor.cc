// The batch log record processor: a log call puts its record on the bounded lock-free queue the
// span processor uses (one ring per producing thread, src/core/producer_rings.h) and returns;
// one worker thread exports batches. A full queue drops the record and counts it.
#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "producer_rings.h"
#include "sharded_counter.h"
#include "tracekit/diagnostics.h"
#include "tracekit/log/record.h"

namespace tracekit::log {

using Clock = std::chrono::steady_clock;

// Shared with the worker through a shared_ptr: if shutdown gives up on a hung exporter and
// detaches the worker, nothing the worker still uses is freed under it.
struct BatchLogRecordProcessor::Shared {
  Shared(std::unique_ptr<LogRecordExporter> e, LogBatchOptions o)
      : options(o), exporter(std::move(e)), queue(o.max_queue_size) {}
  ~Shared() {
    while (void* r = queue.try_pop())
      LogRecordPtr(static_cast<const LogRecord*>(r));
  }

  const LogBatchOptions options;
  std::unique_ptr<LogRecordExporter> exporter;
  tracekit::detail::ProducerRings<void> queue;

  std::mutex mutex;
  std::condition_variable wake;  // the worker waits here
  std::condition_variable done;  // flush and shutdown callers wait here
  std::atomic<bool> worker_sleeping{false};
  uint64_t flush_requested = 0;                                    // guarded by mutex
  uint64_t flush_completed = 0;                                    // guarded by mutex
  bool stop = false;                                               // guarded by mutex
  bool finished = false;                                           // guarded by mutex
  Clock::time_point shutdown_deadline = Clock::time_point::max();  // guarded by mutex
  std::atomic<bool> shut_down{false};

  tracekit::detail::ShardedCounter emitted, dropped_queue_full, dropped_after_shutdown;
  std::atomic<uint64_t> exported{0}, failed_records{0}, export_failures{0}, export_calls{0},
      rejected{0};

  // Rate-limited warnings (worker thread only).
  Clock::time_point last_warning{};
  uint64_t warned_dropped = 0, warned_failures = 0;
  std::string last_error;

  void wake_worker() {
    std::lock_guard lock(mutex);
    wake.notify_one();
  }
  void run();
  void export_batch(std::vector<LogRecordPtr>& batch, Clock::time_point hard_deadline);
  void maybe_warn(bool force);
};

void BatchLogRecordProcessor::Shared::export_batch(std::vector<LogRecordPtr>& batch,
                                                   Clock::time_point hard_deadline) {
  if (batch.empty()) return;
  Clock::time_point deadline = Clock::now() + options.export_timeout;
  if (hard_deadline < deadline) deadline = hard_deadline;
  ExportResult result = exporter->export_records(batch, deadline);
  export_calls.fetch_add(1, std::memory_order_relaxed);
  if (result.ok()) {
    const uint64_t rejected_now = std::min<uint64_t>(result.rejected_spans, batch.size());
    exported.fetch_add(batch.size() - rejected_now, std::memory_order_relaxed);
    rejected.fetch_add(rejected_now, std::memory_order_relaxed);
    if (rejected_now && !result.error.empty()) last_error = result.error;
  } else {
    export_failures.fetch_add(1, std::memory_order_relaxed);
    failed_records.fetch_add(batch.size(), std::memory_order_relaxed);
    last_error = result.error;
  }
  batch.clear();
}

void BatchLogRecordProcessor::Shared::maybe_warn(bool force) {
  const Clock::time_point now = Clock::now();
  const bool reported_before = last_warning != Clock::time_point{};
  if (!force && reported_before && now - last_warning < options.warning_interval) return;
  const uint64_t dropped = dropped_queue_full.load();
  const uint64_t failures = export_failures.load(std::memory_order_relaxed);
  if (dropped == warned_dropped && failures == warned_failures) return;
  try {
    if (dropped != warned_dropped) {
      report_diagnostic(DiagnosticLevel::kWarning,
                        "batch log record processor queue full (max_queue_size=" +
                            std::to_string(options.max_queue_size) + "): dropped " +
                            std::to_string(dropped - warned_dropped) +
                            " log records since the last report, " + std::to_string(dropped) +
                            " in all");
    }
    if (failures != warned_failures) {
      report_diagnostic(DiagnosticLevel::kWarning,
                        "log export failed " + std::to_string(failures - warned_failures) +
                            " times since the last report (" + std::to_string(failures) +
                            " in all, " +
                            std::to_string(failed_records.load(std::memory_order_relaxed)) +
                            " log records lost); last error: " + last_error);
    }
  } catch (...) {
  }
  warned_dropped = dropped;
  warned_failures = failures;
  last_warning = now;
}

void BatchLogRecordProcessor::Shared::run() {
  std::vector<LogRecordPtr> batch;
  batch.reserve(options.max_export_batch_size);
  Clock::time_point next_timer = Clock::now() + options.schedule_delay;
  for (;;) {
    uint64_t flush_target;
    bool stopping;
    Clock::time_point hard_deadline;
    bool timer_fired = false;
    {
      std::unique_lock lock(mutex);
      while (!stop && flush_requested == flush_completed &&
             queue.size() < options.max_export_batch_size) {
        worker_sleeping.store(true, std::memory_order_seq_cst);
        // Pairs with on_emit's seq_cst publish (see BatchSpanProcessor).
        if (queue.size_seq_cst() >= options.max_export_batch_size) break;
        if (wake.wait_until(lock, next_timer) == std::cv_status::timeout) {
          timer_fired = true;
          break;
        }
      }
      worker_sleeping.store(false, std::memory_order_relaxed);
      flush_target = flush_requested;
      stopping = stop;
      hard_deadline = stopping ? shutdown_deadline : Clock::time_point::max();
    }
    const bool drain_all = timer_fired || stopping || flush_target != flush_completed;
    for (;;) {
      while (batch.size() < options.max_export_batch_size) {
        void* r = queue.try_pop();
        if (!r) break;
        batch.emplace_back(static_cast<const LogRecord*>(r));
      }
      queue.return_credits();  // records in the exporter's hands leave the queue's bound
      if (batch.empty()) break;
      export_batch(batch, hard_deadline);
      if (stopping && Clock::now() >= hard_deadline) break;
      if (!drain_all && queue.size() < options.max_export_batch_size) break;
    }
    if (drain_all) next_timer = Clock::now() + options.schedule_delay;
    maybe_warn(stopping);
    if (stopping) {
      // What the shutdown deadline left in the queue is lost: count it.
      while (void* r = queue.try_pop()) {
        LogRecordPtr(static_cast<const LogRecord*>(r));
        dropped_after_shutdown.add();
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(hard_deadline - Clock::now());
      exporter->shutdown(std::max(left, std::chrono::milliseconds(0)));
      std::lock_guard lock(mutex);
      flush_completed = flush_target;
      finished = true;
      done.notify_all();
      return;
    }
    {
      std::lock_guard lock(mutex);
      flush_completed = flush_target;
    }
    done.notify_all();
  }
}

BatchLogRecordProcessor::BatchLogRecordProcessor(std::unique_ptr<LogRecordExporter> exporter,
                                                 LogBatchOptions options) {
  options.max_queue_size = std::max<size_t>(options.max_queue_size, 1);
  options.max_export_batch_size =
      std::clamp<size_t>(options.max_export_batch_size, 1, options.max_queue_size);
  shared_ = std::make_shared<Shared>(std::move(exporter), options);
  worker_ = std::thread([shared = shared_] { shared->run(); });
}

BatchLogRecordProcessor::~BatchLogRecordProcessor() {
  shutdown(shared_->options.export_timeout);
  if (worker_.joinable()) worker_.detach();
}

void BatchLogRecordProcessor::on_emit(LogRecordPtr record) noexcept {
  Shared& s = *shared_;
  s.emitted.add();
  if (s.shut_down.load(std::memory_order_relaxed)) [[unlikely]] {
    s.dropped_after_shutdown.add();
    return;
  }
  const size_t rings = s.queue.ring_count();
  const size_t threshold = rings > 1 ? std::max<size_t>(1, s.options.max_export_batch_size / rings)
                                     : s.options.max_export_batch_size;
  const LogRecord* raw = record.release();
  const auto pushed = s.queue.try_push(const_cast<LogRecord*>(raw), threshold);
  if (!pushed.pushed) [[unlikely]] {
    LogRecordPtr{raw};
    s.dropped_queue_full.add();
    if (s.worker_sleeping.load(std::memory_order_seq_cst)) s.wake_worker();
    return;
  }
  if (pushed.crossed) {
    s.queue.publish_seq_cst();
    if (s.worker_sleeping.load(std::memory_order_seq_cst)) s.wake_worker();
  }
}

bool BatchLogRecordProcessor::force_flush(std::chrono::milliseconds timeout) noexcept {
  Shared& s = *shared_;
  const Clock::time_point deadline = Clock::now() + timeout;
  std::unique_lock lock(s.mutex);
  if (s.finished) return false;
  const uint64_t ticket = ++s.flush_requested;
  s.wake.notify_one();
  const bool done =
      s.done.wait_until(lock, deadline, [&] { return s.flush_completed >= ticket || s.finished; });
  return done && s.flush_completed >= ticket;
}

bool BatchLogRecordProcessor::shutdown(std::chrono::milliseconds timeout) noexcept {
  Shared& s = *shared_;
  if (s.shut_down.exchange(true)) return true;
  const Clock::time_point deadline = Clock::now() + timeout;
  bool finished;
  {
    std::unique_lock lock(s.mutex);
    s.stop = true;
    s.shutdown_deadline = deadline;
    s.wake.notify_one();
    finished = s.done.wait_until(lock, deadline, [&] { return s.finished; });
  }
  if (finished) {
    if (worker_.joinable()) worker_.join();
    return true;
  }
  // The exporter did not return in time. The worker keeps its own reference to the shared
  // state, so it can finish whenever the exporter lets it; we stop waiting now.
  if (worker_.joinable()) worker_.detach();
  report_diagnostic(DiagnosticLevel::kWarning,
                    "batch log record processor shutdown timed out after " +
                        std::to_string(timeout.count()) + " ms; unexported log records are lost");
  return false;
}

void BatchLogRecordProcessor::add_stats(LogExportStats& st) const noexcept {
  const Shared& s = *shared_;
  const uint64_t queue_full = s.dropped_queue_full.load();
  const uint64_t after_shutdown = s.dropped_after_shutdown.load();
  const uint64_t failed = s.failed_records.load(std::memory_order_relaxed);
  const uint64_t rejected = s.rejected.load(std::memory_order_relaxed);
  st.records_emitted += s.emitted.load();
  st.records_exported += s.exported.load(std::memory_order_relaxed);
  st.records_dropped_queue_full += queue_full;
  st.records_dropped_export_failed += failed;
  st.records_rejected += rejected;
  st.records_dropped += queue_full + after_shutdown + failed + rejected;
  st.export_failures += s.export_failures.load(std::memory_order_relaxed);
  st.export_calls += s.export_calls.load(std::memory_order_relaxed);
}

}  // namespace tracekit::log
