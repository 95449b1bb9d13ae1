// SPDX-License-Identifier: Apache-2.0
// The OTLP log exporter: a log payload over the span exporter's transports and retry loop.
#include "tracekit/otlp/log_exporter.h"

#include "export_loop.h"
#include "proto_encoders.h"

namespace tracekit::otlp {

namespace {

class LogPayload final : public detail::Payload {
 public:
  LogPayload(std::span<const log::LogRecordPtr> records, const Resource& resource)
      : records_(records), resource_(resource) {}
  void write_protobuf(detail::ByteBuffer& out) const override {
    detail::encode_logs_request(records_, resource_, out);
  }
  void write_json(std::string& out) const override {
    log::encode_json_request(records_, resource_, out);
  }
  std::unique_ptr<detail::Payload> part(size_t begin, size_t end) const override {
    return std::make_unique<LogPayload>(records_.subspan(begin, end - begin), resource_);
  }

 private:
  std::span<const log::LogRecordPtr> records_;
  const Resource& resource_;
};

}  // namespace

struct OtlpLogExporter::State {
  Resource resource;
  detail::ExportLoop loop;
};

OtlpLogExporter::OtlpLogExporter(std::unique_ptr<State> state) noexcept
    : state_(std::move(state)) {}

OtlpLogExporter::~OtlpLogExporter() {
  shutdown(std::chrono::milliseconds(0));
}

Result<std::unique_ptr<OtlpLogExporter>> OtlpLogExporter::create(const OtlpConfig& config,
                                                                 Resource resource,
                                                                 const ExporterOptions& options) {
  try {
    auto transport = detail::make_transport(config, options, detail::Signal::kLogs);
    if (!transport) return transport.error();
    // NOLINTNEXTLINE(modernize-make-unique): private constructor; State is an aggregate
    return std::unique_ptr<OtlpLogExporter>(new OtlpLogExporter(std::unique_ptr<State>(
        new State{std::move(resource),
                  detail::ExportLoop(config, options, std::move(*transport), "log records")})));
  } catch (const std::exception& e) {
    return Error{std::string("OTLP log exporter: ") + e.what()};
  }
}

ExportResult OtlpLogExporter::export_records(std::span<const log::LogRecordPtr> records,
                                             Deadline deadline) noexcept {
  return state_->loop.export_batch(LogPayload(records, state_->resource), records.size(), deadline);
}

bool OtlpLogExporter::shutdown(std::chrono::milliseconds timeout) noexcept {
  return state_->loop.shutdown(timeout);
}

void OtlpLogExporter::cancel() noexcept {
  state_->loop.shutdown(std::chrono::milliseconds(0));
}

ExporterStats OtlpLogExporter::stats() const noexcept {
  return state_->loop.stats();
}

}  // namespace tracekit::otlp
