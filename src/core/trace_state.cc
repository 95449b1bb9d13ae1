// SPDX-License-Identifier: Apache-2.0
#include "tracekit/trace_state.h"

#include <array>
#include <cstring>
#include <new>
#include <string>

namespace tracekit {

namespace detail {
void TraceStateRep::release() const noexcept {
  if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    this->~TraceStateRep();
    ::operator delete(const_cast<TraceStateRep*>(this));
  }
}
}  // namespace detail

namespace {

constexpr bool is_lcalpha(char c) {
  return c >= 'a' && c <= 'z';
}
constexpr bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

struct KeyCharTable {
  bool ok[256]{};
  constexpr KeyCharTable() {
    for (int c = 'a'; c <= 'z'; ++c)
      ok[c] = true;
    for (int c = '0'; c <= '9'; ++c)
      ok[c] = true;
    ok[static_cast<int>('_')] = ok[static_cast<int>('-')] = ok[static_cast<int>('*')] = true;
    ok[static_cast<int>('/')] = ok[static_cast<int>('@')] = true;
  }
};
constexpr KeyCharTable kKeyChars;

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

}  // namespace

bool TraceState::is_valid_key(std::string_view key) noexcept {
  if (key.empty() || key.size() > kMaxKeySize) return false;
  if (!is_lcalpha(key[0]) && !is_digit(key[0])) return false;
  for (char c : key) {
    if (!kKeyChars.ok[static_cast<uint8_t>(c)]) return false;
  }
  return true;
}

bool TraceState::is_valid_value(std::string_view value) noexcept {
  if (value.empty() || value.size() > kMaxValueSize) return false;
  for (char c : value) {
    if (c < 0x20 || c > 0x7E || c == ',' || c == '=') return false;
  }
  return value.back() != ' ';
}

TraceState TraceState::build(std::span<const Member> members) {
  if (members.empty()) return TraceState();
  size_t text_size = members.size() - 1;  // commas
  for (const auto& m : members)
    text_size += m.key.size() + 1 + m.value.size();
  using Entry = detail::TraceStateRep::Entry;
  void* raw =
      ::operator new(sizeof(detail::TraceStateRep) + members.size() * sizeof(Entry) + text_size);
  auto* rep = new (raw) detail::TraceStateRep();
  rep->count = static_cast<uint16_t>(members.size());
  rep->text_size = static_cast<uint16_t>(text_size);
  auto* entries = const_cast<Entry*>(rep->entries());
  char* text = const_cast<char*>(rep->text());
  size_t pos = 0;
  for (size_t i = 0; i < members.size(); ++i) {
    const auto& m = members[i];
    if (i) text[pos++] = ',';
    entries[i].key_offset = static_cast<uint16_t>(pos);
    entries[i].key_size = static_cast<uint16_t>(m.key.size());
    std::memcpy(text + pos, m.key.data(), m.key.size());
    pos += m.key.size();
    text[pos++] = '=';
    entries[i].value_offset = static_cast<uint16_t>(pos);
    entries[i].value_size = static_cast<uint16_t>(m.value.size());
    std::memcpy(text + pos, m.value.data(), m.value.size());
    pos += m.value.size();
  }
  return TraceState(detail::IntrusivePtr<const detail::TraceStateRep>::adopt(rep));
}

namespace {
// Room for the members of one parse, left uninitialised: a header has a few members, and
// constructing all 33 slots would cost more than parsing them.
struct MemberBuffer {
  alignas(TraceState::Member) unsigned char bytes[sizeof(TraceState::Member) * 33];
  TraceState::Member* data() { return reinterpret_cast<TraceState::Member*>(bytes); }
};

// Splits one header field into members, appending to `out` (n of them kept so far, `received`
// non-empty members seen so far, repeats included); false when any member is invalid or more
// than 32 arrive. A key seen before is skipped: the spec allows one entry per key, and the
// left-most is the most recent position (mutated members move to the front).
bool parse_field(std::string_view header, TraceState::Member* out, size_t& n, size_t& received,
                 TraceState::ParseError& why) {
  size_t pos = 0;
  while (pos <= header.size()) {
    size_t comma = header.find(',', pos);
    if (comma == std::string_view::npos) comma = header.size();
    std::string_view member = header.substr(pos, comma - pos);
    pos = comma + 1;
    while (!member.empty() && is_ows(member.front()))
      member.remove_prefix(1);
    while (!member.empty() && is_ows(member.back()))
      member.remove_suffix(1);
    if (member.empty()) continue;
    size_t eq = member.find('=');
    why = TraceState::ParseError::kBadMember;
    if (eq == std::string_view::npos) return false;
    std::string_view key = member.substr(0, eq);
    std::string_view value = member.substr(eq + 1);
    if (!TraceState::is_valid_key(key) || !TraceState::is_valid_value(value)) return false;
    why = TraceState::ParseError::kTooManyMembers;
    if (++received > TraceState::kMaxMembers) return false;
    bool repeated = false;
    for (size_t i = 0; i < n && !repeated; ++i)
      repeated = out[i].key == key;
    if (!repeated) new (out + n++) TraceState::Member{key, value};
  }
  return true;
}
}  // namespace

std::optional<TraceState> TraceState::parse(std::string_view header, ParseError* why) {
  return parse(std::span<const std::string_view>(&header, 1), why);
}

std::optional<TraceState> TraceState::parse(std::span<const std::string_view> fields,
                                            ParseError* why) {
  MemberBuffer members;
  size_t n = 0, received = 0;
  ParseError error = ParseError::kBadMember;
  for (auto field : fields) {
    if (!parse_field(field, members.data(), n, received, error)) {
      if (why) *why = error;
      return std::nullopt;
    }
  }
  if (n == 0) return TraceState();
  return build(std::span<const Member>(members.data(), n));
}

size_t TraceState::size() const noexcept {
  return rep_ ? rep_->count : 0;
}

TraceState::Member TraceState::operator[](size_t i) const noexcept {
  const auto& e = rep_->entries()[i];
  const char* text = rep_->text();
  return {std::string_view(text + e.key_offset, e.key_size),
          std::string_view(text + e.value_offset, e.value_size)};
}

std::optional<std::string_view> TraceState::get(std::string_view key) const noexcept {
  for (size_t i = 0; i < size(); ++i) {
    Member m = (*this)[i];
    if (m.key == key) return m.value;
  }
  return std::nullopt;
}

TraceState TraceState::set(std::string_view key, std::string_view value) const {
  if (!is_valid_key(key) || !is_valid_value(value)) return *this;
  std::array<Member, 33> members;
  size_t n = 0;
  members[n++] = {key, value};
  for (size_t i = 0; i < size() && n < kMaxMembers; ++i) {
    Member m = (*this)[i];
    if (m.key != key) members[n++] = m;
  }
  return build(std::span<const Member>(members.data(), n));
}

TraceState TraceState::erase(std::string_view key) const {
  if (!get(key)) return *this;
  std::array<Member, 33> members;
  size_t n = 0;
  for (size_t i = 0; i < size(); ++i) {
    Member m = (*this)[i];
    if (m.key != key) members[n++] = m;
  }
  return build(std::span<const Member>(members.data(), n));
}

std::string_view TraceState::header() const noexcept {
  if (!rep_) return {};
  return {rep_->text(), rep_->text_size};
}

}  // namespace tracekit
