// SPDX-License-Identifier: Apache-2.0
// Context: the current span and baggage. Pass one explicitly to start_span, or make one current
// on this thread with a Scope (the equivalent of Python's start_as_current_span).
#pragma once

#include "tracekit/baggage.h"
#include "tracekit/span.h"

namespace tracekit {

class Context {
 public:
  Context() = default;
  Context(SpanRef span, Baggage baggage) noexcept
      : span_(std::move(span)), baggage_(std::move(baggage)) {}

  // The context made current on this thread by the innermost live Scope (empty if none).
  static const Context& current() noexcept;

  const SpanRef& span() const noexcept { return span_; }
  const SpanContext& span_context() const noexcept { return span_.context(); }
  const Baggage& baggage() const noexcept { return baggage_; }

  Context with_span(SpanRef span) const { return Context(std::move(span), baggage_); }
  // A context whose parent span lives elsewhere (an extracted remote parent).
  Context with_span_context(const SpanContext& span_context) const {
    return Context(SpanRef({}, span_context), baggage_);
  }
  Context with_baggage(Baggage baggage) const { return Context(span_, std::move(baggage)); }

 private:
  SpanRef span_;
  Baggage baggage_;
};

// Makes a context current on this thread until the Scope is destroyed. Scopes nest; destroy
// each on the thread that made it (RAII does). Destroying them out of order is tolerated.
class Scope {
 public:
  explicit Scope(Context context) noexcept;
  // The current context with `span` as its span.
  explicit Scope(const SpanRef& span) noexcept;
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  void enter() noexcept;
  Context context_;
  Scope* previous_ = nullptr;
  friend class Context;
};

// The span of the current context (a non-recording, invalid span when there is none).
inline SpanRef current_span() noexcept {
  return Context::current().span();
}

}  // namespace tracekit
