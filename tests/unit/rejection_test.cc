// SPDX-License-Identifier: Apache-2.0
// Why incoming trace-context headers are refused: the reason per kind of fault, counted per
// reason (TracerStats, process-wide) and reported at debug, rate-limited.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "tracekit/diagnostics.h"
#include "tracekit/propagation/rejection.h"
#include "tracekit/propagation/w3c.h"
#include "tracekit/tracer_provider.h"

namespace tracekit::propagation {
namespace {

constexpr const char* kTraceId = "0af7651916cd43dd8448eb211c80319c";
constexpr const char* kSpanId = "b7ad6b7169203331";

std::string traceparent(std::string version, std::string trace, std::string span,
                        std::string flags = "01") {
  return version + "-" + trace + "-" + span + "-" + flags;
}

RejectReason reason_for(const std::string& value) {
  RejectReason why{};
  EXPECT_FALSE(parse_traceparent(value, why).has_value()) << value;
  return why;
}

TEST(RejectReason, EachFaultHasItsReason) {
  EXPECT_EQ(reason_for("00-abc"), RejectReason::kTraceparentBadLength);
  EXPECT_EQ(reason_for(traceparent("00", kTraceId, kSpanId) + "-extra"),
            RejectReason::kTraceparentBadLength);
  EXPECT_EQ(reason_for(traceparent("0g", kTraceId, kSpanId)), RejectReason::kTraceparentBadFormat);
  EXPECT_EQ(reason_for(traceparent("00", kTraceId, kSpanId, "0X")),
            RejectReason::kTraceparentBadFormat);
  EXPECT_EQ(reason_for(traceparent("ff", kTraceId, kSpanId)), RejectReason::kInvalidVersion);
  EXPECT_EQ(reason_for(traceparent("01", kTraceId, kSpanId) + "x"), RejectReason::kInvalidVersion);
  EXPECT_EQ(reason_for(traceparent("00", std::string(32, '0'), kSpanId)),
            RejectReason::kBadTraceId);
  EXPECT_EQ(reason_for(traceparent("00", "0AF7651916CD43DD8448EB211C80319C", kSpanId)),
            RejectReason::kBadTraceId);
  EXPECT_EQ(reason_for(traceparent("00", kTraceId, std::string(16, '0'))),
            RejectReason::kBadSpanId);
  EXPECT_EQ(reason_for(traceparent("00", kTraceId, "b7ad6b716920333z")), RejectReason::kBadSpanId);
  RejectReason untouched = RejectReason::kBadSpanId;
  EXPECT_TRUE(parse_traceparent(traceparent("00", kTraceId, kSpanId), untouched).has_value());
}

TEST(RejectReason, NamesAreStable) {
  EXPECT_EQ(to_string(RejectReason::kInvalidVersion), "invalid_version");
  EXPECT_EQ(to_string(RejectReason::kBadTraceId), "bad_trace_id");
  EXPECT_EQ(to_string(RejectReason::kTracestateTooLong), "tracestate_too_long");
  for (size_t i = 0; i < kRejectReasonCount; ++i) {
    EXPECT_NE(to_string(static_cast<RejectReason>(i)), "unknown") << i;
  }
}

uint64_t count(RejectReason reason) {
  return rejection_counts()[static_cast<size_t>(reason)];
}

Context extract_from(const std::vector<std::pair<std::string, std::string>>& headers) {
  return TraceContextPropagator().extract(RangeGetter(headers), Context());
}

// First of the extracting tests: the report interval is process-wide.
TEST(RejectReason, ReportedAtDebugAtMostOncePerInterval) {
  std::mutex mutex;
  std::vector<std::pair<DiagnosticLevel, std::string>> lines;
  set_diagnostic_handler([&](DiagnosticLevel level, std::string_view message) {
    std::lock_guard lock(mutex);
    lines.emplace_back(level, std::string(message));
  });
  for (int i = 0; i < 100; ++i)
    extract_from({{"traceparent", traceparent("00", std::string(32, '0'), kSpanId)}});
  set_diagnostic_handler(nullptr);
  ASSERT_EQ(lines.size(), 1u) << "rate-limited: one line for 100 refusals";
  EXPECT_EQ(lines[0].first, DiagnosticLevel::kDebug);
  EXPECT_NE(lines[0].second.find("bad_trace_id"), std::string::npos) << lines[0].second;
}

TEST(RejectReason, ExtractionCountsEachRefusalByReason) {
  const auto before = rejection_counts();
  const std::string good = traceparent("00", kTraceId, kSpanId);
  extract_from({{"traceparent", traceparent("ff", kTraceId, kSpanId)}});
  extract_from({{"traceparent", good}, {"traceparent", good}});
  std::string many;
  for (int i = 0; i < 33; ++i)
    many += (i ? ",k" : "k") + std::to_string(i) + "=v";
  Context kept = extract_from({{"traceparent", good}, {"tracestate", many}});
  EXPECT_TRUE(kept.span_context().is_valid()) << "a bad tracestate never costs the traceparent";
  EXPECT_TRUE(kept.span_context().trace_state().empty());
  extract_from({{"traceparent", good}, {"tracestate", "a=1,BAD KEY=2"}});
  extract_from({{"traceparent", good}, {"tracestate", "a=1"}});  // fine: not counted

  EXPECT_EQ(count(RejectReason::kInvalidVersion),
            before[static_cast<size_t>(RejectReason::kInvalidVersion)] + 1);
  EXPECT_EQ(count(RejectReason::kTraceparentRepeated),
            before[static_cast<size_t>(RejectReason::kTraceparentRepeated)] + 1);
  EXPECT_EQ(count(RejectReason::kTracestateTooLong),
            before[static_cast<size_t>(RejectReason::kTracestateTooLong)] + 1);
  EXPECT_EQ(count(RejectReason::kTracestateBadMember),
            before[static_cast<size_t>(RejectReason::kTracestateBadMember)] + 1);
  EXPECT_EQ(count(RejectReason::kBadTraceId),
            before[static_cast<size_t>(RejectReason::kBadTraceId)]);

  // The same counts reach TracerStats.
  TracerProvider provider{TracerProviderOptions{}};
  EXPECT_EQ(provider.stats().extract_rejected, rejection_counts());
}

}  // namespace
}  // namespace tracekit::propagation
