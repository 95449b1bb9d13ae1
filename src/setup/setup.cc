#include "tracekit/setup.h"

#include "tracekit/batch_span_processor.h"
#include "tracekit/exporters/console.h"
#include "tracekit/propagation/propagator.h"
#include "tracekit/tracer_provider.h"
#if TRACEKIT_WITH_OTLP
#include "tracekit/otlp/exporter.h"
#endif

namespace tracekit {

Result<void> configure_tracing() {
  auto config = Config::from_env();
  if (!config) return config.error();
  return configure_tracing(*config);
}

namespace {
Result<std::unique_ptr<SpanExporter>> make_exporter(const std::string& name, const Config& config) {
  if (name == "console") {
    if (config.console_path.empty())
      return std::unique_ptr<SpanExporter>(new ConsoleSpanExporter());
    auto file = ConsoleSpanExporter::open_file(config.console_path);
    if (!file) return Error{"TRACEKIT_CONSOLE_PATH: " + file.error().message};
    return std::unique_ptr<SpanExporter>(std::move(*file));
  }
  if (name == "otlp") {
#if TRACEKIT_WITH_OTLP
    return otlp::make_exporter(config.otlp);
#else
    return Error{"OTEL_TRACES_EXPORTER=otlp: this build of tracekit has no OTLP exporter"};
#endif
  }
  return Error{"OTEL_TRACES_EXPORTER: unknown exporter \"" + name + "\""};
}
}  // namespace

Result<void> configure_tracing(const Config& config) {
  auto propagator = propagation::from_names(config.propagators);
  if (!propagator) return propagator.error();
  if (!config.enabled) {
    propagation::set_global_propagator(std::move(*propagator));
    set_global_tracer_provider(nullptr);
    return {};
  }

  auto sampler = samplers::from_name(config.sampler, config.sampler_arg);
  if (!sampler) return sampler.error();

  TracerProviderOptions options;
  OwnedAttributes seed;
  seed.set("service.name", config.service_name);
  if (!config.service_version.empty()) seed.set("service.version", config.service_version);
  if (!config.environment.empty()) seed.set("deployment.environment", config.environment);
  options.resource = Resource::sdk_default()
                         .merge(Resource(config.resource_attributes))
                         .merge(Resource(std::move(seed)));
  options.sampler = std::move(*sampler);
  options.limits = config.limits;
  for (const auto& name : config.exporters) {
    if (name == "none") continue;
    auto exporter = make_exporter(name, config);
    if (!exporter) return exporter.error();
    options.processors.push_back(
        std::make_unique<BatchSpanProcessor>(std::move(*exporter), config.batch));
  }
  propagation::set_global_propagator(std::move(*propagator));
  set_global_tracer_provider(std::make_shared<TracerProvider>(std::move(options)));
  return {};
}

bool shutdown_tracing(std::chrono::milliseconds timeout) {
  auto provider = global_tracer_provider();
  return provider ? provider->shutdown(timeout) : true;
}

}  // namespace tracekit
