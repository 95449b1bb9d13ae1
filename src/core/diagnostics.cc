// SPDX-License-Identifier: Apache-2.0
#include "tracekit/diagnostics.h"

#include <cstdio>
#include <mutex>

namespace tracekit {

namespace {
std::mutex& handler_mutex() {
  static std::mutex m;
  return m;
}
DiagnosticHandler& handler() {
  static DiagnosticHandler h;
  return h;
}
std::string_view level_name(DiagnosticLevel level) {
  switch (level) {
    case DiagnosticLevel::kDebug:
      return "debug";
    case DiagnosticLevel::kInfo:
      return "info";
    case DiagnosticLevel::kWarning:
      return "warning";
    case DiagnosticLevel::kError:
      return "error";
  }
  return "info";
}
}  // namespace

void set_diagnostic_handler(DiagnosticHandler h) {
  std::lock_guard lock(handler_mutex());
  handler() = std::move(h);
}

void report_diagnostic(DiagnosticLevel level, std::string_view message) noexcept {
  try {
    std::lock_guard lock(handler_mutex());
    if (handler()) {
      handler()(level, message);
      return;
    }
    if (level == DiagnosticLevel::kDebug) return;
    std::string_view name = level_name(level);
    std::fprintf(stderr, "tracekit: %.*s: %.*s\n", static_cast<int>(name.size()), name.data(),
                 static_cast<int>(message.size()), message.data());
  } catch (...) {
    // A diagnostic must never take the application down.
  }
}

}  // namespace tracekit
