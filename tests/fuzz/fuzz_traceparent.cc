// SPDX-License-Identifier: Apache-2.0
// traceparent: parse; where it succeeds, format and re-parse and check nothing changed. The
// first line is also fed to the TraceContextPropagator with the other lines as tracestate fields,
// and extract -> inject -> extract must give the same context.
#include <string>
#include <utility>
#include <vector>

#include "fuzz_check.h"
#include "reference.h"
#include "tracekit/propagation/w3c.h"

using namespace tracekit;
using namespace tracekit::propagation;

namespace {

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool is_lower_hex_or_dash(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-';
}

void check_parse(std::string_view value) {
  const std::optional<SpanContext> ctx = parse_traceparent(value);
  const auto expected = fuzz::reference::traceparent(value);
  FUZZ_CHECK(ctx.has_value() == expected.has_value());
  if (!ctx) return;
  FUZZ_CHECK(ctx->trace_id().to_hex() == expected->trace_id);
  FUZZ_CHECK(ctx->span_id().to_hex() == expected->parent_id);
  FUZZ_CHECK(ctx->flags().bits() == expected->flags);
  const std::string_view trimmed = trim_ows(value);
  FUZZ_CHECK(trimmed.size() >= kTraceparentSize);
  FUZZ_CHECK(trimmed.substr(0, 2) != "ff");
  FUZZ_CHECK(trimmed.substr(0, 2) != "00" || trimmed.size() == kTraceparentSize);
  FUZZ_CHECK(ctx->is_valid());
  FUZZ_CHECK(ctx->is_remote());
  FUZZ_CHECK((ctx->flags().bits() & ~TraceFlags::kKnownMask) == 0);
  FUZZ_CHECK(ctx->trace_state().empty());

  const std::string text = format_traceparent(*ctx);
  FUZZ_CHECK(text.size() == kTraceparentSize);
  for (char c : text)
    FUZZ_CHECK(is_lower_hex_or_dash(c));
  // Ids travel unchanged: the formatted text repeats the input up to the flags.
  FUZZ_CHECK(text.substr(3, 50) == trimmed.substr(3, 50));
  FUZZ_CHECK(text.substr(0, 3) == "00-");

  const std::optional<SpanContext> again = parse_traceparent(text);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == *ctx);
  FUZZ_CHECK(format_traceparent(*again) == text);
}

void check_propagator(const std::vector<std::string_view>& lines) {
  using Headers = std::vector<std::pair<std::string, std::string>>;
  Headers in;
  in.emplace_back("traceparent", std::string(lines[0]));
  for (size_t i = 1; i < lines.size(); ++i)
    in.emplace_back(i % 2 ? "tracestate" : "TraceState", std::string(lines[i]));
  const TraceContextPropagator p;
  const Context ctx = p.extract(RangeGetter<Headers>(in), Context());
  const SpanContext& sc = ctx.span_context();
  FUZZ_CHECK(sc.is_valid() == parse_traceparent(lines[0]).has_value());
  if (!sc.is_valid()) {
    FUZZ_CHECK(sc.trace_state().empty());
    return;
  }
  Headers out;
  PairVectorSetter setter(out);
  p.inject(setter, ctx);
  FUZZ_CHECK(!out.empty() && out[0].first == "traceparent");
  FUZZ_CHECK(out.size() == (sc.trace_state().empty() ? 1u : 2u));
  const Context back = p.extract(RangeGetter<Headers>(out), Context());
  FUZZ_CHECK(back.span_context() == sc);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in = fuzz::as_text(data, size);
  check_parse(in);
  const std::vector<std::string_view> lines = fuzz::split_lines(in);
  if (lines.size() > 1) check_parse(lines[0]);
  check_propagator(lines);
  return 0;
}
