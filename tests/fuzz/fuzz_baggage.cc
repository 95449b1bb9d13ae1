// SPDX-License-Identifier: Apache-2.0
// baggage: parse the input's lines as header fields; check the result against the grammar and
// the limits, that format -> parse gives it back, and that formatting is then stable. Then build
// a Baggage through the API from the input (key, value, metadata per line triple) and check
// that formatting it cannot forge members: what parses back is a subset with the same values.
#include <algorithm>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "reference.h"
#include "tracekit/propagation/baggage.h"

using namespace tracekit;
using namespace tracekit::propagation;

namespace {

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(ch) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

void check_header(const std::string& header, const BaggageLimits& limits) {
  FUZZ_CHECK(header.size() <= limits.max_bytes);
  for (char ch : header) {
    const auto c = static_cast<unsigned char>(ch);
    FUZZ_CHECK(c > 0x20 && c < 0x7F && c != '"' && c != '\\');
  }
}

void check_parsed(const Baggage& b, const BaggageLimits& limits) {
  FUZZ_CHECK(b.size() <= limits.max_members);
  for (size_t i = 0; i < b.size(); ++i) {
    const Baggage::Entry& e = b.entries()[i];
    FUZZ_CHECK(is_token(e.key));
    for (size_t j = 0; j < i; ++j)
      FUZZ_CHECK(b.entries()[j].key != e.key);
  }
  const std::string header = format_baggage(b, limits);
  check_header(header, limits);
  const Baggage back = parse_baggage(header, limits);
  FUZZ_CHECK(back == b);
  FUZZ_CHECK(format_baggage(back, limits) == header);
}

void check_api(const std::vector<std::string_view>& lines, const BaggageLimits& limits) {
  Baggage b;
  // More entries than the member limit only repeat what the limit tests already cover.
  const size_t n = std::min(lines.size(), 3 * (limits.max_members + 10));
  for (size_t i = 0; i < n; i += 3) {
    const std::string_view meta = i + 2 < n ? lines[i + 2] : std::string_view();
    b = b.set(lines[i], i + 1 < n ? lines[i + 1] : std::string_view(), meta);
  }
  const std::string header = format_baggage(b, limits);
  check_header(header, limits);
  const Baggage back = parse_baggage(header, limits);
  FUZZ_CHECK(back.size() <= b.size());
  for (const Baggage::Entry& e : back.entries()) {
    const Baggage::Entry* orig = b.find(e.key);
    FUZZ_CHECK(orig != nullptr);
    FUZZ_CHECK(orig->value == e.value);
    FUZZ_CHECK(e.metadata.empty() || !orig->metadata.empty());
  }
  FUZZ_CHECK(format_baggage(back, limits) == header);
}

// Compares with the reference reading. Within the limits the results must be equal; past them
// the library keeps a leading part, so what it has must at least be in the reference.
void check_reference(const std::vector<std::string_view>& fields, const Baggage& b,
                     const BaggageLimits& limits) {
  std::vector<fuzz::reference::BaggageEntry> valid;
  size_t members = 0, bytes = 0;
  // Past the limits only the leading part matters: stop there, so big inputs stay fast. The
  // library may count fewer commas than `bytes` does, so stop on the members' bytes alone.
  size_t member_bytes = 0;
  auto past_limits = [&] {
    return valid.size() > limits.max_members || member_bytes > limits.max_bytes;
  };
  for (std::string_view field : fields) {
    if (past_limits()) break;
    size_t start = 0;
    while (start <= field.size() && !past_limits()) {
      size_t comma = field.find(',', start);
      if (comma == std::string_view::npos) comma = field.size();
      const std::string_view m = fuzz::reference::trim_ows(field.substr(start, comma - start));
      start = comma + 1;
      if (m.empty()) continue;
      bytes += m.size() + (members++ ? 1 : 0);
      member_bytes += m.size();
      if (auto e = fuzz::reference::baggage_member(m)) valid.push_back(std::move(*e));
    }
  }
  // Later duplicates win, in the place of the first.
  std::vector<fuzz::reference::BaggageEntry> expected;
  for (auto& e : valid) {
    bool replaced = false;
    for (auto& x : expected) {
      if (x.key == e.key) {
        x = e;
        replaced = true;
        break;
      }
    }
    if (!replaced) expected.push_back(e);
  }
  if (valid.size() <= limits.max_members && bytes <= limits.max_bytes) {
    FUZZ_CHECK(b.size() == expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      FUZZ_CHECK(b.entries()[i].key == expected[i].key);
      FUZZ_CHECK(b.entries()[i].value == expected[i].value);
      FUZZ_CHECK(b.entries()[i].metadata == expected[i].metadata);
    }
  } else {
    for (const auto& e : b.entries()) {
      bool found = false;
      for (const auto& x : valid)
        found |= x.key == e.key && x.value == e.value && x.metadata == e.metadata;
      FUZZ_CHECK(found);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in = fuzz::as_text(data, size);
  const std::vector<std::string_view> fields = fuzz::split_lines(in);
  // Small limits as well as the defaults, so the fuzzer reaches them with small inputs.
  for (const BaggageLimits limits :
       {BaggageLimits{}, BaggageLimits{.max_members = 3, .max_bytes = 64}}) {
    const Baggage b =
        parse_baggage(std::span<const std::string_view>(fields.data(), fields.size()), limits);
    FUZZ_CHECK(b == parse_baggage(fuzz::join(fields), limits));
    check_reference(fields, b, limits);
    check_parsed(b, limits);
    check_api(fields, limits);
  }
  return 0;
}
