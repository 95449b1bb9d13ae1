// A bump allocator for one span's strings and arrays: the first bytes live inside the span
// record itself, larger spans chain heap chunks. Everything is freed at once with the span.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace tracekit::detail {

class Arena {
 public:
  Arena(std::byte* first, size_t size) noexcept : cur_(first), end_(first + size) {}
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena() {
    while (chunks_) {
      Chunk* next = chunks_->next;
      std::free(chunks_);
      chunks_ = next;
    }
  }

  // Returns nullptr only when the heap is exhausted.
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
  struct Chunk {
    Chunk* next;
    size_t size;
  };

  void* grow(size_t size, size_t align) noexcept {
    size_t want = size + align + sizeof(Chunk);
    size_t chunk_size = next_chunk_size_ > want ? next_chunk_size_ : want;
    next_chunk_size_ = chunk_size * 2;
    auto* chunk = static_cast<Chunk*>(std::malloc(chunk_size));
    if (!chunk) return nullptr;
    chunk->next = chunks_;
    chunk->size = chunk_size;
    chunks_ = chunk;
    cur_ = reinterpret_cast<std::byte*>(chunk + 1);
    end_ = reinterpret_cast<std::byte*>(chunk) + chunk_size;
    return allocate(size, align);
  }

  std::byte* cur_;
  std::byte* end_;
  Chunk* chunks_ = nullptr;
  size_t next_chunk_size_ = 1024;
};

}  // namespace tracekit::detail
