// Span handles. A Span owns a running span and ends it when it goes out of scope; a SpanRef
// refers to one without ending it (what current_span() gives). Both are cheap to pass around
// and every call on them is safe from any thread. Calls on a span that is not recording
// (sampled out, tracing disabled, or already ended) do nothing.
#pragma once

#include <exception>
#include <initializer_list>
#include <span>
#include <string_view>

#include "tracekit/attributes.h"
#include "tracekit/clock.h"
#include "tracekit/detail/intrusive_ptr.h"
#include "tracekit/span_context.h"
#include "tracekit/span_data.h"

namespace tracekit {

// A list of attributes for one call: built from a braced list or from any contiguous range of
// KeyValue. It only refers to them, so build it inside the call it is passed to.
class AttributeList {
 public:
  constexpr AttributeList() = default;
  AttributeList(std::initializer_list<KeyValue> kvs) noexcept  // NOLINT: implicit by design
      : items_(kvs.begin(), kvs.size()) {}
  AttributeList(std::span<const KeyValue> kvs) noexcept : items_(kvs) {}  // NOLINT
  std::span<const KeyValue> items() const noexcept { return items_; }

 private:
  std::span<const KeyValue> items_;
};

namespace detail {
// Out-of-line bodies of the span operations (src/core/span.cc).
void span_set_attribute(SpanData* s, std::string_view key, const AttributeValue& v) noexcept;
void span_set_attributes(SpanData* s, std::span<const KeyValue> kvs) noexcept;
void span_add_event(SpanData* s, std::string_view name, uint64_t time_ns,
                    std::span<const KeyValue> attributes) noexcept;
void span_add_link(SpanData* s, const SpanContext& ctx,
                   std::span<const KeyValue> attributes) noexcept;
void span_set_status(SpanData* s, StatusCode code, std::string_view description) noexcept;
void span_update_name(SpanData* s, std::string_view name) noexcept;
bool span_is_recording(const SpanData* s) noexcept;
// Ends the span; `transfer` hands the caller's reference to the processors.
void span_end(SpanData* s, uint64_t end_ns, bool transfer) noexcept;
}  // namespace detail

class SpanRef {
 public:
  SpanRef() = default;

  const SpanContext& context() const noexcept { return rec_ ? rec_->context() : ctx_; }
  bool is_recording() const noexcept { return rec_ && detail::span_is_recording(rec_.get()); }

  // Setting a key again replaces its value (OpenTelemetry's rule).
  const SpanRef& set_attribute(std::string_view key, const AttributeValue& value) const noexcept {
    if (rec_) detail::span_set_attribute(rec_.get(), key, value);
    return *this;
  }
  const SpanRef& set_attributes(AttributeList attributes) const noexcept {
    if (rec_) detail::span_set_attributes(rec_.get(), attributes.items());
    return *this;
  }
  const SpanRef& add_event(std::string_view name, AttributeList attributes = {}) const noexcept {
    if (rec_) detail::span_add_event(rec_.get(), name, 0, attributes.items());
    return *this;
  }
  const SpanRef& add_event(std::string_view name, Timestamp time,
                           AttributeList attributes = {}) const noexcept {
    if (rec_) detail::span_add_event(rec_.get(), name, clock::to_ns(time), attributes.items());
    return *this;
  }
  const SpanRef& add_link(const SpanContext& linked, AttributeList attributes = {}) const noexcept {
    if (rec_) detail::span_add_link(rec_.get(), linked, attributes.items());
    return *this;
  }
  // Ok is final; Error replaces Unset or Error; Unset is ignored. A description is kept for
  // Error only.
  const SpanRef& set_status(StatusCode code, std::string_view description = {}) const noexcept {
    if (rec_) detail::span_set_status(rec_.get(), code, description);
    return *this;
  }
  const SpanRef& update_name(std::string_view name) const noexcept {
    if (rec_) detail::span_update_name(rec_.get(), name);
    return *this;
  }
  // Adds an "exception" event with exception.type (the dynamic type, demangled) and
  // exception.message (what()), plus any extra attributes.
  const SpanRef& record_exception(const std::exception& e,
                                  AttributeList attributes = {}) const noexcept;
  const SpanRef& record_exception(std::string_view type, std::string_view message,
                                  AttributeList attributes = {}) const noexcept;
  // Ends the span (the first call wins; later calls do nothing).
  void end() const noexcept {
    if (rec_) detail::span_end(rec_.get(), 0, false);
  }
  void end(Timestamp end_time) const noexcept {
    if (rec_) detail::span_end(rec_.get(), clock::to_ns(end_time), false);
  }

  // The record, for processors and tests; null when the span does not record.
  const SpanData* data() const noexcept { return rec_.get(); }

 protected:
  SpanRef(detail::IntrusivePtr<SpanData> rec, SpanContext ctx) noexcept
      : rec_(std::move(rec)), ctx_(std::move(ctx)) {}

  detail::IntrusivePtr<SpanData> rec_;
  SpanContext ctx_;  // used when rec_ is null (not recording) or after end()
  friend class Tracer;
  friend class Context;
};

class Span : public SpanRef {
 public:
  Span() = default;
  Span(Span&& o) noexcept = default;
  Span& operator=(Span&& o) noexcept {
    if (this != &o) {
      end();
      SpanRef::operator=(std::move(o));
    }
    return *this;
  }
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;
  ~Span() { end(); }

  void end() noexcept { end_at(0); }
  void end(Timestamp end_time) noexcept { end_at(clock::to_ns(end_time)); }

 private:
  using SpanRef::SpanRef;
  void end_at(uint64_t end_ns) noexcept {
    if (rec_) {
      ctx_ = rec_->context();
      detail::span_end(rec_.detach(), end_ns, true);
    }
  }
  friend class Tracer;
};

}  // namespace tracekit
