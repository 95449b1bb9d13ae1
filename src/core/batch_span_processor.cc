// SPDX-License-Identifier: Apache-2.0
#include "tracekit/batch_span_processor.h"

#include <pthread.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "producer_rings.h"
#include "sharded_counter.h"
#include "thread_registry.h"
#include "tracekit/diagnostics.h"

namespace tracekit {

using Clock = std::chrono::steady_clock;

// Everything the worker thread touches lives here, shared with the worker through a
// shared_ptr: if shutdown gives up on a hung exporter and detaches the worker, nothing the worker
// still uses is freed under it.
struct BatchSpanProcessor::Shared {
  explicit Shared(std::unique_ptr<SpanExporter> e, BatchOptions o)
      : options(o), exporter(std::move(e)), queue(o.max_queue_size) {}
  ~Shared() {
    // Spans pushed after the worker stopped (a race with shutdown) are released here.
    while (const SpanData* s = queue.try_pop())
      s->release();
  }

  const BatchOptions options;
  std::unique_ptr<SpanExporter> exporter;
  detail::ProducerRings<const SpanData> queue;

  std::mutex mutex;
  std::condition_variable wake;  // the worker waits here
  std::condition_variable done;  // flush and shutdown callers wait here
  std::atomic<bool> worker_sleeping{false};
  uint64_t flush_requested = 0;        // guarded by mutex
  uint64_t flush_completed = 0;        // guarded by mutex
  Clock::time_point flush_deadline{};  // guarded by mutex: the latest flush caller's deadline
  bool stop = false;                   // guarded by mutex
  bool finished = false;               // guarded by mutex
  Clock::time_point shutdown_deadline = Clock::time_point::max();  // guarded by mutex
  std::atomic<bool> shut_down{false};

  detail::ShardedCounter dropped_queue_full;
  detail::ShardedCounter dropped_after_shutdown;
  std::atomic<uint64_t> exported{0}, export_failed_spans{0}, export_failures{0}, export_calls{0},
      rejected{0};

  // Rate-limited warnings (worker thread only).
  Clock::time_point last_warning{};
  uint64_t warned_dropped = 0;
  uint64_t warned_failures = 0;
  std::string last_error;

  void wake_worker() {
    std::lock_guard lock(mutex);
    wake.notify_one();
  }
  void run();
  void export_batch(std::vector<SpanDataPtr>& batch, Clock::time_point hard_deadline);
  void maybe_warn(bool force);
};

void BatchSpanProcessor::Shared::export_batch(std::vector<SpanDataPtr>& batch,
                                              Clock::time_point hard_deadline) {
  if (batch.empty()) return;
  Clock::time_point deadline = Clock::now() + options.export_timeout;
  if (hard_deadline < deadline) deadline = hard_deadline;
  ExportResult result = exporter->export_spans(batch, deadline);
  export_calls.fetch_add(1, std::memory_order_relaxed);
  if (result.ok()) {
    uint64_t rejected_now = std::min<uint64_t>(result.rejected_spans, batch.size());
    exported.fetch_add(batch.size() - rejected_now, std::memory_order_relaxed);
    rejected.fetch_add(rejected_now, std::memory_order_relaxed);
    if (rejected_now && !result.error.empty()) last_error = result.error;
  } else {
    export_failures.fetch_add(1, std::memory_order_relaxed);
    export_failed_spans.fetch_add(batch.size(), std::memory_order_relaxed);
    last_error = result.error;
  }
  // Release the spans here, on the worker. Their memory was last written on the threads that
  // ended them, so fetch a few spans ahead while freeing this one.
  constexpr size_t kAhead = 4;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (i + kAhead < batch.size()) {
      auto* ahead = reinterpret_cast<const char*>(batch[i + kAhead].get());
      for (size_t off = 0; off < 256; off += 64)
        __builtin_prefetch(ahead + off, 0, 3);
    }
    batch[i].reset();
  }
  batch.clear();
}

