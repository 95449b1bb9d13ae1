#include "tracekit/config.h"

#include <algorithm>
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

// The OTEL_EXPORTER_OTLP_* variables for one signal: `signal` is "TRACES" or "LOGS" (the
// signal-specific variables, which win over the generic ones), `path` what OTLP/HTTP appends to
// the generic endpoint ("v1/traces", "v1/logs").
Result<void> parse_otlp(const Env& env, OtlpConfig& otlp, std::string_view signal,
                        std::string_view path) {
  const std::string specific_prefix = "OTEL_EXPORTER_OTLP_" + std::string(signal) + "_";
  auto var_name = [&](std::string_view suffix) { return specific_prefix + std::string(suffix); };
  // Protocol: the signal-specific variable wins over the generic one.
  std::string protocol_var = var_name("PROTOCOL");
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

  // Endpoint: the signal-specific URL is used as is; the generic one gets /v1/traces (or
  // /v1/logs) appended for HTTP (OTLP exporter specification).
  std::string endpoint_var = var_name("ENDPOINT");
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
      url += path;
    }
    otlp.endpoint = url;
  } else {
    otlp.endpoint = http ? "http://localhost:4318/" + std::string(path) : "http://localhost:4317";
  }

  for (const std::string& var : {std::string("OTEL_EXPORTER_OTLP_HEADERS"), var_name("HEADERS")}) {
    auto headers = env.get(var);
    if (!headers) continue;
    // The signal-specific list is read second, so its keys replace the generic ones.
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

  for (const std::string& var : {std::string("OTEL_EXPORTER_OTLP_TIMEOUT"), var_name("TIMEOUT")}) {
    TRACEKIT_TRY(env.millis(var, otlp.timeout, 1));
  }
  for (const std::string& var :
       {std::string("OTEL_EXPORTER_OTLP_COMPRESSION"), var_name("COMPRESSION")}) {
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
  for (const std::string& var :
       {std::string("OTEL_EXPORTER_OTLP_INSECURE"), var_name("INSECURE")}) {
    if (env.get(var)) insecure_set = true;
    TRACEKIT_TRY(env.boolean(var, otlp.insecure));
  }
  // An http:// endpoint is plain text; https:// uses TLS unless INSECURE says otherwise.
  if (!insecure_set) otlp.insecure = otlp.endpoint.starts_with("http://");

  struct FileVar {
    std::string generic;
    std::string specific;
    std::string* out;
  };
  // Which variable gave each file, so that an error names the one the user set (found with
  // fuzz_config: a lone ..._TRACES_CLIENT_KEY was reported under the generic names only).
  std::string key_var;
  std::string certificate_var;
  for (const FileVar& f :
       {FileVar{"OTEL_EXPORTER_OTLP_CERTIFICATE", var_name("CERTIFICATE"), &otlp.certificate_file},
        FileVar{"OTEL_EXPORTER_OTLP_CLIENT_KEY", var_name("CLIENT_KEY"), &otlp.client_key_file},
        FileVar{"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", var_name("CLIENT_CERTIFICATE"),
                &otlp.client_certificate_file}}) {
    std::string var = f.specific;
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
    const std::string either = "OTEL_EXPORTER_OTLP_[" + std::string(signal) + "_]";
    return Error{(key_set ? key_var : certificate_var) + " is set but " + either +
                 (key_set ? "CLIENT_CERTIFICATE" : "CLIENT_KEY") +
                 " is not: OTEL_EXPORTER_OTLP_CLIENT_KEY and OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE "
                 "must be set together for mutual TLS"};
  }
  return {};
}

constexpr size_t kMaxQueueSize = size_t{1} << 24;

// OTEL_BSP_* (spans) or OTEL_BLRP_* (log records): the same four variables and rules.
Result<void> parse_batch(const Env& env, const std::string& prefix, BatchOptions& batch) {
  const std::string queue_var = prefix + "MAX_QUEUE_SIZE";
  const std::string batch_var = prefix + "MAX_EXPORT_BATCH_SIZE";
  TRACEKIT_TRY(
      env.integer<size_t>(queue_var, batch.max_queue_size, 1, "a whole number, at least 1"));
  // The queue is allocated up front (16 bytes a slot): refuse sizes no process could hold.
  if (batch.max_queue_size > kMaxQueueSize) {
    return Error{queue_var + "=\"" + std::to_string(batch.max_queue_size) +
                 "\" is too large: at most " + std::to_string(kMaxQueueSize)};
  }
  TRACEKIT_TRY(
      env.integer<size_t>(batch_var, batch.max_export_batch_size, 1, "a whole number, at least 1"));
  if (batch.max_export_batch_size > batch.max_queue_size) {
    return Error{batch_var + "=" + std::to_string(batch.max_export_batch_size) +
                 " is larger than " + queue_var + "=" + std::to_string(batch.max_queue_size) +
                 ": it must be at most the queue size"};
  }
  TRACEKIT_TRY(env.millis(prefix + "SCHEDULE_DELAY", batch.schedule_delay, 1));
  TRACEKIT_TRY(env.millis(prefix + "EXPORT_TIMEOUT", batch.export_timeout, 1));
  return {};
}

// OTEL_TRACES_EXPORTER, OTEL_LOGS_EXPORTER: a list of otlp, console, none.
Result<void> parse_exporters(const Env& env, const std::string& var,
                             std::vector<std::string>& out) {
  auto v = env.get(var);
  if (!v) return {};
  out = env.list(*v);
  for (const auto& e : out) {
    if (e != "otlp" && e != "console" && e != "none") {
      return Error{quoted(var, *v) + ": \"" + e + "\" is not supported: use otlp, console or none"};
    }
  }
  return {};
}

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
  TRACEKIT_TRY(parse_exporters(env, "OTEL_TRACES_EXPORTER", c.exporters));
  TRACEKIT_TRY(parse_exporters(env, "OTEL_LOGS_EXPORTER", c.log_exporters));
  if (auto v = env.get("TRACEKIT_CONSOLE_PATH")) c.console_path = *v;

  TRACEKIT_TRY(parse_batch(env, "OTEL_BSP_", c.batch));
  TRACEKIT_TRY(parse_batch(env, "OTEL_BLRP_", c.log_batch));

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

  TRACEKIT_TRY(parse_otlp(env, c.otlp, "TRACES", "v1/traces"));
  // The logs' OTLP settings are read only when logs go to OTLP: an mTLS pair completed by
  // ..._TRACES_* variables alone is no error while log export is off.
  if (std::find(c.log_exporters.begin(), c.log_exporters.end(), "otlp") != c.log_exporters.end()) {
    TRACEKIT_TRY(parse_otlp(env, c.logs_otlp, "LOGS", "v1/logs"));
  }
  return c;
}

}  // namespace tracekit
