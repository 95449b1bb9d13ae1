// SPDX-License-Identifier: Apache-2.0
#include "tracekit/propagation/baggage.h"

#include <array>
#include <vector>

#include "tracekit/detail/token.h"

namespace tracekit::propagation {

namespace {

// baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
constexpr bool is_baggage_octet(uint8_t c) {
  return c == 0x21 || (c >= 0x23 && c <= 0x2B) || (c >= 0x2D && c <= 0x3A) ||
         (c >= 0x3C && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
}

using detail::is_token;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Checks the value's characters and decodes %XX; false when either is wrong.
bool decode_value(std::string_view raw, std::string& out) {
  out.clear();
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    auto c = static_cast<uint8_t>(raw[i]);
    if (!is_baggage_octet(c)) return false;
    if (c != '%') {
      out += static_cast<char>(c);
      continue;
    }
    if (i + 2 >= raw.size()) return false;
    int hi = hex_value(raw[i + 1]), lo = hex_value(raw[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

// A property is `key` or `key OWS "=" OWS value`; returns the normalized text or false.
bool normalize_property(std::string_view prop, std::string& out) {
  prop = trim(prop);
  size_t eq = prop.find('=');
  std::string_view key = trim(prop.substr(0, eq));
  if (!is_token(key)) return false;
  out += key;
  if (eq == std::string_view::npos) return true;
  std::string_view value = trim(prop.substr(eq + 1));
  for (char c : value) {
    if (!is_baggage_octet(static_cast<uint8_t>(c))) return false;
  }
  out += '=';
  out += value;
  return true;
}

// A ';'-separated property list (what follows the value); appends the normalized text to `out`.
bool normalize_properties(std::string_view props, std::string& out) {
  size_t pos = 0;
  while (true) {
    const size_t semi = props.find(';', pos);
    if (!normalize_property(props.substr(pos, semi == std::string_view::npos ? semi : semi - pos),
                            out)) {
      return false;
    }
    if (semi == std::string_view::npos) return true;
    out += ';';
    pos = semi + 1;
  }
}

// Parses one list-member; false when it is invalid (and is then skipped).
bool parse_member(std::string_view member, Baggage::Entry& entry) {
  size_t semi = member.find(';');
  std::string_view kv = member.substr(0, semi);
  size_t eq = kv.find('=');
  if (eq == std::string_view::npos) return false;
  std::string_view key = trim(kv.substr(0, eq));
  if (!is_token(key)) return false;
  if (!decode_value(trim(kv.substr(eq + 1)), entry.value)) return false;
  entry.key.assign(key);
  entry.metadata.clear();
  if (semi == std::string_view::npos) return true;
  return normalize_properties(member.substr(semi + 1), entry.metadata);
}

}  // namespace

Baggage parse_baggage(std::span<const std::string_view> fields, const BaggageLimits& limits) {
  std::vector<Baggage::Entry> entries;
  size_t bytes = 0;
  Baggage::Entry entry;
  for (std::string_view field : fields) {
    size_t pos = 0;
    while (pos <= field.size()) {
      size_t comma = field.find(',', pos);
      if (comma == std::string_view::npos) comma = field.size();
      std::string_view member = trim(field.substr(pos, comma - pos));
      pos = comma + 1;
      if (member.empty()) continue;
      if (entries.size() >= limits.max_members) return make_baggage(std::move(entries));
      bytes += member.size() + (entries.empty() ? 0 : 1);
      if (bytes > limits.max_bytes) return make_baggage(std::move(entries));
      if (parse_member(member, entry)) entries.push_back(std::move(entry));
      entry = Baggage::Entry{};
    }
  }
  return make_baggage(std::move(entries));
}

Baggage parse_baggage(std::string_view header, const BaggageLimits& limits) {
  return parse_baggage(std::span<const std::string_view>(&header, 1), limits);
}

std::string format_baggage(const Baggage& baggage, const BaggageLimits& limits) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  size_t members = 0;
  std::string member;
  for (const auto& e : baggage.entries()) {
    if (!is_token(e.key)) continue;
    member.assign(e.key);
    member += '=';
    for (char ch : e.value) {
      auto c = static_cast<uint8_t>(ch);
      if (is_baggage_octet(c) && c != '%') {
        member += ch;
      } else {
        member += '%';
        member += kHex[c >> 4];
        member += kHex[c & 0x0F];
      }
    }
    if (!e.metadata.empty()) {
      // Metadata set through the API is not trusted: a comma, CR or LF in it would forge members
      // or headers. Invalid metadata is left out; the entry itself is still sent.
      const size_t before = member.size();
      member += ';';
      if (!normalize_properties(e.metadata, member)) member.resize(before);
    }
    if (members >= limits.max_members) break;
    const size_t added = member.size() + (out.empty() ? 0 : 1);
    if (out.size() + added > limits.max_bytes) continue;  // a smaller member may still fit
    if (!out.empty()) out += ',';
    out += member;
    ++members;
  }
  return out;
}

Context BaggagePropagator::extract(const TextMapGetter& carrier,
                                   const Context& context) const noexcept {
  try {
    std::array<std::string_view, 8> fields;
    const size_t n = carrier.get_all("baggage", fields);
    if (n == 0) return context;
    Baggage baggage;
    if (n <= fields.size()) {
      baggage = parse_baggage(std::span<const std::string_view>(fields.data(), n), limits_);
    } else {
      std::vector<std::string_view> many(n);
      carrier.get_all("baggage", many);
      baggage = parse_baggage(many, limits_);
    }
    if (baggage.empty()) return context;
    return context.with_baggage(std::move(baggage));
  } catch (...) {
    return context;
  }
}

void BaggagePropagator::inject(TextMapSetter& carrier, const Context& context) const noexcept {
  if (context.baggage().empty()) return;
  try {
    std::string header = format_baggage(context.baggage(), limits_);
    if (!header.empty()) carrier.set("baggage", header);
  } catch (...) {
  }
}

}  // namespace tracekit::propagation
