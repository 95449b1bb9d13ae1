// SPDX-License-Identifier: Apache-2.0
// TraceState: the tracestate header of W3C Trace Context Level 2 (key grammar with "@" anywhere
// after the first character, 32 members, 256-character keys and values), parsed from one or
// several header fields, and its mutation rules. One invalid member drops the whole header.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tracekit/trace_state.h"

namespace tracekit {
namespace {

std::string members(int from, int to) {  // "bar01=01,...": the harness's member-count lists
  std::string out;
  for (int i = from; i <= to; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "bar%02d=%02d", i, i);
    if (!out.empty()) out += ',';
    out += buf;
  }
  return out;
}

std::optional<TraceState> parse_fields(std::vector<std::string_view> fields) {
  return TraceState::parse(std::span<const std::string_view>(fields));
}

// ---- keys and values ---------------------------------------------------------------------------

TEST(TraceStateKey, Level2Grammar) {
  for (std::string_view ok :
       {"a", "0", "foo", "congo", "rojo", "a_b-c*d/e@f", "0abc", "9@9", "tenant@system",
        "t61rcwkgmze", "foo@", "foo@@bar", "foo@bar@baz", "a*", "z/"}) {
    EXPECT_TRUE(TraceState::is_valid_key(ok)) << ok;
  }
  for (std::string_view bad : std::initializer_list<std::string_view>{
           "", "@foo", "_a", "-a", "*a", "/a", "A", "Foo", "fOo", "foo.bar", "foo bar", "foo ",
           " foo", "foo=", "foo,", "foo\t", "caf\xc3\xa9", std::string_view("a\0b", 3)}) {
    EXPECT_FALSE(TraceState::is_valid_key(bad)) << bad;
  }
}

TEST(TraceStateKey, LengthLimit) {
  EXPECT_TRUE(TraceState::is_valid_key(std::string(256, 'z')));
  EXPECT_FALSE(TraceState::is_valid_key(std::string(257, 'z')));
  // Level 1 limited tenant to 241 and system to 14 characters; Level 2 only limits the total.
  EXPECT_TRUE(TraceState::is_valid_key(std::string(241, 't') + "@" + std::string(14, 'v')));
  EXPECT_TRUE(TraceState::is_valid_key(std::string(242, 't') + "@v"));
  EXPECT_TRUE(TraceState::is_valid_key("t@" + std::string(15, 'v')));
  EXPECT_FALSE(TraceState::is_valid_key(std::string(242, 't') + "@" + std::string(14, 'v')));
}

TEST(TraceStateValue, Grammar) {
  // Every allowed character (harness: test_tracestate_all_allowed_characters).
  std::string all;
  for (int c = 0x20; c <= 0x7E; ++c) {
    if (c != ',' && c != '=') all += static_cast<char>(c);
  }
  EXPECT_TRUE(TraceState::is_valid_value(all));
  for (std::string_view ok : {"1", "t61rcWkgMzE", " leading", "  x", "in side", "<>", "~!"}) {
    EXPECT_TRUE(TraceState::is_valid_value(ok)) << ok;
  }
  for (std::string_view bad : std::initializer_list<std::string_view>{
           "", " ", "   ", "trailing ", "a,b", "a=b", "tab\there", "\t", "nl\n", "del\x7f",
           "caf\xc3\xa9", std::string_view("a\0b", 3)}) {
    EXPECT_FALSE(TraceState::is_valid_value(bad)) << bad;
  }
}

TEST(TraceStateValue, LengthLimit) {
  EXPECT_TRUE(TraceState::is_valid_value(std::string(256, 'v')));
  EXPECT_FALSE(TraceState::is_valid_value(std::string(257, 'v')));
  EXPECT_TRUE(TraceState::is_valid_value(std::string(255, ' ') + "v"));
  EXPECT_FALSE(TraceState::is_valid_value(std::string(256, ' ') + "v"));
}

// ---- parsing ------------------------------------------------------------------------------------

TEST(TraceStateParse, SpecExamples) {
  auto ts = TraceState::parse("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  ASSERT_TRUE(ts);
  ASSERT_EQ(ts->size(), 2u);
  EXPECT_EQ(ts->get("rojo"), "00f067aa0ba902b7");
  EXPECT_EQ(ts->get("congo"), "t61rcWkgMzE");
  EXPECT_EQ((*ts)[0].key, "rojo");
  EXPECT_EQ((*ts)[1].key, "congo");
  EXPECT_EQ(ts->header(), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  EXPECT_FALSE(ts->get("missing"));
}

TEST(TraceStateParse, EmptyHeaderIsAcceptedAndEmpty) {
  for (std::string_view h : {"", " ", "\t", ",", " , ,\t,", ",,,,"}) {
    auto ts = TraceState::parse(h);
    ASSERT_TRUE(ts) << '"' << h << '"';
    EXPECT_TRUE(ts->empty());
    EXPECT_EQ(ts->size(), 0u);
    EXPECT_EQ(ts->header(), "");
  }
}

TEST(TraceStateParse, OwsAndEmptyMembersAreIgnored) {
  // harness: test_tracestate_ows_handling.
  for (std::string_view h : {"foo=1 \t , \t bar=2, \t baz=3", "foo=1\t \t,\t \tbar=2,\t \tbaz=3",
                             ",foo=1,,bar=2, ,baz=3,", "\t foo=1 \t,bar=2,baz=3\t"}) {
    auto ts = TraceState::parse(h);
    ASSERT_TRUE(ts) << h;
    EXPECT_EQ(ts->header(), "foo=1,bar=2,baz=3") << h;
  }
  for (std::string_view h : {" foo=1", "\tfoo=1", "foo=1 ", "foo=1\t", "\t foo=1 \t"}) {
    auto ts = TraceState::parse(h);
    ASSERT_TRUE(ts) << h;
    EXPECT_EQ(ts->get("foo"), "1") << h;
  }
}

TEST(TraceStateParse, LeadingValueSpacesKeptTrailingTrimmed) {
  auto ts = TraceState::parse("foo=  a b  ,bar= x");
  ASSERT_TRUE(ts);
  EXPECT_EQ(ts->get("foo"), "  a b");
  EXPECT_EQ(ts->get("bar"), " x");
  EXPECT_EQ(ts->header(), "foo=  a b,bar= x");
}

TEST(TraceStateParse, AllAllowedCharacters) {
  std::string key = "abcdefghijklmnopqrstuvwxyz0123456789_-*/";
  std::string value;
  for (int c = 0x20; c <= 0x7E; ++c) {
    if (c != ',' && c != '=') value += static_cast<char>(c);
  }
  for (const std::string& k : {key, key + "@a-z0-9_-*/"}) {
    auto ts = TraceState::parse(k + "=" + value);
    ASSERT_TRUE(ts) << k;
    EXPECT_EQ(ts->get(k), value);
  }
}

TEST(TraceStateParse, MemberCountLimit) {
  auto ts = parse_fields({members(1, 10), members(11, 20), members(21, 30), members(31, 32)});
  ASSERT_TRUE(ts);
  EXPECT_EQ(ts->size(), 32u);
  EXPECT_EQ(ts->get("bar01"), "01");
  EXPECT_EQ(ts->get("bar32"), "32");
  EXPECT_FALSE(parse_fields({members(1, 10), members(11, 20), members(21, 30), members(31, 33)}));
  EXPECT_FALSE(TraceState::parse(members(1, 33)));
  EXPECT_TRUE(TraceState::parse(members(1, 32)));
  // Empty members do not count.
  EXPECT_TRUE(TraceState::parse(",," + members(1, 16) + ", ,," + members(17, 32) + ",,"));
}

TEST(TraceStateParse, RepeatedKeyKeepsItsFirstMember) {
  // harness: test_tracestate_duplicated_keys. One entry per key is allowed, and the left-most
  // is the most recent position: later members with the same key are dropped, the rest kept.
  auto header = [](std::optional<TraceState> ts) {
    return ts ? std::string(ts->header()) : std::string("<dropped>");
  };
  EXPECT_EQ(header(TraceState::parse("foo=1,foo=1")), "foo=1");
  EXPECT_EQ(header(TraceState::parse("foo=1,foo=2")), "foo=1");
  EXPECT_EQ(header(TraceState::parse("foo=1,bar=2,foo=3")), "foo=1,bar=2");
  EXPECT_EQ(header(TraceState::parse("a=1, b=2 ,a=3,,b=4,c=5")), "a=1,b=2,c=5");
  EXPECT_EQ(header(parse_fields({"foo=1", "foo=1"})), "foo=1");
  EXPECT_EQ(header(parse_fields({"foo=1", "foo=2"})), "foo=1");
  EXPECT_EQ(header(parse_fields({"a=1,foo=1", "b=2", "foo=2"})), "a=1,foo=1,b=2");
  // Keys are compared exactly: "foo" and "foo@x" differ.
  EXPECT_EQ(header(TraceState::parse("foo=1,foo@x=2")), "foo=1,foo@x=2");
  // A malformed member still drops the whole header, repeated keys or not.
  EXPECT_FALSE(TraceState::parse("foo=1,foo=2,bar"));
  EXPECT_FALSE(TraceState::parse("foo=1,foo=,bar=2"));
  EXPECT_FALSE(parse_fields({"foo=1", "foo=2", "BAR=3"}));
  // Repeats count toward the 32-member limit: 33 members arrived.
  std::string many = "foo=1";
  for (int i = 0; i < 32; ++i)
    many += ",foo=1";
  EXPECT_FALSE(TraceState::parse(many));
  many.resize(many.size() - 6);  // 32 members
  EXPECT_EQ(header(TraceState::parse(many)), "foo=1");
}

TEST(TraceStateParse, InvalidKeyDropsTheHeader) {
  // harness: test_tracestate_key_illegal_characters, test_tracestate_key_illegal_vendor_format.
  for (std::string_view h : {"foo =1", "FOO=1", "foo.bar=1", "@foo=1,bar=2", "bar=2,@foo=1", "=1",
                             "=1,bar=2", "Foo=1,bar=2", "bar=2, foo bar=1"}) {
    EXPECT_FALSE(TraceState::parse(h)) << h;
  }
  // Level 1 rejected these vendor formats; Level 2's key grammar allows "@" anywhere after the
  // first character, and the project follows Level 2.
  for (std::string_view h : {"foo@=1,bar=2", "foo@@bar=1,bar=2", "foo@bar@baz=1,bar=2"}) {
    auto ts = TraceState::parse(h);
    ASSERT_TRUE(ts) << h;
    EXPECT_EQ(ts->get("bar"), "2");
  }
}

TEST(TraceStateParse, InvalidValueDropsTheHeader) {
  // harness: test_tracestate_value_illegal_characters.
  for (std::string_view h : {"foo=bar=baz", "foo=,bar=3", "bar=3,foo=", "foo", "foo,bar=3",
                             "foo= ", "foo=a\tb", "foo=\x01", "foo=caf\xc3\xa9", "foo=\x7f"}) {
    EXPECT_FALSE(TraceState::parse(h)) << h;
  }
}

TEST(TraceStateParse, KeyAndValueLengths) {
  // harness: test_tracestate_key_length_limit, with Level 2's key rule.
  EXPECT_TRUE(parse_fields({"foo=1", std::string(256, 'z') + "=1"}));
  EXPECT_FALSE(parse_fields({"foo=1", std::string(257, 'z') + "=1"}));
  EXPECT_TRUE(parse_fields({"foo=1", std::string(241, 't') + "@" + std::string(14, 'v') + "=1"}));
  EXPECT_TRUE(parse_fields({"foo=1", std::string(242, 't') + "@v=1"}));
  EXPECT_TRUE(parse_fields({"foo=1", "t@" + std::string(15, 'v') + "=1"}));
  EXPECT_TRUE(TraceState::parse("foo=" + std::string(256, 'v')));
  EXPECT_FALSE(TraceState::parse("foo=" + std::string(257, 'v')));
  // Trailing spaces are OWS, not part of the value, and do not count.
  EXPECT_TRUE(TraceState::parse("foo=" + std::string(256, 'v') + "   "));
}

TEST(TraceStateParse, LargestHeader) {
  // 32 members with 256-character keys and values: the largest valid tracestate.
  std::string h;
  for (int i = 0; i < 32; ++i) {
    if (i) h += ',';
    std::string key(256, 'k');
    key[0] = static_cast<char>('a' + i % 26);
    key[1] = static_cast<char>('a' + i / 26);
    h += key + "=" + std::string(256, 'v');
  }
  auto ts = TraceState::parse(h);
  ASSERT_TRUE(ts);
  EXPECT_EQ(ts->size(), 32u);
  EXPECT_EQ(ts->header(), h);
}

TEST(TraceStateParse, FieldsCombineInOrder) {
  auto ts = parse_fields({"foo=1,bar=2", "", "rojo=1,congo=2", " ", "baz=3"});
  ASSERT_TRUE(ts);
  EXPECT_EQ(ts->header(), "foo=1,bar=2,rojo=1,congo=2,baz=3");
  EXPECT_TRUE(parse_fields({})->empty());
  // One invalid field drops all of them.
  EXPECT_FALSE(parse_fields({"foo=1", "BAD=1", "bar=2"}));
}

TEST(TraceStateParse, HeaderRoundTrip) {
  for (std::string_view h : {"a=1", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", "x@y= v,z=w"}) {
    auto ts = TraceState::parse(h);
    ASSERT_TRUE(ts);
    auto again = TraceState::parse(ts->header());
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, *ts);
    EXPECT_EQ(again->header(), h);
  }
}

TEST(TraceStateParse, Iteration) {
  auto ts = TraceState::parse("a=1,b=2,c=3");
  std::vector<std::string> seen;
  for (auto m : *ts)
    seen.push_back(std::string(m.key) + ":" + std::string(m.value));
  EXPECT_EQ(seen, (std::vector<std::string>{"a:1", "b:2", "c:3"}));
  int n = 0;
  for (auto m : TraceState()) {
    (void)m;
    ++n;
  }
  EXPECT_EQ(n, 0);
}

// ---- mutation -----------------------------------------------------------------------------------

TEST(TraceStateMutation, SetAddsToTheFront) {
  auto ts = *TraceState::parse("congo=t61rcWkgMzE");
  ts = ts.set("rojo", "00f067aa0ba902b7");
  EXPECT_EQ(ts.header(), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  TraceState empty;
  EXPECT_EQ(empty.set("a", "1").header(), "a=1");
}

TEST(TraceStateMutation, UpdateMovesKeyToTheFront) {
  // The spec's Congo/Rojo example: Congo re-enters and rewrites its entry, moving it left.
  auto ts = *TraceState::parse("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  auto updated = ts.set("congo", "ucfJifl5GOE");
  EXPECT_EQ(updated.header(), "congo=ucfJifl5GOE,rojo=00f067aa0ba902b7");
  // The original is immutable.
  EXPECT_EQ(ts.header(), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  auto abc = *TraceState::parse("a=1,b=2,c=3");
  EXPECT_EQ(abc.set("b", "9").header(), "b=9,a=1,c=3");
  EXPECT_EQ(abc.set("a", "9").header(), "a=9,b=2,c=3");
  EXPECT_EQ(abc.set("c", "3").header(), "c=3,a=1,b=2");
}

TEST(TraceStateMutation, ThirtyThirdMemberDropsTheRightmost) {
  auto ts = *TraceState::parse(members(1, 32));
  auto added = ts.set("new", "x");
  ASSERT_EQ(added.size(), 32u);
  EXPECT_EQ(added[0].key, "new");
  EXPECT_EQ(added[31].key, "bar31");
  EXPECT_FALSE(added.get("bar32"));
  // Updating a key of a full state drops nothing.
  for (const char* key : {"bar01", "bar16", "bar32"}) {
    auto updated = ts.set(key, "u");
    ASSERT_EQ(updated.size(), 32u) << key;
    EXPECT_EQ(updated[0].key, key);
    EXPECT_EQ(updated.get(key), "u");
    EXPECT_TRUE(updated.get("bar32"));
    EXPECT_TRUE(updated.get("bar01"));
  }
}

TEST(TraceStateMutation, InvalidSetLeavesStateUnchanged) {
  auto ts = *TraceState::parse("a=1,b=2");
  for (auto [k, v] :
       std::vector<std::pair<std::string, std::string>>{{"A", "1"},
                                                        {"", "1"},
                                                        {"@a", "1"},
                                                        {"a", ""},
                                                        {"a", "x,y"},
                                                        {"a", "x=y"},
                                                        {"a", "trailing "},
                                                        {"c", std::string(257, 'v')},
                                                        {std::string(257, 'k'), "v"}}) {
    EXPECT_EQ(ts.set(k, v).header(), "a=1,b=2") << k << "=" << v;
  }
}

TEST(TraceStateMutation, Erase) {
  auto ts = *TraceState::parse("a=1,b=2,c=3");
  EXPECT_EQ(ts.erase("b").header(), "a=1,c=3");
  EXPECT_EQ(ts.erase("a").header(), "b=2,c=3");
  EXPECT_EQ(ts.erase("c").header(), "a=1,b=2");
  EXPECT_EQ(ts.erase("missing").header(), "a=1,b=2,c=3");
  auto single = *TraceState::parse("a=1");
  EXPECT_TRUE(single.erase("a").empty());
  EXPECT_TRUE(TraceState().erase("a").empty());
}

TEST(TraceStateMutation, CopiesShareAndCompare) {
  auto a = *TraceState::parse("a=1,b=2");
  TraceState b = a;
  EXPECT_EQ(a, b);
  EXPECT_EQ(b.header().data(), a.header().data());
  EXPECT_FALSE(a == a.set("c", "3"));
  EXPECT_EQ(TraceState(), *TraceState::parse(""));
}

}  // namespace
}  // namespace tracekit
