// SPDX-License-Identifier: Apache-2.0
// Per-thread state for the span hot path: a counter slot that only this thread writes, and a
// cache of span-record memory. Both are found through constinit thread-local pointers (one load,
// no guard); the slow path on a thread's first span registers the thread, and its exit hands
// the slot and cache to the next new thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace tracekit::detail {

inline constexpr unsigned kOwnedSlots = 64;
// Threads beyond kOwnedSlots share this last slot and add atomically.
inline constexpr unsigned kSharedSlot = kOwnedSlots - 1;

// This thread's counter slot: in [0, kSharedSlot) it belongs to this thread alone.
unsigned this_thread_slot() noexcept;

// Memory for span records, recycled to the thread that allocated it. The exporting worker
// frees most records; giving them back to their origin thread instead of to malloc keeps the
// glibc arena lock and its page faults off both threads. The worker never writes into a record
// it frees except one per chunk of returns, so a record's cache lines travel once, producer to
// worker, instead of back and forth.
class RecordCache {
 public:
  static constexpr size_t kMaxLocal = 2048;

  // Memory for one record of `size` bytes (always the same size); sets *origin.
  static void* allocate(size_t size, RecordCache** origin) noexcept;
  // Gives the memory back to `origin`'s cache, from any thread.
  static void free(void* p, RecordCache* origin) noexcept;
  // While a ReturnBatch lives on a thread, its frees to other threads' caches are gathered into
  // chunks and handed over when a chunk fills or the batch ends (the exporting worker uses it).
  class ReturnBatch {
   public:
    ReturnBatch() noexcept;
    ~ReturnBatch();
    ReturnBatch(const ReturnBatch&) = delete;
    ReturnBatch& operator=(const ReturnBatch&) = delete;
  };

  // A freed block reused as the list node carrying other freed blocks home.
  struct Chunk {
    Chunk* next;
    size_t count;
    void* blocks[1];  // as many as the block size allows
  };

  void* local[kMaxLocal];  // owner thread only
  size_t local_count = 0;  // owner thread only
  // On a line of their own: the worker reads block_size at every free and pushes to `returned`,
  // and sharing the line with local_count (written at every allocation) cost the owner a
  // cache-line transfer per span.
  alignas(64) std::atomic<size_t> block_size{0};  // the record size, set once by the owner
  std::atomic<Chunk*> returned{nullptr};
  alignas(64) RecordCache* next = nullptr;  // registry list, guarded by the registry mutex
  bool owned = false;                       // guarded by the registry mutex
};

}  // namespace tracekit::detail
