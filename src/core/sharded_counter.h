// A counter that many threads bump without sharing a cache line: each thread adds to one of a
// few padded slots (chosen once per thread), and readers sum the slots.
#pragma once

#include <atomic>
#include <cstdint>

namespace tracekit::detail {

inline constexpr unsigned kCounterSlots = 16;

// This thread's slot number, assigned round-robin on first use.
unsigned this_thread_slot() noexcept;

class ShardedCounter {
 public:
  void add(uint64_t n = 1) noexcept {
    slots_[this_thread_slot()].value.fetch_add(n, std::memory_order_relaxed);
  }
  uint64_t load() const noexcept {
    uint64_t sum = 0;
    for (const auto& s : slots_)
      sum += s.value.load(std::memory_order_relaxed);
    return sum;
  }

 private:
  struct alignas(64) Slot {
    std::atomic<uint64_t> value{0};
  };
  Slot slots_[kCounterSlots];
};

}  // namespace tracekit::detail
