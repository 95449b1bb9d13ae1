// The batch processor's queue: one single-producer ring per producing thread, drained by the one
// worker. A push is two plain stores (no locked instruction), so it neither waits for the cache
// lines of the span it hands over to reach this core in exclusive state, nor fights other
// producers for a shared position: with one shared queue, two producers spent ~470 ns a span
// each on this machine, mostly waiting for those lines.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace tracekit::detail {

template <class T>
class ProducerRings {
 public:
  struct PushResult {
    bool pushed;
    bool crossed;  // this push brought the thread's ring to `threshold`
  };

  // Each thread may queue up to `per_thread_limit` items.
  explicit ProducerRings(size_t per_thread_limit);
  ~ProducerRings();
  ProducerRings(const ProducerRings&) = delete;
  ProducerRings& operator=(const ProducerRings&) = delete;

  // Producer side, from any thread. `threshold` is the fill that should wake the consumer.
  PushResult try_push(T* item, size_t threshold) noexcept;
  // Makes this thread's last push visible as a seq_cst store (call before checking whether the
  // consumer sleeps).
  void publish_seq_cst() noexcept;

  // Consumer side, from the one worker thread.
  T* try_pop() noexcept;
  size_t size() noexcept;          // estimate
  size_t size_seq_cst() noexcept;  // after the consumer's own seq_cst store
  // Producer side: how many threads have rings (to split the wake threshold among them).
  size_t ring_count() const noexcept { return ring_count_.load(std::memory_order_relaxed); }

  struct Ring;

 private:
  Ring* ring_for_this_thread() noexcept;
  Ring* make_ring() noexcept;
  void refresh_snapshot() noexcept;

  const uint64_t id_;
  const size_t capacity_;  // a power of two >= per_thread_limit
  const size_t limit_;
  std::mutex mutex_;  // guards rings_
  std::vector<std::shared_ptr<Ring>> rings_;
  std::atomic<uint64_t> rings_version_{0};
  std::atomic<size_t> ring_count_{0};
  // The consumer's copy of rings_, refreshed when the version changes.
  std::vector<std::shared_ptr<Ring>> snapshot_;
  uint64_t snapshot_version_ = ~0ull;
  size_t next_ring_ = 0;
};

}  // namespace tracekit::detail
