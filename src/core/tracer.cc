// SPDX-License-Identifier: Apache-2.0
#include "tracekit/tracer.h"

#include <exception>

#include "provider_state.h"
#include "span_record.h"

namespace tracekit {

namespace {
const SpanContext kInvalidSpanContext{};
const TraceState kEmptyTraceState{};
}  // namespace

const SpanContext& Parent::resolve() const noexcept {
  switch (kind_) {
    case Kind::kCurrent:
      return Context::current().span_context();
    case Kind::kContext:
      return context_->span_context();
    case Kind::kSpanContext:
      return *span_context_;
    case Kind::kRoot:
      break;
  }
  return kInvalidSpanContext;
}

bool Tracer::enabled() const noexcept {
  detail::ProviderState* state = state_.load(std::memory_order_acquire);
  return state && !state->shut_down.load(std::memory_order_relaxed);
}

Span Tracer::start_span(std::string_view name, const SpanOptions& options) noexcept {
  detail::ProviderState* state = state_.load(std::memory_order_acquire);
  const SpanContext& parent = options.parent.resolve();
  const bool has_parent = parent.is_valid();
  if (!state || state->shut_down.load(std::memory_order_relaxed)) [[unlikely]] {
    // No SDK: a non-recording span that carries the parent's context through, as the
    // OpenTelemetry API's no-op tracer does, so propagation keeps working.
    return Span({}, has_parent ? parent : kInvalidSpanContext);
  }

  const TraceId trace_id = has_parent ? parent.trace_id() : generate_trace_id();
  // A trace we start has a random trace id (W3C Level 2 "random" flag); a continued trace keeps
  // what its parent said.
  uint8_t flags = has_parent ? (parent.flags().bits() & TraceFlags::kRandom) : TraceFlags::kRandom;
  const SamplingResult sampling = state->sampler->should_sample(
      SamplingParameters{parent, trace_id, name, options.kind, options.attributes.items()});
  if (sampling.decision == SamplingDecision::kRecordAndSample) flags |= TraceFlags::kSampled;
  const TraceState& trace_state = sampling.replace_trace_state ? sampling.trace_state
                                  : has_parent                 ? parent.trace_state()
                                                               : kEmptyTraceState;
  const SpanContext context(trace_id, generate_span_id(), TraceFlags(flags), false, trace_state);

  if (sampling.decision == SamplingDecision::kDrop) return Span({}, context);

  detail::SpanRecord* record = detail::SpanRecord::create(state, &scope_, &state->resource);
  if (!record) [[unlikely]] {
    return Span({}, context);
  }
  const uint64_t start_ns = options.start_time.time_since_epoch().count() != 0
                                ? clock::to_ns(options.start_time)
                                : clock::now_ns();
  record->init(name, context, has_parent ? parent.span_id() : SpanId(),
               has_parent && parent.is_remote(), options.kind, start_ns);
  record->set_attributes(options.attributes.items());
  for (const auto& link : options.links)
    record->add_link(link.context, link.attributes);
  state->spans_started.add();
  if (state->any_on_start) [[unlikely]] {
    for (auto& p : state->processors) {
      if (p->wants_on_start()) p->on_start(*record);
    }
  }
  return Span(detail::IntrusivePtr<SpanData>::adopt(record), context);
}

ScopedSpan Tracer::start_as_current_span(std::string_view name,
                                         const SpanOptions& options) noexcept {
  return ScopedSpan(start_span(name, options));
}

ScopedSpan::ScopedSpan(Span&& span) noexcept
    : Span(std::move(span)),
      // A span just started: share() counts the scope's reference without a locked instruction.
      scope_(Context(share(), Context::current().baggage())),
      uncaught_at_start_(std::uncaught_exceptions()) {
  // The scope holds a second reference, reachable through Context::current() and so possibly
  // from another thread: while it lives, this span's calls take the span's lock.
}

ScopedSpan::~ScopedSpan() {
  if (!exception_recorded_ && std::uncaught_exceptions() > uncaught_at_start_) {
    set_status(StatusCode::kError, "exception thrown");
  }
}

}  // namespace tracekit
