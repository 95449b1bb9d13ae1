// SPDX-License-Identifier: Apache-2.0
// The batch processor's queue: one single-producer ring per producing thread, drained by the one
// worker. A push is two plain stores (no locked instruction), so it neither waits for the cache
// lines of the span it hands over to reach this core in exclusive state, nor fights other
// producers for a shared position: with one shared queue, two producers spent ~470 ns a span
// each on this machine, mostly waiting for those lines.
//
// The bound (OTEL_BSP_MAX_QUEUE_SIZE) is for the whole queue, not per ring: every queued item
// holds a credit from one shared pool. A producer takes credits in small chunks (one atomic
// operation per chunk, not per item) and the consumer gives them back in bulk as it pops. A
// thread that stops producing keeps its unused chunk until it exits; chunks shrink as threads
// multiply, so that at most about a quarter of the bound can sit idle that way.
//
// A thread that exits leaves its ring behind: a new thread adopts it (drained or not: the order
// of its items is kept, since the new thread writes after the old one's last write), or, once
// the consumer has drained it, it waits among a few spares; only past those is it freed.
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

  // At most `limit` items are queued at any time, across all threads.
  explicit ProducerRings(size_t limit);
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
  // Gives the credits of the items popped so far back to the pool (try_pop does so every few
  // dozen pops and when the queue is empty; call it after taking a batch, so that spans being
  // exported no longer count against the bound).
  void return_credits() noexcept;
  size_t size() noexcept;          // estimate
  size_t size_seq_cst() noexcept;  // after the consumer's own seq_cst store
  // Producer side: how many threads have rings (to split the wake threshold among them).
  size_t ring_count() const noexcept { return ring_count_.load(std::memory_order_relaxed); }

  struct Ring;
  // Credits not held by any ring. Shared with the rings, which give their leftover credits back
  // when their thread exits, even after the queue itself is gone. On its own cache line:
  // producers take from it once per chunk, the consumer adds to it once per batch.
  struct alignas(64) CreditPool {
    std::atomic<int64_t> free;
  };

 private:
  Ring* ring_for_this_thread() noexcept;
  Ring* make_ring() noexcept;
  // An orphaned ring, a spare, or a new one, in the set (may throw std::bad_alloc).
  std::shared_ptr<Ring> adopt_ring();
  void refresh_snapshot() noexcept;
  // Producer side: refills `ring`'s credits from the pool; false when the queue is full.
  bool take_credits(Ring& ring) noexcept;

  // Read by the producers at every push; written when made (ring_count_: when threads come and
  // go).
  const uint64_t id_;
  const size_t capacity_;  // a power of two >= limit_: one thread may hold every credit
  const size_t limit_;
  std::shared_ptr<CreditPool> credits_;
  std::atomic<size_t> ring_count_{0};
  // The consumer's own, on lines apart from the producers' fields above: it writes popped_ and
  // next_ring_ at every pop, which on a shared line cost each producer a cache-line transfer
  // per push while the worker drained.
  alignas(64) size_t popped_ = 0;  // pops whose credits are not yet returned
  // The consumer's copy of rings_, refreshed when the version changes.
  std::vector<std::shared_ptr<Ring>> snapshot_;
  uint64_t snapshot_version_ = ~0ull;
  size_t next_ring_ = 0;
  // The registry of rings, changed when a thread makes its ring or the consumer drops one.
  alignas(64) std::mutex mutex_;  // guards rings_ and spare_rings_
  std::vector<std::shared_ptr<Ring>> rings_;
  // Empty rings whose threads exited, kept for the next new threads: a server that starts a
  // thread per request or per connection would otherwise allocate a ring (a slot per item the
  // queue holds) for every thread, and change the consumer's ring set twice per thread.
  std::vector<std::shared_ptr<Ring>> spare_rings_;
  std::atomic<uint64_t> rings_version_{0};
};

}  // namespace tracekit::detail
