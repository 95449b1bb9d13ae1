// SPDX-License-Identifier: Apache-2.0
// W3C Trace Context (Level 2): the traceparent and tracestate headers.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "tracekit/propagation/propagator.h"
#include "tracekit/propagation/rejection.h"
#include "tracekit/span_context.h"

namespace tracekit::propagation {

inline constexpr size_t kTraceparentSize = 55;

// Parses one traceparent value (spaces and tabs around it are ignored). Version 00 must be
// exactly 55 characters; a higher version may be longer if a '-' follows the flags; version ff,
// upper-case hex, all-zero ids and anything else malformed give nullopt. The result is remote
// and keeps the sampled and random flags.
std::optional<SpanContext> parse_traceparent(std::string_view value) noexcept;
// The same, saying in `why` what was wrong when it gives nullopt.
std::optional<SpanContext> parse_traceparent(std::string_view value, RejectReason& why) noexcept;

// Writes "00-<trace-id>-<span-id>-<flags>" (55 characters) to out.
void format_traceparent(const SpanContext& context, char* out) noexcept;
std::string format_traceparent(const SpanContext& context);

// traceparent + tracestate.
class TraceContextPropagator final : public TextMapPropagator {
 public:
  Context extract(const TextMapGetter& carrier, const Context& context) const noexcept override;
  void inject(TextMapSetter& carrier, const Context& context) const noexcept override;
  std::vector<std::string> fields() const override { return {"traceparent", "tracestate"}; }
};

}  // namespace tracekit::propagation
