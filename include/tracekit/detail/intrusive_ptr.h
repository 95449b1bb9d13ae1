// SPDX-License-Identifier: Apache-2.0
// A minimal intrusive reference-counted pointer: one atomic in the object, no control block,
// no second allocation. T provides add_ref() and release() (release deletes at zero).
#pragma once

#include <cstddef>
#include <utility>

namespace tracekit::detail {

template <class T>
class IntrusivePtr {
 public:
  constexpr IntrusivePtr() noexcept = default;
  constexpr IntrusivePtr(std::nullptr_t) noexcept {}  // NOLINT: implicit like a pointer
  // Takes over one reference that the caller already owns.
  static IntrusivePtr adopt(T* p) noexcept {
    IntrusivePtr out;
    out.p_ = p;
    return out;
  }
  // Adds a reference of its own.
  static IntrusivePtr share(T* p) noexcept {
    if (p) p->add_ref();
    return adopt(p);
  }

  IntrusivePtr(const IntrusivePtr& o) noexcept : p_(o.p_) {
    if (p_) p_->add_ref();
  }
  IntrusivePtr(IntrusivePtr&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  // Copy and swap: self-assignment takes a reference, then drops one.
  // NOLINTNEXTLINE(bugprone-unhandled-self-assignment)
  IntrusivePtr& operator=(const IntrusivePtr& o) noexcept {
    IntrusivePtr(o).swap(*this);
    return *this;
  }
  IntrusivePtr& operator=(IntrusivePtr&& o) noexcept {
    IntrusivePtr(std::move(o)).swap(*this);
    return *this;
  }
  ~IntrusivePtr() {
    if (p_) p_->release();
  }

  void swap(IntrusivePtr& o) noexcept { std::swap(p_, o.p_); }
  void reset() noexcept { IntrusivePtr().swap(*this); }
  // Gives up ownership without releasing: the caller now owns one reference.
  T* detach() noexcept { return std::exchange(p_, nullptr); }

  T* get() const noexcept { return p_; }
  T& operator*() const noexcept { return *p_; }
  T* operator->() const noexcept { return p_; }
  explicit operator bool() const noexcept { return p_ != nullptr; }
  friend bool operator==(const IntrusivePtr& a, const IntrusivePtr& b) noexcept {
    return a.p_ == b.p_;
  }
  friend bool operator==(const IntrusivePtr& a, std::nullptr_t) noexcept { return !a.p_; }

 private:
  T* p_ = nullptr;
};

}  // namespace tracekit::detail
