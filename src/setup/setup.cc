// SPDX-License-Identifier: Apache-2.0
#include "tracekit/setup.h"

#include <algorithm>
#include <future>
#include <system_error>
#include <vector>

#include "tracekit/batch_span_processor.h"
#include "tracekit/diagnostics.h"
#include "tracekit/exporters/console.h"
#include "tracekit/log/record.h"
#include "tracekit/propagation/propagator.h"
#include "tracekit/tracer_provider.h"
#if TRACEKIT_WITH_OTLP
#include "tracekit/otlp/exporter.h"
#include "tracekit/otlp/log_exporter.h"
#include "tracekit/semconv.h"
#endif

namespace tracekit {

Result<void> configure_tracing(const ConfigOptions& options) {
  auto config = Config::from_env(options);
  if (!config) return config.error();
  return configure_tracing(*config);
}

namespace {
Result<std::unique_ptr<SpanExporter>> make_exporter(ExporterKind kind, const Config& config) {
  if (kind == ExporterKind::kConsole) {
    if (config.console_path.empty())
      return std::unique_ptr<SpanExporter>(new ConsoleSpanExporter());
    auto file = ConsoleSpanExporter::open_file(config.console_path);
    if (!file) return file.error().with_prefix("TRACEKIT_CONSOLE_PATH: ");
    return std::unique_ptr<SpanExporter>(std::move(*file));
  }
#if TRACEKIT_WITH_OTLP
  return otlp::make_exporter(config.otlp);
#else
  return Error{"OTEL_TRACES_EXPORTER=otlp: this build of tracekit has no OTLP exporter"};
#endif
}

// What was decided and why: conflicts as warnings, the effective configuration in one line
// (info) and setting by setting with each origin (debug).
void report_configuration(const Config& config) {
  for (const auto& warning : config.warnings)
    report_diagnostic(DiagnosticLevel::kWarning, warning);
  report_diagnostic(DiagnosticLevel::kInfo, summary_line(config));
  for (const auto& line : summary_details(config))
    report_diagnostic(DiagnosticLevel::kDebug, line);
}

Result<std::unique_ptr<log::LogRecordExporter>> make_log_exporter(ExporterKind kind,
                                                                  const Config& config,
                                                                  const Resource& resource) {
  if (kind == ExporterKind::kConsole) return log::console_log_exporter(resource);
#if TRACEKIT_WITH_OTLP
  auto e = otlp::OtlpLogExporter::create(config.logs_otlp, resource);
  if (!e) return e.error();
  return std::unique_ptr<log::LogRecordExporter>(std::move(*e));
#else
  (void)config;
  return Error{"OTEL_LOGS_EXPORTER=otlp: this build of tracekit has no OTLP exporter"};
#endif
}

// Fans one record out to several processors (OTEL_LOGS_EXPORTER=otlp,console).
class FanOutLogProcessor final : public log::LogRecordProcessor {
 public:
  explicit FanOutLogProcessor(std::vector<std::unique_ptr<log::LogRecordProcessor>> processors)
      : processors_(std::move(processors)) {}
  void on_emit(log::LogRecordPtr record) noexcept override {
    // Every processor but the last gets a copy.
    for (size_t i = 0; i + 1 < processors_.size(); ++i) {
      try {
        const log::LogRecord& r = *record;
        processors_[i]->on_emit(log::LogRecord::make(r.time_ns(), r.level(), r.logger(), r.body(),
                                                     r.attributes(), r.trace_id(), r.span_id(),
                                                     r.flags(), {}));
      } catch (...) {
      }
    }
    processors_.back()->on_emit(std::move(record));
  }
  bool force_flush(std::chrono::milliseconds timeout) noexcept override {
    bool ok = true;
    for (auto& p : processors_)
      ok = p->force_flush(timeout) && ok;
    return ok;
  }
  bool shutdown(std::chrono::milliseconds timeout) noexcept override {
    bool ok = true;
    for (auto& p : processors_)
      ok = p->shutdown(timeout) && ok;
    return ok;
  }
  void add_stats(log::LogExportStats& stats) const noexcept override {
    for (const auto& p : processors_)
      p->add_stats(stats);
  }

