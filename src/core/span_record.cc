// SPDX-License-Identifier: Apache-2.0
#include "span_record.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <thread>

#include "provider_state.h"
#include "tracekit/clock.h"

namespace tracekit {

std::string_view to_string(SpanKind kind) noexcept {
  switch (kind) {
    case SpanKind::kInternal:
      return "INTERNAL";
    case SpanKind::kServer:
      return "SERVER";
    case SpanKind::kClient:
      return "CLIENT";
    case SpanKind::kProducer:
      return "PRODUCER";
    case SpanKind::kConsumer:
      return "CONSUMER";
  }
  return "UNSPECIFIED";
}

std::string_view to_string(StatusCode code) noexcept {
  switch (code) {
    case StatusCode::kUnset:
      return "UNSET";
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kError:
      return "ERROR";
  }
  return "UNSET";
}

const AttributeValue* SpanData::attribute(std::string_view key) const noexcept {
  for (const auto& kv : attributes()) {
    if (kv.key == key) return &kv.value;
  }
  return nullptr;
}

void SpanData::destroy() const noexcept {
  // The exporting worker groups a batch by scope reading only the record's first line, the one
  // freeing it reads (span_data.h, span_grouping.h).
  static_assert(offsetof(SpanData, scope_) + sizeof(std::uintptr_t) <= 64);  // a pointer's size
  auto* record = const_cast<detail::SpanRecord*>(detail::SpanRecord::from(this));
  auto* origin = static_cast<detail::RecordCache*>(record->pool_origin_);
  record->~SpanRecord();
  detail::RecordCache::free(record, origin);
}

namespace detail {

namespace {
constexpr uint8_t kCleanupLinks = 1;
constexpr uint8_t kCleanupArena = 2;
}  // namespace

SpanRecord* SpanRecord::create(ProviderState* state, const InstrumentationScope* scope,
                               const Resource* resource) noexcept {
  RecordCache* origin = nullptr;
  static_assert(sizeof(SpanRecord) <= kPoolBlockBytes);
  void* raw = RecordCache::allocate(kPoolBlockBytes, &origin);
  if (!raw) return nullptr;
  auto* record = new (raw) SpanRecord(state, scope, resource);
  record->pool_origin_ = origin;
  return record;
}

SpanRecord::SpanRecord(ProviderState* state, const InstrumentationScope* scope,
                       const Resource* resource) noexcept
    : state_(state),
      limits_(&state->limits),
      arena_(reinterpret_cast<std::byte*>(this) + sizeof(SpanRecord),
             kPoolBlockBytes - sizeof(SpanRecord), &arena_grew_) {
  scope_ = scope;
  resource_ = resource;
}

SpanRecord::~SpanRecord() {
  if (cleanup_ == 0) [[likely]]
    return;
  // Links live in the arena but hold TraceState references.
  if (cleanup_ & kCleanupLinks) {
    for (uint32_t i = 0; i < links_.size; ++i)
      links_.data[i].~Link();
  }
  if (cleanup_ & kCleanupArena) arena_.release();
}

void SpanRecord::lock_slow() noexcept {
  for (int spins = 0;; ++spins) {
    if (!lock_.load(std::memory_order_relaxed) &&
        !lock_.exchange(true, std::memory_order_acquire)) {
      return;
    }
    if (spins < 64) {
#if defined(__x86_64__)
      __builtin_ia32_pause();
#endif
    } else {
      std::this_thread::yield();
    }
  }
}

// An out-of-line call here cost more than the check itself: its prologue and epilogue were a
// fifth of copy_string's samples in BM_SpanStartEndNoExport/attrs:4.
inline std::string_view SpanRecord::copy_string(std::string_view s, uint32_t limit) noexcept {
  if (!s.empty() && s.size() <= limit && state_->static_text.contains(s)) [[likely]]
    return s;  // a literal: it outlives the span
  return copy_string_slow(s, limit);
}

inline AttributeValue SpanRecord::copy_value(const AttributeValue& v) noexcept {
  switch (v.type()) {
    case AttributeType::kBool:
    case AttributeType::kInt:
    case AttributeType::kDouble:
      return v;
    case AttributeType::kString:
      return copy_string(v.as_string(), limits_->attribute_value_length);
    default:
      return copy_array(v);
  }
}

void SpanRecord::set_name(std::string_view name) noexcept {
  name_ = copy_string(name, ~0u);
}

void SpanRecord::init(std::string_view name, const SpanContext& context, const SpanId& parent,
                      bool parent_remote, SpanKind kind, uint64_t start_ns) noexcept {
  name_ = copy_string(name, ~0u);
  context_ = context;
  parent_span_id_ = parent;
  parent_remote_ = parent_remote;
  kind_ = kind;
  start_ns_ = start_ns;
}

std::string_view SpanRecord::copy_string_slow(std::string_view s, uint32_t limit) noexcept {
  if (s.size() > limit) {
    // Cut at a UTF-8 character boundary: never leave half a character at the end.
    size_t n = limit;
    while (n > 0 && (static_cast<uint8_t>(s[n]) & 0xC0) == 0x80)
      --n;
    s = s.substr(0, n);
  }
  if (s.empty()) return {};
  if (state_->static_text.contains(s)) return s;  // a literal: it outlives the span
  char* p = arena_.allocate_array<char>(s.size());
  if (!p) return {};
  std::memcpy(p, s.data(), s.size());
  return {p, s.size()};
}

AttributeValue SpanRecord::copy_array(const AttributeValue& v) noexcept {
  const uint32_t limit = limits_->attribute_value_length;
  switch (v.type()) {
    case AttributeType::kBool:
    case AttributeType::kInt:
    case AttributeType::kDouble:
    case AttributeType::kString:
      return copy_value(v);
    case AttributeType::kBoolArray: {
      auto a = v.as_bool_array();
      bool* p = arena_.allocate_array<bool>(a.size());
      if (!p) return std::span<const bool>();
      std::memcpy(p, a.data(), a.size() * sizeof(bool));
      return std::span<const bool>(p, a.size());
    }
    case AttributeType::kIntArray: {
      auto a = v.as_int_array();
      auto* p = arena_.allocate_array<int64_t>(a.size());
      if (!p) return std::span<const int64_t>();
      std::memcpy(p, a.data(), a.size() * sizeof(int64_t));
      return std::span<const int64_t>(p, a.size());
    }
    case AttributeType::kDoubleArray: {
      auto a = v.as_double_array();
      auto* p = arena_.allocate_array<double>(a.size());
      if (!p) return std::span<const double>();
      std::memcpy(p, a.data(), a.size() * sizeof(double));
      return std::span<const double>(p, a.size());
    }
    case AttributeType::kStringArray: {
      auto a = v.as_string_array();
      auto* p = arena_.allocate_array<std::string_view>(a.size());
      if (!p) return std::span<const std::string_view>();
      for (size_t i = 0; i < a.size(); ++i)
        new (p + i) std::string_view(copy_string(a[i], limit));
      return std::span<const std::string_view>(p, a.size());
    }
  }
  return v;
}

template <class T>
bool SpanRecord::reserve_one(ArenaVector<T>& v, uint32_t first_capacity) noexcept {
  if (v.size < v.capacity) return true;
  uint32_t capacity = v.capacity ? v.capacity * 2 : first_capacity;
  T* p = arena_.allocate_array<T>(capacity);
  if (!p) return false;
  // Elements are trivially relocatable here (views, or Links moved by hand below).
  if (v.size)
    std::memcpy(static_cast<void*>(p), static_cast<const void*>(v.data), sizeof(T) * v.size);
  v.data = p;
  v.capacity = capacity;
  return true;
}

// set_attribute's body, inlined into set_attributes' loop as well.
[[gnu::always_inline]] inline void SpanRecord::put_attribute(std::string_view key,
                                                             const AttributeValue& value) noexcept {
  if (key.empty()) return;  // an empty key is invalid (OpenTelemetry API)
  for (uint32_t i = 0; i < attrs_.size; ++i) {
    if (attrs_.data[i].key == key) {
      attrs_.data[i].value = copy_value(value);
      return;
    }
  }
  if (attrs_.size >= limits_->attribute_count) {
    ++dropped_attributes_;
    return;
  }
  if (!reserve_one(attrs_, 8)) {
    ++dropped_attributes_;
    return;
  }
  new (attrs_.data + attrs_.size) KeyValue{copy_string(key, ~0u), copy_value(value)};
  ++attrs_.size;
}

void SpanRecord::set_attribute(std::string_view key, const AttributeValue& value) noexcept {
  put_attribute(key, value);
}

// A span's start and Span::set_attributes pass lists: one call for the list, not one per
// attribute (callgrind, four attributes at start: 383 -> 352 instructions).
void SpanRecord::set_attributes(std::span<const KeyValue> kvs) noexcept {
  for (const auto& kv : kvs)
    put_attribute(kv.key, kv.value);
}

std::span<const KeyValue> SpanRecord::copy_attributes(std::span<const KeyValue> kvs, uint32_t limit,
                                                      uint32_t& dropped) noexcept {
  dropped = 0;
  if (kvs.empty()) return {};
  size_t n = kvs.size() < limit ? kvs.size() : limit;
  auto* p = arena_.allocate_array<KeyValue>(n);
  if (!p) {
    dropped = static_cast<uint32_t>(kvs.size());
    return {};
  }
  size_t out = 0;
  for (const auto& kv : kvs) {
    if (kv.key.empty()) continue;
    // A repeated key replaces the earlier value, as on a span.
    size_t i = 0;
    while (i < out && p[i].key != kv.key)
      ++i;
    if (i < out) {
      p[i].value = copy_value(kv.value);
    } else if (out < n) {
      new (p + out++) KeyValue{copy_string(kv.key, ~0u), copy_value(kv.value)};
    } else {
      ++dropped;
    }
  }
  return {p, out};
}

void SpanRecord::add_event(std::string_view name, uint64_t time_ns,
                           std::span<const KeyValue> attributes) noexcept {
  if (events_.size >= limits_->event_count || !reserve_one(events_, 4)) {
    ++dropped_events_;
    return;
  }
  auto* e = new (events_.data + events_.size) Event{};
  e->name = copy_string(name, ~0u);
  e->time_ns = time_ns;
  e->attributes =
      copy_attributes(attributes, limits_->attributes_per_event, e->dropped_attributes_count);
  ++events_.size;
}

void SpanRecord::add_link(const SpanContext& context,
                          std::span<const KeyValue> attributes) noexcept {
  if (!context.is_valid()) return;  // a link to nothing says nothing
  if (links_.size >= limits_->link_count || !reserve_one(links_, 2)) {
    ++dropped_links_;
    return;
  }
  Link* l = new (links_.data + links_.size) Link{context, {}, 0};
  cleanup_ |= kCleanupLinks;
  l->attributes =
      copy_attributes(attributes, limits_->attributes_per_link, l->dropped_attributes_count);
  ++links_.size;
}

void SpanRecord::set_status(StatusCode code, std::string_view description) noexcept {
  // Ok is final; Unset never overrides; Error overrides Unset and Error. Only Error keeps a
  // description (OpenTelemetry API, Set Status).
  if (code == StatusCode::kUnset || status_code_ == StatusCode::kOk) return;
  status_code_ = code;
  status_description_ =
      code == StatusCode::kError ? copy_string(description, ~0u) : std::string_view();
}

void SpanRecord::finish(uint64_t end_ns) noexcept {
  end_ns_ = end_ns < start_ns_ ? start_ns_ : end_ns;
  ended_ = true;
  // Record now, on the writing thread, whether freeing must walk the arena's extra blocks.
  if (arena_grew_) cleanup_ |= kCleanupArena;
}

}  // namespace detail
}  // namespace tracekit
