// SPDX-License-Identifier: Apache-2.0
// W3C Baggage: the Baggage type and the baggage header (baggage/HTTP_HEADER_FORMAT.md in
// w3c/baggage): members, properties, OWS, percent-encoding, limits, several header fields.
#include "tracekit/baggage.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tracekit/propagation/baggage.h"

namespace tracekit::propagation {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

std::optional<std::string> meta(const Baggage& b, std::string_view key) {
  if (const Baggage::Entry* e = b.find(key)) return e->metadata;
  return std::nullopt;
}

Baggage parse_fields(std::vector<std::string_view> fields, const BaggageLimits& limits = {}) {
  return parse_baggage(std::span<const std::string_view>(fields), limits);
}

// ---- the Baggage type ---------------------------------------------------------------------------

TEST(BaggageType, SetGetErase) {
  Baggage empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_FALSE(empty.get("a"));
  Baggage b = empty.set("a", "1").set("b", "2", "p");
  EXPECT_TRUE(empty.empty());  // immutable
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b.get("a"), "1");
  EXPECT_EQ(meta(b, "b"), "p");
  Baggage replaced = b.set("a", "9");
  EXPECT_EQ(replaced.size(), 2u);
  EXPECT_EQ(replaced.get("a"), "9");
  EXPECT_EQ(replaced.entries()[0].key, "a");  // keeps its place
  EXPECT_EQ(meta(replaced.set("b", "3"), "b"), "");
  EXPECT_EQ(b.get("a"), "1");
  EXPECT_EQ(b.erase("a").size(), 1u);
  EXPECT_FALSE(b.erase("a").get("a"));
  EXPECT_EQ(b.erase("missing"), b);
  EXPECT_TRUE(b.erase("a").erase("b").empty());
}

TEST(BaggageType, MakeBaggageLastDuplicateWins) {
  Baggage b = make_baggage({{"a", "1", ""}, {"b", "2", ""}, {"a", "3", "m"}});
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b.entries()[0].key, "a");
  EXPECT_EQ(b.entries()[0].value, "3");
  EXPECT_EQ(b.entries()[0].metadata, "m");
  EXPECT_EQ(b.entries()[1].key, "b");
  EXPECT_TRUE(make_baggage({}).empty());
}

// ---- parsing ------------------------------------------------------------------------------------

TEST(BaggageParse, SpecExample) {
  Baggage b = parse_baggage(
      "key1=value1;property1;property2, key2 = value2, key3=value3; propertyKey=propertyValue");
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b.get("key1"), "value1");
  EXPECT_EQ(meta(b, "key1"), "property1;property2");
  EXPECT_EQ(b.get("key2"), "value2");
  EXPECT_EQ(meta(b, "key2"), "");
  EXPECT_EQ(b.get("key3"), "value3");
  EXPECT_EQ(meta(b, "key3"), "propertyKey=propertyValue");
}

TEST(BaggageParse, SpecHeaderExamples) {
  for (const auto& fields : std::vector<std::vector<std::string_view>>{
           {"userId=alice,serverNode=DF%2028,isProduction=false"},
           {"userId=alice", "serverNode=DF%2028,isProduction=false"},
           {"userId =   alice", "serverNode = DF%2028, isProduction = false"}}) {
    Baggage b = parse_fields(fields);
    ASSERT_EQ(b.size(), 3u);
    EXPECT_EQ(b.entries()[0].key, "userId");
    EXPECT_EQ(b.get("userId"), "alice");
    EXPECT_EQ(b.get("serverNode"), "DF 28");
    EXPECT_EQ(b.get("isProduction"), "false");
  }
}

TEST(BaggageParse, OwsEverywhereItIsAllowed) {
  Baggage b = parse_baggage(" \t k \t = \t v \t ; \t p1 \t ; \t p2 \t = \t x \t , \t k2=v2\t");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b.get("k"), "v");
  EXPECT_EQ(meta(b, "k"), "p1;p2=x");
  EXPECT_EQ(b.get("k2"), "v2");
}

TEST(BaggageParse, Properties) {
  Baggage b = parse_baggage("k=v;p1;p2=x");
  EXPECT_EQ(b.get("k"), "v");
  EXPECT_EQ(meta(b, "k"), "p1;p2=x");
  b = parse_baggage("k=;p=");
  EXPECT_EQ(b.get("k"), "");
  EXPECT_EQ(meta(b, "k"), "p=");
  b = parse_baggage("k=v;p=a=b");  // '=' is a baggage-octet
  EXPECT_EQ(meta(b, "k"), "p=a=b");
}

