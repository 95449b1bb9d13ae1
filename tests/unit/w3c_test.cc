// SPDX-License-Identifier: Apache-2.0
// W3C Trace Context: traceparent parsing and formatting, and the TraceContextPropagator. The
// vectors follow spec/20-http_request_header_format.md and the cases of the W3C test harness
// (test/test.py in w3c/trace-context); where the harness checks Level 1 behaviour that Level 2
// changed, the Level 2 reading is asserted and the test says so.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "tracekit/propagation/w3c.h"

namespace tracekit::propagation {
namespace {

constexpr std::string_view kTraceId = "12345678901234567890123456789012";
constexpr std::string_view kSpanId = "1234567890123456";
const std::string kValid = "00-12345678901234567890123456789012-1234567890123456-01";

using Headers = std::vector<std::pair<std::string, std::string>>;

Context extract(const Headers& headers) {
  TraceContextPropagator p;
  return p.extract(RangeGetter<Headers>(headers), Context());
}

// ---- traceparent: accepted values -------------------------------------------------------------

struct Accepted {
  const char* name;
  std::string value;
  std::string_view trace_id;
  std::string_view span_id;
  uint8_t flags;
};
void PrintTo(const Accepted& v, std::ostream* os) {
  *os << '"' << v.value << '"';
}

class TraceparentAccepted : public testing::TestWithParam<Accepted> {};

TEST_P(TraceparentAccepted, Parses) {
  const Accepted& v = GetParam();
  auto ctx = parse_traceparent(v.value);
  ASSERT_TRUE(ctx.has_value()) << v.value;
  EXPECT_EQ(ctx->trace_id().to_hex(), v.trace_id);
  EXPECT_EQ(ctx->span_id().to_hex(), v.span_id);
  EXPECT_EQ(ctx->flags().bits(), v.flags);
  EXPECT_TRUE(ctx->is_remote());
  EXPECT_TRUE(ctx->is_valid());
  EXPECT_TRUE(ctx->trace_state().empty());
}

const std::string kSpecTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
const std::string kSpecParent = "00f067aa0ba902b7";

INSTANTIATE_TEST_SUITE_P(
    Vectors, TraceparentAccepted,
    testing::Values(
        // The spec's two examples.
        Accepted{"spec_sampled", "00-" + kSpecTrace + "-" + kSpecParent + "-01", kSpecTrace,
                 kSpecParent, 0x01},
        Accepted{"spec_unsampled", "00-" + kSpecTrace + "-" + kSpecParent + "-00", kSpecTrace,
                 kSpecParent, 0x00},
        Accepted{"harness_v00", kValid, kTraceId, kSpanId, 0x01},
        // Level 2 random flag is kept.
        Accepted{"random_flag", "00-" + kSpecTrace + "-" + kSpecParent + "-02", kSpecTrace,
                 kSpecParent, 0x02},
        Accepted{"sampled_and_random", "00-" + kSpecTrace + "-" + kSpecParent + "-03", kSpecTrace,
                 kSpecParent, 0x03},
        // Unknown flag bits are a bit field: mask them off, keep the known ones.
        Accepted{"unknown_flags_09", "00-" + kSpecTrace + "-" + kSpecParent + "-09", kSpecTrace,
                 kSpecParent, 0x01},
        Accepted{"unknown_flags_ff", "00-" + kSpecTrace + "-" + kSpecParent + "-ff", kSpecTrace,
                 kSpecParent, 0x03},
        Accepted{"unknown_flags_fc", "00-" + kSpecTrace + "-" + kSpecParent + "-fc", kSpecTrace,
                 kSpecParent, 0x00},
        // Ids that are all zero except one bit are valid.
        Accepted{"trace_id_low_bit", "00-00000000000000000000000000000001-" + kSpecParent + "-01",
                 "00000000000000000000000000000001", kSpecParent, 0x01},
        Accepted{"span_id_low_bit", "00-" + kSpecTrace + "-0000000000000001-01", kSpecTrace,
                 "0000000000000001", 0x01},
        // OWS around the value (harness: test_traceparent_ows_handling).
        Accepted{"ows_leading_space", " " + kValid, kTraceId, kSpanId, 0x01},
        Accepted{"ows_leading_tab", "\t" + kValid, kTraceId, kSpanId, 0x01},
        Accepted{"ows_trailing_space", kValid + " ", kTraceId, kSpanId, 0x01},
        Accepted{"ows_trailing_tab", kValid + "\t", kTraceId, kSpanId, 0x01},
        Accepted{"ows_both", "\t " + kValid + " \t", kTraceId, kSpanId, 0x01},
        Accepted{"ows_much", "   \t\t  " + kValid + "  \t\t   ", kTraceId, kSpanId, 0x01},
        // Future versions (harness: test_traceparent_version_0xcc).
        Accepted{"future_cc", "cc-12345678901234567890123456789012-1234567890123456-01", kTraceId,
                 kSpanId, 0x01},
        Accepted{"future_cc_extra_fields",
                 "cc-12345678901234567890123456789012-1234567890123456-01-what-the-future-will-be-"
                 "like",
                 kTraceId, kSpanId, 0x01},
        Accepted{"future_01_extra_dash_only",
                 "01-12345678901234567890123456789012-1234567890123456-00-", kTraceId, kSpanId,
                 0x00},
        Accepted{"future_fe", "fe-12345678901234567890123456789012-1234567890123456-03-x", kTraceId,
                 kSpanId, 0x03},
        Accepted{"future_with_ows", " cc-12345678901234567890123456789012-1234567890123456-01-x\t",
                 kTraceId, kSpanId, 0x01},
        Accepted{"future_unknown_flags_masked",
                 "cc-12345678901234567890123456789012-1234567890123456-f1-x", kTraceId, kSpanId,
                 0x01}),
    [](const auto& info) { return std::string(info.param.name); });

// ---- traceparent: rejected values -------------------------------------------------------------

struct Rejected {
  const char* name;
  std::string value;
};
void PrintTo(const Rejected& v, std::ostream* os) {
  *os << '"' << v.value << '"';
}

class TraceparentRejected : public testing::TestWithParam<Rejected> {};

TEST_P(TraceparentRejected, IsIgnored) {
  const Rejected& v = GetParam();
  EXPECT_FALSE(parse_traceparent(v.value).has_value()) << '"' << v.value << '"';
  // Through the propagator too: the context stays without a span, tracestate is not read.
  Context ctx = extract({{"traceparent", v.value}, {"tracestate", "foo=1"}});
  EXPECT_FALSE(ctx.span_context().is_valid());
  EXPECT_TRUE(ctx.span_context().trace_state().empty());
}

std::string with_char(std::string s, size_t pos, char c) {
  s[pos] = c;
  return s;
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, TraceparentRejected,
    testing::Values(
        Rejected{"empty", ""}, Rejected{"only_ows", " \t "}, Rejected{"garbage", "garbage"},
        // Version rules.
        Rejected{"version_ff", "ff-12345678901234567890123456789012-1234567890123456-01"},
        Rejected{"version_illegal_char_1",
                 ".0-12345678901234567890123456789012-1234567890123456-01"},
        Rejected{"version_illegal_char_2",
                 "0.-12345678901234567890123456789012-1234567890123456-01"},
        Rejected{"version_upper", "0A-12345678901234567890123456789012-1234567890123456-01"},
        Rejected{"version_upper_future", "CC-12345678901234567890123456789012-1234567890123456-01"},
        Rejected{"version_too_long", "000-12345678901234567890123456789012-1234567890123456-01"},
        Rejected{"version_too_long_4", "0000-12345678901234567890123456789012-1234567890123456-01"},
        Rejected{"version_too_short", "0-12345678901234567890123456789012-1234567890123456-01"},
        // Version 00: exactly 55 characters, no trailing data.
        Rejected{"v00_trailing_dot", kValid + "."},
        Rejected{"v00_trailing_fields", kValid + "-what-the-future-will-be-like"},
        Rejected{"v00_trailing_dash", kValid + "-"},
        Rejected{"v00_length_54", kValid.substr(0, 54)}, Rejected{"v00_length_56", kValid + "1"},
        Rejected{"v00_inner_space", "00-12345678901234567890123456789012-1234567890123456- 1"},
        Rejected{"v00_ows_inside_dash", "00 -12345678901234567890123456789012-1234567890123456-01"},
        // Future versions: shorter than 55, or more data not after a dash.
        Rejected{"future_dot_after_flags",
                 "cc-12345678901234567890123456789012-1234567890123456-01.what-the-future-will-be-"
                 "like"},
        Rejected{"future_no_dash_after_flags",
                 "cc-12345678901234567890123456789012-1234567890123456-01xyz"},
        Rejected{"future_short_54", "cc-12345678901234567890123456789012-1234567890123456-0"},
        Rejected{"future_short_flags",
                 "cc-12345678901234567890123456789012-1234567890123456-1-xyz"},
        Rejected{"future_bad_trace_id",
                 "cc-1234567890123456789012345678901x-1234567890123456-01-xyz"},
        // trace-id.
        Rejected{"trace_id_all_zero", "00-00000000000000000000000000000000-1234567890123456-01"},
        Rejected{"trace_id_illegal_first",
                 "00-.2345678901234567890123456789012-1234567890123456-01"},
        Rejected{"trace_id_illegal_last",
                 "00-1234567890123456789012345678901.-1234567890123456-01"},
        Rejected{"trace_id_too_long", "00-123456789012345678901234567890123-1234567890123456-01"},
        Rejected{"trace_id_too_short", "00-1234567890123456789012345678901-1234567890123456-01"},
        Rejected{"trace_id_upper", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"},
        Rejected{"trace_id_one_upper", "00-4bf92f3577b34da6a3ce929d0e0e473A-00f067aa0ba902b7-01"},
        Rejected{"trace_id_g", "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01"},
        // parent-id.
        Rejected{"parent_id_all_zero", "00-12345678901234567890123456789012-0000000000000000-01"},
        Rejected{"parent_id_illegal_first",
                 "00-12345678901234567890123456789012-.234567890123456-01"},
        Rejected{"parent_id_illegal_last",
                 "00-12345678901234567890123456789012-123456789012345.-01"},
        Rejected{"parent_id_too_long", "00-12345678901234567890123456789012-12345678901234567-01"},
        Rejected{"parent_id_too_short", "00-12345678901234567890123456789012-123456789012345-01"},
        Rejected{"parent_id_upper", "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01"},
        // trace-flags.
        Rejected{"flags_illegal_first", "00-12345678901234567890123456789012-1234567890123456-.0"},
        Rejected{"flags_illegal_last", "00-12345678901234567890123456789012-1234567890123456-0."},
        Rejected{"flags_too_long", "00-12345678901234567890123456789012-1234567890123456-001"},
        Rejected{"flags_too_short", "00-12345678901234567890123456789012-1234567890123456-1"},
        Rejected{"flags_upper", "00-12345678901234567890123456789012-1234567890123456-0A"},
        // Dashes.
        Rejected{"dash_1_missing", with_char(kValid, 2, '_')},
        Rejected{"dash_2_missing", with_char(kValid, 35, '_')},
        Rejected{"dash_3_missing", with_char(kValid, 52, '_')},
        Rejected{"dashes_shifted", "00-123456789012345678901234567890121-234567890123456-01"},
        Rejected{"no_dashes", "0012345678901234567890123456789012123456789012345601xx"},
        // Nul and non-ASCII bytes.
        Rejected{"embedded_nul", with_char(kValid, 10, '\0')},
        Rejected{"high_byte", with_char(kValid, 10, '\xc3')},
        // Other whitespace is not OWS.
        Rejected{"leading_newline", "\n" + kValid}, Rejected{"trailing_crlf", kValid + "\r\n"}),
    [](const auto& info) { return std::string(info.param.name); });

// ---- traceparent: formatting -------------------------------------------------------------------

TEST(Traceparent, FormatsLowerCaseVersion00) {
  auto id = TraceId::from_hex("4BF92F3577B34DA6A3CE929D0E0E4736");
  auto span = SpanId::from_hex("00F067AA0BA902B7");
  ASSERT_TRUE(id && span);
  EXPECT_EQ(format_traceparent(SpanContext(*id, *span, TraceFlags(0x01), false)),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  EXPECT_EQ(format_traceparent(SpanContext(*id, *span, TraceFlags(0x00), true)),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
}

TEST(Traceparent, FormatNeverSendsReservedFlagBits) {
  auto id = TraceId::from_hex(kSpecTrace);
  auto span = SpanId::from_hex(kSpecParent);
  EXPECT_EQ(format_traceparent(SpanContext(*id, *span, TraceFlags(0xff), false)).substr(53), "03");
  EXPECT_EQ(format_traceparent(SpanContext(*id, *span, TraceFlags(0x84), false)).substr(53), "00");
}

TEST(Traceparent, RoundTrip) {
  for (uint8_t flags : {0x00, 0x01, 0x02, 0x03}) {
    SpanContext original(generate_trace_id(), generate_span_id(), TraceFlags(flags), false);
    std::string text = format_traceparent(original);
    ASSERT_EQ(text.size(), kTraceparentSize);
    auto parsed = parse_traceparent(text);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->trace_id(), original.trace_id());
    EXPECT_EQ(parsed->span_id(), original.span_id());
    EXPECT_EQ(parsed->flags(), original.flags());
    EXPECT_TRUE(parsed->is_remote());
    EXPECT_EQ(format_traceparent(*parsed), text);
  }
}

TEST(Traceparent, FutureVersionIsDowngradedOnFormat) {
  auto parsed =
      parse_traceparent("cc-12345678901234567890123456789012-1234567890123456-01-what-the-future");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(format_traceparent(*parsed), kValid);
}

// ---- TraceContextPropagator: extract ----------------------------------------------------------

TEST(TraceContextExtract, ValidHeaderGivesRemoteParent) {
  Context ctx = extract({{"traceparent", kValid}});
  const SpanContext& sc = ctx.span_context();
  ASSERT_TRUE(sc.is_valid());
  EXPECT_EQ(sc.trace_id().to_hex(), kTraceId);
  EXPECT_EQ(sc.span_id().to_hex(), kSpanId);
  EXPECT_TRUE(sc.is_sampled());
  EXPECT_TRUE(sc.is_remote());
  EXPECT_TRUE(sc.trace_state().empty());
  EXPECT_FALSE(ctx.span().is_recording());
}

TEST(TraceContextExtract, NoHeadersKeepsTheContext) {
  Context ctx = extract({});
  EXPECT_FALSE(ctx.span_context().is_valid());
}

TEST(TraceContextExtract, HeaderNamesAreCaseInsensitive) {
  for (const char* name : {"traceparent", "TraceParent", "TrAcEpArEnT", "TRACEPARENT"}) {
    Context ctx = extract({{name, kValid}, {"TRACESTATE", "foo=1"}});
    ASSERT_TRUE(ctx.span_context().is_valid()) << name;
    EXPECT_EQ(ctx.span_context().trace_state().get("foo"), "1") << name;
  }
}

TEST(TraceContextExtract, WrongHeaderNamesAreIgnored) {
  for (const char* name : {"trace-parent", "trace.parent", "traceparent ", "xtraceparent"}) {
    EXPECT_FALSE(extract({{name, kValid}}).span_context().is_valid()) << name;
  }
  Context ctx = extract({{"traceparent", kValid}, {"trace-state", "foo=1"}});
  EXPECT_TRUE(ctx.span_context().trace_state().empty());
  ctx = extract({{"traceparent", kValid}, {"trace.state", "foo=1"}});
  EXPECT_TRUE(ctx.span_context().trace_state().empty());
}

TEST(TraceContextExtract, DuplicatedTraceparentIsIgnored) {
  // harness: test_traceparent_duplicated. Which one is the parent cannot be told.
  Context ctx =
      extract({{"traceparent", "00-12345678901234567890123456789011-1234567890123456-01"},
               {"traceparent", "00-12345678901234567890123456789012-1234567890123456-01"}});
  EXPECT_FALSE(ctx.span_context().is_valid());
  ctx = extract({{"traceparent", kValid}, {"Traceparent", kValid}});
  EXPECT_FALSE(ctx.span_context().is_valid());
  ctx = extract({{"traceparent", kValid}, {"traceparent", "garbage"}});
  EXPECT_FALSE(ctx.span_context().is_valid());
}

TEST(TraceContextExtract, TracestateWithoutTraceparentIsDiscarded) {
  // harness: test_tracestate_included_traceparent_missing.
  Context ctx = extract({{"tracestate", "foo=1,bar=2"}});
  EXPECT_FALSE(ctx.span_context().is_valid());
  EXPECT_TRUE(ctx.span_context().trace_state().empty());
}

TEST(TraceContextExtract, TracestateIsInherited) {
  Context ctx = extract({{"traceparent", "00-12345678901234567890123456789012-1234567890123456-00"},
                         {"tracestate", "foo=1,bar=2"}});
  ASSERT_TRUE(ctx.span_context().is_valid());
  EXPECT_FALSE(ctx.span_context().is_sampled());
  EXPECT_EQ(ctx.span_context().trace_state().get("foo"), "1");
  EXPECT_EQ(ctx.span_context().trace_state().get("bar"), "2");
  EXPECT_EQ(ctx.span_context().trace_state().header(), "foo=1,bar=2");
}

TEST(TraceContextExtract, EmptyTracestateHeadersAreAccepted) {
  // harness: test_tracestate_empty_header.
  Context ctx = extract({{"traceparent", kValid}, {"tracestate", ""}});
  ASSERT_TRUE(ctx.span_context().is_valid());
  EXPECT_TRUE(ctx.span_context().trace_state().empty());
  ctx = extract({{"traceparent", kValid}, {"tracestate", "foo=1"}, {"tracestate", ""}});
  EXPECT_EQ(ctx.span_context().trace_state().header(), "foo=1");
  ctx = extract({{"traceparent", kValid}, {"tracestate", ""}, {"tracestate", "foo=1"}});
  EXPECT_EQ(ctx.span_context().trace_state().header(), "foo=1");
}

TEST(TraceContextExtract, MultipleTracestateHeadersCombineInOrder) {
  // harness: test_tracestate_multiple_headers_different_keys.
  Context ctx = extract({{"traceparent", kValid},
                         {"tracestate", "foo=1,bar=2"},
                         {"tracestate", "rojo=1,congo=2"},
                         {"tracestate", "baz=3"}});
  EXPECT_EQ(ctx.span_context().trace_state().header(), "foo=1,bar=2,rojo=1,congo=2,baz=3");
}

TEST(TraceContextExtract, ManyTracestateHeaderFields) {
  // More fields than the propagator's inline buffer holds.
  Headers headers = {{"traceparent", kValid}};
  for (int i = 0; i < 20; ++i)
    headers.emplace_back("tracestate", "k" + std::to_string(i) + "=" + std::to_string(i));
  for (int i = 0; i < 5; ++i)
    headers.emplace_back("tracestate", "");
  Context ctx = extract(headers);
  const TraceState& ts = ctx.span_context().trace_state();
  ASSERT_EQ(ts.size(), 20u);
  EXPECT_EQ(ts[0].key, "k0");
  EXPECT_EQ(ts[19].key, "k19");
  // 33 members over 33 fields: the whole tracestate goes, traceparent stays.
  for (int i = 20; i < 33; ++i)
    headers.emplace_back("tracestate", "k" + std::to_string(i) + "=" + std::to_string(i));
  ctx = extract(headers);
  EXPECT_TRUE(ctx.span_context().is_valid());
  EXPECT_TRUE(ctx.span_context().trace_state().empty());
}

TEST(TraceContextExtract, InvalidTracestateDoesNotAffectTraceparent) {
  for (const char* bad : {"FOO=1", "foo.bar=1", "foo =1", "foo=bar=baz", "foo=,bar=3",
                          "@foo=1,bar=2", "foo=1,bar", "foo=1,foo=2,bar"}) {
    Context ctx = extract({{"traceparent", kValid}, {"tracestate", bad}});
    ASSERT_TRUE(ctx.span_context().is_valid()) << bad;
    EXPECT_TRUE(ctx.span_context().trace_state().empty()) << bad;
  }
}

TEST(TraceContextExtract, RepeatedTracestateKeyKeepsTheFirst) {
  // harness: test_tracestate_duplicated_keys (the tracestate is inherited).
  for (const char* dup : {"foo=1,foo=1", "foo=1,foo=2"}) {
    Context ctx = extract({{"traceparent", kValid}, {"tracestate", dup}});
    ASSERT_TRUE(ctx.span_context().is_valid()) << dup;
    EXPECT_EQ(ctx.span_context().trace_state().header(), "foo=1") << dup;
  }
  // Repeats across two header fields.
  Context ctx = extract(
      {{"traceparent", kValid}, {"tracestate", "foo=1,bar=2"}, {"tracestate", "foo=2,baz=3"}});
  EXPECT_TRUE(ctx.span_context().is_valid());
  EXPECT_EQ(ctx.span_context().trace_state().header(), "foo=1,bar=2,baz=3");
}

TEST(TraceContextExtract, KeepsBaggageOfTheIncomingContext) {
  TraceContextPropagator p;
  Headers headers = {{"traceparent", kValid}};
  Context base = Context().with_baggage(Baggage().set("k", "v"));
  Context ctx = p.extract(RangeGetter<Headers>(headers), base);
  EXPECT_TRUE(ctx.span_context().is_valid());
  EXPECT_EQ(ctx.baggage().get("k"), "v");
}

TEST(TraceContextExtract, InvalidHeaderKeepsTheIncomingContext) {
  TraceContextPropagator p;
  Headers first = {{"traceparent", kValid}};
  Context base = p.extract(RangeGetter<Headers>(first), Context());
  Headers bad = {{"traceparent", "garbage"}};
  Context ctx = p.extract(RangeGetter<Headers>(bad), base);
  EXPECT_EQ(ctx.span_context(), base.span_context());
}

// ---- TraceContextPropagator: inject -----------------------------------------------------------

TEST(TraceContextInject, WritesTraceparentAndTracestate) {
  TraceContextPropagator p;
  auto ts = TraceState::parse("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  ASSERT_TRUE(ts);
  SpanContext sc(*TraceId::from_hex(kSpecTrace), *SpanId::from_hex(kSpecParent), TraceFlags(1),
                 false, *ts);
  std::map<std::string, std::string> headers;
  MapSetter<std::map<std::string, std::string>> setter(headers);
  p.inject(setter, Context().with_span_context(sc));
  ASSERT_EQ(headers.size(), 2u);
  EXPECT_EQ(headers["traceparent"], "00-" + kSpecTrace + "-" + kSpecParent + "-01");
  EXPECT_EQ(headers["tracestate"], "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
}

TEST(TraceContextInject, NoTracestateWhenEmpty) {
  TraceContextPropagator p;
  SpanContext sc(generate_trace_id(), generate_span_id(), TraceFlags(0), false);
  std::map<std::string, std::string> headers;
  MapSetter<std::map<std::string, std::string>> setter(headers);
  p.inject(setter, Context().with_span_context(sc));
  ASSERT_EQ(headers.size(), 1u);
  EXPECT_EQ(headers["traceparent"].substr(53), "00");
}

TEST(TraceContextInject, InvalidContextWritesNothing) {
  TraceContextPropagator p;
  std::map<std::string, std::string> headers;
  MapSetter<std::map<std::string, std::string>> setter(headers);
  p.inject(setter, Context());
  // A span id without a trace id (and the reverse) is not a context either.
  p.inject(setter, Context().with_span_context(
                       SpanContext(TraceId(), generate_span_id(), TraceFlags(1), false)));
  p.inject(setter, Context().with_span_context(
                       SpanContext(generate_trace_id(), SpanId(), TraceFlags(1), false)));
  EXPECT_TRUE(headers.empty());
}

TEST(TraceContextInject, ExtractInjectRoundTrip) {
  TraceContextPropagator p;
  Headers in = {{"traceparent", kValid}, {"tracestate", " rojo=1 ,, congo=2\t"}};
  Context ctx = p.extract(RangeGetter<Headers>(in), Context());
  Headers out;
  PairVectorSetter setter(out);
  p.inject(setter, ctx);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], (std::pair<std::string, std::string>("traceparent", kValid)));
  EXPECT_EQ(out[1], (std::pair<std::string, std::string>("tracestate", "rojo=1,congo=2")));
}

TEST(TraceContextPropagator, Fields) {
  EXPECT_EQ(TraceContextPropagator().fields(),
            (std::vector<std::string>{"traceparent", "tracestate"}));
}

}  // namespace
}  // namespace tracekit::propagation
