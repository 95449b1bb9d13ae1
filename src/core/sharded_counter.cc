#include "sharded_counter.h"

namespace tracekit::detail {

namespace {
std::atomic<unsigned> g_next_slot{0};
constinit thread_local unsigned t_slot = ~0u;
}  // namespace

unsigned this_thread_slot() noexcept {
  unsigned slot = t_slot;
  if (slot == ~0u) [[unlikely]] {
    slot = g_next_slot.fetch_add(1, std::memory_order_relaxed) % kCounterSlots;
    t_slot = slot;
  }
  return slot;
}

}  // namespace tracekit::detail