TEST(BaggageParse, ValuesMayContainEquals) {
  Baggage b = parse_baggage("k=a=b==,k2==");
  EXPECT_EQ(b.get("k"), "a=b==");
  EXPECT_EQ(b.get("k2"), "=");
}

TEST(BaggageParse, EmptyValue) {
  Baggage b = parse_baggage("k=,k2= ");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b.get("k"), "");
  EXPECT_EQ(b.get("k2"), "");
}

TEST(BaggageParse, PercentDecoding) {
  Baggage b = parse_baggage(
      "a=DF%2028,b=%E2%82%AC,c=%2C%3B%25,d=100%25,e=%41%42c,f=%e2%82%ac,g=%3D,h=%00x");
  EXPECT_EQ(b.get("a"), "DF 28");
  EXPECT_EQ(b.get("b"), "\xE2\x82\xAC");
  EXPECT_EQ(b.get("c"), ",;%");
  EXPECT_EQ(b.get("d"), "100%");
  EXPECT_EQ(b.get("e"), "ABc");
  EXPECT_EQ(b.get("f"), "\xE2\x82\xAC");
  EXPECT_EQ(b.get("g"), "=");
  EXPECT_EQ(b.get("h"), std::string_view("\0x", 2));
  // '+' is not a space in baggage.
  EXPECT_EQ(parse_baggage("k=a+b").get("k"), "a+b");
}

TEST(BaggageParse, InvalidMembersAreSkippedOthersKept) {
  for (std::string_view bad :
       {"novalue", "=v",      " = v",   "k y=v",         "k\"=v",       "k(=v",
        "k=a b",   "k=a\"b",  "k=a\\b", "k=a\tb",        "k=%",         "k=%2",
        "k=%zz",   "k=%2g",   "k=a%",   "k=caf\xc3\xa9", "k=\x7f",      "k=v;",
        "k=v;;p",  "k=v;p q", "k=v;=x", "k=v;p=a b",     "k=v;p=\"x\"", "k\xc3\xa9=v"}) {
    std::string header = "first=1," + std::string(bad) + ",last=2";
    Baggage b = parse_baggage(header);
    EXPECT_EQ(b.size(), 2u) << header;
    EXPECT_EQ(b.get("first"), "1") << header;
    EXPECT_EQ(b.get("last"), "2") << header;
    EXPECT_FALSE(b.get("k")) << header;
  }
}

TEST(BaggageParse, TokenKeys) {
  Baggage b = parse_baggage("!#$%&'*+-.^_`|~09azAZ=v");
  EXPECT_EQ(b.get("!#$%&'*+-.^_`|~09azAZ"), "v");
  // Keys are case-sensitive.
  b = parse_baggage("Key=1,key=2");
  EXPECT_EQ(b.size(), 2u);
}

TEST(BaggageParse, EmptyAndBlankHeaders) {
  for (std::string_view h : {"", " ", ",", " , ,\t", ",,,"}) {
    EXPECT_TRUE(parse_baggage(h).empty()) << '"' << h << '"';
  }
  Baggage b = parse_baggage(",a=1,,b=2,");
  EXPECT_EQ(b.size(), 2u);
}

TEST(BaggageParse, DuplicateKeysLastWins) {
  Baggage b = parse_baggage("a=1,b=2,a=3");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b.get("a"), "3");
  b = parse_fields({"a=1;p", "a=2"});
  EXPECT_EQ(b.get("a"), "2");
  EXPECT_EQ(meta(b, "a"), "");
}

TEST(BaggageParse, MemberLimit) {
  std::string header;
  for (int i = 0; i < 200; ++i) {
    if (i) header += ',';
    header += "k" + std::to_string(i) + "=" + std::to_string(i);
  }
  Baggage b = parse_baggage(header);
  ASSERT_EQ(b.size(), 180u);
  EXPECT_EQ(b.get("k0"), "0");
  EXPECT_EQ(b.get("k179"), "179");
  EXPECT_FALSE(b.get("k180"));
  // The limit applies to the combined fields.
  std::vector<std::string> fields;
  for (int i = 0; i < 200; ++i)
    fields.push_back("f" + std::to_string(i) + "=x");
  std::vector<std::string_view> views(fields.begin(), fields.end());
  EXPECT_EQ(parse_fields(views).size(), 180u);
  // A smaller limit.
  EXPECT_EQ(parse_baggage(header, {.max_members = 3}).size(), 3u);
}

