// SPDX-License-Identifier: Apache-2.0
// The batching worker both batch processors use (spans in src/core, log records in src/log): a
// bounded lock-free queue that producers fill without waiting (producer_rings.h), and one worker
// thread that takes batches off it and hands them to an exporter, honouring flush and shutdown
// deadlines and counting every item it loses.
//
// A template, not an interface: the enqueue hot path is inlined into each processor's on_end /
// on_emit with no virtual call, allocation or lock. What differs between spans and log records
// is a Policy:
//
//   struct Policy {
//     using Options = ...;   // max_queue_size, max_export_batch_size, schedule_delay,
//                            // export_timeout, warning_interval
//     using Exporter = ...;
//     using Queued = ...;    // the queue's element type (an owned item as a raw pointer)
//     using Owned = ...;     // what a batch holds (owns its item)
//     using DrainScope = ...;  // lives while the worker exports (and so frees) a round of items
//     static constexpr std::string_view kProcessor;  // "batch span processor"
//     static constexpr std::string_view kItems;      // "spans"
//     static constexpr std::string_view kExport;     // "span export"
//     static constexpr const char* kThreadName;      // at most 15 characters
//     static constexpr bool kPrefetchOnTake;  // ask for each item's first line as it is taken
//     static Queued* detach(Owned item) noexcept;
//     static Owned adopt(Queued* raw) noexcept;
//     static ExportResult export_batch(Exporter&, std::span<const Owned>, Deadline) noexcept;
//     static void force_flush(Exporter&, std::chrono::milliseconds) noexcept;
//   };
//
// The worker's state is shared with its thread through a shared_ptr: if shutdown gives up on a
// hung exporter and detaches the thread, nothing the thread still uses is freed under it.
#pragma once

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "prefetch.h"
#include "producer_rings.h"
#include "sharded_counter.h"
#include "tracekit/diagnostics.h"
#include "tracekit/exporter.h"

namespace tracekit::detail {

// What became of the items handed to a batching worker.
struct BatchCounters {
  uint64_t exported = 0;                // accepted by the exporter
  uint64_t dropped_queue_full = 0;      // the queue was full when the item came
  uint64_t dropped_after_shutdown = 0;  // came after shutdown, or left queued by its deadline
  uint64_t export_failed = 0;           // in batches whose export failed
  uint64_t rejected = 0;                // refused by the far end (OTLP partial_success)
  uint64_t export_failures = 0;
  uint64_t export_calls = 0;
  uint64_t dropped() const noexcept {
    return dropped_queue_full + dropped_after_shutdown + export_failed + rejected;
  }
};

template <class Policy>
class BatchWorker {
 public:
  using Clock = std::chrono::steady_clock;
  using Options = typename Policy::Options;
  using Exporter = typename Policy::Exporter;
  using Queued = typename Policy::Queued;
  using Owned = typename Policy::Owned;

  BatchWorker(std::unique_ptr<Exporter> exporter, Options options)
      : options_(normalized(options)),
        exporter_(std::move(exporter)),
        queue_(options_.max_queue_size) {}
  ~BatchWorker() {
    // Items pushed after the worker stopped (a race with shutdown) are released here.
    while (Queued* raw = queue_.try_pop())
      Owned released = Policy::adopt(raw);
  }
  BatchWorker(const BatchWorker&) = delete;
  BatchWorker& operator=(const BatchWorker&) = delete;

  const Options& options() const noexcept { return options_; }

  // Starts the worker thread, which holds its own reference to the state.
  static std::thread start(std::shared_ptr<BatchWorker> self) {
    return std::thread([self = std::move(self)] {
      // Named, so profilers, top -H and scripts/load.sh can tell the exporting thread apart.
      ::pthread_setname_np(::pthread_self(), Policy::kThreadName);
      self->run();
    });
  }

  // From any thread, never blocking: queues the item, or drops and counts it.
  void enqueue(Owned item) noexcept {
    if (shut_down_.load(std::memory_order_relaxed)) [[unlikely]] {
      dropped_after_shutdown_.add();
      return;
    }
    Queued* raw = Policy::detach(std::move(item));
    // Wake the worker when this thread's share of a batch is queued.
    const size_t rings = queue_.ring_count();
    const size_t threshold = rings > 1 ? std::max<size_t>(1, options_.max_export_batch_size / rings)
                                       : options_.max_export_batch_size;
    const auto pushed = queue_.try_push(raw, threshold);
    if (!pushed.pushed) [[unlikely]] {
      Owned dropped = Policy::adopt(raw);
      dropped_queue_full_.add();
      // The worker may sleep through a full ring (a batch larger than what crosses the
      // threshold): wake it if so.
      if (worker_sleeping_.load(std::memory_order_seq_cst)) wake_worker();
      return;
    }
    if (pushed.crossed) {
      // Pairs with the worker's seq_cst store of worker_sleeping_: either it sees our items, or
      // we see that it sleeps. Both are seq_cst stores (one locked instruction per batch share).
      queue_.publish_seq_cst();
      if (worker_sleeping_.load(std::memory_order_seq_cst)) wake_worker();
    }
  }

