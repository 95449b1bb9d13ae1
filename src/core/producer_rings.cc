// SPDX-License-Identifier: Apache-2.0
#include "producer_rings.h"

#include <algorithm>

#include "prefetch.h"
#include "tracekit/span_data.h"

namespace tracekit::detail {

template <class T>
struct ProducerRings<T>::Ring {
  Ring(size_t capacity, std::shared_ptr<CreditPool> pool)
      : mask(capacity - 1), slots(new T*[capacity]), pool(std::move(pool)) {}
  const size_t mask;
  std::unique_ptr<T*[]> slots;
  // Producer side.
  alignas(64) std::atomic<size_t> head{0};
  size_t cached_tail = 0;  // producer only
  size_t credits = 0;      // producer only: taken from the pool, not yet used
  const std::shared_ptr<CreditPool> pool;
  // Consumer side.
  alignas(64) std::atomic<size_t> tail{0};
  // The producer's position as the consumer last read it: the consumer reads `head` again only
  // when it has caught up with this, so that a ring being drained while its thread pushes does
  // not move head's cache line between the cores at every pop.
  size_t cached_head = 0;  // consumer only
  // Set when the producing thread exits: the consumer drops the ring once it is empty.
  std::atomic<bool> orphaned{false};
};

namespace {

std::atomic<uint64_t> g_next_id{1};

// Credits are taken at most this many at a time, and returned at least every this many pops.
constexpr size_t kMaxCreditChunk = 64;
constexpr size_t kReturnEvery = 64;
// How far ahead of its position a producer prefetches its ring's slots: four cache lines.
constexpr size_t kSlotsAhead = 32;

// This thread's rings, by owner id. Lookups read the constinit array (one TLS load, no guard);
// the object with a destructor, which marks the rings orphaned at thread exit, is touched only
// when a ring is added.
constexpr int kSlots = 4;
struct Entry {
  uint64_t owner;
  void* ring;
};
constinit thread_local Entry t_rings[kSlots] = {};

struct RingKeeper {
  std::shared_ptr<void> kept[kSlots];
  void (*orphan[kSlots])(void*) = {};
  ~RingKeeper() {
    for (int i = 0; i < kSlots; ++i) {
      if (orphan[i]) orphan[i](t_rings[i].ring);
      t_rings[i] = Entry{};
      kept[i].reset();
    }
  }
};
thread_local RingKeeper t_keeper;

}  // namespace

template <class T>
ProducerRings<T>::ProducerRings(size_t limit)
    : id_(g_next_id.fetch_add(1)),
      capacity_([&] {
        size_t c = 1;
        while (c < limit)
          c <<= 1;
        return c;
      }()),
      limit_(limit ? limit : 1),
      credits_(std::make_shared<CreditPool>()) {
  credits_->free.store(static_cast<int64_t>(limit_), std::memory_order_relaxed);
}

template <class T>
ProducerRings<T>::~ProducerRings() = default;

// Rings kept for new threads once their own threads have exited and the consumer drained them.
constexpr size_t kSpareRings = 4;

template <class T>
std::shared_ptr<typename ProducerRings<T>::Ring> ProducerRings<T>::adopt_ring() {
  std::lock_guard lock(mutex_);
  // A ring in use whose thread exited, drained or not: the set of rings stays as it is.
  for (const auto& r : rings_) {
    if (r->orphaned.load(std::memory_order_acquire)) {
      r->orphaned.store(false, std::memory_order_relaxed);
      return r;
    }
  }
  std::shared_ptr<Ring> ring;
  if (!spare_rings_.empty()) {
    ring = std::move(spare_rings_.back());
    spare_rings_.pop_back();
    ring->orphaned.store(false, std::memory_order_relaxed);
  } else {
    ring = std::make_shared<Ring>(capacity_, credits_);
  }
  rings_.push_back(ring);
  ring_count_.store(rings_.size(), std::memory_order_relaxed);
  rings_version_.fetch_add(1, std::memory_order_release);
  return ring;
}

template <class T>
typename ProducerRings<T>::Ring* ProducerRings<T>::make_ring() noexcept {
  try {
    std::shared_ptr<Ring> ring = adopt_ring();
    int slot = -1;
    for (int i = 0; i < kSlots; ++i) {
      if (t_rings[i].owner == 0) {
        slot = i;
        break;
      }
    }
    if (slot < 0) {
      // More than kSlots processors on this thread: retire the oldest entry's ring.
      slot = 0;
      if (t_keeper.orphan[0]) t_keeper.orphan[0](t_rings[0].ring);
    }
    t_keeper.kept[slot] = ring;
    t_keeper.orphan[slot] = [](void* r) {
      // The producing thread is done with this ring (it exits, or retired the ring): its unused
      // credits go back to the pool now rather than wait for the consumer.
      auto* ring = static_cast<Ring*>(r);
      ring->pool->free.fetch_add(static_cast<int64_t>(ring->credits), std::memory_order_relaxed);
      ring->credits = 0;
      ring->orphaned.store(true, std::memory_order_release);
    };
    t_rings[slot] = Entry{id_, ring.get()};
    return ring.get();
  } catch (...) {
    return nullptr;
  }
}

template <class T>
typename ProducerRings<T>::Ring* ProducerRings<T>::ring_for_this_thread() noexcept {
  for (const Entry& e : t_rings) {
    if (e.owner == id_) return static_cast<Ring*>(e.ring);
  }
  return make_ring();
}

template <class T>
typename ProducerRings<T>::PushResult ProducerRings<T>::try_push(T* item,
                                                                 size_t threshold) noexcept {
  Ring* r = ring_for_this_thread();
  if (!r) return {false, false};
  if (r->credits == 0 && !take_credits(*r)) return {false, false};
  const size_t head = r->head.load(std::memory_order_relaxed);
  // Re-read the consumer's position every 64 pushes (one cache-line transfer) so that the fill,
  // and with it the wake-up threshold, stays within 64 of the truth.
  if ((head & 63) == 0) r->cached_tail = r->tail.load(std::memory_order_acquire);
  size_t fill = head - r->cached_tail;
  if (fill >= capacity_) [[unlikely]] {
    // The credit guarantees room (a ring never holds more than limit_ <= capacity_ items); this
    // acquire load is what orders the consumer's read of the slot before our overwrite.
    r->cached_tail = r->tail.load(std::memory_order_acquire);
    fill = head - r->cached_tail;
  }
  --r->credits;
  // The consumer has read the slots since this thread last wrote them (a lap ago): get their
  // line back in exclusive state a few lines ahead, so this store does not wait for it.
  prefetch_for_write(&r->slots[(head + kSlotsAhead) & r->mask]);
  r->slots[head & r->mask] = item;
  r->head.store(head + 1, std::memory_order_release);
  // Every `threshold` items, not only the first time: a consumer woken when the total queued was
  // still short of a batch goes back to sleep, and must be woken again as this ring keeps filling
  // (else it slept until the timer or the first drop). The division only runs past the threshold.
  const size_t now_queued = fill + 1;
  return {true, now_queued >= threshold && now_queued % threshold == 0};
}

template <class T>
bool ProducerRings<T>::take_credits(Ring& ring) noexcept {
  // Smaller chunks when many threads produce, so that idle threads strand little.
  const size_t rings = std::max<size_t>(1, ring_count_.load(std::memory_order_relaxed));
  const auto chunk =
      static_cast<int64_t>(std::clamp<size_t>(limit_ / (4 * rings), 1, kMaxCreditChunk));
  int64_t available = credits_->free.load(std::memory_order_relaxed);
  for (;;) {
    if (available <= 0) return false;
    const int64_t take = std::min(available, chunk);
    if (credits_->free.compare_exchange_weak(available, available - take, std::memory_order_acquire,
                                             std::memory_order_relaxed)) {
      ring.credits = static_cast<size_t>(take);
      return true;
    }
  }
}

template <class T>
void ProducerRings<T>::return_credits() noexcept {
  if (popped_ == 0) return;
  credits_->free.fetch_add(static_cast<int64_t>(popped_), std::memory_order_release);
  popped_ = 0;
}

template <class T>
void ProducerRings<T>::publish_seq_cst() noexcept {
  Ring* r = ring_for_this_thread();
  if (r) r->head.store(r->head.load(std::memory_order_relaxed), std::memory_order_seq_cst);
}

template <class T>
void ProducerRings<T>::refresh_snapshot() noexcept {
  const uint64_t version = rings_version_.load(std::memory_order_acquire);
  if (version == snapshot_version_) return;
  std::lock_guard lock(mutex_);
  snapshot_ = rings_;
  snapshot_version_ = rings_version_.load(std::memory_order_relaxed);
}

template <class T>
T* ProducerRings<T>::try_pop() noexcept {
  refresh_snapshot();
  const size_t n = snapshot_.size();
  for (size_t k = 0; k < n; ++k) {
    Ring& r = *snapshot_[(next_ring_ + k) % n];
    const size_t tail = r.tail.load(std::memory_order_relaxed);
    if (r.cached_head == tail) r.cached_head = r.head.load(std::memory_order_acquire);
    if (r.cached_head == tail) {
      if (r.orphaned.load(std::memory_order_acquire) &&
          r.head.load(std::memory_order_acquire) == tail) {
        // Its thread is gone and it is empty: out of the set, into the spares (or freed).
        std::lock_guard lock(mutex_);
        // Checked again under the lock: a new thread may have adopted it meanwhile.
        if (r.orphaned.load(std::memory_order_acquire) &&
            r.head.load(std::memory_order_acquire) == tail) {
          auto it = std::find_if(rings_.begin(), rings_.end(),
                                 [&](const std::shared_ptr<Ring>& p) { return p.get() == &r; });
          if (it != rings_.end()) {
            if (spare_rings_.size() < kSpareRings) {
              try {
                spare_rings_.push_back(*it);
              } catch (...) {
                // No room to keep it: it is freed instead.
              }
            }
            rings_.erase(it);
            ring_count_.store(rings_.size(), std::memory_order_relaxed);
            rings_version_.fetch_add(1, std::memory_order_release);
          }
        }
      }
      continue;
    }
    T* item = r.slots[tail & r.mask];
    r.tail.store(tail + 1, std::memory_order_release);
    if (++popped_ == kReturnEvery) return_credits();
    // Take the next few from the same ring before moving on: its slots share cache lines.
    next_ring_ = (next_ring_ + k) % n;
    return item;
  }
  return_credits();  // the queue is empty: give everything popped back at once
  return nullptr;
}

template <class T>
size_t ProducerRings<T>::size() noexcept {
  refresh_snapshot();
  size_t total = 0;
  for (const auto& r : snapshot_) {
    total += r->head.load(std::memory_order_relaxed) - r->tail.load(std::memory_order_relaxed);
  }
  return total;
}

template <class T>
size_t ProducerRings<T>::size_seq_cst() noexcept {
  refresh_snapshot();
  size_t total = 0;
  for (const auto& r : snapshot_) {
    total += r->head.load(std::memory_order_seq_cst) - r->tail.load(std::memory_order_relaxed);
  }
  return total;
}

template class ProducerRings<const SpanData>;
template class ProducerRings<void>;  // the batch log record processor (src/log) queues records

}  // namespace tracekit::detail