 private:
  std::vector<std::unique_ptr<log::LogRecordProcessor>> processors_;
};

// Replaces the global log record processor, shutting the previous one down briefly (records it
// still holds are flushed if the receiver answers within the bound).
void replace_log_processor(std::shared_ptr<log::LogRecordProcessor> next) {
  auto previous = log::record_processor();
  log::set_record_processor(std::move(next));
  if (previous) previous->shutdown(std::chrono::seconds(2));
}

Result<std::shared_ptr<log::LogRecordProcessor>> make_log_processor(const Config& config,
                                                                    const Resource& resource) {
  log::LogBatchOptions batch;
  batch.max_queue_size = config.log_batch.max_queue_size;
  batch.max_export_batch_size = config.log_batch.max_export_batch_size;
  batch.schedule_delay = config.log_batch.schedule_delay;
  batch.export_timeout = config.log_batch.export_timeout;
  std::vector<std::unique_ptr<log::LogRecordExporter>> exporters;
  for (ExporterKind kind : config.log_exporters) {
    auto exporter = make_log_exporter(kind, config, resource);
    if (!exporter) return exporter.error();
    exporters.push_back(std::move(*exporter));
  }
  if (exporters.empty()) return std::shared_ptr<log::LogRecordProcessor>();
  std::vector<std::unique_ptr<log::LogRecordProcessor>> processors;
  processors.reserve(exporters.size());
  for (auto& e : exporters)
    processors.push_back(std::make_unique<log::BatchLogRecordProcessor>(std::move(e), batch));
  if (processors.size() == 1)
    return std::shared_ptr<log::LogRecordProcessor>(std::move(processors[0]));
  return std::shared_ptr<log::LogRecordProcessor>(
      std::make_shared<FanOutLogProcessor>(std::move(processors)));
}
}  // namespace

Result<void> configure_tracing(const Config& config) {
  auto propagator = propagation::make(config.propagators);
  if (!config.enabled) {
    report_configuration(config);
    propagation::set_global_propagator(std::move(propagator));
    set_global_tracer_provider(nullptr);
    replace_log_processor(nullptr);
    return {};
  }

  TracerProviderOptions options;
  OwnedAttributes seed;
  seed.set(semconv::service::kName,
           config.service_name.empty() ? default_service_name() : config.service_name);
  if (!config.service_version.empty()) seed.set(semconv::service::kVersion, config.service_version);
  if (!config.environment.empty()) seed.set(semconv::deployment::kEnvironment, config.environment);
  options.resource = Resource::sdk_default()
                         .merge(Resource(config.resource_attributes))
                         .merge(Resource(std::move(seed)));
  // Log records carry the same resource as the spans.
  auto log_processor = make_log_processor(config, options.resource);
  if (!log_processor) return log_processor.error();
  options.sampler = samplers::make(config.sampler);
  options.limits = config.limits;
  for (ExporterKind kind : config.exporters) {
    auto exporter = make_exporter(kind, config);
    if (!exporter) return exporter.error();
    options.processors.push_back(
        std::make_unique<BatchSpanProcessor>(std::move(*exporter), config.batch));
  }
  report_configuration(config);
  propagation::set_global_propagator(std::move(propagator));
  set_global_tracer_provider(std::make_shared<TracerProvider>(std::move(options)));
  replace_log_processor(std::move(*log_processor));
  return {};
}

bool shutdown_tracing(std::chrono::milliseconds timeout) {
  // Spans and log records shut down side by side, each within the whole timeout: one after the
  // other, a collector that stalls the spans' last export left the log records no time at all.
  auto provider = global_tracer_provider();
  auto logs = log::record_processor();
  if (logs) log::set_record_processor(nullptr);
  std::future<bool> spans_done;
  if (provider) {
    try {
      spans_done = std::async(std::launch::async,
                              [provider, timeout] { return provider->shutdown(timeout); });
    } catch (const std::system_error&) {  // no thread to be had: one after the other
      spans_done = std::async(std::launch::deferred,
                              [provider, timeout] { return provider->shutdown(timeout); });
    }
  }
  bool ok = logs ? logs->shutdown(timeout) : true;
  if (spans_done.valid()) ok = spans_done.get() && ok;
  return ok;
}

}  // namespace tracekit
