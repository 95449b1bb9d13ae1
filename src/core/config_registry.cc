// SPDX-License-Identifier: Apache-2.0
#include "tracekit/config_registry.h"

#include <cstdlib>

#include "tracekit/config_variables.h"

namespace tracekit::config {

std::string_view to_string(VariableType type) noexcept {
  switch (type) {
    case VariableType::kBoolean:
      return "boolean";
    case VariableType::kInteger:
      return "integer";
    case VariableType::kDuration:
      return "duration";
    case VariableType::kSize:
      return "size";
    case VariableType::kText:
      return "text";
    case VariableType::kChoice:
      return "choice";
    case VariableType::kList:
      return "list";
    case VariableType::kKeyValues:
      return "key=value list";
    case VariableType::kUrl:
      return "URL";
    case VariableType::kFile:
      return "file";
    case VariableType::kAddress:
      return "host:port";
  }
  return "text";
}

// The one place that reads the process environment (scripts/check_config.py fails on any other).
std::optional<std::string> read_env(const Variable& variable) {
  const std::string name(variable.name);
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::span<const Variable> library_variables() noexcept {
  return kLibraryVariables;
}

const Variable* find_library_variable(std::string_view name) noexcept {
  for (const Variable& v : kLibraryVariables) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

}  // namespace tracekit::config
