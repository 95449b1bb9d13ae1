// SPDX-License-Identifier: Apache-2.0
// Reference readings of the three grammars, written straight from the specifications' ABNF
// for clarity rather than speed, with no code shared with the library. The fuzz targets compare
// the library's parsers against them: a difference in what is accepted, or in what comes out,
// is a finding.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tracekit::fuzz::reference {

inline std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

inline bool hexdiglc(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

inline bool all_hexdiglc_not_zero(std::string_view s) {
  bool nonzero = false;
  for (char c : s) {
    if (!hexdiglc(c)) return false;
    nonzero |= c != '0';
  }
  return nonzero;
}

struct Traceparent {
  std::string trace_id, parent_id;
  unsigned flags;  // sampled and random only
};

// Trace Context: version "-" trace-id "-" parent-id "-" trace-flags, with the versioning rules.
inline std::optional<Traceparent> traceparent(std::string_view value) {
  const std::string_view v = trim_ows(value);
  if (v.size() < 55) return std::nullopt;
  if (!hexdiglc(v[0]) || !hexdiglc(v[1]) || v.substr(0, 2) == "ff") return std::nullopt;
  if (v[2] != '-' || v[35] != '-' || v[52] != '-') return std::nullopt;
  const std::string_view trace = v.substr(3, 32), parent = v.substr(36, 16),
                         flags = v.substr(53, 2);
  if (!all_hexdiglc_not_zero(trace) || !all_hexdiglc_not_zero(parent)) return std::nullopt;
  if (!hexdiglc(flags[0]) || !hexdiglc(flags[1])) return std::nullopt;
  if (v.substr(0, 2) == "00" ? v.size() != 55 : (v.size() > 55 && v[55] != '-')) {
    return std::nullopt;
  }
  return Traceparent{std::string(trace), std::string(parent),
                     static_cast<unsigned>(std::stoul(std::string(flags), nullptr, 16)) & 3u};
}

// Level 2 tracestate key and value.
inline bool tracestate_key(std::string_view k) {
  if (k.empty() || k.size() > 256) return false;
  auto lcalpha_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lcalpha_digit(k[0])) return false;
  for (char c : k.substr(1)) {
    if (!lcalpha_digit(c) && c != '_' && c != '-' && c != '*' && c != '/' && c != '@') return false;
  }
  return true;
}

inline bool tracestate_value(std::string_view v) {
  if (v.empty() || v.size() > 256) return false;
  auto nblk = [](unsigned char c) {
    return (c >= 0x21 && c <= 0x2B) || (c >= 0x2D && c <= 0x3C) || (c >= 0x3E && c <= 0x7E);
  };
  for (char c : v) {
    if (c != ' ' && !nblk(static_cast<unsigned char>(c))) return false;
  }
  return v.back() != ' ';
}

using Members = std::vector<std::pair<std::string, std::string>>;

// The combined header: any invalid member or a 33rd non-empty member (repeats counted) drops
// it all; a repeated key keeps its first member ("only one entry per key is allowed").
inline std::optional<Members> tracestate(std::string_view combined) {
  Members out;
  size_t received = 0;
  size_t start = 0;
  while (start <= combined.size()) {
    size_t comma = combined.find(',', start);
    if (comma == std::string_view::npos) comma = combined.size();
    const std::string_view m = trim_ows(combined.substr(start, comma - start));
    start = comma + 1;
    if (m.empty()) continue;
    const size_t eq = m.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string_view k = m.substr(0, eq), v = m.substr(eq + 1);
    if (!tracestate_key(k) || !tracestate_value(v)) return std::nullopt;
    if (++received > 32) return std::nullopt;
    bool repeated = false;
    for (const auto& [key, value] : out)
      repeated |= key == k;
    if (!repeated) out.emplace_back(k, v);
  }
  return out;
}

// RFC 7230 token.
inline bool token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

inline bool baggage_octets(std::string_view s) {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (!(c == 0x21 || (c >= 0x23 && c <= 0x2B) || (c >= 0x2D && c <= 0x3A) ||
          (c >= 0x3C && c <= 0x5B) || (c >= 0x5D && c <= 0x7E))) {
      return false;
    }
  }
  return true;
}

inline std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (s.size() - i < 3) return std::nullopt;
    const std::string hex(s.substr(i + 1, 2));
    if (hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) return std::nullopt;
    out += static_cast<char>(std::stoul(hex, nullptr, 16));
    i += 2;
  }
  return out;
}

struct BaggageEntry {
  std::string key, value, metadata;
};

// One list-member (key OWS "=" OWS value *(OWS ";" OWS property)); metadata normalized without
// OWS. nullopt when it is not valid.
inline std::optional<BaggageEntry> baggage_member(std::string_view m) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t semi = m.find(';', start);
    parts.push_back(
        trim_ows(m.substr(start, semi == std::string_view::npos ? semi : semi - start)));
    if (semi == std::string_view::npos) break;
    start = semi + 1;
  }
  const size_t eq = parts[0].find('=');
  if (eq == std::string_view::npos) return std::nullopt;
  BaggageEntry e;
  const std::string_view key = trim_ows(parts[0].substr(0, eq));
  const std::string_view raw = trim_ows(parts[0].substr(eq + 1));
  if (!token(key) || !baggage_octets(raw)) return std::nullopt;
  auto value = percent_decode(raw);
  if (!value) return std::nullopt;
  e.key = std::string(key);
  e.value = std::move(*value);
  for (size_t i = 1; i < parts.size(); ++i) {
    const size_t peq = parts[i].find('=');
    const std::string_view pkey = trim_ows(parts[i].substr(0, peq));
    if (!token(pkey)) return std::nullopt;
    if (i > 1) e.metadata += ';';
    e.metadata += pkey;
    if (peq != std::string_view::npos) {
      const std::string_view pvalue = trim_ows(parts[i].substr(peq + 1));
      if (!baggage_octets(pvalue)) return std::nullopt;
      e.metadata += '=';
      e.metadata += pvalue;
    }
  }
  return e;
}

}  // namespace tracekit::fuzz::reference
