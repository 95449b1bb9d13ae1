// SPDX-License-Identifier: Apache-2.0
// The mutable side of a span record: its lock, arena and the operations spans perform.
#pragma once

#include <atomic>
#include <span>
#include <string_view>

#include "arena.h"
#include "thread_registry.h"
#include "tracekit/span_data.h"
#include "tracekit/span_limits.h"

namespace tracekit::detail {

class ProviderState;

class SpanRecord final : public SpanData {
 public:
  static SpanRecord* create(ProviderState* state, const InstrumentationScope* scope,
                            const Resource* resource) noexcept;
  static SpanRecord* from(SpanData* s) noexcept { return static_cast<SpanRecord*>(s); }
  static const SpanRecord* from(const SpanData* s) noexcept {
    return static_cast<const SpanRecord*>(s);
  }

  // A small spin lock: every span operation holds it for a few dozen nanoseconds at most.
  void lock() noexcept {
    if (lock_.exchange(true, std::memory_order_acquire)) [[unlikely]]
      lock_slow();
  }
  void unlock() noexcept { lock_.store(false, std::memory_order_release); }

  bool ended() const noexcept { return ended_; }
  ProviderState* state() const noexcept { return state_; }
  const SpanLimits& limits() const noexcept { return *limits_; }

  // Called with the lock held (or before the record is shared).
  void init(std::string_view name, const SpanContext& context, const SpanId& parent,
            bool parent_remote, SpanKind kind, uint64_t start_ns) noexcept;
  void set_attribute(std::string_view key, const AttributeValue& value) noexcept;
  // set_attribute for each, in order; in set_attribute's file so that the loop inlines it.
  void set_attributes(std::span<const KeyValue> kvs) noexcept;
  void add_event(std::string_view name, uint64_t time_ns,
                 std::span<const KeyValue> attributes) noexcept;
  void add_link(const SpanContext& context, std::span<const KeyValue> attributes) noexcept;
  void set_status(StatusCode code, std::string_view description) noexcept;
  void set_name(std::string_view name) noexcept;
  void finish(uint64_t end_ns) noexcept;

 private:
  SpanRecord(ProviderState* state, const InstrumentationScope* scope,
             const Resource* resource) noexcept;
  ~SpanRecord();
  friend class tracekit::SpanData;

  void lock_slow() noexcept;
  // Defined inline in span_record.cc, whose functions are their only callers: a literal within
  // the limit is kept as it is (nearly every key, and many values), decided without a call.
  void put_attribute(std::string_view key, const AttributeValue& value) noexcept;
  std::string_view copy_string(std::string_view s, uint32_t limit) noexcept;
  std::string_view copy_string_slow(std::string_view s, uint32_t limit) noexcept;
  AttributeValue copy_value(const AttributeValue& v) noexcept;
  AttributeValue copy_array(const AttributeValue& v) noexcept;
  // Copies up to `limit` attributes into the arena; returns the copy and how many were dropped.
  std::span<const KeyValue> copy_attributes(std::span<const KeyValue> kvs, uint32_t limit,
                                            uint32_t& dropped) noexcept;
  template <class T>
  bool reserve_one(ArenaVector<T>& v, uint32_t first_capacity) noexcept;

  ProviderState* state_;
  const SpanLimits* limits_;
  std::atomic<bool> lock_{false};
  bool ended_ = false;
  bool arena_grew_ = false;
  Arena arena_;
  // The arena starts with the rest of the record's pool block, right after the record: room for
  // the name, a handful of attributes and an event or two.
};

}  // namespace tracekit::detail
