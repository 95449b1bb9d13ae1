// SPDX-License-Identifier: Apache-2.0
// tracestate: parse the input's lines as header fields; where that succeeds, check the members
// against the grammar, re-parse the formatted header and check it is the same, and check that
// the fields joined by commas parse to the same thing. Then mutate with a key and value taken
// from the input and check the mutation rules.
#include <set>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "reference.h"
#include "tracekit/trace_state.h"

using namespace tracekit;

namespace {

void check_well_formed(const TraceState& ts) {
  FUZZ_CHECK(ts.size() <= TraceState::kMaxMembers);
  FUZZ_CHECK(ts.empty() == (ts.size() == 0));
  std::set<std::string_view> keys;
  size_t text = 0;
  for (size_t i = 0; i < ts.size(); ++i) {
    const TraceState::Member m = ts[i];
    FUZZ_CHECK(TraceState::is_valid_key(m.key));
    FUZZ_CHECK(TraceState::is_valid_value(m.value));
    FUZZ_CHECK(keys.insert(m.key).second);
    FUZZ_CHECK(ts.get(m.key) == m.value);
    text += m.key.size() + 1 + m.value.size() + (i ? 1 : 0);
  }
  FUZZ_CHECK(ts.header().size() == text);
}

void check_round_trip(const TraceState& ts) {
  const std::optional<TraceState> again = TraceState::parse(ts.header());
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == ts);
  FUZZ_CHECK(again->size() == ts.size());
  for (size_t i = 0; i < ts.size(); ++i) {
    FUZZ_CHECK((*again)[i].key == ts[i].key);
    FUZZ_CHECK((*again)[i].value == ts[i].value);
  }
}

void check_mutation(const TraceState& ts, std::string_view key, std::string_view value) {
  const TraceState set = ts.set(key, value);
  check_well_formed(set);
  check_round_trip(set);
  FUZZ_CHECK(TraceState::is_valid_key(key) == fuzz::reference::tracestate_key(key));
  FUZZ_CHECK(TraceState::is_valid_value(value) == fuzz::reference::tracestate_value(value));
  if (!TraceState::is_valid_key(key) || !TraceState::is_valid_value(value)) {
    FUZZ_CHECK(set == ts);
  } else {
    FUZZ_CHECK(set.size() >= 1 && set[0].key == key && set[0].value == value);
    const bool had = ts.get(key).has_value();
    FUZZ_CHECK(set.size() == (had ? ts.size() : std::min(ts.size() + 1, TraceState::kMaxMembers)));
    // The others keep their order.
    size_t j = 1;
    for (size_t i = 0; i < ts.size() && j < set.size(); ++i) {
      if (ts[i].key == key) continue;
      FUZZ_CHECK(set[j].key == ts[i].key && set[j].value == ts[i].value);
      ++j;
    }
    FUZZ_CHECK(j == set.size());
  }
  const TraceState erased = set.erase(key);
  check_well_formed(erased);
  FUZZ_CHECK(!erased.get(key).has_value());
  FUZZ_CHECK(erased.size() == set.size() - (set.get(key) ? 1 : 0));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in = fuzz::as_text(data, size);
  const std::vector<std::string_view> fields = fuzz::split_lines(in);
  const std::optional<TraceState> ts =
      TraceState::parse(std::span<const std::string_view>(fields.data(), fields.size()));
  // Several fields are the same as one field of them joined by commas.
  const std::optional<TraceState> joined = TraceState::parse(fuzz::join(fields));
  FUZZ_CHECK(ts.has_value() == joined.has_value());
  const auto expected = fuzz::reference::tracestate(fuzz::join(fields));
  FUZZ_CHECK(ts.has_value() == expected.has_value());
  if (ts) {
    FUZZ_CHECK(*ts == *joined);
    FUZZ_CHECK(ts->size() == expected->size());
    for (size_t i = 0; i < ts->size(); ++i) {
      FUZZ_CHECK((*ts)[i].key == (*expected)[i].first);
      FUZZ_CHECK((*ts)[i].value == (*expected)[i].second);
    }
    check_well_formed(*ts);
    check_round_trip(*ts);
  }
  // A key and value from the input's first line, split at its first '='.
  const std::string_view first = fields[0];
  const size_t eq = first.find('=');
  const std::string_view key = first.substr(0, eq);
  const std::string_view value = eq == std::string_view::npos ? "" : first.substr(eq + 1);
  check_mutation(ts ? *ts : TraceState(), key, value);
  return 0;
}
