// SPDX-License-Identifier: Apache-2.0
#include "tracekit/propagation/w3c.h"

#include "tracekit/propagation/rejection.h"

#include "hex_simd.h"

#include <array>
#include <cstring>
#include <vector>

namespace tracekit::propagation {

namespace {

bool is_lower_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int lower_hex_value(char c) {
  return c <= '9' ? c - '0' : c - 'a' + 10;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<SpanContext> parse_traceparent(std::string_view value, RejectReason& why) noexcept {
  if (value.size() != kTraceparentSize) value = trim_ows(value);
  // version "-" trace-id "-" parent-id "-" flags: dashes at 2, 35 and 52.
  if (value.size() < kTraceparentSize) {
    why = RejectReason::kTraceparentBadLength;
    return std::nullopt;
  }
  const char* p = value.data();
  if (!is_lower_hex(p[0]) || !is_lower_hex(p[1]) || p[2] != '-' || p[35] != '-' || p[52] != '-' ||
      !is_lower_hex(p[53]) || !is_lower_hex(p[54])) {
    why = RejectReason::kTraceparentBadFormat;
    return std::nullopt;
  }
  const int version = lower_hex_value(p[0]) * 16 + lower_hex_value(p[1]);
  if (version == 0xff) {
    why = RejectReason::kInvalidVersion;
    return std::nullopt;
  }
  if (version == 0) {
    if (value.size() != kTraceparentSize) {
      why = RejectReason::kTraceparentBadLength;
      return std::nullopt;
    }
  } else if (value.size() > kTraceparentSize && p[kTraceparentSize] != '-') {
    // A future version may append fields, always after a dash.
    why = RejectReason::kInvalidVersion;
    return std::nullopt;
  }
  std::array<uint8_t, 16> trace;
  std::array<uint8_t, 8> span;
#if TRACEKIT_HAVE_DECODE_HEX16
  const bool trace_ok = detail::decode_hex16(p + 3, trace.data(), true) &&
                        detail::decode_hex16(p + 19, trace.data() + 8, true);
  const bool span_ok = detail::decode_hex16(p + 36, span.data(), true);
#else
  const bool trace_ok = hex::decode(p + 3, 16, trace.data(), true);
  const bool span_ok = hex::decode(p + 36, 8, span.data(), true);
#endif
  uint64_t t0 = 0, t1 = 0, s0 = 0;
  if (trace_ok) {
    std::memcpy(&t0, trace.data(), 8);
    std::memcpy(&t1, trace.data() + 8, 8);
  }
  if (span_ok) std::memcpy(&s0, span.data(), 8);
  if ((t0 | t1) == 0) {  // not hex, or all zeros (invalid)
    why = RejectReason::kBadTraceId;
    return std::nullopt;
  }
  if (s0 == 0) {
    why = RejectReason::kBadSpanId;
    return std::nullopt;
  }
  const auto flags = static_cast<uint8_t>(lower_hex_value(p[53]) * 16 + lower_hex_value(p[54]));
  return SpanContext(TraceId(trace), SpanId(span), TraceFlags(flags & TraceFlags::kKnownMask),
                     true);
}

std::optional<SpanContext> parse_traceparent(std::string_view value) noexcept {
  RejectReason ignored{};
  return parse_traceparent(value, ignored);
}

void format_traceparent(const SpanContext& context, char* out) noexcept {
  out[0] = '0';
  out[1] = '0';
  out[2] = '-';
  context.trace_id().write_hex(out + 3);
  out[35] = '-';
  context.span_id().write_hex(out + 36);
  out[52] = '-';
  const uint8_t flags = context.flags().bits() & TraceFlags::kKnownMask;
  hex::encode(&flags, 1, out + 53);
}

std::string format_traceparent(const SpanContext& context) {
  std::string out(kTraceparentSize, '0');
  format_traceparent(context, out.data());
  return out;
}

Context TraceContextPropagator::extract(const TextMapGetter& carrier,
                                        const Context& context) const noexcept {
  std::string_view traceparent[2];
  // Exactly one traceparent: two of them cannot both be the parent.
  const size_t count = carrier.get_all("traceparent", traceparent);
  if (count == 0) return context;
  if (count > 1) {
    record_rejection(RejectReason::kTraceparentRepeated, traceparent[0]);
    return context;
  }
  RejectReason why{};
  std::optional<SpanContext> parent = parse_traceparent(traceparent[0], why);
  if (!parent) {
    record_rejection(why, traceparent[0]);
    return context;
  }
  try {
    std::array<std::string_view, 8> fields;
    const size_t n = carrier.get_all("tracestate", fields);
    if (n == 0) return context.with_span_context(*parent);
    std::optional<TraceState> state;
    TraceState::ParseError error{};
    if (n <= fields.size()) {
      state = TraceState::parse(std::span<const std::string_view>(fields.data(), n), &error);
    } else {
      std::vector<std::string_view> many(n);
      carrier.get_all("tracestate", many);
      state = TraceState::parse(many, &error);
    }
    if (!state) {
      record_rejection(error == TraceState::ParseError::kTooManyMembers
                           ? RejectReason::kTracestateTooLong
                           : RejectReason::kTracestateBadMember,
                       fields[0]);
    } else if (!state->empty()) {
      parent = SpanContext(parent->trace_id(), parent->span_id(), parent->flags(), true,
                           std::move(*state));
    }
  } catch (...) {
    // Failing to read tracestate must not cost the traceparent (the spec says so).
  }
  return context.with_span_context(*parent);
}

void TraceContextPropagator::inject(TextMapSetter& carrier, const Context& context) const noexcept {
  const SpanContext& span_context = context.span_context();
  if (!span_context.is_valid()) return;
  char buf[kTraceparentSize];
  format_traceparent(span_context, buf);
  carrier.set("traceparent", std::string_view(buf, kTraceparentSize));
  if (!span_context.trace_state().empty()) {
    carrier.set("tracestate", span_context.trace_state().header());
  }
}

}  // namespace tracekit::propagation
