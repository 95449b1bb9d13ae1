#include "tracekit/config.h"

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <limits>

#include "percent.h"
#include "tracekit/resource.h"
#include "tracekit/sampler.h"

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

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string quoted(std::string_view name, std::string_view value) {
  return std::string(name) + "=\"" + std::string(value) + "\"";
}

// Reads variables through the getter, treating empty values as unset (the OpenTelemetry
// specification: "an empty value is treated as unset").
class Env {
 public:
  explicit Env(const Config::Getter& get) : get_(get) {}
  std::optional<std::string> get(std::string_view name) const {
    auto v = get_(name);
    if (!v) return std::nullopt;
    std::string_view t = detail::trim(*v);
    if (t.empty()) return std::nullopt;
    return std::string(t);
  }

  Result<void> boolean(std::string_view name, bool& out) const {
    auto v = get(name);
    if (!v) return {};
    std::string l = lower(*v);
    if (l == "true" || l == "1" || l == "yes" || l == "on") {
      out = true;
    } else if (l == "false" || l == "0" || l == "no" || l == "off") {
      out = false;
    } else {
      return Error{quoted(name, *v) + " is not a boolean: use true or false"};
    }
    return {};
  }

  template <class Int>
  Result<void> integer(std::string_view name, Int& out, Int min, std::string_view what) const {
    auto v = get(name);
    if (!v) return {};
    long long value = 0;
    auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), value);
    if (ec != std::errc() || ptr != v->data() + v->size() || value < static_cast<long long>(min) ||
        static_cast<unsigned long long>(value) >
            static_cast<unsigned long long>(std::numeric_limits<Int>::max())) {
      return Error{quoted(name, *v) + " is not valid: expected " + std::string(what)};
    }
    out = static_cast<Int>(value);
    return {};
  }

  // At most 2^31-1 ms (24.8 days): far larger values overflowed the deadline arithmetic
  // (now + timeout) into the past, and the batch worker then spun on a core.
  Result<void> millis(std::string_view name, std::chrono::milliseconds& out, int32_t min) const {
    int32_t ms = static_cast<int32_t>(out.count());
    auto r = integer<int32_t>(name, ms, min,
                              min > 0 ? "a whole number of milliseconds from 1 to 2147483647"
                                      : "a whole number of milliseconds from 0 to 2147483647");
    if (!r) return r;
    out = std::chrono::milliseconds(ms);
    return {};
  }

  std::vector<std::string> list(std::string_view value) const {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos <= value.size()) {
      size_t comma = value.find(',', pos);
      if (comma == std::string_view::npos) comma = value.size();
      std::string_view item = detail::trim(value.substr(pos, comma - pos));
      if (!item.empty()) out.push_back(lower(item));
      pos = comma + 1;
    }
    return out;
  }

 private:
  const Config::Getter& get_;
};

#define TRACEKIT_TRY(expr)                      \
  do {                                          \
    auto tracekit_r = (expr);                   \
    if (!tracekit_r) return tracekit_r.error(); \
  } while (0)

