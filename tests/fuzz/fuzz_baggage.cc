// baggage: parse the input's lines as header fields; check the result against the grammar and
// the limits, that format -> parse gives it back, and that formatting is then stable. Then build
// a Baggage through the API from the input (key, value, metadata per line triple) and check
// that formatting it cannot forge members: what parses back is a subset with the same values.
#include <string>
#include <vector>

#include "fuzz_check.h"
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
  for (size_t i = 0; i < lines.size(); i += 3) {
    const std::string_view meta = i + 2 < lines.size() ? lines[i + 2] : std::string_view();
    b = b.set(lines[i], i + 1 < lines.size() ? lines[i + 1] : std::string_view(), meta);
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
    check_parsed(b, limits);
    check_api(fields, limits);
  }
  return 0;
}
