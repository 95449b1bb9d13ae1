// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tracekit/attributes.h"

namespace tracekit {
namespace {

TEST(AttributeValue, DefaultIsFalse) {
  AttributeValue v;
  EXPECT_EQ(v.type(), AttributeType::kBool);
  EXPECT_FALSE(v.as_bool());
}

TEST(AttributeValue, Scalars) {
  AttributeValue b = true;
  EXPECT_EQ(b.type(), AttributeType::kBool);
  EXPECT_TRUE(b.as_bool());
  EXPECT_FALSE(b.is_array());
  EXPECT_EQ(b.size(), 0u);

  AttributeValue i = 42;
  EXPECT_EQ(i.type(), AttributeType::kInt);
  EXPECT_EQ(i.as_int(), 42);
  AttributeValue neg = int64_t{-9'000'000'000};
  EXPECT_EQ(neg.as_int(), -9'000'000'000);
  AttributeValue u = 7u;
  EXPECT_EQ(u.type(), AttributeType::kInt);
  EXPECT_EQ(u.as_int(), 7);
  AttributeValue small = static_cast<int16_t>(-3);
  EXPECT_EQ(small.type(), AttributeType::kInt);
  EXPECT_EQ(small.as_int(), -3);

  AttributeValue d = 1.5;
  EXPECT_EQ(d.type(), AttributeType::kDouble);
  EXPECT_EQ(d.as_double(), 1.5);
  AttributeValue f = 0.25f;
  EXPECT_EQ(f.type(), AttributeType::kDouble);
  EXPECT_EQ(f.as_double(), 0.25);
}

TEST(AttributeValue, Strings) {
  AttributeValue literal = "text";
  EXPECT_EQ(literal.type(), AttributeType::kString);
  EXPECT_EQ(literal.as_string(), "text");
  EXPECT_EQ(literal.size(), 4u);
  std::string owned = "owned";
  AttributeValue from_string = owned;
  EXPECT_EQ(from_string.as_string(), "owned");
  EXPECT_EQ(from_string.as_string().data(), owned.data());  // a view, not a copy
  AttributeValue view = std::string_view("with\0nul", 8);
  EXPECT_EQ(view.as_string().size(), 8u);
  AttributeValue empty = "";
  EXPECT_EQ(empty.type(), AttributeType::kString);
  EXPECT_TRUE(empty.as_string().empty());
}

TEST(AttributeValue, Arrays) {
  const bool bools[] = {true, false, true};
  AttributeValue b = std::span<const bool>(bools);
  EXPECT_EQ(b.type(), AttributeType::kBoolArray);
  EXPECT_TRUE(b.is_array());
  ASSERT_EQ(b.size(), 3u);
  EXPECT_FALSE(b.as_bool_array()[1]);

  std::vector<int64_t> ints = {1, -2, 3};
  AttributeValue i = ints;
  EXPECT_EQ(i.type(), AttributeType::kIntArray);
  ASSERT_EQ(i.as_int_array().size(), 3u);
  EXPECT_EQ(i.as_int_array()[1], -2);

  std::vector<double> doubles = {0.5, 2.0};
  AttributeValue d = doubles;
  EXPECT_EQ(d.type(), AttributeType::kDoubleArray);
  EXPECT_EQ(d.as_double_array()[0], 0.5);

  std::vector<std::string_view> strings = {"a", "bc"};
  AttributeValue s = strings;
  EXPECT_EQ(s.type(), AttributeType::kStringArray);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s.as_string_array()[1], "bc");

  AttributeValue empty = std::span<const int64_t>();
  EXPECT_EQ(empty.type(), AttributeType::kIntArray);
  EXPECT_EQ(empty.size(), 0u);
}

TEST(AttributeValue, EqualityComparesTypeAndContent) {
  EXPECT_EQ(AttributeValue(1), AttributeValue(int64_t{1}));
  EXPECT_NE(AttributeValue(1), AttributeValue(1.0));
  EXPECT_NE(AttributeValue(1), AttributeValue(true));
  EXPECT_NE(AttributeValue(0), AttributeValue(false));
  EXPECT_EQ(AttributeValue(true), AttributeValue(true));
  EXPECT_NE(AttributeValue(true), AttributeValue(false));
  EXPECT_EQ(AttributeValue(2.5), AttributeValue(2.5));
  std::string a = "same";
  std::string b = "same";
  EXPECT_EQ(AttributeValue(a), AttributeValue(b));  // by content, not by pointer
  EXPECT_NE(AttributeValue("x"), AttributeValue("y"));

  std::vector<int64_t> i1 = {1, 2}, i2 = {1, 2}, i3 = {1, 3}, i4 = {1};
  EXPECT_EQ(AttributeValue(i1), AttributeValue(i2));
  EXPECT_NE(AttributeValue(i1), AttributeValue(i3));
  EXPECT_NE(AttributeValue(i1), AttributeValue(i4));
  std::vector<double> d1 = {1.0, 2.0};
  EXPECT_NE(AttributeValue(i1), AttributeValue(d1));
  std::vector<std::string_view> s1 = {"a", "b"};
  std::vector<std::string> backing = {"a", "b"};
  std::vector<std::string_view> s2(backing.begin(), backing.end());
  EXPECT_EQ(AttributeValue(s1), AttributeValue(s2));
  const bool b1[] = {true, false};
  const bool b2[] = {true, true};
  EXPECT_NE(AttributeValue(std::span<const bool>(b1)), AttributeValue(std::span<const bool>(b2)));
  // A string and a one-element string array are different things.
  std::vector<std::string_view> one = {"a"};
  EXPECT_NE(AttributeValue("a"), AttributeValue(one));
}

TEST(AttributeValue, ToString) {
  EXPECT_EQ(AttributeValue(true).to_string(), "true");
  EXPECT_EQ(AttributeValue(false).to_string(), "false");
  EXPECT_EQ(AttributeValue(42).to_string(), "42");
  EXPECT_EQ(AttributeValue(-7).to_string(), "-7");
  EXPECT_EQ(AttributeValue(1.5).to_string(), "1.5");
  EXPECT_EQ(AttributeValue("text").to_string(), "\"text\"");
  std::vector<int64_t> ints = {1, 2};
  EXPECT_EQ(AttributeValue(ints).to_string(), "[1,2]");
  std::vector<double> doubles = {0.5, 3.0};
  EXPECT_EQ(AttributeValue(doubles).to_string(), "[0.5,3]");
  const bool bools[] = {true, false};
  EXPECT_EQ(AttributeValue(std::span<const bool>(bools)).to_string(), "[true,false]");
  std::vector<std::string_view> strings = {"a", "b"};
  EXPECT_EQ(AttributeValue(strings).to_string(), "[\"a\",\"b\"]");
  EXPECT_EQ(AttributeValue(std::span<const int64_t>()).to_string(), "[]");
}

// Every kind of value, owned; used to check copies and moves keep their views right.
std::vector<OwnedAttributeValue> one_of_each() {
  const bool bools[] = {true, false, true};
  std::vector<int64_t> ints = {1, 2, 3};
  std::vector<double> doubles = {0.5, 1.5};
  // Long strings live on the heap, short ones inside std::string (small-string optimisation):
  // both must stay valid through copies and moves.
  std::string long_a(100, 'a');
  std::vector<std::string_view> strings = {"x", long_a, ""};
  std::vector<OwnedAttributeValue> out;
  out.emplace_back(AttributeValue(true));
  out.emplace_back(AttributeValue(-5));
  out.emplace_back(AttributeValue(2.25));
  out.emplace_back(AttributeValue("short"));
  out.emplace_back(AttributeValue(std::string_view(long_a)));
  out.emplace_back(AttributeValue(std::span<const bool>(bools)));
  out.emplace_back(AttributeValue(ints));
  out.emplace_back(AttributeValue(doubles));
  out.emplace_back(AttributeValue(strings));
  return out;
}

std::vector<std::string> renderings(const std::vector<OwnedAttributeValue>& values) {
  std::vector<std::string> out;
  for (const auto& v : values)
    out.push_back(v.view().to_string());
  return out;
}

TEST(OwnedAttributeValue, ViewEqualsTheOriginal) {
  auto values = one_of_each();
  std::vector<std::string> expected = {"true",
                                       "-5",
                                       "2.25",
                                       "\"short\"",
                                       "\"" + std::string(100, 'a') + "\"",
                                       "[true,false,true]",
                                       "[1,2,3]",
                                       "[0.5,1.5]",
                                       "[\"x\",\"" + std::string(100, 'a') + "\",\"\"]"};
  EXPECT_EQ(renderings(values), expected);
  EXPECT_EQ(values[5].view().type(), AttributeType::kBoolArray);
  EXPECT_EQ(values[8].view().type(), AttributeType::kStringArray);
}

TEST(OwnedAttributeValue, CopiesKeepValidViewsAfterTheOriginalIsGone) {
  std::vector<std::string> expected = renderings(one_of_each());
  std::vector<OwnedAttributeValue> copies;
  {
    auto originals = one_of_each();
    for (const auto& v : originals)
      copies.push_back(v);  // copy construction
  }
  EXPECT_EQ(renderings(copies), expected);

  std::vector<OwnedAttributeValue> assigned(copies.size());
  {
    auto originals = one_of_each();
    for (size_t i = 0; i < originals.size(); ++i)
      assigned[i] = originals[i];  // copy assignment
  }
  EXPECT_EQ(renderings(assigned), expected);
}

TEST(OwnedAttributeValue, MovesKeepValidViews) {
  std::vector<std::string> expected = renderings(one_of_each());
  auto originals = one_of_each();
  std::vector<OwnedAttributeValue> moved;
  for (auto& v : originals)
    moved.push_back(std::move(v));
  originals.clear();
  EXPECT_EQ(renderings(moved), expected);

  std::vector<OwnedAttributeValue> move_assigned(moved.size());
  for (size_t i = 0; i < moved.size(); ++i)
    move_assigned[i] = std::move(moved[i]);
  moved.clear();
  EXPECT_EQ(renderings(move_assigned), expected);
}

TEST(OwnedAttributeValue, SelfAssignmentKeepsTheValue) {
  std::vector<std::string_view> strings = {"a", "b"};
  OwnedAttributeValue v{AttributeValue(strings)};
  const OwnedAttributeValue& same = v;
  v = same;
  EXPECT_EQ(v.view().to_string(), "[\"a\",\"b\"]");
}

TEST(OwnedAttributeValue, EqualityByStorage) {
  EXPECT_EQ(OwnedAttributeValue(AttributeValue(3)), OwnedAttributeValue(AttributeValue(3)));
  EXPECT_FALSE(OwnedAttributeValue(AttributeValue(3)) == OwnedAttributeValue(AttributeValue(3.0)));
  OwnedAttributeValue from_storage(OwnedAttributeValue::Storage(std::vector<bool>{true, false}));
  EXPECT_EQ(from_storage.view().to_string(), "[true,false]");
}

TEST(OwnedAttributes, SetAddsInOrderAndReplacesByKey) {
  OwnedAttributes attrs{{"a", 1}, {"b", "two"}};
  ASSERT_EQ(attrs.size(), 2u);
  attrs.set("c", 3.5);
  attrs.set("a", "replaced");  // same key: new value, same place, also a new type
  ASSERT_EQ(attrs.size(), 3u);
  auto items = attrs.items();
  EXPECT_EQ(items[0].key, "a");
  EXPECT_EQ(items[0].value.as_string(), "replaced");
  EXPECT_EQ(items[1].key, "b");
  EXPECT_EQ(items[2].key, "c");
  ASSERT_NE(attrs.get("b"), nullptr);
  EXPECT_EQ(attrs.get("b")->as_string(), "two");
  EXPECT_EQ(attrs.get("missing"), nullptr);
  EXPECT_FALSE(attrs.empty());
  EXPECT_TRUE(OwnedAttributes().empty());
}

TEST(OwnedAttributes, InitializerListWithRepeatedKeyKeepsTheLast) {
  OwnedAttributes attrs{{"k", 1}, {"k", 2}};
  ASSERT_EQ(attrs.size(), 1u);
  EXPECT_EQ(attrs.get("k")->as_int(), 2);
}

OwnedAttributes sample_set() {
  std::vector<std::string_view> strings = {"s1", "a rather longer string value, on the heap"};
  std::vector<int64_t> ints = {7, 8};
  return OwnedAttributes{{"str", "value"}, {"strs", strings}, {"ints", ints}, {"b", true}};
}

std::string render(const OwnedAttributes& attrs) {
  std::string out;
  for (const auto& kv : attrs.items()) {
    out += std::string(kv.key) + "=" + kv.value.to_string() + ";";
  }
  return out;
}

TEST(OwnedAttributes, CopyAndMoveKeepViewsValid) {
  const std::string expected = render(sample_set());
  std::optional<OwnedAttributes> original = sample_set();
  OwnedAttributes copy(*original);
  OwnedAttributes assigned{{"old", 1}};
  assigned = *original;
  original.reset();
  EXPECT_EQ(render(copy), expected);
  EXPECT_EQ(render(assigned), expected);

  OwnedAttributes moved(std::move(copy));
  EXPECT_EQ(render(moved), expected);
  OwnedAttributes move_assigned;
  move_assigned = std::move(moved);
  EXPECT_EQ(render(move_assigned), expected);
  EXPECT_EQ(move_assigned.get("strs")->as_string_array()[1],
            "a rather longer string value, on the heap");

  // Growing the set afterwards keeps the earlier entries' views right.
  for (int i = 0; i < 50; ++i)
    move_assigned.set("k" + std::to_string(i), i);
  EXPECT_EQ(move_assigned.get("str")->as_string(), "value");
  EXPECT_EQ(move_assigned.get("k49")->as_int(), 49);
}

TEST(OwnedAttributes, SelfAssignment) {
  OwnedAttributes attrs = sample_set();
  const OwnedAttributes& same = attrs;
  attrs = same;
  EXPECT_EQ(render(attrs), render(sample_set()));
}

}  // namespace
}  // namespace tracekit
