// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "tracekit/resource.h"
#include "tracekit/version.h"

namespace tracekit {
namespace {

TEST(Resource, SdkDefault) {
  Resource r = Resource::sdk_default();
  EXPECT_EQ(r.get_string("service.name"), "unknown_service");
  EXPECT_EQ(r.get_string("telemetry.sdk.name"), "tracekit");
  EXPECT_EQ(r.get_string("telemetry.sdk.language"), "cpp");
  EXPECT_EQ(r.get_string("telemetry.sdk.version"), kVersion);
  EXPECT_FALSE(r.get_string("telemetry.sdk.version").empty());
  EXPECT_EQ(r.attributes().size(), 4u);
  EXPECT_TRUE(r.schema_url().empty());
}

TEST(Resource, GetStringIsEmptyForMissingAndNonStringValues) {
  Resource r(OwnedAttributes{{"n", 42}, {"s", "v"}});
  EXPECT_EQ(r.get_string("s"), "v");
  EXPECT_EQ(r.get_string("n"), "");
  EXPECT_EQ(r.get_string("missing"), "");
}

TEST(Resource, MergeUpdatingWinsAndKeepsTheRest) {
  Resource base(OwnedAttributes{{"service.name", "base"}, {"only.base", 1}, {"shared", "base"}},
                "https://example.com/base");
  Resource updating(OwnedAttributes{{"shared", "updating"}, {"only.updating", true}});
  Resource merged = base.merge(updating);
  EXPECT_EQ(merged.attributes().size(), 4u);
  EXPECT_EQ(merged.get_string("service.name"), "base");
  EXPECT_EQ(merged.get_string("shared"), "updating");
  EXPECT_EQ(merged.attributes().get("only.base")->as_int(), 1);
  EXPECT_EQ(merged.attributes().get("only.updating")->as_bool(), true);
  // Keys keep the base's order; new keys follow.
  auto items = merged.attributes().items();
  EXPECT_EQ(items[0].key, "service.name");
  EXPECT_EQ(items[3].key, "only.updating");
  // The schema URL: the updating one when it has one, else the base's.
  EXPECT_EQ(merged.schema_url(), "https://example.com/base");
  Resource with_schema(OwnedAttributes{}, "https://example.com/new");
  EXPECT_EQ(base.merge(with_schema).schema_url(), "https://example.com/new");
  // Merging leaves both inputs as they were.
  EXPECT_EQ(base.get_string("shared"), "base");
  EXPECT_EQ(updating.attributes().size(), 2u);
}

TEST(Resource, MergeChainAsConfigurationDoesIt) {
  Resource r = Resource::sdk_default()
                   .merge(Resource(OwnedAttributes{{"service.name", "from-env"}, {"team", "core"}}))
                   .merge(Resource(OwnedAttributes{{"service.name", "from-seed"}}));
  EXPECT_EQ(r.get_string("service.name"), "from-seed");
  EXPECT_EQ(r.get_string("team"), "core");
  EXPECT_EQ(r.get_string("telemetry.sdk.name"), "tracekit");
}

TEST(ParseResourceAttributes, KeyValuePairsAsStrings) {
  auto attrs = parse_resource_attributes("service.name=svc,deployment.environment=prod,n=42");
  ASSERT_TRUE(attrs.ok()) << attrs.error().message;
  ASSERT_EQ(attrs->size(), 3u);
  EXPECT_EQ(attrs->get("service.name")->as_string(), "svc");
  EXPECT_EQ(attrs->get("deployment.environment")->as_string(), "prod");
  // Values are strings, even when they look like numbers.
  EXPECT_EQ(attrs->get("n")->type(), AttributeType::kString);
  EXPECT_EQ(attrs->get("n")->as_string(), "42");
}

TEST(ParseResourceAttributes, PercentDecodesKeysAndValues) {
  auto attrs = parse_resource_attributes(
      "greeting=hello%20world%2C%3Dagain,caf%C3%A9=%E2%82%AC,upper=%2f%2F,plus=a+b");
  ASSERT_TRUE(attrs.ok()) << attrs.error().message;
  EXPECT_EQ(attrs->get("greeting")->as_string(), "hello world,=again");
  EXPECT_EQ(attrs->get("caf\xC3\xA9")->as_string(), "\xE2\x82\xAC");
  EXPECT_EQ(attrs->get("upper")->as_string(), "//");
  EXPECT_EQ(attrs->get("plus")->as_string(), "a+b") << "'+' is not a space here";
}

TEST(ParseResourceAttributes, TrimsSpacesAndSkipsEmptyItems) {
  auto attrs = parse_resource_attributes(" , a = 1 ,, \tb=two words\t,  ,c=,");
  ASSERT_TRUE(attrs.ok()) << attrs.error().message;
  ASSERT_EQ(attrs->size(), 3u);
  EXPECT_EQ(attrs->get("a")->as_string(), "1");
  EXPECT_EQ(attrs->get("b")->as_string(), "two words");
  ASSERT_NE(attrs->get("c"), nullptr);
  EXPECT_EQ(attrs->get("c")->as_string(), "");
  EXPECT_TRUE(parse_resource_attributes("").ok());
  EXPECT_EQ(parse_resource_attributes("   ")->size(), 0u);
}

TEST(ParseResourceAttributes, LaterKeyWinsAndValuesMayHoldEquals) {
  auto attrs = parse_resource_attributes("k=1,k=2,eq=a=b");
  ASSERT_TRUE(attrs.ok()) << attrs.error().message;
  EXPECT_EQ(attrs->get("k")->as_string(), "2");
  EXPECT_EQ(attrs->get("eq")->as_string(), "a=b");
}

TEST(ParseResourceAttributes, ErrorsNameTheBadItem) {
  struct Case {
    const char* text;
    const char* named;  // what the message must quote
  };
  const Case cases[] = {
      {"a=1,novalue,b=2", "novalue"},
      {"=orphan", "=orphan"},
      {" = x", "= x"},
      {"a=%zz", "%zz"},
      {"a=50%", "50%"},
      {"a=%2", "%2"},
      {"bad%g1=v", "bad%g1"},
  };
  for (const auto& c : cases) {
    auto attrs = parse_resource_attributes(c.text);
    ASSERT_FALSE(attrs.ok()) << c.text;
    const std::string& message = attrs.error().message;
    EXPECT_NE(message.find("OTEL_RESOURCE_ATTRIBUTES"), std::string::npos) << message;
    EXPECT_NE(message.find(c.named), std::string::npos) << c.text << " -> " << message;
  }
}

}  // namespace
}  // namespace tracekit
