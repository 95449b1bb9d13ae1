// Configuration from the environment: the seed's variables and the standard OTEL_* ones, read
// once into a value. Every invalid value is an error naming the variable, the value and what is
// allowed. docs/configuration.md lists them all and which wins when two name the same thing.
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
#include "tracekit/result.h"
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

struct Config {
  // OTEL_TRACING_ENABLED=true turns tracing on; OTEL_SDK_DISABLED=true turns it off again.
  bool enabled = false;
  std::string service_name = "skriptoteket";
  std::string service_version;
  std::string environment;
  OwnedAttributes resource_attributes;  // OTEL_RESOURCE_ATTRIBUTES, decoded
  std::string sampler = "parentbased_always_on";
  std::string sampler_arg;
  std::vector<std::string> propagators = {"tracecontext", "baggage"};
  std::vector<std::string> exporters = {"otlp"};  // otlp, console, none
  std::string console_path;                       // TRACEKIT_CONSOLE_PATH: console to a file
  BatchOptions batch;
  SpanLimits limits;
  OtlpConfig otlp;
  // Log export (tracekit::log records as OTLP logs), on when tracing is: OTEL_LOGS_EXPORTER,
  // OTEL_BLRP_* and OTEL_EXPORTER_OTLP_LOGS_* (which win over the generic OTEL_EXPORTER_OTLP_*).
  std::vector<std::string> log_exporters = {"otlp"};  // otlp, console, none
  BatchOptions log_batch = default_log_batch();
  OtlpConfig logs_otlp;

  // OTEL_BLRP_*'s defaults: as OTEL_BSP_*'s but a 1 s schedule delay.
  static BatchOptions default_log_batch() {
    BatchOptions b;
    b.schedule_delay = std::chrono::milliseconds(1000);
    return b;
  }

  using Getter = std::function<std::optional<std::string>(std::string_view name)>;
  // Reads the process environment.
  static Result<Config> from_env();
  // Reads through `getter` (tests pass a map).
  static Result<Config> from_env(const Getter& getter);
};

}  // namespace tracekit
