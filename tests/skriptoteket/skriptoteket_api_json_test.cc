// SPDX-License-Identifier: Apache-2.0
// The web layer's mapping of error codes to HTTP statuses and error words: the API contract
// (docs/skriptoteket.md) that the store's and runner's errors reach clients through.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "api_json.h"

namespace skriptoteket {
namespace {

struct Mapping {
  ErrorCode code;
  int status;
  const char* word;
};

TEST(SkriptoteketApiJson, EveryErrorCodeHasItsStatusAndWord) {
  for (const Mapping& m : {Mapping{ErrorCode::kNotFound, 404, "not_found"},
                           Mapping{ErrorCode::kConflict, 409, "conflict"},
                           Mapping{ErrorCode::kInvalid, 422, "validation_failed"},
                           Mapping{ErrorCode::kUnavailable, 502, "runner_unavailable"},
                           Mapping{ErrorCode::kInternal, 500, "internal"}}) {
    const auto response = api::from_error(Error{m.code, "what happened"});
    EXPECT_EQ(response.status(), m.status) << m.word;
    const boost::json::value body = boost::json::parse(response.body());
    EXPECT_EQ(body.at("error").as_string(), m.word);
    EXPECT_EQ(body.at("detail").as_string(), "what happened");
  }
}

TEST(SkriptoteketApiJson, APrefixedErrorKeepsItsStatus) {
  const auto response =
      api::from_error(Error{ErrorCode::kNotFound, "no tool with id x"}.with_prefix("GET: "));
  EXPECT_EQ(response.status(), 404);
  EXPECT_EQ(boost::json::parse(response.body()).at("detail").as_string(), "GET: no tool with id x");
}

}  // namespace
}  // namespace skriptoteket
