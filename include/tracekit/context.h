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
namespace detail {
struct FollowTag {};
}  // namespace detail

class Scope {
 public:
  explicit Scope(Context context) noexcept;
  // The current context with `span` as its span.
  explicit Scope(const SpanRef& span) noexcept;
  // For executors that re-enter a request's context (tracekit's HTTP server): the current context
  // is `**followed` as it is at each read (the empty context while `*followed` is null), so a
  // request that starts, or a middleware that sets the request's server span, is current at
  // once, without resuming through the executor again. `*followed`, while not null, must point
  // to a live Context, and `followed` must outlive the Scope.
  Scope(const Context* const* followed, detail::FollowTag) noexcept;
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  void enter() noexcept;
  Context context_;
  const Context* const* followed_ = nullptr;  // set: the current context is **followed_
  Scope* previous_ = nullptr;
  friend class Context;
};

// The span of the current context (a non-recording, invalid span when there is none).
inline SpanRef current_span() noexcept {
  return Context::current().span();
}

}  // namespace tracekit