void BatchSpanProcessor::Shared::maybe_warn(bool force) {
  const Clock::time_point now = Clock::now();
  // The first report goes out at once: last_warning starts at the steady clock's epoch (boot),
  // which is less than one interval ago on a machine that started recently.
  const bool reported_before = last_warning != Clock::time_point{};
  if (!force && reported_before && now - last_warning < options.warning_interval) return;
  const uint64_t dropped = dropped_queue_full.load();
  const uint64_t failures = export_failures.load(std::memory_order_relaxed);
  if (dropped == warned_dropped && failures == warned_failures) return;
  try {
    if (dropped != warned_dropped) {
      report_diagnostic(DiagnosticLevel::kWarning,
                        "batch span processor queue full (max_queue_size=" +
                            std::to_string(options.max_queue_size) + "): dropped " +
                            std::to_string(dropped - warned_dropped) + " spans since the last " +
                            "report, " + std::to_string(dropped) + " in all");
    }
    if (failures != warned_failures) {
      report_diagnostic(DiagnosticLevel::kWarning,
                        "span export failed " + std::to_string(failures - warned_failures) +
                            " times since the last report (" + std::to_string(failures) +
                            " in all, " +
                            std::to_string(export_failed_spans.load(std::memory_order_relaxed)) +
                            " spans lost); last error: " + last_error);
    }
  } catch (...) {
  }
  warned_dropped = dropped;
  warned_failures = failures;
  last_warning = now;
}

void BatchSpanProcessor::Shared::run() {
  std::vector<SpanDataPtr> batch;
  batch.reserve(options.max_export_batch_size);
  Clock::time_point next_timer = Clock::now() + options.schedule_delay;
  for (;;) {
    uint64_t flush_target;
    Clock::time_point flush_deadline_snapshot;
    bool stopping;
    Clock::time_point hard_deadline;
    bool timer_fired = false;
    {
      std::unique_lock lock(mutex);
      while (!stop && flush_requested == flush_completed &&
             queue.size() < options.max_export_batch_size) {
        worker_sleeping.store(true, std::memory_order_seq_cst);
        // A producer that pushed before seeing worker_sleeping=true is caught by this check
        // (both sides use seq_cst operations: each sees the other's, or one of them is later).
        if (queue.size_seq_cst() >= options.max_export_batch_size) break;
        if (wake.wait_until(lock, next_timer) == std::cv_status::timeout) {
          timer_fired = true;
          break;
        }
      }
      worker_sleeping.store(false, std::memory_order_relaxed);
      flush_target = flush_requested;
      flush_deadline_snapshot = flush_deadline;
      stopping = stop;
      hard_deadline = stopping ? shutdown_deadline : Clock::time_point::max();
    }
    const bool drain_all = timer_fired || stopping || flush_target != flush_completed;
    // Records freed while exporting go home to their threads in chunks, not one by one.
    detail::RecordCache::ReturnBatch return_batch;
    for (;;) {
      while (batch.size() < options.max_export_batch_size) {
        const SpanData* s = queue.try_pop();
        if (!s) break;
        __builtin_prefetch(s, 0, 3);  // the exporter reads every span next
        batch.push_back(SpanDataPtr::adopt(s));
      }
      queue.return_credits();  // spans in the exporter's hands leave the queue's bound
      if (batch.empty()) break;
      export_batch(batch, hard_deadline);
      if (stopping && Clock::now() >= hard_deadline) break;
      if (!drain_all && queue.size() < options.max_export_batch_size) break;
    }
    if (timer_fired || drain_all) next_timer = Clock::now() + options.schedule_delay;
    maybe_warn(stopping);
    if (stopping) {
      // What the shutdown deadline left in the queue is lost: count it, so that the dropped
      // count stays exact.
      while (const SpanData* s = queue.try_pop()) {
        s->release();
        dropped_after_shutdown.add();
      }
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(hard_deadline - Clock::now());
      exporter->shutdown(std::max(left, std::chrono::milliseconds(0)));
      std::lock_guard lock(mutex);
      flush_completed = flush_target;
      finished = true;
      done.notify_all();
      return;
    }
    if (flush_target != flush_completed) {
      // The exporter is flushed here, on the worker, so it is never called from two threads.
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(flush_deadline_snapshot -
                                                                        Clock::now());
      exporter->force_flush(std::max(left, std::chrono::milliseconds(0)));
    }
    {
      std::lock_guard lock(mutex);
      flush_completed = flush_target;
    }
    done.notify_all();
  }
}

