// SPDX-License-Identifier: Apache-2.0
#include "response_head.h"

#include <array>
#include <charconv>
#include <cstring>

namespace tracekit::http::detail {

namespace {

// RFC 9110 tchar: ALPHA, DIGIT and !#$%&'*+-.^_`|~
constexpr std::array<bool, 256> kTokenChars = [] {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c)
    t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c)
    t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c)
    t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~"))
    t[static_cast<unsigned char>(c)] = true;
  return t;
}();

void append(std::string& out, std::string_view s) {
  out.append(s.data(), s.size());
}

}  // namespace

bool safe_field_name(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (char c : name) {
    if (!kTokenChars[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

bool safe_field_value(std::string_view value) noexcept {
  for (char c : value) {
    // Only these three can break the message's framing; other control characters are the
    // receiver's to judge, as with any field.
    if (c == '\r' || c == '\n' || c == '\0') [[unlikely]]
      return false;
  }
  return true;
}

size_t render_response_head(const boost::beast::http::response_header<>& head, std::string& out) {
  out.clear();
  append(out, head.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  char code[4];
  auto [end, ec] = std::to_chars(code, code + sizeof code, head.result_int());
  (void)ec;
  out.append(code, end);
  out += ' ';
  auto reason = head.reason();
  // A reason phrase is text the handler may have set: the same rule as a field value.
  if (safe_field_value(std::string_view(reason.data(), reason.size()))) {
    out.append(reason.data(), reason.size());
  }
  append(out, "\r\n");
  size_t left_out = 0;
  for (const auto& field : head) {
    const std::string_view name(field.name_string().data(), field.name_string().size());
    const std::string_view value(field.value().data(), field.value().size());
    if (!safe_field_name(name) || !safe_field_value(value)) [[unlikely]] {
      ++left_out;
      continue;
    }
    append(out, name);
    append(out, ": ");
    append(out, value);
    append(out, "\r\n");
  }
  append(out, "\r\n");
  return left_out;
}

size_t erase_unsafe_fields(boost::beast::http::fields& fields) {
  size_t erased = 0;
  for (auto it = fields.begin(); it != fields.end();) {
    const std::string_view name(it->name_string().data(), it->name_string().size());
    const std::string_view value(it->value().data(), it->value().size());
    if (safe_field_name(name) && safe_field_value(value)) {
      ++it;
    } else {
      it = fields.erase(it);
      ++erased;
    }
  }
  return erased;
}

}  // namespace tracekit::http::detail