  // Exports every item queued before the call; false if that did not finish within `timeout`.
  bool force_flush(std::chrono::milliseconds timeout) noexcept {
    const Clock::time_point deadline = Clock::now() + timeout;
    std::unique_lock lock(mutex_);
    if (finished_) return false;
    const uint64_t ticket = ++flush_requested_;
    if (deadline > flush_deadline_) flush_deadline_ = deadline;
    wake_.notify_one();
    const bool done =
        done_.wait_until(lock, deadline, [&] { return flush_completed_ >= ticket || finished_; });
    return done && flush_completed_ >= ticket;
  }

  // Exports what is queued, shuts the exporter down and stops `thread`, all within `timeout`.
  // An export still running near the end (one started before the call has its own, longer
  // deadline) is cancelled, so that the worker can count what is left and stop in time; a
  // worker that still does not finish (an exporter that cannot be cancelled) is detached and
  // ends whenever its exporter returns.
  bool shutdown(std::thread& thread, std::chrono::milliseconds timeout) noexcept {
    if (shut_down_.exchange(true)) return true;
    const Clock::time_point start = Clock::now();
    const Clock::time_point deadline = start + timeout;
    // The part of the budget kept for the worker to wind up after a cancel: a fifth, at most a
    // second (a stopped gRPC call or curl transfer returns in microseconds on a quiet machine,
    // but a loaded one may not schedule the worker for a few hundred milliseconds).
    const Clock::time_point cancel_at =
        deadline - std::min<Clock::duration>(timeout / 5, std::chrono::seconds(1));
    bool finished;
    bool cancelled = false;
    {
      std::unique_lock lock(mutex_);
      stop_ = true;
      shutdown_deadline_ = cancel_at;
      wake_.notify_one();
      finished = done_.wait_until(lock, cancel_at, [&] { return finished_; });
      if (!finished) {
        lock.unlock();
        exporter_->cancel();
        cancelled = true;
        lock.lock();
        finished = done_.wait_until(lock, deadline, [&] { return finished_; });
      }
    }
    if (finished) {
      if (thread.joinable()) thread.join();
      if (cancelled) {
        try {
          report_diagnostic(DiagnosticLevel::kWarning,
                            std::string(Policy::kProcessor) +
                                " shutdown cancelled the export in flight after " +
                                std::to_string(timeout.count()) + " ms; unexported " +
                                std::string(Policy::kItems) + " are counted as lost");
        } catch (...) {
        }
      }
      return !cancelled;
    }
    if (thread.joinable()) thread.detach();
    try {
      report_diagnostic(DiagnosticLevel::kWarning,
                        std::string(Policy::kProcessor) + " shutdown timed out after " +
                            std::to_string(timeout.count()) + " ms; unexported " +
                            std::string(Policy::kItems) + " are lost");
    } catch (...) {
    }
    return false;
  }

  BatchCounters counters() const noexcept {
    BatchCounters c;
    c.exported = exported_.load(std::memory_order_relaxed);
    c.dropped_queue_full = dropped_queue_full_.load();
    c.dropped_after_shutdown = dropped_after_shutdown_.load();
    c.export_failed = export_failed_items_.load(std::memory_order_relaxed);
    c.rejected = rejected_.load(std::memory_order_relaxed);
    c.export_failures = export_failures_.load(std::memory_order_relaxed);
    c.export_calls = export_calls_.load(std::memory_order_relaxed);
    return c;
  }

 private:
  // What the worker saw when it woke: why, and what it is to do this round.
  struct Round {
    bool timer_fired = false;
    bool stopping = false;
    uint64_t flush_target = 0;
    Clock::time_point flush_deadline{};
    Clock::time_point hard_deadline = Clock::time_point::max();  // the shutdown deadline
  };

  static Options normalized(Options o) noexcept {
    o.max_queue_size = std::max<size_t>(o.max_queue_size, 1);
    o.max_export_batch_size = std::clamp<size_t>(o.max_export_batch_size, 1, o.max_queue_size);
    return o;
  }

