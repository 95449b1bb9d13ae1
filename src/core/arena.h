// SPDX-License-Identifier: Apache-2.0
// A bump allocator for one span's strings and arrays: the first bytes live inside the span
// record itself; larger spans chain extra blocks from the record pool (so they are recycled
// the same way as records), or from the heap when a single request is larger than a block.
// Everything is freed at once with the span.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

#include "thread_registry.h"

namespace tracekit::detail {

// Every pooled block, record or arena chunk, has this size.
inline constexpr size_t kPoolBlockBytes = 1024;

class Arena {
 public:
  // `grew` is set to true when the arena takes its first extra block.
  Arena(std::byte* first, size_t size, bool* grew) noexcept
      : cur_(first), end_(first + size), grew_(grew) {}
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  // Frees the extra blocks; the owner calls this only when `grew` was set.
  void release() noexcept {
    while (chunks_) {
      Chunk* next = chunks_->next;
      if (chunks_->pooled) {
        RecordCache::free(chunks_, chunks_->origin);
      } else {
        std::free(chunks_);
      }
      chunks_ = next;
    }
  }

  // Returns nullptr only when memory is exhausted.
  void* allocate(size_t size, size_t align) noexcept {
    auto p = reinterpret_cast<uintptr_t>(cur_);
    uintptr_t aligned = (p + align - 1) & ~(uintptr_t(align) - 1);
    if (aligned + size <= reinterpret_cast<uintptr_t>(end_)) {
      cur_ = reinterpret_cast<std::byte*>(aligned + size);
      return reinterpret_cast<void*>(aligned);
    }
    return grow(size, align);
  }

  template <class T>
  T* allocate_array(size_t n) noexcept {
    return static_cast<T*>(allocate(sizeof(T) * n, alignof(T)));
  }

 private:
  struct alignas(16) Chunk {
    Chunk* next;
    RecordCache* origin;
    bool pooled;
  };

  void* grow(size_t size, size_t align) noexcept {
    const size_t want = size + align + sizeof(Chunk);
    Chunk* chunk;
    if (want <= kPoolBlockBytes) {
      RecordCache* origin = nullptr;
      chunk = static_cast<Chunk*>(RecordCache::allocate(kPoolBlockBytes, &origin));
      if (!chunk) return nullptr;
      chunk->origin = origin;
      chunk->pooled = true;
      end_ = reinterpret_cast<std::byte*>(chunk) + kPoolBlockBytes;
    } else {
      chunk = static_cast<Chunk*>(std::malloc(want));
      if (!chunk) return nullptr;
      chunk->origin = nullptr;
      chunk->pooled = false;
      end_ = reinterpret_cast<std::byte*>(chunk) + want;
    }
    chunk->next = chunks_;
    chunks_ = chunk;
    *grew_ = true;
    cur_ = reinterpret_cast<std::byte*>(chunk + 1);
    return allocate(size, align);
  }

  std::byte* cur_;
  std::byte* end_;
  bool* grew_;
  Chunk* chunks_ = nullptr;
};

}  // namespace tracekit::detail
