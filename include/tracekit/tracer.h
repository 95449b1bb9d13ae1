// SPDX-License-Identifier: Apache-2.0
// Tracers start spans. Get one from a TracerProvider (or the global one) by the name of the
// instrumented library; keep the reference, it lives as long as its provider.
#pragma once

#include <type_traits>

#include <atomic>
#include <span>
#include <string_view>

#include "tracekit/context.h"
#include "tracekit/span.h"
#include "tracekit/span_data.h"

namespace tracekit {

namespace detail {
class ProviderState;
struct TracerAccess;  // the provider's side: creates tracers and rebinds them (tracer_provider.cc)
}  // namespace detail

// Which span a new span is the child of. By default, the span of the current context.
class Parent {
 public:
  Parent() = default;  // the current context
  Parent(const Context& context) noexcept : kind_(Kind::kContext), context_(&context) {}  // NOLINT
  Parent(const SpanContext& span_context) noexcept  // NOLINT: implicit by design
      : kind_(Kind::kSpanContext), span_context_(&span_context) {}
  Parent(const SpanRef& span) noexcept  // NOLINT
      : kind_(Kind::kSpanContext), span_context_(&span.context()) {}
  // A new trace, whatever the current context holds.
  static Parent root() noexcept {
    Parent p;
    p.kind_ = Kind::kRoot;
    return p;
  }

  // The parent's span context (invalid for a root).
  const SpanContext& resolve() const noexcept;

 private:
  enum class Kind : uint8_t { kCurrent, kContext, kSpanContext, kRoot };
  Kind kind_ = Kind::kCurrent;
  union {
    const Context* context_;
    const SpanContext* span_context_ = nullptr;
  };
};

// Build options inside the start_span call: they refer to what they are given.
struct SpanOptions {
  SpanKind kind = SpanKind::kInternal;  // designated initializers in this order: .kind, .parent
  Parent parent = {};
  AttributeList attributes = {};  // known at start; samplers see them
  std::span<const Link> links = {};
  Timestamp start_time = {};  // the epoch (default) means now
};

class ScopedSpan;

class Tracer {
 public:
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  Span start_span(std::string_view name, const SpanOptions& options = {}) noexcept;
  // Starts a span and makes it current until the returned object is destroyed; then ends it.
  ScopedSpan start_as_current_span(std::string_view name, const SpanOptions& options = {}) noexcept;
  // Runs `fn` in a span that is current while it runs (Python's `with` block): an
  // exception leaving `fn` is recorded on the span (an "exception" event with exception.type and
  // exception.message), sets its status to Error, and propagates. `fn` takes the span
  // (`ScopedSpan&`) or nothing; in_span returns what `fn` returns.
  template <class Fn>
  decltype(auto) in_span(std::string_view name, Fn&& fn, const SpanOptions& options = {});

  const InstrumentationScope& scope() const noexcept { return scope_; }
  // False while tracing is not configured or after shutdown: spans then cost next to nothing.
  bool enabled() const noexcept;

 private:
  // Tracers come from a TracerProvider or get_tracer(), which keep them for the process's life
  // and rebind the global ones when set_global_tracer_provider() changes the provider.
  friend struct detail::TracerAccess;
  explicit Tracer(InstrumentationScope scope, detail::ProviderState* state)
      : scope_(std::move(scope)), state_(state) {}
  void rebind(detail::ProviderState* state) noexcept {
    state_.store(state, std::memory_order_release);
  }

  InstrumentationScope scope_;
  std::atomic<detail::ProviderState*> state_;
};

// A span that is the current one on this thread while it lives. If it is destroyed while an
// exception unwinds the stack, its status becomes Error before it ends; a destructor cannot see
// the exception itself, so Tracer::in_span is the way to record its type and message.
class ScopedSpan : public Span {
 public:
  explicit ScopedSpan(Span&& span) noexcept;
  ~ScopedSpan();
  ScopedSpan(const ScopedSpan&) = delete;
  ScopedSpan& operator=(const ScopedSpan&) = delete;

 private:
  friend class Tracer;  // in_span records the exception itself

  Scope scope_;
  int uncaught_at_start_;
  bool exception_recorded_ = false;
};

template <class Fn>
decltype(auto) Tracer::in_span(std::string_view name, Fn&& fn, const SpanOptions& options) {
  ScopedSpan span = start_as_current_span(name, options);
  try {
    if constexpr (std::is_invocable_v<Fn, ScopedSpan&>) {
      return std::forward<Fn>(fn)(span);
    } else {
      return std::forward<Fn>(fn)();
    }
  } catch (const std::exception& e) {
    span.record_exception(e);
    span.set_status(StatusCode::kError, e.what());
    span.exception_recorded_ = true;
    throw;
  } catch (...) {
    span.record_exception("unknown", "an exception not derived from std::exception");
    span.set_status(StatusCode::kError, "exception thrown");
    span.exception_recorded_ = true;
    throw;
  }
}

}  // namespace tracekit
