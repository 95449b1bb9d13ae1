// SPDX-License-Identifier: Apache-2.0
#include "tracekit/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace tracekit {
namespace {

Result<int> parse_digit(char c) {
  if (c < '0' || c > '9') return Error{std::string("'") + c + "' is not a digit"};
  return c - '0';
}

TEST(Result, HoldsAValueOrAnError) {
  auto ok = parse_digit('7');
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 7);
  auto bad = parse_digit('x');
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "'x' is not a digit");
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalid) << "an error without a code is kInvalid";
}

TEST(Result, MoveOnlyValues) {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(3));
  std::unique_ptr<int> taken = std::move(r).value();
  EXPECT_EQ(*taken, 3);
}

TEST(Result, VoidResult) {
  Result<void> fine;
  EXPECT_TRUE(fine.ok());
  Result<void> failed = Error{ErrorCode::kUnavailable, "down"};
  EXPECT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
}

TEST(Result, ACallerMayUseItsOwnErrorType) {
  enum class ParseError { kEmpty, kTooLong };
  Result<std::string, ParseError> r = ParseError::kTooLong;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), ParseError::kTooLong);
  Result<void, ParseError> v = ParseError::kEmpty;
  EXPECT_EQ(v.error(), ParseError::kEmpty);
}

TEST(Error, WithPrefixKeepsTheCode) {
  const Error e{ErrorCode::kNotFound, "no such file"};
  const Error prefixed = e.with_prefix("TRACEKIT_CONSOLE_PATH: ");
  EXPECT_EQ(prefixed.message, "TRACEKIT_CONSOLE_PATH: no such file");
  EXPECT_EQ(prefixed.code, ErrorCode::kNotFound);
  EXPECT_EQ(e.message, "no such file") << "the const overload copies";
  Error moved = Error{ErrorCode::kConflict, "taken"}.with_prefix("slug: ");
  EXPECT_EQ(moved.message, "slug: taken");
  EXPECT_EQ(moved.code, ErrorCode::kConflict);
}

TEST(Error, CodesHaveStableNames) {
  EXPECT_EQ(to_string(ErrorCode::kInvalid), "invalid");
  EXPECT_EQ(to_string(ErrorCode::kNotFound), "not_found");
  EXPECT_EQ(to_string(ErrorCode::kConflict), "conflict");
  EXPECT_EQ(to_string(ErrorCode::kUnavailable), "unavailable");
  EXPECT_EQ(to_string(ErrorCode::kInternal), "internal");
}

}  // namespace
}  // namespace tracekit
