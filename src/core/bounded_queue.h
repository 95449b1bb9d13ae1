// A bounded multi-producer queue of pointers (Dmitry Vyukov's array queue with per-cell
// sequence numbers): a push is one compare-and-swap on the shared position, never a lock, and a
// full queue says so at once instead of waiting.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace tracekit::detail {

template <class T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity)
      : capacity_(capacity ? capacity : 1),
        pow2_((capacity_ & (capacity_ - 1)) == 0),
        cells_(new Cell[capacity_]) {
    for (size_t i = 0; i < capacity_; ++i)
      cells_[i].seq.store(i, std::memory_order_relaxed);
  }

  size_t capacity() const noexcept { return capacity_; }

  // Returns the item's position (0, 1, 2, ...), or -1 when the queue is full.
  int64_t try_push(T* item) noexcept {
    size_t pos = enqueue_pos_.load(std::memory_order_relaxed);
    Cell* cell;
    for (;;) {
      cell = &cells_[index(pos)];
      size_t seq = cell->seq.load(std::memory_order_acquire);
      auto diff = static_cast<intptr_t>(seq) - static_cast<intptr_t>(pos);
      if (diff == 0) {
        // seq_cst (free on x86, where the CAS is a full barrier anyway): a producer's push and
        // its following check of whether the consumer sleeps must not be reordered.
        if (enqueue_pos_.compare_exchange_weak(pos, pos + 1, std::memory_order_seq_cst,
                                               std::memory_order_relaxed)) {
          break;
        }
      } else if (diff < 0) {
        return -1;  // full
      } else {
        pos = enqueue_pos_.load(std::memory_order_relaxed);
      }
    }
    cell->item = item;
    cell->seq.store(pos + 1, std::memory_order_release);
    return static_cast<int64_t>(pos);
  }

  T* try_pop() noexcept {
    size_t pos = dequeue_pos_.load(std::memory_order_relaxed);
    Cell* cell;
    for (;;) {
      cell = &cells_[index(pos)];
      size_t seq = cell->seq.load(std::memory_order_acquire);
      auto diff = static_cast<intptr_t>(seq) - static_cast<intptr_t>(pos + 1);
      if (diff == 0) {
        if (dequeue_pos_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) break;
      } else if (diff < 0) {
        return nullptr;  // empty
      } else {
        pos = dequeue_pos_.load(std::memory_order_relaxed);
      }
    }
    T* item = cell->item;
    cell->seq.store(pos + capacity_, std::memory_order_release);
    return item;
  }

  // The same for a queue with one consumer thread: no compare-and-swap on the read position.
  T* try_pop_single_consumer() noexcept {
    const size_t pos = dequeue_pos_.load(std::memory_order_relaxed);
    Cell& cell = cells_[index(pos)];
    if (cell.seq.load(std::memory_order_acquire) != pos + 1) return nullptr;  // empty
    T* item = cell.item;
    cell.seq.store(pos + capacity_, std::memory_order_release);
    dequeue_pos_.store(pos + 1, std::memory_order_relaxed);
    return item;
  }

  // The fill as a consumer about to sleep must read it: ordered after its own seq_cst store.
  size_t size_seq_cst() const noexcept {
    size_t tail = dequeue_pos_.load(std::memory_order_seq_cst);
    size_t head = enqueue_pos_.load(std::memory_order_seq_cst);
    return head > tail ? head - tail : 0;
  }

  // An estimate: exact when no push or pop is under way.
  size_t size() const noexcept {
    size_t tail = dequeue_pos_.load(std::memory_order_relaxed);
    size_t head = enqueue_pos_.load(std::memory_order_relaxed);
    return head > tail ? head - tail : 0;
  }

 private:
  struct Cell {
    std::atomic<size_t> seq;
    T* item = nullptr;
  };
  size_t index(size_t pos) const noexcept {
    return pow2_ ? (pos & (capacity_ - 1)) : pos % capacity_;
  }

  const size_t capacity_;
  const bool pow2_;
  std::unique_ptr<Cell[]> cells_;
  alignas(64) std::atomic<size_t> enqueue_pos_{0};
  alignas(64) std::atomic<size_t> dequeue_pos_{0};
};

}  // namespace tracekit::detail
