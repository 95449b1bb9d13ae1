#include "tracekit/setup.h"

#include "tracekit/batch_span_processor.h"
#include "tracekit/diagnostics.h"
#include "tracekit/exporters/console.h"
#include "tracekit/propagation/propagator.h"
#include "tracekit/tracer_provider.h"
#if TRACEKIT_WITH_OTLP
#include "tracekit/otlp/exporter.h"
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
    if (!file) return Error{"TRACEKIT_CONSOLE_PATH: " + file.error().message};
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
}  // namespace

Result<void> configure_tracing(const Config& config) {
  auto propagator = propagation::make(config.propagators);
  if (!config.enabled) {
    report_configuration(config);
    propagation::set_global_propagator(std::move(propagator));
    set_global_tracer_provider(nullptr);
    return {};
  }

  TracerProviderOptions options;
  OwnedAttributes seed;
  seed.set("service.name",
           config.service_name.empty() ? default_service_name() : config.service_name);
  if (!config.service_version.empty()) seed.set("service.version", config.service_version);
  if (!config.environment.empty()) seed.set("deployment.environment", config.environment);
  options.resource = Resource::sdk_default()
                         .merge(Resource(config.resource_attributes))
                         .merge(Resource(std::move(seed)));
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
  return {};
}

bool shutdown_tracing(std::chrono::milliseconds timeout) {
  auto provider = global_tracer_provider();
  return provider ? provider->shutdown(timeout) : true;
}

}  // namespace tracekit