// One member of exactly `size` bytes, "kNNNN=vvv...".
std::string member_of_size(int i, size_t size) {
  std::string key = "k" + std::to_string(10000 + i);
  return key + "=" + std::string(size - key.size() - 1, 'v');
}

TEST(BaggageParse, ByteLimit) {
  // 81 members of 100 bytes with their 80 commas are 8180 bytes; the 82nd does not fit.
  std::string header;
  for (int i = 0; i < 90; ++i) {
    if (i) header += ',';
    header += member_of_size(i, 100);
  }
  Baggage b = parse_baggage(header);
  EXPECT_EQ(b.size(), 81u);
  EXPECT_TRUE(b.get("k10080"));
  EXPECT_FALSE(b.get("k10081"));

  // Exactly 8192 bytes fit; one more does not.
  std::string exact = member_of_size(0, 4096) + "," + member_of_size(1, 4095);
  ASSERT_EQ(exact.size(), 8192u);
  EXPECT_EQ(parse_baggage(exact).size(), 2u);
  std::string over = member_of_size(0, 4096) + "," + member_of_size(1, 4096);
  EXPECT_EQ(parse_baggage(over).size(), 1u);
  // A single member larger than the limit.
  EXPECT_TRUE(parse_baggage(member_of_size(0, 9000)).empty());
}

// ---- formatting -------------------------------------------------------------------------------

TEST(BaggageFormat, EncodesWhatIsNotABaggageOctet) {
  Baggage b = Baggage()
                  .set("userId", "alice")
                  .set("serverNode", "DF 28")
                  .set("isProduction", "false")
                  .set("special", "a,b;c\"d\\e%f=g")
                  .set("utf8", "caf\xc3\xa9 \xe2\x82\xac")
                  .set("ctl", std::string("\t\n\x7f\0", 4))
                  .set("empty", "");
  EXPECT_EQ(format_baggage(b),
            "userId=alice,serverNode=DF%2028,isProduction=false,special=a%2Cb%3Bc%22d%5Ce%25f=g,"
            "utf8=caf%C3%A9%20%E2%82%AC,ctl=%09%0A%7F%00,empty=");
}

TEST(BaggageFormat, Properties) {
  Baggage b = Baggage().set("k", "v", "p1;p2=x");
  EXPECT_EQ(format_baggage(b), "k=v;p1;p2=x");
}

TEST(BaggageFormat, InvalidKeysAreLeftOut) {
  Baggage b = Baggage().set("ok", "1").set("bad key", "2").set("", "3").set("k,", "4");
  EXPECT_EQ(format_baggage(b), "ok=1");
}

TEST(BaggageFormat, InvalidMetadataCannotInjectMembers) {
  // Metadata set through the API is not trusted to be a property list: a comma in it would add
  // members to the header, a space or control character would break it.
  Baggage b = Baggage()
                  .set("a", "1", "p,evil=1")
                  .set("b", "2", "p\r\nx-injected: 1")
                  .set("c", "3", "p=\"q\"")
                  .set("d", "4", " p1 ; p2 = x ");
  std::string header = format_baggage(b);
  Baggage back = parse_baggage(header);
  EXPECT_FALSE(back.get("evil")) << header;
  EXPECT_EQ(header.find_first_of("\r\n \""), std::string::npos) << header;
  EXPECT_EQ(back.get("a"), "1") << header;
  EXPECT_EQ(back.get("b"), "2") << header;
  EXPECT_EQ(back.get("c"), "3") << header;
  EXPECT_EQ(back.get("d"), "4") << header;
  EXPECT_EQ(meta(back, "d"), "p1;p2=x") << header;
}

TEST(BaggageFormat, MemberLimit) {
  Baggage b;
  for (int i = 0; i < 200; ++i)
    b = b.set("k" + std::to_string(i), "v");
  Baggage back = parse_baggage(format_baggage(b), {.max_members = 1000});
  EXPECT_EQ(back.size(), 180u);
  EXPECT_TRUE(back.get("k179"));
  EXPECT_FALSE(back.get("k180"));
}

TEST(BaggageFormat, ByteLimit) {
  Baggage b;
  for (int i = 0; i < 90; ++i)
    b = b.set("k" + std::to_string(10000 + i), std::string(93, 'v'));  // 100-byte members
  std::string header = format_baggage(b);
  EXPECT_LE(header.size(), 8192u);
  EXPECT_EQ(parse_baggage(header).size(), 81u);
  // A member that alone is too large is left out; smaller ones after it still fit.
  Baggage big = Baggage().set("a", "1").set("huge", std::string(9000, 'x')).set("b", "2");
  EXPECT_EQ(format_baggage(big), "a=1,b=2");
  // Encoding counts: 3000 spaces become 9000 bytes.
  Baggage spaces = Baggage().set("s", std::string(3000, ' ')).set("t", "1");
  EXPECT_EQ(format_baggage(spaces), "t=1");
}

