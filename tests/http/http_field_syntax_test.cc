// SPDX-License-Identifier: Apache-2.0
// The header field rules that keep requests and responses from being split (field_syntax.h),
// checked for every byte value at every position of the word-at-a-time scan.
#include <gtest/gtest.h>

#include <string>

#include "field_syntax.h"

namespace tracekit::http::detail {
namespace {

TEST(FieldSyntax, AValueIsUnsafeExactlyWhenItHoldsCrLfOrNul) {
  // Lengths around the scan's 8-byte words, each byte value at each position of a value of
  // otherwise harmless text (and of high bytes, which a borrow in the scan could hide).
  for (char filler : {'a', static_cast<char>(0xff), static_cast<char>(0x8e), '\t'}) {
    for (size_t length = 1; length <= 19; ++length) {
      for (size_t at = 0; at < length; ++at) {
        for (int b = 0; b < 256; ++b) {
          std::string value(length, filler);
          value[at] = static_cast<char>(b);
          const bool forbidden = b == '\r' || b == '\n' || b == 0;
          ASSERT_EQ(is_safe_field_value(value), !forbidden)
              << "byte " << b << " at " << at << " of " << length << ", filler "
              << static_cast<int>(static_cast<unsigned char>(filler));
        }
      }
    }
  }
  EXPECT_TRUE(is_safe_field_value(""));
  EXPECT_TRUE(is_safe_field_value("text/html; charset=utf-8"));
  EXPECT_FALSE(is_safe_field_value("0123456789abcdef\r\nSet-Cookie: a=b"));
}

TEST(FieldSyntax, NamesAndMethodsAreTokens) {
  for (const char* ok : {"X-Trace-ID", "content-type", "GET", "M-SEARCH", "a!#$%&'*+-.^_`|~9"}) {
    EXPECT_TRUE(is_token(ok)) << ok;
  }
  for (const char* bad : {"", "Bad Name", "X:Y", "X\r\nY", "(comment)", "a/b", "caf\xc3\xa9"}) {
    EXPECT_FALSE(is_token(bad)) << bad;
  }
  EXPECT_FALSE(is_token(std::string("a\0b", 3)));
}

}  // namespace
}  // namespace tracekit::http::detail
