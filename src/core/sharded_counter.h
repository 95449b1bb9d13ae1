// SPDX-License-Identifier: Apache-2.0
// A counter bumped on the span hot path without a locked instruction: each thread adds to a
// slot only it writes (plain load and store), and readers sum the slots. Threads beyond the
// owned slots share one slot and add atomically.
#pragma once

#include <atomic>
#include <cstdint>

#include "thread_registry.h"

namespace tracekit::detail {

class ShardedCounter {
 public:
  void add(uint64_t n = 1) noexcept {
    const unsigned slot = this_thread_slot();
    auto& v = slots_[slot].value;
    if (slot != kSharedSlot) [[likely]] {
      v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    } else {
      v.fetch_add(n, std::memory_order_relaxed);
    }
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
  Slot slots_[kOwnedSlots];
};

}  // namespace tracekit::detail
