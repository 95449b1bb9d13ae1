// SPDX-License-Identifier: Apache-2.0
// Configuration from the environment: the standard OTEL_* variables and tracekit's own, read once
// into a typed value. Every invalid value is an error naming the variable, the value and what is
// allowed. tracekit/config_variables.h lists them all; docs/configuration.md says which wins when
// two name the same thing.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tracekit/attributes.h"
#include "tracekit/batch_span_processor.h"
#include "tracekit/propagation/propagator.h"
#include "tracekit/result.h"
#include "tracekit/sampler.h"
#include "tracekit/span_limits.h"

namespace tracekit {

enum class OtlpProtocol { kGrpc, kHttpProtobuf, kHttpJson };
std::string_view to_string(OtlpProtocol protocol) noexcept;

struct OtlpConfig {
  OtlpProtocol protocol = OtlpProtocol::kGrpc;
  // The full URL to use: for HTTP it already ends in /v1/traces (or /v1/logs) when it came from
  // the generic OTEL_EXPORTER_OTLP_ENDPOINT; for gRPC it is scheme://host:port.
  std::string endpoint = "http://localhost:4317";
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout{10000};
  bool gzip = false;
  // For an http:// gRPC endpoint or OTEL_EXPORTER_OTLP_INSECURE=true: no TLS.
  bool insecure = false;
  std::string certificate_file;         // CA bundle to trust
  std::string client_key_file;          // mTLS
  std::string client_certificate_file;  // mTLS
};

enum class ExporterKind { kOtlp, kConsole };
std::string_view to_string(ExporterKind kind) noexcept;

// A value the program itself supplies for the resource (from its own settings: the library reads
// no program-specific variable), and where it came from, for the start-up summary.
struct ProgramValue {
  std::string value;
  std::string origin;  // a variable name such as "SERVICE_NAME", or "program default"
  // true: beats the same key in OTEL_RESOURCE_ATTRIBUTES, as a dedicated variable does;
  // false: a default, used only when nothing in the environment says otherwise.
  bool overrides_resource_attributes = false;
};

// What a program asks of Config::from_env explicitly. The defaults are the OpenTelemetry
// specification's: service.name from OTEL_SERVICE_NAME, else OTEL_RESOURCE_ATTRIBUTES, else
// "unknown_service:<process name>".
struct ConfigOptions {
  std::optional<ProgramValue> service_name;  // OTEL_SERVICE_NAME still wins
  std::optional<ProgramValue> service_version;
  std::optional<ProgramValue> deployment_environment;  // the deployment.environment attribute
};

// One setting of the effective configuration, for the start-up summary: what it is, and what
// said so (the variable that set it, "default", or the program's origin).
struct ConfigOrigin {
  std::string setting;  // "service.name", or a variable name
  std::string value;
  std::string origin;
};

// The typed, finalized configuration: every value parsed and checked, so configure_tracing()
// applies it without reading text again. from_env() is the way to obtain one from the
// environment; a program may also fill one in itself.
struct Config {
  // OTEL_TRACING_ENABLED=true turns tracing on; OTEL_SDK_DISABLED=true turns it off again.
  bool enabled = false;
  std::string service_name;  // empty: "unknown_service:<process name>"
  std::string service_version;
  std::string environment;              // deployment.environment
  OwnedAttributes resource_attributes;  // OTEL_RESOURCE_ATTRIBUTES, decoded
  samplers::Choice sampler;
  std::vector<propagation::Kind> propagators = {propagation::Kind::kTraceContext,
                                                propagation::Kind::kBaggage};
  std::vector<ExporterKind> exporters = {ExporterKind::kOtlp};  // empty: none
  std::string console_path;  // TRACEKIT_CONSOLE_PATH: console to a file
  BatchOptions batch;
  SpanLimits limits;
  OtlpConfig otlp;
  // Log export (tracekit::log records as OTLP logs), on when tracing is: OTEL_LOGS_EXPORTER,
  // OTEL_BLRP_* and OTEL_EXPORTER_OTLP_LOGS_* (which win over the generic OTEL_EXPORTER_OTLP_*).
  std::vector<ExporterKind> log_exporters = {ExporterKind::kOtlp};  // empty: none
  BatchOptions log_batch = default_log_batch();
  OtlpConfig logs_otlp;

  // OTEL_BLRP_*'s defaults, the specification's: a queue of 2,048, batches of 512 and a 1 s
  // schedule delay (the span processor's larger defaults were measured for spans only).
  static BatchOptions default_log_batch() {
    BatchOptions b;
    b.max_queue_size = 2048;
    b.max_export_batch_size = 512;
    b.schedule_delay = std::chrono::milliseconds(1000);
    return b;
  }

  // Filled by from_env: each value that the environment or the program set, and what set it.
  std::vector<ConfigOrigin> origins;
  // Filled by from_env: variables that contradict each other, and which one won. configure_tracing
  // reports each once, as a warning.
  std::vector<std::string> warnings;

  using Getter = std::function<std::optional<std::string>(std::string_view name)>;
  // Reads the process environment.
  static Result<Config> from_env(const ConfigOptions& options = {});
  // Reads through `getter` (tests pass a map).
  static Result<Config> from_env(const Getter& getter, const ConfigOptions& options = {});
};

// "unknown_service:<process name>" (OpenTelemetry's default service.name).
std::string default_service_name();
// One line of the effective configuration ("tracing on: service.name=..., sampler=..., ..."),
// and one line per setting with its origin.
std::string summary_line(const Config& config);
std::vector<std::string> summary_details(const Config& config);

}  // namespace tracekit
