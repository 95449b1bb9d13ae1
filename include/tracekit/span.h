// SPDX-License-Identifier: Apache-2.0
// Span handles. A Span owns a running span and ends it when it goes out of scope; a SpanRef
// refers to one without ending it (what current_span() gives). Both are cheap to pass around
// and every call on them is safe from any thread. Calls on a span that is not recording
// (sampled out, tracing disabled, or already ended) do nothing.
#pragma once

#include <exception>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include "tracekit/attributes.h"
#include "tracekit/clock.h"
#include "tracekit/detail/intrusive_ptr.h"
#include "tracekit/detail/span_calls.h"
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

// Shares a span: copies are cheap, calls are safe from any thread at any time.
class SpanRef {
 public:
  SpanRef() = default;

  const SpanContext& context() const noexcept { return ctx_; }
  bool is_recording() const noexcept {
    return rec_ && detail::span_is_recording(rec_.get(), detail::Access::kShared);
  }

  // Setting a key again replaces its value (OpenTelemetry's rule).
  const SpanRef& set_attribute(std::string_view key, const AttributeValue& value) const noexcept {
    if (rec_) detail::span_set_attribute(rec_.get(), detail::Access::kShared, key, value);
    return *this;
  }
  // Several attributes under one acquisition of the span's lock.
  const SpanRef& set_attributes(AttributeList attributes) const noexcept {
    if (rec_) detail::span_set_attributes(rec_.get(), detail::Access::kShared, attributes.items());
    return *this;
  }
  const SpanRef& add_event(std::string_view name, AttributeList attributes = {}) const noexcept {
    if (rec_)
      detail::span_add_event(rec_.get(), detail::Access::kShared, name, 0, attributes.items());
    return *this;
  }
  const SpanRef& add_event(std::string_view name, Timestamp time,
                           AttributeList attributes = {}) const noexcept {
    if (rec_) {
      detail::span_add_event(rec_.get(), detail::Access::kShared, name, clock::to_ns(time),
                             attributes.items());
    }
    return *this;
  }
  const SpanRef& add_link(const SpanContext& linked, AttributeList attributes = {}) const noexcept {
    if (rec_)
      detail::span_add_link(rec_.get(), detail::Access::kShared, linked, attributes.items());
    return *this;
  }
  // Ok is final; Error replaces Unset or Error; Unset is ignored. A description is kept for
  // Error only.
  const SpanRef& set_status(StatusCode code, std::string_view description = {}) const noexcept {
    if (rec_) detail::span_set_status(rec_.get(), detail::Access::kShared, code, description);
    return *this;
  }
  const SpanRef& update_name(std::string_view name) const noexcept {
    if (rec_) detail::span_update_name(rec_.get(), detail::Access::kShared, name);
    return *this;
  }
  // Adds an "exception" event with exception.type (the dynamic type, demangled) and
  // exception.message (what()), plus any extra attributes.
  const SpanRef& record_exception(const std::exception& e,
                                  AttributeList attributes = {}) const noexcept {
    if (rec_) record_exception_impl(detail::Access::kShared, e, attributes);
    return *this;
  }
  const SpanRef& record_exception(std::string_view type, std::string_view message,
                                  AttributeList attributes = {}) const noexcept {
    if (rec_) {
      detail::span_record_exception(rec_.get(), detail::Access::kShared, type, message,
                                    attributes.items());
    }
    return *this;
  }
  // Ends the span (the first call wins; later calls do nothing).
  void end() const noexcept {
    if (rec_) detail::span_end(rec_.get(), detail::Access::kShared, 0, false);
  }
  void end(Timestamp end_time) const noexcept {
    if (rec_) detail::span_end(rec_.get(), detail::Access::kShared, clock::to_ns(end_time), false);
  }

  // The record, for processors and tests; null when the span does not record.
  const SpanData* data() const noexcept { return rec_.get(); }

 protected:
  SpanRef(detail::IntrusivePtr<SpanData> rec, SpanContext ctx) noexcept
      : rec_(std::move(rec)), ctx_(std::move(ctx)) {}
  void record_exception_impl(detail::Access a, const std::exception& e,
                             AttributeList attributes) const noexcept;

