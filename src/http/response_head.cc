// SPDX-License-Identifier: Apache-2.0
#include "response_head.h"

#include <charconv>
#include <cstring>

#include "field_syntax.h"
#include "tracekit/propagation/text_map.h"

namespace tracekit::http::detail {

namespace {

void append(std::string& out, std::string_view s) {
  out.append(s.data(), s.size());
}

// A field Beast knows by name (field::content_type, ...) has a name that is a token already.
bool safe_field(const boost::beast::http::fields::value_type& field, std::string_view name,
                std::string_view value) noexcept {
  return (field.name() != boost::beast::http::field::unknown || is_token(name)) &&
         is_safe_field_value(value);
}

// Whether `name` is one of the extra fields' names (which replace it).
bool replaced_by(std::span<const ExtraField> extra, std::string_view name) noexcept {
  for (const ExtraField& f : extra)
    if (propagation::iequals(name, f.first)) return true;
  return false;
}

// One resize and two copies: four appends cost ~60 instructions more per field.
void append_field(std::string& out, std::string_view name, std::string_view value) {
  const size_t at = out.size();
  out.resize(at + name.size() + value.size() + 4);
  char* p = out.data() + at;
  if (!name.empty()) std::memcpy(p, name.data(), name.size());
  p += name.size();
  p[0] = ':';
  p[1] = ' ';
  p += 2;
  if (!value.empty()) std::memcpy(p, value.data(), value.size());
  p += value.size();
  p[0] = '\r';
  p[1] = '\n';
}

}  // namespace

size_t render_response_head(const boost::beast::http::response_header<>& head, std::string& out,
                            std::span<const ExtraField> extra) {
  out.clear();
  append(out, head.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  char code[4];
  auto [end, ec] = std::to_chars(code, code + sizeof code, head.result_int());
  (void)ec;
  out.append(code, end);
  out += ' ';
  auto reason = head.reason();
  // A reason phrase is text the handler may have set: the same rule as a field value.
  if (is_safe_field_value(std::string_view(reason.data(), reason.size()))) {
    out.append(reason.data(), reason.size());
  }
  append(out, "\r\n");
  size_t left_out = 0;
  for (const auto& field : head) {
    const std::string_view name(field.name_string().data(), field.name_string().size());
    const std::string_view value(field.value().data(), field.value().size());
    // Beast's known fields (Content-Type, Date, ...) are none of the extra ones.
    if (!extra.empty() && field.name() == boost::beast::http::field::unknown &&
        replaced_by(extra, name)) {
      continue;
    }
    if (!safe_field(field, name, value)) [[unlikely]] {
      ++left_out;
      continue;
    }
    append_field(out, name, value);
  }
  for (const ExtraField& f : extra)
    append_field(out, f.first, f.second);
  append(out, "\r\n");
  return left_out;
}

size_t erase_unsafe_fields(boost::beast::http::fields& fields) {
  size_t erased = 0;
  for (auto it = fields.begin(); it != fields.end();) {
    const std::string_view name(it->name_string().data(), it->name_string().size());
    const std::string_view value(it->value().data(), it->value().size());
    if (safe_field(*it, name, value)) {
      ++it;
    } else {
      it = fields.erase(it);
      ++erased;
    }
  }
  return erased;
}

}  // namespace tracekit::http::detail
