// SPDX-License-Identifier: Apache-2.0
// The record of one span as processors and exporters read it. Strings and attribute arrays live
// in the span's own arena (or, for string literals of the program and of tracekit, where the
// literal lives), so an exporter encodes straight from here without copying.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "tracekit/attributes.h"
#include "tracekit/detail/intrusive_ptr.h"
#include "tracekit/span_context.h"

namespace tracekit {

// Values equal the OTLP enum numbers.
enum class SpanKind : uint8_t {
  kInternal = 1,
  kServer = 2,
  kClient = 3,
  kProducer = 4,
  kConsumer = 5,
};
enum class StatusCode : uint8_t {
  kUnset = 0,
  kOk = 1,
  kError = 2,
};
std::string_view to_string(SpanKind kind) noexcept;
std::string_view to_string(StatusCode code) noexcept;

struct Event {
  std::string_view name;
  uint64_t time_ns = 0;  // since the Unix epoch
  std::span<const KeyValue> attributes;
  uint32_t dropped_attributes_count = 0;
};

struct Link {
  SpanContext context;
  std::span<const KeyValue> attributes;
  uint32_t dropped_attributes_count = 0;
};

// The instrumentation scope a tracer is named by (library name, version, schema URL).
struct InstrumentationScope {
  std::string name;
  std::string version;
  std::string schema_url;
  OwnedAttributes attributes;
};

class Resource;

class SpanData {
 public:
  SpanData(const SpanData&) = delete;
  SpanData& operator=(const SpanData&) = delete;

  std::string_view name() const noexcept { return name_; }
  const SpanContext& context() const noexcept { return context_; }
  // Zero (invalid) for a root span.
  const SpanId& parent_span_id() const noexcept { return parent_span_id_; }
  bool has_remote_parent() const noexcept { return parent_remote_; }
  SpanKind kind() const noexcept { return kind_; }
  uint64_t start_time_ns() const noexcept { return start_ns_; }
  // Zero while the span is running.
  uint64_t end_time_ns() const noexcept { return end_ns_; }

  std::span<const KeyValue> attributes() const noexcept { return {attrs_.data, attrs_.size}; }
  std::span<const Event> events() const noexcept { return {events_.data, events_.size}; }
  std::span<const Link> links() const noexcept { return {links_.data, links_.size}; }
  uint32_t dropped_attributes_count() const noexcept { return dropped_attributes_; }
  uint32_t dropped_events_count() const noexcept { return dropped_events_; }
  uint32_t dropped_links_count() const noexcept { return dropped_links_; }
  // The value of one attribute, or nullptr.
  const AttributeValue* attribute(std::string_view key) const noexcept;

  StatusCode status_code() const noexcept { return status_code_; }
  std::string_view status_description() const noexcept { return status_description_; }

  const InstrumentationScope& scope() const noexcept { return *scope_; }
  const Resource& resource() const noexcept { return *resource_; }

  void add_ref() const noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  // For a holder of the only reference that no other thread can reach (Span::share): no other
  // thread can change the count meanwhile, so no locked instruction.
  void add_ref_unshared() const noexcept {
    refs_.store(refs_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  uint32_t ref_count() const noexcept { return refs_.load(std::memory_order_acquire); }
  void release() const noexcept {
    // Holding the only reference, nobody else can take one: skip the locked decrement.
    if (refs_.load(std::memory_order_acquire) == 1 ||
        refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      destroy();
    }
  }

 protected:
  template <class T>
  struct ArenaVector {
    T* data = nullptr;
    uint32_t size = 0;
    uint32_t capacity = 0;
  };

  SpanData() = default;
  ~SpanData() = default;
  void destroy() const noexcept;

  // Freeing a span reads only this first cache line (refs_, cleanup_, pool_origin_, and the
  // tracestate in context_), and grouping a batch by scope reads scope_ (span_grouping.h), which
  // matters because the exporting thread does both to spans that other cores wrote.
  mutable std::atomic<uint32_t> refs_{1};
  SpanKind kind_ = SpanKind::kInternal;
  StatusCode status_code_ = StatusCode::kUnset;
  bool parent_remote_ = false;
  uint8_t cleanup_ = 0;  // what destruction must walk: links, extra arena blocks
  void* pool_origin_ = nullptr;
  SpanContext context_;
  const InstrumentationScope* scope_ = nullptr;
  SpanId parent_span_id_;
  uint64_t start_ns_ = 0;
  uint64_t end_ns_ = 0;
  std::string_view name_;
  std::string_view status_description_;
  ArenaVector<KeyValue> attrs_;
  ArenaVector<Event> events_;
  ArenaVector<Link> links_;
  uint32_t dropped_attributes_ = 0;
  uint32_t dropped_events_ = 0;
  uint32_t dropped_links_ = 0;
  const Resource* resource_ = nullptr;
};

// Shared ownership of a span record: processors, exporters and tests hold these.
using SpanDataPtr = detail::IntrusivePtr<const SpanData>;

}  // namespace tracekit
