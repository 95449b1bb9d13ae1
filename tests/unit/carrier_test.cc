// SPDX-License-Identifier: Apache-2.0
// extract()/inject() on the header containers services have: std::map, std::unordered_map,
// std::multimap (cpp-httplib's Headers), vectors of pairs, string_ref-like views; and the
// concepts that refuse anything else at compile time (tests/compile_fail checks the message).
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tracekit/propagation/propagator.h"
#include "tracekit/propagation/w3c.h"
#include "tracekit/tracekit.h"

namespace tracekit::propagation {
namespace {

constexpr std::string_view kTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
constexpr std::string_view kTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";

// Like grpc::string_ref: data() and size(), no conversion to std::string_view.
struct RefLike {
  const char* p;
  size_t n;
  const char* data() const { return p; }
  size_t size() const { return n; }
  bool operator<(const RefLike& o) const {
    return std::string_view(p, n) < std::string_view(o.p, o.n);
  }
};
RefLike ref_like(std::string_view s) {
  return RefLike{s.data(), s.size()};
}

// A case-insensitive comparator, as cpp-httplib's Headers has.
struct CaseInsensitive {
  bool operator()(const std::string& a, const std::string& b) const {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
      return std::tolower(static_cast<unsigned char>(x)) <
             std::tolower(static_cast<unsigned char>(y));
    });
  }
};
using HttplibLikeHeaders = std::multimap<std::string, std::string, CaseInsensitive>;

static_assert(ReadableCarrier<std::map<std::string, std::string>>);
static_assert(ReadableCarrier<std::multimap<std::string, std::string>>);
static_assert(ReadableCarrier<std::multimap<RefLike, RefLike>>);
static_assert(ReadableCarrier<std::vector<std::pair<std::string_view, std::string_view>>>);
static_assert(WritableCarrier<std::map<std::string, std::string>>);
static_assert(WritableCarrier<std::unordered_map<std::string, std::string>>);
static_assert(WritableCarrier<HttplibLikeHeaders>);
static_assert(WritableCarrier<std::vector<std::pair<std::string, std::string>>>);
static_assert(!ReadableCarrier<int>);
static_assert(!ReadableCarrier<std::vector<std::string>>);
static_assert(!ReadableCarrier<std::map<std::string, int>>);
static_assert(!WritableCarrier<std::map<std::string, int>>);
static_assert(!WritableCarrier<std::multimap<RefLike, RefLike>>);  // views cannot own values
static_assert(!WritableCarrier<const std::string>);

class CarrierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto p = from_names(std::vector<std::string>{"tracecontext", "baggage"});
    ASSERT_TRUE(p.ok());
    set_global_propagator(std::move(*p));
  }
};

TEST_F(CarrierTest, ExtractsFromMultimapOfViews) {
  const std::string name = "TraceParent";  // any case, as HTTP/1.1 peers send it
  std::multimap<RefLike, RefLike> metadata{{ref_like(name), ref_like(kTraceparent)},
                                           {ref_like("other"), ref_like("x")}};
  const Context ctx = extract(metadata, Context());
  ASSERT_TRUE(ctx.span_context().is_valid());
  EXPECT_EQ(ctx.span_context().trace_id().to_hex(), kTraceId);
  EXPECT_TRUE(ctx.span_context().is_remote());
}

TEST_F(CarrierTest, InjectIntoCaseInsensitiveMultimapReplacesEveryOldValue) {
  HttplibLikeHeaders headers{
      {"Traceparent", "00-old-old-01"}, {"traceparent", "00-older-older-01"}, {"Accept", "*/*"}};
  const Context incoming = extract(
      std::map<std::string, std::string>{{"traceparent", std::string(kTraceparent)}}, Context());
  inject(headers, incoming);
  EXPECT_EQ(headers.count("traceparent"), 1u);
  EXPECT_EQ(headers.find("traceparent")->second, kTraceparent);
  EXPECT_EQ(headers.count("accept"), 1u);
}

TEST_F(CarrierTest, InjectIntoMapsAndPairVectors) {
  const Context incoming = extract(
      std::vector<std::pair<std::string, std::string>>{{"traceparent", std::string(kTraceparent)}},
      Context());
  std::unordered_map<std::string, std::string> u;
  std::multimap<std::string, std::string> mm;
  std::vector<std::pair<std::string, std::string>> v{{"TRACEPARENT", "stale"}};
  inject(u, incoming);
  inject(mm, incoming);
  inject(v, incoming);
  EXPECT_EQ(u.at("traceparent"), kTraceparent);
  EXPECT_EQ(mm.find("traceparent")->second, kTraceparent);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].second, kTraceparent);
}

TEST_F(CarrierTest, InvalidTraceparentGivesNoParent) {
  std::multimap<std::string, std::string> headers{{"traceparent", "00-zz-00f067aa0ba902b7-01"}};
  EXPECT_FALSE(extract(headers, Context()).span_context().is_valid());
}

}  // namespace
}  // namespace tracekit::propagation
