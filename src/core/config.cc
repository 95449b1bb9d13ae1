// SPDX-License-Identifier: Apache-2.0
#include "tracekit/config.h"

#include <algorithm>

#include <cerrno>

#include "env_reader.h"
#include "tracekit/resource.h"
#include "tracekit/semconv.h"

namespace tracekit {

std::string_view to_string(OtlpProtocol protocol) noexcept {
  switch (protocol) {
    case OtlpProtocol::kGrpc:
      return "grpc";
    case OtlpProtocol::kHttpProtobuf:
      return "http/protobuf";
    case OtlpProtocol::kHttpJson:
      return "http/json";
  }
  return "grpc";
}

std::string_view to_string(ExporterKind kind) noexcept {
  return kind == ExporterKind::kConsole ? "console" : "otlp";
}

std::string default_service_name() {
  // glibc's short name of the running program (argv[0] without its directories).
  const char* name = program_invocation_short_name;
  return std::string("unknown_service") + (name && *name ? ":" + std::string(name) : "");
}

namespace {

using config::library_variable;
using detail::EnvReader;
using detail::quoted;

constexpr size_t kMaxQueueSize = size_t{1} << 24;

Result<void> parse_enabled(const EnvReader& env, Config& c) {
  bool tracing_enabled = false;
  TRACEKIT_TRY(env.boolean(library_variable("OTEL_TRACING_ENABLED"), tracing_enabled));
  bool sdk_disabled = false;
  TRACEKIT_TRY(env.boolean(library_variable("OTEL_SDK_DISABLED"), sdk_disabled));
  c.enabled = tracing_enabled && !sdk_disabled;
  if (tracing_enabled && sdk_disabled) {
    env.warn("OTEL_SDK_DISABLED=true wins over OTEL_TRACING_ENABLED=true: tracing is off");
  }
  return {};
}

// One resource value: the program's override beats OTEL_RESOURCE_ATTRIBUTES, which beats the
// program's default. Returns the value to set over the attributes ("" keeps theirs).
std::string resolve_program_value(const EnvReader& env, const Config& c, std::string_view key,
                                  const std::optional<ProgramValue>& program,
                                  std::vector<ConfigOrigin>& origins) {
  const AttributeValue* a = c.resource_attributes.get(key);
  const bool in_attributes = a != nullptr;
  std::string from_attributes =
      a && a->type() == AttributeType::kString ? std::string(a->as_string()) : std::string();
  if (program && program->overrides_resource_attributes) {
    if (in_attributes && from_attributes != program->value) {
      env.warn(program->origin + "=\"" + program->value + "\" wins over " + std::string(key) +
               "=\"" + from_attributes + "\" in OTEL_RESOURCE_ATTRIBUTES");
    }
    origins.push_back({std::string(key), program->value, program->origin});
    return program->value;
  }
  if (in_attributes) {
    origins.push_back({std::string(key), from_attributes, "OTEL_RESOURCE_ATTRIBUTES"});
    return {};
  }
  if (program) {
    origins.push_back({std::string(key), program->value, program->origin});
    return program->value;
  }
  return {};
}

Result<void> parse_resource(const EnvReader& env, const ConfigOptions& options, Config& c) {
  if (auto v = env.get(library_variable("OTEL_RESOURCE_ATTRIBUTES"))) {
    auto attrs = parse_resource_attributes(*v);
    if (!attrs) return attrs.error();
    c.resource_attributes = std::move(*attrs);
  }
  // service.name: OTEL_SERVICE_NAME, then the program's override, then service.name in
  // OTEL_RESOURCE_ATTRIBUTES, then the program's default, then unknown_service:<process>.
  std::vector<ConfigOrigin> origins;
  if (auto v = env.get(library_variable("OTEL_SERVICE_NAME"))) {
    c.service_name = *v;
    const auto& program = options.service_name;
    if (program && program->overrides_resource_attributes && program->value != *v) {
      env.warn("OTEL_SERVICE_NAME=\"" + *v + "\" wins over " + program->origin + "=\"" +
               program->value + "\"");
    }
    const AttributeValue* a = c.resource_attributes.get(semconv::service::kName);
    if (a && a->type() == AttributeType::kString && a->as_string() != *v) {
      env.warn("OTEL_SERVICE_NAME=\"" + *v + "\" wins over service.name=\"" +
               std::string(a->as_string()) + "\" in OTEL_RESOURCE_ATTRIBUTES");
    }
  } else {
    c.service_name =
        resolve_program_value(env, c, semconv::service::kName, options.service_name, origins);
    if (c.service_name.empty()) {
      const AttributeValue* a = c.resource_attributes.get(semconv::service::kName);
      if (a && a->type() == AttributeType::kString) {
        c.service_name = std::string(a->as_string());
      } else {
        c.service_name = default_service_name();
        origins.push_back({std::string(semconv::service::kName), c.service_name, "default"});
      }
    }
  }
  c.service_version =
      resolve_program_value(env, c, semconv::service::kVersion, options.service_version, origins);
  c.environment = resolve_program_value(env, c, semconv::deployment::kEnvironment,
                                        options.deployment_environment, origins);
  for (auto& o : origins)
    c.origins.push_back(std::move(o));
  return {};
}

// OTEL_TRACES_EXPORTER, OTEL_LOGS_EXPORTER: a list of otlp, console, none.
Result<void> parse_exporters(const EnvReader& env, const config::Variable& var,
                             std::vector<ExporterKind>& out) {
  auto v = env.get(var);
  if (!v) return {};
  out.clear();
  for (const auto& e : EnvReader::list(*v)) {
    if (e == "otlp") {
      out.push_back(ExporterKind::kOtlp);
    } else if (e == "console") {
      out.push_back(ExporterKind::kConsole);
    } else if (e != "none") {
      return Error{quoted(var, *v) + ": \"" + e + "\" is not supported: use otlp, console or none"};
    }
  }
  return {};
}

Result<void> parse_pipeline(const EnvReader& env, Config& c) {
  std::string sampler_name(to_string(c.sampler.kind));
  if (auto v = env.get(library_variable("OTEL_TRACES_SAMPLER"))) sampler_name = *v;
  std::string sampler_arg;
  if (auto v = env.get(library_variable("OTEL_TRACES_SAMPLER_ARG"))) sampler_arg = *v;
  auto sampler = samplers::parse(sampler_name, sampler_arg);
  if (!sampler) return sampler.error();
  c.sampler = *sampler;

  if (auto v = env.get(library_variable("OTEL_PROPAGATORS"))) {
    c.propagators.clear();
    for (const auto& p : EnvReader::list(*v)) {
      if (p == "tracecontext") {
        c.propagators.push_back(propagation::Kind::kTraceContext);
      } else if (p == "baggage") {
        c.propagators.push_back(propagation::Kind::kBaggage);
      } else if (p != "none") {
        return Error{quoted(library_variable("OTEL_PROPAGATORS"), *v) + ": \"" + p +
                     "\" is not supported: use tracecontext, baggage or none"};
      }
    }
  }
  TRACEKIT_TRY(parse_exporters(env, library_variable("OTEL_TRACES_EXPORTER"), c.exporters));
  TRACEKIT_TRY(parse_exporters(env, library_variable("OTEL_LOGS_EXPORTER"), c.log_exporters));
  if (auto v = env.get(library_variable("TRACEKIT_CONSOLE_PATH"))) c.console_path = *v;
  return {};
}

// OTEL_BSP_* (spans) or OTEL_BLRP_* (log records): the same four variables and rules.
struct BatchVariables {
  const config::Variable& queue;
  const config::Variable& batch;
  const config::Variable& delay;
  const config::Variable& timeout;
};
constexpr BatchVariables kSpanBatch{
    library_variable("OTEL_BSP_MAX_QUEUE_SIZE"), library_variable("OTEL_BSP_MAX_EXPORT_BATCH_SIZE"),
    library_variable("OTEL_BSP_SCHEDULE_DELAY"), library_variable("OTEL_BSP_EXPORT_TIMEOUT")};
constexpr BatchVariables kLogBatch{library_variable("OTEL_BLRP_MAX_QUEUE_SIZE"),
                                   library_variable("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE"),
                                   library_variable("OTEL_BLRP_SCHEDULE_DELAY"),
                                   library_variable("OTEL_BLRP_EXPORT_TIMEOUT")};

Result<void> parse_batch(const EnvReader& env, const BatchVariables& v, BatchOptions& batch) {
  TRACEKIT_TRY(env.integer<size_t>(v.queue, batch.max_queue_size, 1, "a whole number, at least 1"));
  // The queue is allocated up front (16 bytes a slot): refuse sizes no process could hold.
  if (batch.max_queue_size > kMaxQueueSize) {
    return Error{std::string(v.queue.name) + "=\"" + std::to_string(batch.max_queue_size) +
                 "\" is too large: at most " + std::to_string(kMaxQueueSize)};
  }
  TRACEKIT_TRY(
      env.integer<size_t>(v.batch, batch.max_export_batch_size, 1, "a whole number, at least 1"));
  // A smaller queue alone shrinks the default batch with it; a batch set larger is a mistake.
  if (!env.get(v.batch)) {
    batch.max_export_batch_size = std::min(batch.max_export_batch_size, batch.max_queue_size);
  }
  if (batch.max_export_batch_size > batch.max_queue_size) {
    return Error{std::string(v.batch.name) + "=" + std::to_string(batch.max_export_batch_size) +
                 " is larger than " + std::string(v.queue.name) + "=" +
                 std::to_string(batch.max_queue_size) + ": it must be at most the queue size"};
  }
  TRACEKIT_TRY(env.millis(v.delay, batch.schedule_delay, 1));
  TRACEKIT_TRY(env.millis(v.timeout, batch.export_timeout, 1));
  return {};
}

// The span-specific variable is read second, so it wins over the general one.
Result<void> parse_limits(const EnvReader& env, SpanLimits& limits) {
  constexpr const char* kCount = "a whole number, 0 or more";
  struct Limit {
    const config::Variable& general;  // nullptr-like: same as specific when there is none
    const config::Variable& specific;
    uint32_t* out;
  };
  const auto& attribute_count = library_variable("OTEL_ATTRIBUTE_COUNT_LIMIT");
  const auto& value_length = library_variable("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT");
  for (const Limit& l :
       {Limit{attribute_count, library_variable("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT"),
              &limits.attribute_count},
        Limit{value_length, library_variable("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT"),
              &limits.attribute_value_length}}) {
    env.warn_if_both(l.specific, l.general);
    TRACEKIT_TRY(env.integer<uint32_t>(l.general, *l.out, 0, kCount));
    TRACEKIT_TRY(env.integer<uint32_t>(l.specific, *l.out, 0, kCount));
  }
  TRACEKIT_TRY(env.integer<uint32_t>(library_variable("OTEL_SPAN_EVENT_COUNT_LIMIT"),
                                     limits.event_count, 0, kCount));
  TRACEKIT_TRY(env.integer<uint32_t>(library_variable("OTEL_SPAN_LINK_COUNT_LIMIT"),
                                     limits.link_count, 0, kCount));
  TRACEKIT_TRY(env.integer<uint32_t>(library_variable("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT"),
                                     limits.attributes_per_event, 0, kCount));
  TRACEKIT_TRY(env.integer<uint32_t>(library_variable("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT"),
                                     limits.attributes_per_link, 0, kCount));
  return {};
}

// Checked here, so that a typo fails configure_tracing() with a clear error; the clock itself
// reads the variable before any configuration and falls back to its default with a warning.
Result<void> check_clock(const EnvReader& env) {
  const auto& var = library_variable("TRACEKIT_CLOCK");
  auto v = env.get(var);
  if (v && *v != "system" && *v != "tsc") {
    return Error{quoted(var, *v) + " is not a clock: use system or tsc"};
  }
  return {};
}

}  // namespace

Result<Config> Config::from_env(const ConfigOptions& options) {
  return from_env(
      [](std::string_view name) -> std::optional<std::string> {
        const config::Variable* v = config::find_library_variable(name);
        return v ? config::read_env(*v) : std::nullopt;
      },
      options);
}

Result<Config> Config::from_env(const Getter& getter, const ConfigOptions& options) {
  Config c;
  EnvReader env(getter, c);
  TRACEKIT_TRY(parse_enabled(env, c));
  TRACEKIT_TRY(parse_resource(env, options, c));
  TRACEKIT_TRY(parse_pipeline(env, c));
  TRACEKIT_TRY(parse_batch(env, kSpanBatch, c.batch));
  TRACEKIT_TRY(parse_batch(env, kLogBatch, c.log_batch));
  TRACEKIT_TRY(parse_limits(env, c.limits));
  TRACEKIT_TRY(detail::parse_otlp(env, c.otlp));
  // The logs' OTLP settings are read only when logs go to OTLP: an mTLS pair completed by
  // ..._TRACES_* variables alone is no error while log export is off.
  if (std::find(c.log_exporters.begin(), c.log_exporters.end(), ExporterKind::kOtlp) !=
      c.log_exporters.end()) {
    TRACEKIT_TRY(detail::parse_logs_otlp(env, c.logs_otlp));
  }
  TRACEKIT_TRY(check_clock(env));
  return c;
}

}  // namespace tracekit