  void wake_worker() {
    std::lock_guard lock(mutex_);
    wake_.notify_one();
  }

  void run() {
    std::vector<Owned> batch;
    batch.reserve(options_.max_export_batch_size);
    Clock::time_point next_timer = Clock::now() + options_.schedule_delay;
    for (;;) {
      const Round round = wait_for_work(next_timer);
      const bool drain_all = round.timer_fired || round.stopping || flush_pending(round);
      export_queued(batch, round, drain_all);
      if (drain_all) next_timer = Clock::now() + options_.schedule_delay;
      maybe_warn(round.stopping);
      if (round.stopping) {
        finish_shutdown(round);
        return;
      }
      complete_flush(round);
    }
  }

  // Sleeps until a batch is queued, a flush or shutdown is asked for, or the timer fires.
  Round wait_for_work(Clock::time_point next_timer) {
    Round round;
    std::unique_lock lock(mutex_);
    while (!stop_ && flush_requested_ == flush_completed_ &&
           queue_.size() < options_.max_export_batch_size) {
      worker_sleeping_.store(true, std::memory_order_seq_cst);
      // A producer that pushed before seeing worker_sleeping_=true is caught by this check (both
      // sides use seq_cst operations: each sees the other's, or one of them is later).
      if (queue_.size_seq_cst() >= options_.max_export_batch_size) break;
      if (wake_.wait_until(lock, next_timer) == std::cv_status::timeout) {
        round.timer_fired = true;
        break;
      }
    }
    worker_sleeping_.store(false, std::memory_order_relaxed);
    round.flush_target = flush_requested_;
    round.flush_deadline = flush_deadline_;
    round.stopping = stop_;
    if (round.stopping) round.hard_deadline = shutdown_deadline_;
    return round;
  }

  // Worker thread only: flush_completed_ changes on this thread alone.
  bool flush_pending(const Round& round) const noexcept {
    return round.flush_target != flush_completed_;
  }

  // Exports full batches, or everything queued when `drain_all`, until the shutdown deadline.
  void export_queued(std::vector<Owned>& batch, const Round& round, bool drain_all) {
    // Items freed while exporting may go home to their threads in chunks, not one by one.
    [[maybe_unused]] typename Policy::DrainScope drain_scope;
    for (;;) {
      take_batch(batch);
      if (batch.empty()) break;
      export_batch(batch, round.hard_deadline);
      if (round.stopping && Clock::now() >= round.hard_deadline) break;
      if (!drain_all && queue_.size() < options_.max_export_batch_size) break;
    }
  }

  void take_batch(std::vector<Owned>& batch) noexcept {
    while (batch.size() < options_.max_export_batch_size) {
      Queued* raw = queue_.try_pop();
      if (!raw) break;
      if constexpr (Policy::kPrefetchOnTake) prefetch_for_read(raw);  // the exporter reads it next
      batch.push_back(Policy::adopt(raw));
    }
    queue_.return_credits();  // items in the exporter's hands leave the queue's bound
  }

  void export_batch(std::vector<Owned>& batch, Clock::time_point hard_deadline) {
    const Clock::time_point deadline =
        std::min(Clock::now() + options_.export_timeout, hard_deadline);
    const ExportResult result = Policy::export_batch(*exporter_, batch, deadline);
    export_calls_.fetch_add(1, std::memory_order_relaxed);
    if (result.ok()) {
      const uint64_t rejected_now = std::min<uint64_t>(result.rejected_spans, batch.size());
      exported_.fetch_add(batch.size() - rejected_now, std::memory_order_relaxed);
      rejected_.fetch_add(rejected_now, std::memory_order_relaxed);
      if (rejected_now && !result.error.empty()) last_error_ = result.error;
    } else {
      export_failures_.fetch_add(1, std::memory_order_relaxed);
      export_failed_items_.fetch_add(batch.size(), std::memory_order_relaxed);
      last_error_ = result.error;
    }
    release_batch(batch);
  }

  // Frees the items here, on the worker. Their memory was last written on the threads that made
  // them, so fetch a few items ahead while freeing this one: only the first cache line, which is
  // all that freeing a span reads (span_data.h). Every line read here becomes shared, and the
  // producer must take it back before it writes there again. Last to first: the exporter read
  // the batch first to last, so the last items' lines are the likeliest still in this core's
  // cache (a batch of 2,048 spans reads about a megabyte, twice this machine's L2).
  static void release_batch(std::vector<Owned>& batch) noexcept {
    constexpr size_t kAhead = 4;
    for (size_t i = batch.size(); i-- > 0;) {
      if (i >= kAhead) prefetch_for_read(batch[i - kAhead].get());
      batch[i].reset();
    }
    batch.clear();
  }

