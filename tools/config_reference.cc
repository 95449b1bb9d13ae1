// SPDX-License-Identifier: Apache-2.0
// Prints the one registry of environment variables (the library's and every app's table), one
// variable a line, tab-separated: name, type, default, meaning, component, section.
// scripts/check_config.py turns it into the tables of docs/configuration.md and checks them.
#include <cstdio>
#include <span>
#include <string_view>

#include "options_variables.h"
#include "settings_variables.h"
#include "tracekit/config_variables.h"

namespace {
void print(std::span<const tracekit::config::Variable> table) {
  for (const auto& v : table) {
    const std::string_view type = tracekit::config::to_string(v.type);
    std::printf("%.*s\t%.*s\t%.*s\t%.*s\t%.*s\t%.*s\n", static_cast<int>(v.name.size()),
                v.name.data(), static_cast<int>(type.size()), type.data(),
                static_cast<int>(v.default_value.size()), v.default_value.data(),
                static_cast<int>(v.meaning.size()), v.meaning.data(),
                static_cast<int>(v.component.size()), v.component.data(),
                static_cast<int>(v.section.size()), v.section.data());
  }
}
}  // namespace

int main() {
  print(tracekit::config::library_variables());
  print(skriptoteket::kSettingVariables);
  print(tracekit::collector::kOptionVariables);
  return 0;
}
