// SPDX-License-Identifier: Apache-2.0
// W3C tracestate: an immutable, ordered list of vendor key/value pairs (Trace Context Level 2).
// Copies share one reference-counted block; an empty TraceState is a null pointer and costs
// nothing to copy.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "tracekit/detail/intrusive_ptr.h"

namespace tracekit {

namespace detail {
struct TraceStateRep;
}

class TraceState {
 public:
  static constexpr size_t kMaxMembers = 32;
  static constexpr size_t kMaxKeySize = 256;
  static constexpr size_t kMaxValueSize = 256;

  struct Member {
    std::string_view key;
    std::string_view value;
  };

  TraceState() = default;

  // Parses the combined value of one tracestate header field. Empty and whitespace-only
  // members are skipped. A repeated key keeps its first (left-most, most recent) member and
  // drops the later ones; the list is otherwise kept. Returns nullopt when any member is
  // malformed or more than 32 non-empty members arrive (repeats counted): the whole header is
  // then to be dropped.
  enum class ParseError : uint8_t { kBadMember, kTooManyMembers };
  static std::optional<TraceState> parse(std::string_view header, ParseError* why = nullptr);
  // Several header fields are combined as RFC 7230 says: in order, joined by commas.
  static std::optional<TraceState> parse(std::span<const std::string_view> fields,
                                         ParseError* why = nullptr);

  // Level 2 key: (lcalpha / DIGIT) 0*255(lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@").
  static bool is_valid_key(std::string_view key) noexcept;
  // 0*255(chr) nblk-chr, chr = %x20-7E except "," and "=".
  static bool is_valid_value(std::string_view value) noexcept;

  std::optional<std::string_view> get(std::string_view key) const noexcept;
  // Adds or updates a member and moves it to the front (the spec's mutation order). An invalid
  // key or value leaves the state unchanged; a 33rd member pushes out the right-most one.
  TraceState set(std::string_view key, std::string_view value) const;
  TraceState erase(std::string_view key) const;

  size_t size() const noexcept;
  bool empty() const noexcept { return !rep_; }
  Member operator[](size_t i) const noexcept;

  class Iterator {
   public:
    Iterator(const TraceState* s, size_t i) : s_(s), i_(i) {}
    Member operator*() const { return (*s_)[i_]; }
    Iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator==(const Iterator& o) const { return i_ == o.i_; }

   private:
    const TraceState* s_;
    size_t i_;
  };
  Iterator begin() const { return {this, 0}; }
  Iterator end() const { return {this, size()}; }

  // The header value, "k1=v1,k2=v2"; empty when there are no members.
  std::string_view header() const noexcept;

  friend bool operator==(const TraceState& a, const TraceState& b) noexcept {
    return a.header() == b.header();
  }

 private:
  explicit TraceState(detail::IntrusivePtr<const detail::TraceStateRep> rep)
      : rep_(std::move(rep)) {}
  static TraceState build(std::span<const Member> members);

  detail::IntrusivePtr<const detail::TraceStateRep> rep_;
};

namespace detail {
// One allocation: this header, then `count` entries, then the header text.
struct TraceStateRep {
  struct Entry {
    uint16_t key_offset, key_size, value_offset, value_size;
  };
  mutable std::atomic<uint32_t> refs{1};
  uint16_t count = 0;
  uint16_t text_size = 0;

  const Entry* entries() const noexcept { return reinterpret_cast<const Entry*>(this + 1); }
  const char* text() const noexcept { return reinterpret_cast<const char*>(entries() + count); }
  void add_ref() const noexcept { refs.fetch_add(1, std::memory_order_relaxed); }
  void release() const noexcept;
};
}  // namespace detail

}  // namespace tracekit
