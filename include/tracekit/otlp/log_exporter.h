// SPDX-License-Identifier: Apache-2.0
// The OTLP log exporter: log records from tracekit::log as an ExportLogsServiceRequest over the
// span exporter's transports (gRPC LogsService/Export, HTTP /v1/logs with protobuf or JSON),
// with the same retry rules, timeout, TLS and gzip. Nothing here throws.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "tracekit/config.h"
#include "tracekit/log/record.h"
#include "tracekit/otlp/exporter.h"
#include "tracekit/resource.h"

namespace tracekit::otlp {

// Appends one serialized ExportLogsServiceRequest: one ResourceLogs for `resource`, one
// ScopeLogs per logger name (in order of first appearance), records in their order.
void encode_logs_request(std::span<const log::LogRecordPtr> records, const Resource& resource,
                         std::string& out);

class OtlpLogExporter final : public log::LogRecordExporter {
 public:
  // `config` is Config::logs_otlp (its HTTP endpoint ends in /v1/logs). Errors name the setting
  // that is wrong.
  static Result<std::unique_ptr<OtlpLogExporter>> create(const OtlpConfig& config,
                                                         Resource resource,
                                                         const ExporterOptions& options = {});
  ~OtlpLogExporter() override;
  OtlpLogExporter(const OtlpLogExporter&) = delete;
  OtlpLogExporter& operator=(const OtlpLogExporter&) = delete;

  ExportResult export_records(std::span<const log::LogRecordPtr> records,
                              Deadline deadline) noexcept override;
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;
  // shutdown() without the wait.
  void cancel() noexcept override;
  // spans_exported and rejected_spans count log records here.
  ExporterStats stats() const noexcept;

  struct State;

 private:
  explicit OtlpLogExporter(std::unique_ptr<State> state) noexcept;
  std::unique_ptr<State> state_;
};

}  // namespace tracekit::otlp
