// SPDX-License-Identifier: Apache-2.0
#include "service_env.h"

#include <cstdio>
#include <fstream>

#include "tracekit/setup.h"

namespace skriptoteket::env {

using tracekit::config::read_env;

std::string text(const Variable& variable, std::string fallback) {
  auto v = read_env(variable);
  return v && !v->empty() ? std::move(*v) : std::move(fallback);
}

Result<uint64_t> number(const Variable& variable, uint64_t fallback, uint64_t min, uint64_t max) {
  const std::string name(variable.name);
  auto v = read_env(variable);
  if (!v || v->empty()) return fallback;
  const std::string s = *v;
  uint64_t n = 0;
  bool ok = s.size() <= 19;
  for (char c : s) {
    if (c < '0' || c > '9') ok = false;
    if (ok) n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  if (!ok || n < min || n > max) {
    return Error{ErrorCode::kInvalid, name + "=\"" + s +
                                          "\" is not valid: expected a whole number from " +
                                          std::to_string(min) + " to " + std::to_string(max)};
  }
  return n;
}

Result<bool> flag(const Variable& variable, bool fallback) {
  const std::string name(variable.name);
  auto v = read_env(variable);
  if (!v || v->empty()) return fallback;
  std::string s = *v;
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s == "true" || s == "1" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "0" || s == "no" || s == "off") return false;
  return Error{ErrorCode::kInvalid, name + "=\"" + *v + "\" is not valid: expected true or false"};
}

namespace {
// The variable's value, which beats OTEL_RESOURCE_ATTRIBUTES, or Skriptoteket's default, which
// does not.
tracekit::ProgramValue seed_value(const Variable& variable, std::string fallback) {
  if (auto v = read_env(variable); v && !v->empty()) {
    return {std::move(*v), std::string(variable.name), true};
  }
  return {std::move(fallback), "skriptoteket default", false};
}
}  // namespace

tracekit::ConfigOptions service_config_options() {
  tracekit::ConfigOptions options;
  options.service_name = seed_value(setting("SERVICE_NAME"), "skriptoteket");
  options.service_version = seed_value(setting("SERVICE_VERSION"), SKRIPTOTEKET_VERSION);
  options.deployment_environment = seed_value(setting("ENVIRONMENT"), "development");
  return options;
}

Result<bool> configure_service_tracing() {
  auto config = tracekit::Config::from_env(service_config_options());
  if (!config) return Error{ErrorCode::kInvalid, config.error().message};
  if (auto r = tracekit::configure_tracing(*config); !r) {
    return Error{ErrorCode::kInvalid, r.error().message};
  }
  return true;
}

bool write_port_file(uint16_t port) {
  const std::string path = text(setting("SKRIPTOTEKET_PORT_FILE"), "");
  if (path.empty()) return true;
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << port << '\n';
    if (!out.flush()) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace skriptoteket::env
