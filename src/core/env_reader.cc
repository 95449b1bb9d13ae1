// SPDX-License-Identifier: Apache-2.0
#include "env_reader.h"

#include <algorithm>
#include <cctype>

#include "percent.h"

namespace tracekit::detail {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string quoted(const Variable& variable, std::string_view value) {
  return std::string(variable.name) + "=\"" + std::string(value) + "\"";
}

std::optional<std::string> EnvReader::get(const Variable& variable) const {
  auto v = get_(variable.name);
  if (!v) return std::nullopt;
  std::string_view t = trim(*v);
  if (t.empty()) return std::nullopt;
  std::string value(t);
  const bool recorded =
      std::any_of(out_.origins.begin(), out_.origins.end(),
                  [&](const ConfigOrigin& o) { return o.setting == variable.name; });
  if (!recorded) {
    // Header values carry credentials: the summary shows their keys only.
    std::string shown = value;
    if (variable.type == config::VariableType::kKeyValues && variable.name.ends_with("_HEADERS")) {
      shown.clear();
      for (const auto& item : list(value)) {
        if (!shown.empty()) shown += ',';
        shown += item.substr(0, item.find('=')) + "=<redacted>";
      }
    }
    out_.origins.push_back({std::string(variable.name), std::move(shown), "environment"});
  }
  return value;
}

Result<void> EnvReader::boolean(const Variable& variable, bool& out) const {
  auto v = get(variable);
  if (!v) return {};
  std::string l = lower(*v);
  if (l == "true" || l == "1" || l == "yes" || l == "on") {
    out = true;
  } else if (l == "false" || l == "0" || l == "no" || l == "off") {
    out = false;
  } else {
    return Error{quoted(variable, *v) + " is not a boolean: use true or false"};
  }
  return {};
}

Result<void> EnvReader::millis(const Variable& variable, std::chrono::milliseconds& out,
                               int32_t min) const {
  auto ms = static_cast<int32_t>(out.count());
  auto r = integer<int32_t>(variable, ms, min,
                            min > 0 ? "a whole number of milliseconds from 1 to 2147483647"
                                    : "a whole number of milliseconds from 0 to 2147483647");
  if (!r) return r;
  out = std::chrono::milliseconds(ms);
  return {};
}

std::vector<std::string> EnvReader::list(std::string_view value) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= value.size()) {
    size_t comma = value.find(',', pos);
    if (comma == std::string_view::npos) comma = value.size();
    std::string_view item = trim(value.substr(pos, comma - pos));
    if (!item.empty()) out.push_back(lower(item));
    pos = comma + 1;
  }
  return out;
}

void EnvReader::warn_if_both(const Variable& winner, const Variable& loser) const {
  auto w = get(winner);
  auto l = get(loser);
  if (!w || !l || *w == *l) return;
  warn(quoted(winner, *w) + " wins over " + quoted(loser, *l));
}

}  // namespace tracekit::detail
