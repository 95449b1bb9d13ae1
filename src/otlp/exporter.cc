// SPDX-License-Identifier: Apache-2.0
#include "tracekit/otlp/exporter.h"

#include <fstream>
#include <sstream>

#include "export_loop.h"
#include "proto_encoders.h"
#include "tracekit/otlp_json.h"
#include "tracekit/version.h"

namespace tracekit::otlp {

namespace detail {

Result<std::string> read_file(const std::string& path, std::string_view variable) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error{std::string(variable) + "=\"" + path + "\" names a file that cannot be read"};
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in.good() && !in.eof()) {
    return Error{std::string(variable) + "=\"" + path + "\": reading the file failed"};
  }
  return ss.str();
}

std::string user_agent() {
  return std::string("OTel-OTLP-Exporter-Cpp/") + kVersion + " tracekit";
}

}  // namespace detail

namespace {

// A batch of spans as the transports write it.
class SpanPayload final : public detail::Payload {
 public:
  explicit SpanPayload(std::span<const SpanDataPtr> spans) : spans_(spans) {}
  void write_protobuf(detail::ByteBuffer& out) const override {
    detail::encode_request(spans_, out);
  }
  void write_json(std::string& out) const override { otlp_json::encode_request(spans_, out); }
  std::unique_ptr<detail::Payload> part(size_t begin, size_t end) const override {
    return std::make_unique<SpanPayload>(spans_.subspan(begin, end - begin));
  }

 private:
  std::span<const SpanDataPtr> spans_;
};

}  // namespace

struct OtlpExporter::State {
  detail::ExportLoop loop;
};

OtlpExporter::OtlpExporter(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}

OtlpExporter::~OtlpExporter() {
  shutdown(std::chrono::milliseconds(0));
}

Result<std::unique_ptr<OtlpExporter>> OtlpExporter::create(const OtlpConfig& config,
                                                           const ExporterOptions& options) {
  try {
    auto transport = detail::make_transport(config, options, detail::Signal::kTraces);
    if (!transport) return transport.error();
    // NOLINTNEXTLINE(modernize-make-unique): private constructor; State is an aggregate
    return std::unique_ptr<OtlpExporter>(new OtlpExporter(std::unique_ptr<State>(
        new State{detail::ExportLoop(config, options, std::move(*transport), "spans")})));
  } catch (const std::exception& e) {
    return Error{std::string("OTLP exporter: ") + e.what()};
  }
}

Result<std::unique_ptr<SpanExporter>> make_exporter(const OtlpConfig& config,
                                                    const ExporterOptions& options) {
  auto e = OtlpExporter::create(config, options);
  if (!e) return e.error();
  return std::unique_ptr<SpanExporter>(std::move(*e));
}

ExportResult OtlpExporter::export_spans(std::span<const SpanDataPtr> spans,
                                        Deadline deadline) noexcept {
  return state_->loop.export_batch(SpanPayload(spans), spans.size(), deadline);
}

bool OtlpExporter::shutdown(std::chrono::milliseconds timeout) noexcept {
  return state_->loop.shutdown(timeout);
}

void OtlpExporter::cancel() noexcept {
  state_->loop.shutdown(std::chrono::milliseconds(0));
}

ExporterStats OtlpExporter::stats() const noexcept {
  return state_->loop.stats();
}

const OtlpConfig& OtlpExporter::config() const noexcept {
  return state_->loop.config();
}

}  // namespace tracekit::otlp