BatchSpanProcessor::BatchSpanProcessor(std::unique_ptr<SpanExporter> exporter,
                                       BatchOptions options) {
  if (options.max_queue_size == 0) options.max_queue_size = 1;
  if (options.max_export_batch_size == 0) options.max_export_batch_size = 1;
  if (options.max_export_batch_size > options.max_queue_size) {
    options.max_export_batch_size = options.max_queue_size;
  }
  shared_ = std::make_shared<Shared>(std::move(exporter), options);
  worker_ = std::thread([shared = shared_] {
    // Named, so profilers, top -H and scripts/load.sh can tell the exporting thread apart.
    ::pthread_setname_np(::pthread_self(), "tk-batch");
    shared->run();
  });
}

BatchSpanProcessor::~BatchSpanProcessor() {
  shutdown(shared_->options.export_timeout);
  if (worker_.joinable()) worker_.detach();
}

const BatchOptions& BatchSpanProcessor::options() const noexcept {
  return shared_->options;
}

void BatchSpanProcessor::on_end(SpanDataPtr span) noexcept {
  if (!span->context().is_sampled()) return;  // recorded but not sampled: never exported
  Shared& s = *shared_;
  if (s.shut_down.load(std::memory_order_relaxed)) [[unlikely]] {
    s.dropped_after_shutdown.add();
    return;
  }
  const SpanData* raw = span.detach();
  // Wake the worker when this thread's share of a batch is queued.
  const size_t rings = s.queue.ring_count();
  const size_t threshold = rings > 1 ? std::max<size_t>(1, s.options.max_export_batch_size / rings)
                                     : s.options.max_export_batch_size;
  const auto pushed = s.queue.try_push(raw, threshold);
  if (!pushed.pushed) [[unlikely]] {
    raw->release();
    s.dropped_queue_full.add();
    // The worker may sleep through a full ring (a batch larger than what crosses the
    // threshold): wake it if so.
    if (s.worker_sleeping.load(std::memory_order_seq_cst)) s.wake_worker();
    return;
  }
  if (pushed.crossed) {
    // Pairs with the worker's seq_cst store of worker_sleeping: either it sees our spans, or we
    // see that it sleeps. Both are seq_cst stores (one locked instruction per batch share).
    s.queue.publish_seq_cst();
    if (s.worker_sleeping.load(std::memory_order_seq_cst)) s.wake_worker();
  }
}

bool BatchSpanProcessor::force_flush(std::chrono::milliseconds timeout) noexcept {
  Shared& s = *shared_;
  const Clock::time_point deadline = Clock::now() + timeout;
  std::unique_lock lock(s.mutex);
  if (s.finished) return false;
  const uint64_t ticket = ++s.flush_requested;
  if (deadline > s.flush_deadline) s.flush_deadline = deadline;
  s.wake.notify_one();
  bool done =
      s.done.wait_until(lock, deadline, [&] { return s.flush_completed >= ticket || s.finished; });
  return done && s.flush_completed >= ticket;
}

bool BatchSpanProcessor::shutdown(std::chrono::milliseconds timeout) noexcept {
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
  report_diagnostic(DiagnosticLevel::kWarning, "batch span processor shutdown timed out after " +
                                                   std::to_string(timeout.count()) +
                                                   " ms; unexported spans are lost");
  return false;
}

void BatchSpanProcessor::add_stats(TracerStats& st) const noexcept {
  const Shared& s = *shared_;
  const uint64_t queue_full = s.dropped_queue_full.load();
  const uint64_t after_shutdown = s.dropped_after_shutdown.load();
  const uint64_t failed = s.export_failed_spans.load(std::memory_order_relaxed);
  const uint64_t rejected = s.rejected.load(std::memory_order_relaxed);
  st.spans_exported += s.exported.load(std::memory_order_relaxed);
  st.spans_dropped_queue_full += queue_full;
  st.spans_dropped_export_failed += failed;
  st.spans_rejected += rejected;
  st.spans_dropped += queue_full + after_shutdown + failed + rejected;
  st.export_failures += s.export_failures.load(std::memory_order_relaxed);
  st.export_calls += s.export_calls.load(std::memory_order_relaxed);
}

}  // namespace tracekit
