// SPDX-License-Identifier: Apache-2.0
// The body of an OTLP request. Two things a std::string cannot do make it a class of its own:
//  - it grows without zero-filling bytes the encoder is about to overwrite (a batch of 2,048
//    spans is ~1 MB, written afresh for every batch; std::string's resize fills it first, until
//    C++23's resize_and_overwrite);
//  - it can be lent to a network library without a copy (grpc++ holds the bytes by reference
//    until its transport has written them). A block still held when the buffer is written
//    again stays with its holder, and the buffer moves on to a new block of the same size.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstring>
#include <new>
#include <string_view>

namespace tracekit::otlp::detail {

class ByteBuffer {
 public:
  ByteBuffer() = default;
  ~ByteBuffer() { release(block_); }
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;

  char* data() noexcept { return block_ ? block_->bytes() : nullptr; }
  const char* data() const noexcept { return block_ ? block_->bytes() : nullptr; }
  size_t size() const noexcept { return size_; }
  size_t capacity() const noexcept { return block_ ? block_->capacity : 0; }
  bool empty() const noexcept { return size_ == 0; }
  // How far from data() bytes may be written in place: no further than size() while the block
  // is lent.
  size_t writable_capacity() const noexcept {
    if (!block_) return 0;
    return block_->refs.load(std::memory_order_acquire) == 1 ? block_->capacity : size_;
  }
  std::string_view view() const noexcept { return {data(), size_}; }

  // Empties the buffer; its capacity is kept.
  void clear() noexcept { size_ = 0; }

  // Room for `n` more bytes after size(), not initialized; the caller writes them and then
  // calls set_size. Throws std::bad_alloc.
  char* reserve_more(size_t n) {
    if (!block_ || block_->refs.load(std::memory_order_acquire) != 1 ||
        block_->capacity - size_ < n) {
      move_to_new_block(n);
    }
    return block_->bytes() + size_;
  }
  // `n` is at most capacity(): the bytes up to it were written through reserve_more.
  void set_size(size_t n) noexcept { size_ = n; }

  void append(const void* p, size_t n) {
    if (n == 0) return;
    std::memcpy(reserve_more(n), p, n);
    size_ += n;
  }

  // Lends the bytes [data(), data() + size()) to a holder, which calls give_back(token) once it
  // no longer reads them. The buffer must not be written until then unless it is first cleared
  // (a write after a clear goes to a new block while the lent one is still held).
  void* lend() const noexcept {
    block_->refs.fetch_add(1, std::memory_order_relaxed);
    return block_;
  }
  static void give_back(void* token) noexcept { release(static_cast<Block*>(token)); }

 private:
  struct Block {
    std::atomic<unsigned> refs{1};
    size_t capacity = 0;
    char* bytes() noexcept { return reinterpret_cast<char*>(this + 1); }
  };

  static void release(Block* b) noexcept {
    if (b && b->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      b->~Block();
      ::operator delete(b);
    }
  }

  void move_to_new_block(size_t n) {
    const size_t old_capacity = capacity();
    size_t want = old_capacity * 2 > size_ + n ? old_capacity * 2 : size_ + n + 4096;
    // A block given up only because it is lent keeps its size: the next batch is as large.
    if (block_ && block_->capacity - size_ >= n) want = block_->capacity;
    void* raw = ::operator new(sizeof(Block) + want);
    auto* b = new (raw) Block;
    b->capacity = want;
    if (size_) std::memcpy(b->bytes(), block_->bytes(), size_);
    release(block_);
    block_ = b;
  }

  Block* block_ = nullptr;
  size_t size_ = 0;
};

}  // namespace tracekit::otlp::detail