Result<void> parse_otlp(const Env& env, OtlpConfig& otlp) {
  // Protocol: the traces-specific variable wins over the generic one.
  std::string protocol_var = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL";
  auto protocol = env.get(protocol_var);
  if (!protocol) {
    protocol_var = "OTEL_EXPORTER_OTLP_PROTOCOL";
    protocol = env.get(protocol_var);
  }
  if (protocol) {
    std::string p = lower(*protocol);
    if (p == "grpc") {
      otlp.protocol = OtlpProtocol::kGrpc;
    } else if (p == "http/protobuf") {
      otlp.protocol = OtlpProtocol::kHttpProtobuf;
    } else if (p == "http/json") {
      otlp.protocol = OtlpProtocol::kHttpJson;
    } else {
      return Error{quoted(protocol_var, *protocol) +
                   " is not an OTLP protocol: use grpc, http/protobuf or http/json"};
    }
  }
  const bool http = otlp.protocol != OtlpProtocol::kGrpc;

  // Endpoint: the traces-specific URL is used as is; the generic one gets /v1/traces appended
  // for HTTP (OTLP exporter specification).
  std::string endpoint_var = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
  auto endpoint = env.get(endpoint_var);
  bool specific = endpoint.has_value();
  if (!endpoint) {
    endpoint_var = "OTEL_EXPORTER_OTLP_ENDPOINT";
    endpoint = env.get(endpoint_var);
  }
  if (endpoint) {
    std::string_view e = *endpoint;
    bool is_http = e.starts_with("http://");
    bool is_https = e.starts_with("https://");
    if (!is_http && !is_https) {
      return Error{quoted(endpoint_var, *endpoint) +
                   " is not a URL: use http://host:port or https://host:port"};
    }
    std::string_view rest = e.substr(is_http ? 7 : 8);
    if (rest.empty() || rest.front() == '/' || rest.front() == ':') {
      return Error{quoted(endpoint_var, *endpoint) + " has no host"};
    }
    std::string url(e);
    if (http && !specific) {
      if (url.back() != '/') url += '/';
      url += "v1/traces";
    }
    otlp.endpoint = url;
  } else {
    otlp.endpoint = http ? "http://localhost:4318/v1/traces" : "http://localhost:4317";
  }

  for (const char* var : {"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"}) {
    auto headers = env.get(var);
    if (!headers) continue;
    // The traces-specific list is read second, so its keys replace the generic ones.
    size_t pos = 0;
    std::string_view text = *headers;
    while (pos <= text.size()) {
      size_t comma = text.find(',', pos);
      if (comma == std::string_view::npos) comma = text.size();
      std::string_view item = detail::trim(text.substr(pos, comma - pos));
      pos = comma + 1;
      if (item.empty()) continue;
      size_t eq = item.find('=');
      if (eq == std::string_view::npos || detail::trim(item.substr(0, eq)).empty()) {
        return Error{quoted(var, *headers) + ": \"" + std::string(item) +
                     "\" is not key=value (expected key1=value1,key2=value2)"};
      }
      auto key = detail::percent_decode(detail::trim(item.substr(0, eq)));
      auto value = detail::percent_decode(detail::trim(item.substr(eq + 1)));
      if (!key || !value) {
        return Error{quoted(var, *headers) + ": \"" + std::string(item) +
                     "\" has a bad percent-encoding"};
      }
      std::string k = lower(*key);
      std::erase_if(otlp.headers, [&](const auto& h) { return h.first == k; });
      otlp.headers.emplace_back(std::move(k), std::move(*value));
    }
  }

  for (const char* var : {"OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"}) {
    TRACEKIT_TRY(env.millis(var, otlp.timeout, 1));
  }
  for (const char* var :
       {"OTEL_EXPORTER_OTLP_COMPRESSION", "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION"}) {
    if (auto c = env.get(var)) {
      std::string l = lower(*c);
      if (l == "gzip") {
        otlp.gzip = true;
      } else if (l == "none") {
        otlp.gzip = false;
      } else {
        return Error{quoted(var, *c) + " is not a compression: use gzip or none"};
      }
    }
  }
  bool insecure_set = false;
  for (const char* var : {"OTEL_EXPORTER_OTLP_INSECURE", "OTEL_EXPORTER_OTLP_TRACES_INSECURE"}) {
    if (env.get(var)) insecure_set = true;
    TRACEKIT_TRY(env.boolean(var, otlp.insecure));
  }
  // An http:// endpoint is plain text; https:// uses TLS unless INSECURE says otherwise.
  if (!insecure_set) otlp.insecure = otlp.endpoint.starts_with("http://");

  struct FileVar {
    const char* generic;
    const char* specific;
    std::string* out;
  };
  // Which variable gave each file, so that an error names the one the user set (found with
  // fuzz_config: a lone ..._TRACES_CLIENT_KEY was reported under the generic names only).
  const char* key_var = nullptr;
  const char* certificate_var = nullptr;
  for (const FileVar& f :
       {FileVar{"OTEL_EXPORTER_OTLP_CERTIFICATE", "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
                &otlp.certificate_file},
        FileVar{"OTEL_EXPORTER_OTLP_CLIENT_KEY", "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY",
                &otlp.client_key_file},
        FileVar{"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
                "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE", &otlp.client_certificate_file}}) {
    const char* var = f.specific;
    auto path = env.get(var);
    if (!path) {
      var = f.generic;
      path = env.get(var);
    }
    if (!path) continue;
    if (!std::ifstream(*path).good()) {
      return Error{quoted(var, *path) + " names a file that cannot be read"};
    }
    *f.out = *path;
    if (f.out == &otlp.client_key_file) key_var = var;
    if (f.out == &otlp.client_certificate_file) certificate_var = var;
  }
  if (otlp.client_key_file.empty() != otlp.client_certificate_file.empty()) {
    const bool key_set = !otlp.client_key_file.empty();
    return Error{std::string(key_set ? key_var : certificate_var) + " is set but " +
                 (key_set ? "OTEL_EXPORTER_OTLP_[TRACES_]CLIENT_CERTIFICATE"
                          : "OTEL_EXPORTER_OTLP_[TRACES_]CLIENT_KEY") +
                 " is not: OTEL_EXPORTER_OTLP_CLIENT_KEY and OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE "
                 "must be set together for mutual TLS"};
  }
  return {};
}

constexpr size_t kMaxQueueSize = size_t{1} << 24;

}  // namespace

Result<Config> Config::from_env() {
  return from_env([](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  });
}

