// SPDX-License-Identifier: Apache-2.0
// The one registry of environment variables: every variable tracekit and its apps read is an entry
// in a table (the library's in tracekit/config_variables.h, each app's beside its settings), and
// the only way to read one is through that entry. The tables also give the start-up summary its
// names and generate the variable tables in docs/configuration.md (tools/config_reference.cc;
// scripts/check_config.py fails CI when the docs and the tables differ, or when anything else
// calls getenv).
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tracekit::config {

// What a variable holds, as the docs say it.
enum class VariableType {
  kBoolean,    // true/false (also 1/0, yes/no, on/off), case-insensitive
  kInteger,    // a whole number
  kDuration,   // a whole number of milliseconds (the collector's: 30s, 72h, ...)
  kSize,       // bytes, with units (10MB, 1.5GiB)
  kText,       // free text
  kChoice,     // one of a few words
  kList,       // comma-separated
  kKeyValues,  // key1=value1,key2=value2
  kUrl,
  kFile,     // a path
  kAddress,  // host:port
};
std::string_view to_string(VariableType type) noexcept;

struct Variable {
  std::string_view name;
  VariableType type = VariableType::kText;
  // As the docs show it: a literal ("5000") or words ("unset", "standard output").
  std::string_view default_value;
  std::string_view meaning;
  // Who reads it: core, otlp, http, log, skriptoteket, collector.
  std::string_view component;
  // The table of docs/configuration.md that lists it (the marker `<!-- variables: SECTION -->`).
  std::string_view section;
};

// The entry named `name` in `table`; a name not in the table does not compile (so the code can
// only read what the registry lists).
template <size_t N>
consteval const Variable& find_variable(const Variable (&table)[N], std::string_view name) {
  for (const Variable& v : table) {
    if (v.name == name) return v;
  }
  throw "not in the registry: add the variable to its table";  // a compile-time error
}

// The raw value of the variable in the process environment; nullopt when it is not set (an
// empty value is returned as is: callers decide, mostly "empty counts as unset").
std::optional<std::string> read_env(const Variable& variable);

// The library's variables (core, otlp, http, log), in docs order.
std::span<const Variable> library_variables() noexcept;
// The library's entry with this name, or nullptr (for readers that are handed names at run time).
const Variable* find_library_variable(std::string_view name) noexcept;

}  // namespace tracekit::config
