// SPDX-License-Identifier: Apache-2.0
// One call sets tracing up from the environment (OTEL_* and TRACEKIT_* variables).
#pragma once

#include <chrono>

#include "tracekit/config.h"
#include "tracekit/result.h"

namespace tracekit {

// Reads Config::from_env(options) and applies it. With tracing disabled (the default) only the
// propagators are set and every tracer stays a no-op. An invalid variable is an error naming it;
// nothing is changed then.
Result<void> configure_tracing(const ConfigOptions& options = {});
// Applies `config`: resource, sampler, limits, one batch processor per exporter, the global
// tracer provider and the global propagator. Reports config.warnings once (warning), the
// effective configuration in one line (info) and with each value's origin (debug) through
// report_diagnostic. Fails only where the outside world does: a console file that cannot be
// opened, an OTLP exporter that cannot be made.
Result<void> configure_tracing(const Config& config);
// Flushes and shuts the global provider and log record processor down within `timeout`; spans
// started later do not record, and later log calls make no records.
bool shutdown_tracing(std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace tracekit