  // At most one report per warning_interval about dropped items and failed exports (worker
  // thread only); `force` reports at once (at shutdown).
  void maybe_warn(bool force) {
    const Clock::time_point now = Clock::now();
    // The first report goes out at once: last_warning_ starts at the steady clock's epoch
    // (boot), which is less than one interval ago on a machine that started recently.
    const bool reported_before = last_warning_ != Clock::time_point{};
    if (!force && reported_before && now - last_warning_ < options_.warning_interval) return;
    const uint64_t dropped = dropped_queue_full_.load();
    const uint64_t failures = export_failures_.load(std::memory_order_relaxed);
    if (dropped == warned_dropped_ && failures == warned_failures_) return;
    try {
      if (dropped != warned_dropped_) report_queue_full(dropped);
      if (failures != warned_failures_) report_export_failures(failures);
    } catch (...) {
    }
    warned_dropped_ = dropped;
    warned_failures_ = failures;
    last_warning_ = now;
  }

  void report_queue_full(uint64_t dropped) {
    report_diagnostic(DiagnosticLevel::kWarning,
                      std::string(Policy::kProcessor) +
                          " queue full (max_queue_size=" + std::to_string(options_.max_queue_size) +
                          "): dropped " + std::to_string(dropped - warned_dropped_) + " " +
                          std::string(Policy::kItems) + " since the last report, " +
                          std::to_string(dropped) + " in all");
  }

  void report_export_failures(uint64_t failures) {
    report_diagnostic(
        DiagnosticLevel::kWarning,
        std::string(Policy::kExport) + " failed " + std::to_string(failures - warned_failures_) +
            " times since the last report (" + std::to_string(failures) + " in all, " +
            std::to_string(export_failed_items_.load(std::memory_order_relaxed)) + " " +
            std::string(Policy::kItems) + " lost); last error: " + last_error_);
  }

  // What the shutdown deadline left in the queue is lost: count it, so that the dropped count
  // stays exact. Then shut the exporter down and tell the waiting callers.
  void finish_shutdown(const Round& round) {
    while (Queued* raw = queue_.try_pop()) {
      Owned dropped = Policy::adopt(raw);
      dropped_after_shutdown_.add();
    }
    exporter_->shutdown(time_left(round.hard_deadline));
    std::lock_guard lock(mutex_);
    flush_completed_ = round.flush_target;
    finished_ = true;
    done_.notify_all();
  }

  // The exporter is flushed here, on the worker, so it is never called from two threads.
  void complete_flush(const Round& round) {
    if (flush_pending(round)) Policy::force_flush(*exporter_, time_left(round.flush_deadline));
    {
      std::lock_guard lock(mutex_);
      flush_completed_ = round.flush_target;
    }
    done_.notify_all();
  }

  static std::chrono::milliseconds time_left(Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return std::max(left, std::chrono::milliseconds(0));
  }

  // What enqueue() reads for every item: together, and apart from what the worker writes as it
  // runs (the queue's consumer fields, the mutex, the counters), which are on other lines.
  const Options options_;
  std::atomic<bool> shut_down_{false};
  std::unique_ptr<Exporter> exporter_;
  ProducerRings<Queued> queue_;

  alignas(64) std::mutex mutex_;
  std::condition_variable wake_;  // the worker waits here
  std::condition_variable done_;  // flush and shutdown callers wait here
  std::atomic<bool> worker_sleeping_{false};
  uint64_t flush_requested_ = 0;        // guarded by mutex_
  uint64_t flush_completed_ = 0;        // guarded by mutex_ (written by the worker only)
  Clock::time_point flush_deadline_{};  // guarded by mutex_: the latest flush caller's deadline
  bool stop_ = false;                   // guarded by mutex_
  bool finished_ = false;               // guarded by mutex_
  Clock::time_point shutdown_deadline_ = Clock::time_point::max();  // guarded by mutex_

  ShardedCounter dropped_queue_full_;
  ShardedCounter dropped_after_shutdown_;
  std::atomic<uint64_t> exported_{0}, export_failed_items_{0}, export_failures_{0},
      export_calls_{0}, rejected_{0};

  // Rate-limited warnings (worker thread only).
  Clock::time_point last_warning_{};
  uint64_t warned_dropped_ = 0;
  uint64_t warned_failures_ = 0;
  std::string last_error_;
};

}  // namespace tracekit::detail
