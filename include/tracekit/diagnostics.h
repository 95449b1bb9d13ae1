// SPDX-License-Identifier: Apache-2.0
// How the SDK reports its own problems (a full queue, a failed export, a bad setting): one line
// per event through a handler, by default to standard error with a "tracekit:" prefix. Callers on
// the hot path never log; workers rate-limit what they report.
#pragma once

#include <functional>
#include <string_view>

namespace tracekit {

enum class DiagnosticLevel { kDebug, kInfo, kWarning, kError };

using DiagnosticHandler = std::function<void(DiagnosticLevel, std::string_view message)>;

// Replaces the handler (nullptr restores the default). Thread-safe.
void set_diagnostic_handler(DiagnosticHandler handler);
void report_diagnostic(DiagnosticLevel level, std::string_view message) noexcept;

}  // namespace tracekit
