// SPDX-License-Identifier: Apache-2.0
#include "thread_registry.h"

#include <cstddef>
#include <mutex>
#include <new>
#include <vector>

#include "prefetch.h"

namespace tracekit::detail {

namespace {

struct Registry {
  std::mutex mutex;
  std::vector<unsigned> free_slots;
  unsigned next_slot = 0;
  RecordCache* caches = nullptr;  // every cache ever made; never freed
};

Registry& registry() {
  static auto* r = new Registry();  // outlives every thread's exit handler
  return *r;
}

constinit thread_local unsigned t_slot = ~0u;
constinit thread_local RecordCache* t_cache = nullptr;

// Touched only on a thread's first registration; its destructor runs at thread exit.
struct ThreadExit {
  bool has_slot = false;
  bool has_cache = false;
  ~ThreadExit() {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    if (has_slot && t_slot < kSharedSlot) r.free_slots.push_back(t_slot);
    if (has_cache && t_cache) t_cache->owned = false;
    t_slot = ~0u;
    t_cache = nullptr;
  }
};
thread_local ThreadExit t_exit;

[[gnu::noinline]] unsigned register_slot() noexcept {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  unsigned slot;
  if (!r.free_slots.empty()) {
    slot = r.free_slots.back();
    r.free_slots.pop_back();
  } else if (r.next_slot < kSharedSlot) {
    slot = r.next_slot++;
  } else {
    slot = kSharedSlot;
  }
  t_exit.has_slot = true;
  t_slot = slot;
  return slot;
}

[[gnu::noinline]] RecordCache* register_cache() noexcept {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  RecordCache* cache = nullptr;
  for (RecordCache* c = r.caches; c; c = c->next) {
    if (!c->owned) {
      cache = c;
      break;
    }
  }
  if (!cache) {
    cache = new (std::nothrow) RecordCache();
    if (!cache) return nullptr;
    cache->next = r.caches;
    r.caches = cache;
  }
  cache->owned = true;
  t_exit.has_cache = true;  // this thread's exit hands the cache back
  t_cache = cache;
  return cache;
}

}  // namespace

unsigned this_thread_slot() noexcept {
  unsigned slot = t_slot;
  if (slot == ~0u) [[unlikely]]
    slot = register_slot();
  return slot;
}

namespace {
// The chunk being filled for one destination while a ReturnBatch is active on this thread.
struct PendingReturn {
  RecordCache* origin = nullptr;
  RecordCache::Chunk* chunk = nullptr;
  size_t capacity = 0;
};
constexpr int kPendingOrigins = 4;
constinit thread_local PendingReturn t_pending[kPendingOrigins] = {};
constinit thread_local int t_batch_depth = 0;
// The part of a record a span's start and end write: its header and the start of its arena.
constexpr size_t kPrefetchBytes = 448;
constexpr size_t kPrefetchAhead = 3;

void push_chunk(RecordCache* origin, RecordCache::Chunk* chunk) noexcept {
  RecordCache::Chunk* head = origin->returned.load(std::memory_order_relaxed);
  do {
    chunk->next = head;
  } while (!origin->returned.compare_exchange_weak(head, chunk, std::memory_order_release,
                                                   std::memory_order_relaxed));
}

void flush_pending(PendingReturn& p) noexcept {
  if (p.chunk) push_chunk(p.origin, p.chunk);
  p = PendingReturn{};
}

size_t chunk_capacity(size_t block_size) {
  return (block_size - offsetof(RecordCache::Chunk, blocks)) / sizeof(void*);
}
}  // namespace

RecordCache::ReturnBatch::ReturnBatch() noexcept {
  ++t_batch_depth;
}

RecordCache::ReturnBatch::~ReturnBatch() {
  if (--t_batch_depth == 0) {
    for (auto& p : t_pending)
      flush_pending(p);
  }
}

void* RecordCache::allocate(size_t size, RecordCache** origin) noexcept {
  RecordCache* c = t_cache;
  if (!c) [[unlikely]] {
    c = register_cache();
    if (!c) {
      *origin = nullptr;
      return ::operator new(size, std::nothrow);
    }
  }
  *origin = c;
  if (c->local_count == 0) [[unlikely]] {
    if (c->block_size.load(std::memory_order_relaxed) == 0) {
      c->block_size.store(size, std::memory_order_relaxed);
    }
    // Take everything other threads gave back: each chunk brings its blocks and itself.
    Chunk* chunk = c->returned.exchange(nullptr, std::memory_order_acquire);
    while (chunk) {
      Chunk* next = chunk->next;
      for (size_t i = 0; i < chunk->count; ++i) {
        if (c->local_count < kMaxLocal) {
          c->local[c->local_count++] = chunk->blocks[i];
        } else {
          ::operator delete(chunk->blocks[i]);
        }
      }
      if (c->local_count < kMaxLocal) {
        c->local[c->local_count++] = chunk;
      } else {
        ::operator delete(chunk);
      }
      chunk = next;
    }
    if (c->local_count == 0) return ::operator new(size, std::nothrow);
  }
  void* block = c->local[--c->local_count];
  if (c->local_count > kPrefetchAhead) {
    // Blocks were most likely last read by the exporting worker on another core: ask for the
    // cache lines of one a few spans ahead now, with intent to write, so no span waits for them.
    auto* next = static_cast<const char*>(c->local[c->local_count - 1 - kPrefetchAhead]);
    for (size_t off = 0; off < kPrefetchBytes; off += 64)
      prefetch_for_write(next + off);
  }
  return block;
}

void RecordCache::free(void* p, RecordCache* origin) noexcept {
  if (!origin) {
    ::operator delete(p);
    return;
  }
  if (origin == t_cache) {
    if (origin->local_count < kMaxLocal) {
      origin->local[origin->local_count++] = p;
    } else {
      ::operator delete(p);
    }
    return;
  }
  const size_t block_size = origin->block_size.load(std::memory_order_relaxed);
  if (t_batch_depth == 0 || block_size < sizeof(Chunk)) {
    auto* chunk = static_cast<Chunk*>(p);
    chunk->count = 0;
    push_chunk(origin, chunk);
    return;
  }
  PendingReturn* slot = nullptr;
  for (auto& pending : t_pending) {
    if (pending.origin == origin) {
      slot = &pending;
      break;
    }
  }
  if (!slot) {
    slot = &t_pending[0];
    for (auto& pending : t_pending) {
      if (!pending.chunk) slot = &pending;
    }
    flush_pending(*slot);
  }
  if (!slot->chunk) {
    // The freed block itself becomes the chunk that carries the next ones.
    slot->origin = origin;
    slot->chunk = static_cast<Chunk*>(p);
    slot->chunk->count = 0;
    slot->capacity = chunk_capacity(block_size);
    return;
  }
  slot->chunk->blocks[slot->chunk->count++] = p;
  if (slot->chunk->count == slot->capacity) flush_pending(*slot);
}

}  // namespace tracekit::detail