  detail::IntrusivePtr<SpanData> rec_;
  // A copy of the span's context, so that reading it never touches the record (whose memory the
  // exporting thread on another core may hold).
  SpanContext ctx_;
  friend class Tracer;
  friend class Context;
  friend class Span;  // Span::share makes one
};

// Owns a running span and ends it when destroyed. Like a standard container, one Span object is
// not for concurrent use by several threads while one of them makes non-const calls; share a
// span across threads through SpanRef copies (or a Context), whose calls are always safe. That
// rule lets a Span that holds the only reference to its record skip the span's lock. A
// ScopedSpan, reachable through the current Context, always takes it.
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

  using SpanRef::add_event;
  using SpanRef::add_link;
  using SpanRef::is_recording;
  using SpanRef::record_exception;
  using SpanRef::set_attribute;
  using SpanRef::set_attributes;
  using SpanRef::set_status;
  using SpanRef::update_name;

  bool is_recording() noexcept { return rec_ && detail::span_is_recording(rec_.get(), access()); }
  Span& set_attribute(std::string_view key, const AttributeValue& value) noexcept {
    if (rec_) detail::span_set_attribute(rec_.get(), access(), key, value);
    return *this;
  }
  Span& set_attributes(AttributeList attributes) noexcept {
    if (rec_) detail::span_set_attributes(rec_.get(), access(), attributes.items());
    return *this;
  }
  Span& add_event(std::string_view name, AttributeList attributes = {}) noexcept {
    if (rec_) detail::span_add_event(rec_.get(), access(), name, 0, attributes.items());
    return *this;
  }
  Span& add_event(std::string_view name, Timestamp time, AttributeList attributes = {}) noexcept {
    if (rec_) {
      detail::span_add_event(rec_.get(), access(), name, clock::to_ns(time), attributes.items());
    }
    return *this;
  }
  Span& add_link(const SpanContext& linked, AttributeList attributes = {}) noexcept {
    if (rec_) detail::span_add_link(rec_.get(), access(), linked, attributes.items());
    return *this;
  }
  Span& set_status(StatusCode code, std::string_view description = {}) noexcept {
    if (rec_) detail::span_set_status(rec_.get(), access(), code, description);
    return *this;
  }
  Span& update_name(std::string_view name) noexcept {
    if (rec_) detail::span_update_name(rec_.get(), access(), name);
    return *this;
  }
  Span& record_exception(const std::exception& e, AttributeList attributes = {}) noexcept {
    if (rec_) record_exception_impl(access(), e, attributes);
    return *this;
  }
  Span& record_exception(std::string_view type, std::string_view message,
                         AttributeList attributes = {}) noexcept {
    if (rec_) {
      detail::span_record_exception(rec_.get(), access(), type, message, attributes.items());
    }
    return *this;
  }

  void end() noexcept { end_at(0); }
  void end(Timestamp end_time) noexcept { end_at(clock::to_ns(end_time)); }

  // A SpanRef to this span, for a Context (Context::with_span): the same as a copy, but while
  // the caller holds every reference to the record (a span just started) no other thread can
  // reach it, so the count is raised without a locked instruction. On x86 a locked one waits for
  // every store before it, here the record's just-written cache lines (55 % of the time of the
  // HTTP server's span start in perf, 2026-12-07). `held` is how many references the caller
  // holds in objects no other thread can reach yet, this handle included (a Context it made with
  // an earlier share(), say); with any other count the reference is a counted copy.
  SpanRef share(uint32_t held = 1) noexcept {
    if (rec_ && rec_->ref_count() == held) {
      rec_->add_ref_unshared();
      return SpanRef(detail::IntrusivePtr<SpanData>::adopt(rec_.get()), ctx_);
    }
    return *this;
  }

 private:
  using SpanRef::SpanRef;
  // Exclusive when this handle holds the only reference. The acquire load pairs with the
  // release of any reference another thread dropped after using it.
  detail::Access access() const noexcept {
    return rec_->ref_count() == 1 ? detail::Access::kExclusive : detail::Access::kShared;
  }
  void end_at(uint64_t end_ns) noexcept {
    if (rec_) {
      const detail::Access a = access();
      detail::span_end(rec_.detach(), a, end_ns, true);
    }
  }
  friend class Tracer;
};

}  // namespace tracekit