TEST(BaggageFormat, RoundTrip) {
  std::string all_bytes;
  for (int c = 0; c < 256; ++c)
    all_bytes += static_cast<char>(c);
  Baggage b = Baggage()
                  .set("plain", "value")
                  .set("spaces", "  a b  ")
                  .set("commas", ",a,,b,")
                  .set("semis", ";a;b;")
                  .set("percent", "%41%")
                  .set("utf8", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e")
                  .set("bytes", all_bytes)
                  .set("with-props", "v", "p1;p2=x;p3")
                  .set("empty", "");
  std::string header = format_baggage(b);
  Baggage back = parse_baggage(header);
  EXPECT_EQ(back, b) << header;
  EXPECT_EQ(format_baggage(back), header);
}

TEST(BaggageFormat, Empty) {
  EXPECT_EQ(format_baggage(Baggage()), "");
}

// ---- BaggagePropagator ------------------------------------------------------------------------

TEST(BaggagePropagator, ExtractCombinesHeadersOfAnyCase) {
  BaggagePropagator p;
  Headers h = {{"baggage", "userId=alice"},
               {"traceparent", "x"},
               {"Baggage", "serverNode=DF%2028"},
               {"BAGGAGE", "isProduction=false,userId=bob"}};
  Context ctx = p.extract(RangeGetter<Headers>(h), Context());
  const Baggage& b = ctx.baggage();
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b.get("userId"), "bob");
  EXPECT_EQ(b.get("serverNode"), "DF 28");
  EXPECT_EQ(b.get("isProduction"), "false");
  EXPECT_FALSE(ctx.span_context().is_valid());
}

TEST(BaggagePropagator, ManyHeaderFields) {
  BaggagePropagator p;
  Headers h;
  for (int i = 0; i < 30; ++i)
    h.emplace_back("baggage", "k" + std::to_string(i) + "=" + std::to_string(i));
  Context ctx = p.extract(RangeGetter<Headers>(h), Context());
  EXPECT_EQ(ctx.baggage().size(), 30u);
  EXPECT_EQ(ctx.baggage().get("k29"), "29");
}

TEST(BaggagePropagator, NothingValidKeepsTheContext) {
  BaggagePropagator p;
  Context base = Context().with_baggage(Baggage().set("keep", "1"));
  Headers none;
  EXPECT_EQ(p.extract(RangeGetter<Headers>(none), base).baggage().get("keep"), "1");
  Headers bad = {{"baggage", "no value, =x"}};
  EXPECT_EQ(p.extract(RangeGetter<Headers>(bad), base).baggage().get("keep"), "1");
}

TEST(BaggagePropagator, InjectWritesOneHeader) {
  BaggagePropagator p;
  Context ctx = Context().with_baggage(Baggage().set("a", "1 2").set("b", "x", "p"));
  Headers out = {{"Baggage", "stale=1"}};
  PairVectorSetter setter(out);
  p.inject(setter, ctx);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].first, "baggage");
  EXPECT_EQ(out[0].second, "a=1%202,b=x;p");
}

TEST(BaggagePropagator, InjectNothingForEmptyBaggage) {
  BaggagePropagator p;
  Headers out;
  PairVectorSetter setter(out);
  p.inject(setter, Context());
  p.inject(setter, Context().with_baggage(Baggage().set("bad key", "v")));
  EXPECT_TRUE(out.empty());
}

TEST(BaggagePropagator, LimitsApplyOnExtractAndInject) {
  BaggagePropagator p({.max_members = 2, .max_bytes = 8192});
  Headers in = {{"baggage", "a=1,b=2,c=3"}};
  Context ctx = p.extract(RangeGetter<Headers>(in), Context());
  EXPECT_EQ(ctx.baggage().size(), 2u);
  Headers out;
  PairVectorSetter setter(out);
  p.inject(setter, Context().with_baggage(parse_baggage("a=1,b=2,c=3")));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].second, "a=1,b=2");
}

TEST(BaggagePropagator, Fields) {
  EXPECT_EQ(BaggagePropagator().fields(), std::vector<std::string>{"baggage"});
}

}  // namespace
}  // namespace tracekit::propagation
