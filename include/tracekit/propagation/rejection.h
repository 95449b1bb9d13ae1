// SPDX-License-Identifier: Apache-2.0
// Why an incoming trace-context header was refused. Extraction never fails the request: a bad
// traceparent starts a new trace and a bad tracestate is dropped whole (W3C Trace Context), but
// each refusal is counted per reason (TracerStats::extract_rejected, Skriptoteket's /metrics)
// and reported at debug level, at most once per interval.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tracekit::propagation {

enum class RejectReason : uint8_t {
  kTraceparentRepeated,   // more than one traceparent header: neither can be the parent
  kTraceparentBadLength,  // shorter than 55 characters, or version 00 with more
  kTraceparentBadFormat,  // a missing dash, or a version or flags that are not lower-case hex
  kInvalidVersion,        // version ff, or a later version with no dash after the flags
  kBadTraceId,            // not 32 lower-case hex digits, or all zeros
  kBadSpanId,             // not 16 lower-case hex digits, or all zeros
  kTracestateTooLong,     // more than 32 members
  kTracestateBadMember,   // a member that is not key=value with a valid key and value
};
inline constexpr size_t kRejectReasonCount = 8;

// The reason's name in metrics and logs: "traceparent_repeated", "invalid_version",
// "bad_trace_id", "tracestate_too_long", ...
std::string_view to_string(RejectReason reason) noexcept;

// Counts a refusal (process-wide, lock-free) and reports it at debug level, rate-limited.
void record_rejection(RejectReason reason, std::string_view header_value) noexcept;
// Refusals since the process started, indexed by RejectReason.
std::array<uint64_t, kRejectReasonCount> rejection_counts() noexcept;

}  // namespace tracekit::propagation
