// SPDX-License-Identifier: Apache-2.0
// The part of a span that crosses process boundaries: ids, flags and tracestate.
#pragma once

#include "tracekit/ids.h"
#include "tracekit/trace_state.h"

namespace tracekit {

class SpanContext {
 public:
  SpanContext() = default;
  SpanContext(TraceId trace_id, SpanId span_id, TraceFlags flags, bool is_remote,
              TraceState trace_state = {}) noexcept
      : trace_id_(trace_id),
        span_id_(span_id),
        flags_(flags),
        remote_(is_remote),
        trace_state_(std::move(trace_state)) {}

  const TraceId& trace_id() const noexcept { return trace_id_; }
  const SpanId& span_id() const noexcept { return span_id_; }
  TraceFlags flags() const noexcept { return flags_; }
  bool is_sampled() const noexcept { return flags_.sampled(); }
  // True when this context came from another process (extracted by a propagator).
  bool is_remote() const noexcept { return remote_; }
  const TraceState& trace_state() const noexcept { return trace_state_; }
  // Both ids non-zero.
  bool is_valid() const noexcept { return trace_id_.is_valid() && span_id_.is_valid(); }

  friend bool operator==(const SpanContext& a, const SpanContext& b) noexcept {
    return a.trace_id_ == b.trace_id_ && a.span_id_ == b.span_id_ && a.flags_ == b.flags_ &&
           a.remote_ == b.remote_ && a.trace_state_ == b.trace_state_;
  }

 private:
  TraceId trace_id_;
  SpanId span_id_;
  TraceFlags flags_;
  bool remote_ = false;
  TraceState trace_state_;
};

}  // namespace tracekit
