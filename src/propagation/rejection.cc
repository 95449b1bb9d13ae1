#include "tracekit/propagation/rejection.h"

#include <atomic>
#include <chrono>
#include <string>

#include "tracekit/diagnostics.h"

namespace tracekit::propagation {

namespace {

// Refusals are rare next to requests: one relaxed atomic add each, no mutex.
std::array<std::atomic<uint64_t>, kRejectReasonCount>& counters() {
  static std::array<std::atomic<uint64_t>, kRejectReasonCount> c{};
  return c;
}

constexpr int64_t kReportIntervalNs = 10'000'000'000;  // one debug line per 10 s at most
std::atomic<int64_t> g_next_report_ns{0};

int64_t steady_now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string_view to_string(RejectReason reason) noexcept {
  switch (reason) {
    case RejectReason::kTraceparentRepeated:
      return "traceparent_repeated";
    case RejectReason::kTraceparentBadLength:
      return "traceparent_bad_length";
    case RejectReason::kTraceparentBadFormat:
      return "traceparent_bad_format";
    case RejectReason::kInvalidVersion:
      return "invalid_version";
    case RejectReason::kBadTraceId:
      return "bad_trace_id";
    case RejectReason::kBadSpanId:
      return "bad_span_id";
    case RejectReason::kTracestateTooLong:
      return "tracestate_too_long";
    case RejectReason::kTracestateBadMember:
      return "tracestate_bad_member";
  }
  return "unknown";
}

void record_rejection(RejectReason reason, std::string_view header_value) noexcept {
  counters()[static_cast<size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
  const int64_t now = steady_now_ns();
  int64_t next = g_next_report_ns.load(std::memory_order_relaxed);
  if (now < next || !g_next_report_ns.compare_exchange_strong(next, now + kReportIntervalNs,
                                                              std::memory_order_relaxed)) {
    return;
  }
  try {
    // The value is the sender's: cut it short, it is only there to recognise the sender.
    constexpr size_t kShown = 80;
    std::string message = "incoming trace context refused (" + std::string(to_string(reason)) +
                          "): \"" + std::string(header_value.substr(0, kShown)) +
                          (header_value.size() > kShown ? "...\"" : "\"") +
                          "; further refusals are counted, reported at most every 10 s";
    report_diagnostic(DiagnosticLevel::kDebug, message);
  } catch (...) {
    // Out of memory for a debug line: the count is kept.
  }
}

std::array<uint64_t, kRejectReasonCount> rejection_counts() noexcept {
  std::array<uint64_t, kRejectReasonCount> out{};
  for (size_t i = 0; i < kRejectReasonCount; ++i)
    out[i] = counters()[i].load(std::memory_order_relaxed);
  return out;
}

}  // namespace tracekit::propagation
