#include "producer_rings.h"

#include "tracekit/span_data.h"

namespace tracekit::detail {

template <class T>
struct ProducerRings<T>::Ring {
  explicit Ring(size_t capacity) : mask(capacity - 1), slots(new T*[capacity]) {}
  const size_t mask;
  std::unique_ptr<T*[]> slots;
  // Producer side.
  alignas(64) std::atomic<size_t> head{0};
  size_t cached_tail = 0;  // producer only
  // Consumer side.
  alignas(64) std::atomic<size_t> tail{0};
  // Set when the producing thread exits: the consumer drops the ring once it is empty.
  std::atomic<bool> orphaned{false};
};

namespace {

std::atomic<uint64_t> g_next_id{1};

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
ProducerRings<T>::ProducerRings(size_t per_thread_limit)
    : id_(g_next_id.fetch_add(1)),
      capacity_([&] {
        size_t c = 1;
        while (c < per_thread_limit)
          c <<= 1;
        return c;
      }()),
      limit_(per_thread_limit ? per_thread_limit : 1) {}

template <class T>
ProducerRings<T>::~ProducerRings() = default;

template <class T>
typename ProducerRings<T>::Ring* ProducerRings<T>::make_ring() noexcept {
  try {
    auto ring = std::make_shared<Ring>(capacity_);
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
      static_cast<Ring*>(r)->orphaned.store(true, std::memory_order_release);
    };
    t_rings[slot] = Entry{id_, ring.get()};
    {
      std::lock_guard lock(mutex_);
      rings_.push_back(ring);
      ring_count_.store(rings_.size(), std::memory_order_relaxed);
      rings_version_.fetch_add(1, std::memory_order_release);
    }
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
  const size_t head = r->head.load(std::memory_order_relaxed);
  // Re-read the consumer's position every 64 pushes (one cache-line transfer) so that the fill,
  // and with it the wake-up threshold, stays within 64 of the truth.
  if ((head & 63) == 0) r->cached_tail = r->tail.load(std::memory_order_acquire);
  size_t fill = head - r->cached_tail;
  if (fill >= limit_) {
    r->cached_tail = r->tail.load(std::memory_order_acquire);
    fill = head - r->cached_tail;
    if (fill >= limit_) return {false, false};
  }
  r->slots[head & r->mask] = item;
  r->head.store(head + 1, std::memory_order_release);
  return {true, fill + 1 == threshold};
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
    if (r.head.load(std::memory_order_acquire) == tail) {
      if (r.orphaned.load(std::memory_order_acquire) &&
          r.head.load(std::memory_order_acquire) == tail) {
        // Its thread is gone and it is empty: forget it.
        std::lock_guard lock(mutex_);
        std::erase_if(rings_, [&](const std::shared_ptr<Ring>& p) { return p.get() == &r; });
        ring_count_.store(rings_.size(), std::memory_order_relaxed);
        rings_version_.fetch_add(1, std::memory_order_release);
      }
      continue;
    }
    T* item = r.slots[tail & r.mask];
    r.tail.store(tail + 1, std::memory_order_release);
    // Take the next few from the same ring before moving on: its slots share cache lines.
    next_ring_ = (next_ring_ + k) % n;
    return item;
  }
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

}  // namespace tracekit::detail
