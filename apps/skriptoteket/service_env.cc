#include "service_env.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "tracekit/setup.h"

namespace skriptoteket::env {

std::string text(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : std::move(fallback);
}

Outcome<uint64_t> number(const char* name, uint64_t fallback, uint64_t min, uint64_t max) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  const std::string s(v);
  uint64_t n = 0;
  bool ok = s.size() <= 19;
  for (char c : s) {
    if (c < '0' || c > '9') ok = false;
    if (ok) n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  if (!ok || n < min || n > max) {
    return Failure{Failure::Kind::kInvalid, std::string(name) + "=\"" + s +
                                                "\" is not valid: expected a whole number from " +
                                                std::to_string(min) + " to " + std::to_string(max)};
  }
  return n;
}

Outcome<bool> flag(const char* name, bool fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  std::string s(v);
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s == "true" || s == "1" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "0" || s == "no" || s == "off") return false;
  return Failure{Failure::Kind::kInvalid,
                 std::string(name) + "=\"" + v + "\" is not valid: expected true or false"};
}

Outcome<bool> configure_service_tracing() {
  auto config = tracekit::Config::from_env();
  if (!config) return Failure{Failure::Kind::kInvalid, config.error().message};
  const auto& named = config->resource_attributes;  // OTEL_RESOURCE_ATTRIBUTES
  if (config->service_version.empty() && !named.get("service.version")) {
    config->service_version = SKRIPTOTEKET_VERSION;
  }
  if (config->environment.empty() && !named.get("deployment.environment")) {
    config->environment = "development";
  }
  if (auto r = tracekit::configure_tracing(*config); !r) {
    return Failure{Failure::Kind::kInvalid, r.error().message};
  }
  return true;
}

bool write_port_file(uint16_t port) {
  const char* path = std::getenv("SKRIPTOTEKET_PORT_FILE");
  if (!path || !*path) return true;
  const std::string tmp = std::string(path) + ".tmp";
  {
    std::ofstream out(tmp);
    out << port << '\n';
    if (!out.flush()) return false;
  }
  return std::rename(tmp.c_str(), path) == 0;
}

}  // namespace skriptoteket::env
