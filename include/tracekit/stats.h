// SPDX-License-Identifier: Apache-2.0
// The SDK's own counters: what happened to the spans it saw.
#pragma once

#include <array>
#include <cstdint>

#include "tracekit/propagation/rejection.h"

namespace tracekit {

struct TracerStats {
  uint64_t spans_started = 0;   // recording spans started
  uint64_t spans_ended = 0;     // recording spans ended
  uint64_t spans_exported = 0;  // accepted by an exporter
  // Spans lost for any reason: queue full, failed export, refused by the receiver, ended after
  // shutdown. The fields below break it down.
  uint64_t spans_dropped = 0;
  uint64_t spans_dropped_queue_full = 0;
  uint64_t spans_dropped_export_failed = 0;
  uint64_t spans_rejected = 0;   // OTLP partial_success
  uint64_t export_failures = 0;  // export calls that failed
  uint64_t export_calls = 0;
  // Incoming traceparent/tracestate headers refused, per propagation::RejectReason (process-wide:
  // extraction runs before any provider sees the request).
  std::array<uint64_t, propagation::kRejectReasonCount> extract_rejected{};
};

}  // namespace tracekit
