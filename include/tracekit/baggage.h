// SPDX-License-Identifier: Apache-2.0
// W3C Baggage: user-supplied name/value pairs that travel with a request. Immutable; copies share
// one reference-counted block, and the empty baggage costs nothing.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tracekit/detail/intrusive_ptr.h"

namespace tracekit {

namespace detail {
struct BaggageRep;
}

class Baggage {
 public:
  struct Entry {
    std::string key;
    std::string value;     // decoded (no percent-encoding)
    std::string metadata;  // the properties after the value, as sent: "k1=v1;k2"
    friend bool operator==(const Entry& a, const Entry& b) = default;
  };

  Baggage() = default;

  std::optional<std::string_view> get(std::string_view key) const noexcept;
  const Entry* find(std::string_view key) const noexcept;
  // Adds or replaces an entry (names are unique in a Baggage, as the OpenTelemetry API says).
  Baggage set(std::string_view key, std::string_view value, std::string_view metadata = {}) const;
  Baggage erase(std::string_view key) const;

  size_t size() const noexcept;
  bool empty() const noexcept { return size() == 0; }
  const std::vector<Entry>& entries() const noexcept;

  friend bool operator==(const Baggage& a, const Baggage& b) noexcept {
    return a.entries() == b.entries();
  }

 private:
  explicit Baggage(detail::IntrusivePtr<const detail::BaggageRep> rep) : rep_(std::move(rep)) {}
  detail::IntrusivePtr<const detail::BaggageRep> rep_;
  friend Baggage make_baggage(std::vector<Entry> entries);
};

// Builds a baggage from entries; for duplicate keys the last one wins.
Baggage make_baggage(std::vector<Baggage::Entry> entries);

namespace detail {
struct BaggageRep {
  mutable std::atomic<uint32_t> refs{1};
  std::vector<Baggage::Entry> entries;
  void add_ref() const noexcept { refs.fetch_add(1, std::memory_order_relaxed); }
  void release() const noexcept {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
};
}  // namespace detail

}  // namespace tracekit
