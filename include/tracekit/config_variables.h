// SPDX-License-Identifier: Apache-2.0
// Every environment variable the library reads (core, otlp, http, log). To add one: add an entry
// here (in the section of docs/configuration.md it belongs to), read it with
// `read_env(library_variable("NAME"))` or through Config's parser, and run
// `scripts/check_config.py --write` to regenerate the docs tables. Apps keep their own tables.
#pragma once

#include "tracekit/config_registry.h"

namespace tracekit::config {

using enum VariableType;

// clang-format off
inline constexpr Variable kLibraryVariables[] = {
  // section "enable"
  {"OTEL_TRACING_ENABLED", kBoolean, "`false`", "tracekit's opt-in: `true` turns tracing on", "core", "enable"},
  {"OTEL_SDK_DISABLED", kBoolean, "`false`", "the standard kill switch: `true` turns tracing off whatever else is set", "core", "enable"},
  // section "service"
  {"OTEL_SERVICE_NAME", kText, "`unknown_service:<process name>`", "`service.name`", "core", "service"},
  {"OTEL_RESOURCE_ATTRIBUTES", kKeyValues, "unset", "resource attributes, `key1=value1,key2=value2`, values percent-decoded", "core", "service"},
  // section "sampling"
  {"OTEL_TRACES_SAMPLER", kChoice, "`parentbased_always_on`", "`always_on`, `always_off`, `traceidratio`, `parentbased_always_on`, `parentbased_always_off`, `parentbased_traceidratio`", "core", "sampling"},
  {"OTEL_TRACES_SAMPLER_ARG", kText, "`1.0`", "the ratio for the `traceidratio` samplers, 0 to 1", "core", "sampling"},
  // section "propagation"
  {"OTEL_PROPAGATORS", kList, "`tracecontext,baggage`", "`tracecontext`, `baggage`, `none`", "core", "propagation"},
  // section "exporters"
  {"OTEL_TRACES_EXPORTER", kList, "`otlp`", "`otlp`, `console`, `none`; a comma-separated list exports to each", "core", "exporters"},
  {"OTEL_LOGS_EXPORTER", kList, "`otlp`", "where `tracekit::log` records go as OTLP log records while tracing is on: `otlp`, `console` (OTLP/JSON on standard output), `none`; a list exports to each", "core", "exporters"},
  {"TRACEKIT_CONSOLE_PATH", kFile, "standard output", "the console exporter appends OTLP/JSON lines to this file", "core", "exporters"},
  // section "otlp": the generic variable, then its traces-specific form, which wins
  {"OTEL_EXPORTER_OTLP_ENDPOINT", kUrl, "`http://localhost:4317` (grpc), `http://localhost:4318` (http)", "collector URL; for HTTP `/v1/traces` is appended", "otlp", "otlp"},
  {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", kUrl, "unset", "collector URL for traces, used exactly as given", "otlp", "otlp"},
  {"OTEL_EXPORTER_OTLP_PROTOCOL", kChoice, "`grpc`", "`grpc`, `http/protobuf`, `http/json`", "otlp", "otlp"},
  {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", kChoice, "unset", "the same, for traces", "otlp", "otlp"},
  {"OTEL_EXPORTER_OTLP_HEADERS", kKeyValues, "none", "`key1=value1,key2=value2`, percent-decoded; sent with every export", "otlp", "otlp"},
  {"OTEL_EXPORTER_OTLP_TRACES_HEADERS", kKeyValues, "none", "the same, for traces; its keys replace the generic ones", "otlp", "otlp"},
  {"OTEL_EXPORTER_OTLP_TIMEOUT", kDuration, "`10000`", "milliseconds for one export, retries included", "otlp", "otlp"},
  {"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", kDuration, "unset", "the same, for traces", "otlp", "otlp"},
  {"OTEL_EXPORTER_OTLP_COMPRESSION", kChoice, "none", "`gzip` or `none`", "otlp", "otlp"},
  {"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", kChoice, "unset", "the same, for traces", "otlp", "otlp"},
  {"OTEL_EXPORTER_OTLP_INSECURE", kBoolean, "from the URL scheme", "`true`: no TLS even for a gRPC endpoint", "otlp", "otlp"},
  {"OTEL_EXPORTER_OTLP_TRACES_INSECURE", kBoolean, "unset", "the same, for traces", "otlp", "otlp"},
  {"OTEL_EXPORTER_OTLP_CERTIFICATE", kFile, "system CAs", "PEM file of CAs to trust", "otlp", "otlp"},
  {"OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", kFile, "unset", "the same, for traces", "otlp", "otlp"},
  {"OTEL_EXPORTER_OTLP_CLIENT_KEY", kFile, "none", "PEM private key for mutual TLS (with the client certificate)", "otlp", "otlp"},
  {"OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", kFile, "unset", "the same, for traces", "otlp", "otlp"},
  {"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", kFile, "none", "PEM certificate for mutual TLS (with the client key)", "otlp", "otlp"},
  {"OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE", kFile, "unset", "the same, for traces", "otlp", "otlp"},
  {"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", kUrl, "unset", "collector URL for log records, used exactly as given (the generic endpoint gets `/v1/logs` for HTTP)", "otlp", "otlp"},
  {"OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", kChoice, "unset", "the protocol, for log records", "otlp", "otlp"},
  {"OTEL_EXPORTER_OTLP_LOGS_HEADERS", kKeyValues, "none", "headers for log records; its keys replace the generic ones", "otlp", "otlp"},
  {"OTEL_EXPORTER_OTLP_LOGS_TIMEOUT", kDuration, "unset", "the timeout, for log records", "otlp", "otlp"},
  {"OTEL_EXPORTER_OTLP_LOGS_COMPRESSION", kChoice, "unset", "the compression, for log records", "otlp", "otlp"},
  {"OTEL_EXPORTER_OTLP_LOGS_INSECURE", kBoolean, "unset", "the same as INSECURE, for log records", "otlp", "otlp"},
  {"OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE", kFile, "unset", "the CA file, for log records", "otlp", "otlp"},
  {"OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY", kFile, "unset", "the mTLS key, for log records", "otlp", "otlp"},
  {"OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE", kFile, "unset", "the mTLS certificate, for log records", "otlp", "otlp"},
  // section "batch"
  {"OTEL_BSP_MAX_QUEUE_SIZE", kInteger, "`8192`", "spans waiting for export, all threads together (at most 16,777,216); when the queue is full, new spans are dropped and counted. The specification says 2,048; tracekit holds four times that (at most 8 MiB of spans) so that a burst outlasts the worker's wait for a core", "core", "batch"},
  {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", kInteger, "`2048`", "spans per export call; at most the queue size", "core", "batch"},
  {"OTEL_BSP_SCHEDULE_DELAY", kDuration, "`5000`", "milliseconds between exports when fewer than a batch are queued", "core", "batch"},
  {"OTEL_BSP_EXPORT_TIMEOUT", kDuration, "`30000`", "milliseconds one export may take", "core", "batch"},
  {"OTEL_BLRP_MAX_QUEUE_SIZE", kInteger, "`2048`", "log records waiting for export (at most 16,777,216); a full queue drops new records and counts them", "core", "batch"},
  {"OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", kInteger, "`512`", "log records per export call; at most the queue size", "core", "batch"},
  {"OTEL_BLRP_SCHEDULE_DELAY", kDuration, "`1000`", "milliseconds between log exports when fewer than a batch are queued", "core", "batch"},
  {"OTEL_BLRP_EXPORT_TIMEOUT", kDuration, "`30000`", "milliseconds one log export may take", "core", "batch"},
  // section "limits": the span-specific variable wins over the general one
  {"OTEL_ATTRIBUTE_COUNT_LIMIT", kInteger, "`128`", "attributes per span (general form)", "core", "limits"},
  {"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", kInteger, "unlimited", "length of a string attribute value (general form)", "core", "limits"},
  {"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", kInteger, "`128`", "attributes per span", "core", "limits"},
  {"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", kInteger, "unlimited", "length of a string attribute value", "core", "limits"},
  {"OTEL_SPAN_EVENT_COUNT_LIMIT", kInteger, "`128`", "events per span", "core", "limits"},
  {"OTEL_SPAN_LINK_COUNT_LIMIT", kInteger, "`128`", "links per span", "core", "limits"},
  {"OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", kInteger, "`128`", "attributes per event", "core", "limits"},
  {"OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", kInteger, "`128`", "attributes per link", "core", "limits"},
  // section "other"
  {"TRACEKIT_CLOCK", kChoice, "`tsc`", "`system`: read the system clock for timestamps instead of the scaled TSC; `tsc`: the TSC where the CPU has an invariant one", "core", "other"},
  {"OTEL_SEMCONV_STABILITY_OPT_IN", kList, "unset", "`http`: HTTP spans (tracing middleware, client) carry the stable attribute names; `http/dup`: old and stable; otherwise the pre-1.20 names (`http.method`, ...). Other items are for other instrumentations and are ignored", "http", "other"},
  {"LOG_LEVEL", kChoice, "`info`", "`debug`, `info`, `warn`, `error`, `off`: the minimum level of `tracekit::log` lines, read by `tracekit::log::configure_from_env()`", "log", "other"},
};
// clang-format on

consteval const Variable& library_variable(std::string_view name) {
  return find_variable(kLibraryVariables, name);
}

}  // namespace tracekit::config