Result<Config> Config::from_env(const Getter& getter) {
  Env env(getter);
  Config c;

  bool tracing_enabled = false;
  TRACEKIT_TRY(env.boolean("OTEL_TRACING_ENABLED", tracing_enabled));
  bool sdk_disabled = false;
  TRACEKIT_TRY(env.boolean("OTEL_SDK_DISABLED", sdk_disabled));
  c.enabled = tracing_enabled && !sdk_disabled;

  if (auto v = env.get("OTEL_RESOURCE_ATTRIBUTES")) {
    auto attrs = parse_resource_attributes(*v);
    if (!attrs) return attrs.error();
    c.resource_attributes = std::move(*attrs);
  }
  // service.name: OTEL_SERVICE_NAME, then the seed's SERVICE_NAME, then service.name from
  // OTEL_RESOURCE_ATTRIBUTES, then "skriptoteket".
  if (auto v = env.get("OTEL_SERVICE_NAME")) {
    c.service_name = *v;
  } else if (auto s = env.get("SERVICE_NAME")) {
    c.service_name = *s;
  } else if (const AttributeValue* a = c.resource_attributes.get("service.name");
             a && a->type() == AttributeType::kString) {
    c.service_name = std::string(a->as_string());
  }
  if (auto v = env.get("SERVICE_VERSION")) c.service_version = *v;
  if (auto v = env.get("ENVIRONMENT")) c.environment = *v;

  if (auto v = env.get("OTEL_TRACES_SAMPLER")) c.sampler = lower(*v);
  if (auto v = env.get("OTEL_TRACES_SAMPLER_ARG")) c.sampler_arg = *v;
  // Validate now so a typo is reported at start, naming the variable.
  {
    auto sampler = samplers::from_name(c.sampler, c.sampler_arg);
    if (!sampler) return sampler.error();
  }

  if (auto v = env.get("OTEL_PROPAGATORS")) {
    c.propagators = env.list(*v);
    for (const auto& p : c.propagators) {
      if (p != "tracecontext" && p != "baggage" && p != "none") {
        return Error{quoted("OTEL_PROPAGATORS", *v) + ": \"" + p +
                     "\" is not supported: use tracecontext, baggage or none"};
      }
    }
  }
  if (auto v = env.get("OTEL_TRACES_EXPORTER")) {
    c.exporters = env.list(*v);
    for (const auto& e : c.exporters) {
      if (e != "otlp" && e != "console" && e != "none") {
        return Error{quoted("OTEL_TRACES_EXPORTER", *v) + ": \"" + e +
                     "\" is not supported: use otlp, console or none"};
      }
    }
  }
  if (auto v = env.get("TRACEKIT_CONSOLE_PATH")) c.console_path = *v;

  TRACEKIT_TRY(env.integer<size_t>("OTEL_BSP_MAX_QUEUE_SIZE", c.batch.max_queue_size, 1,
                                   "a whole number, at least 1"));
  // The queue is allocated up front (16 bytes a slot): refuse sizes no process could hold.
  if (c.batch.max_queue_size > kMaxQueueSize) {
    return Error{"OTEL_BSP_MAX_QUEUE_SIZE=\"" + std::to_string(c.batch.max_queue_size) +
                 "\" is too large: at most " + std::to_string(kMaxQueueSize)};
  }
  TRACEKIT_TRY(env.integer<size_t>("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", c.batch.max_export_batch_size,
                                   1, "a whole number, at least 1"));
  if (c.batch.max_export_batch_size > c.batch.max_queue_size) {
    return Error{"OTEL_BSP_MAX_EXPORT_BATCH_SIZE=" + std::to_string(c.batch.max_export_batch_size) +
                 " is larger than OTEL_BSP_MAX_QUEUE_SIZE=" +
                 std::to_string(c.batch.max_queue_size) + ": it must be at most the queue size"};
  }
  TRACEKIT_TRY(env.millis("OTEL_BSP_SCHEDULE_DELAY", c.batch.schedule_delay, 1));
  TRACEKIT_TRY(env.millis("OTEL_BSP_EXPORT_TIMEOUT", c.batch.export_timeout, 1));

  constexpr const char* kCount = "a whole number, 0 or more";
  TRACEKIT_TRY(
      env.integer<uint32_t>("OTEL_ATTRIBUTE_COUNT_LIMIT", c.limits.attribute_count, 0, kCount));
  TRACEKIT_TRY(env.integer<uint32_t>("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
                                     c.limits.attribute_value_length, 0, kCount));
  TRACEKIT_TRY(env.integer<uint32_t>("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", c.limits.attribute_count, 0,
                                     kCount));
  TRACEKIT_TRY(env.integer<uint32_t>("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT",
                                     c.limits.attribute_value_length, 0, kCount));
  TRACEKIT_TRY(
      env.integer<uint32_t>("OTEL_SPAN_EVENT_COUNT_LIMIT", c.limits.event_count, 0, kCount));
  TRACEKIT_TRY(env.integer<uint32_t>("OTEL_SPAN_LINK_COUNT_LIMIT", c.limits.link_count, 0, kCount));
  TRACEKIT_TRY(env.integer<uint32_t>("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT",
                                     c.limits.attributes_per_event, 0, kCount));
  TRACEKIT_TRY(env.integer<uint32_t>("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT",
                                     c.limits.attributes_per_link, 0, kCount));

  TRACEKIT_TRY(parse_otlp(env, c.otlp));
  return c;
}

}  // namespace tracekit
