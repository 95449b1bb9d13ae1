// Reading registered variables for Config::from_env: trimmed values (empty counts as unset, as
// the OpenTelemetry specification says), typed readers whose errors name the variable, the value
// and what is allowed, and a record of every variable that was set, for the start-up summary.
#pragma once

#include <charconv>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tracekit/config.h"
#include "tracekit/config_variables.h"

namespace tracekit::detail {

using config::Variable;

std::string lower(std::string_view s);
// NAME="value"
std::string quoted(const Variable& variable, std::string_view value);

class EnvReader {
 public:
  EnvReader(const Config::Getter& get, Config& out) : get_(get), out_(out) {}

  // The trimmed value, or nullopt when unset or empty.
  std::optional<std::string> get(const Variable& variable) const;

  Result<void> boolean(const Variable& variable, bool& out) const;

  template <class Int>
  Result<void> integer(const Variable& variable, Int& out, Int min, std::string_view what) const {
    auto v = get(variable);
    if (!v) return {};
    long long value = 0;
    auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), value);
    if (ec != std::errc() || ptr != v->data() + v->size() || value < static_cast<long long>(min) ||
        static_cast<unsigned long long>(value) >
            static_cast<unsigned long long>(std::numeric_limits<Int>::max())) {
      return Error{quoted(variable, *v) + " is not valid: expected " + std::string(what)};
    }
    out = static_cast<Int>(value);
    return {};
  }

  // At most 2^31-1 ms (24.8 days): far larger values overflowed the deadline arithmetic
  // (now + timeout) into the past, and the batch worker then spun on a core.
  Result<void> millis(const Variable& variable, std::chrono::milliseconds& out, int32_t min) const;

  // Comma-separated, each item trimmed and lower-cased, empty items dropped.
  static std::vector<std::string> list(std::string_view value);

  // When both are set to different values: "`winner` wins over `loser`", once, as a warning.
  void warn_if_both(const Variable& winner, const Variable& loser) const;
  void warn(std::string message) const { out_.warnings.push_back(std::move(message)); }

 private:
  const Config::Getter& get_;
  Config& out_;
};

#define TRACEKIT_TRY(expr)                      \
  do {                                          \
    auto tracekit_r = (expr);                   \
    if (!tracekit_r) return tracekit_r.error(); \
  } while (0)

// OTEL_EXPORTER_OTLP_* and OTEL_EXPORTER_OTLP_TRACES_* into `otlp`.
Result<void> parse_otlp(const EnvReader& env, OtlpConfig& otlp);
// OTEL_EXPORTER_OTLP_* and OTEL_EXPORTER_OTLP_LOGS_* into `otlp` (HTTP path /v1/logs).
Result<void> parse_logs_otlp(const EnvReader& env, OtlpConfig& otlp);

}  // namespace tracekit::detail
