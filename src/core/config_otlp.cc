// OTEL_EXPORTER_OTLP_* for traces and for logs: the signal-specific form of each variable
// (OTEL_EXPORTER_OTLP_TRACES_*, OTEL_EXPORTER_OTLP_LOGS_*) wins over the generic one (OTLP
// exporter specification).
#include <fstream>

#include "env_reader.h"
#include "percent.h"

namespace tracekit::detail {

namespace {

using config::library_variable;

// The signal-specific variables of one signal, and the path OTLP/HTTP appends to the generic
// endpoint.
struct SignalVariables {
  const Variable& protocol;
  const Variable& endpoint;
  const Variable& headers;
  const Variable& timeout;
  const Variable& compression;
  const Variable& insecure;
  const Variable& certificate;
  const Variable& client_key;
  const Variable& client_certificate;
  std::string_view path;   // "v1/traces"
  std::string_view label;  // "TRACES", for error messages
};

constexpr SignalVariables kTraces{library_variable("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"),
                                  library_variable("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
                                  library_variable("OTEL_EXPORTER_OTLP_TRACES_HEADERS"),
                                  library_variable("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"),
                                  library_variable("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION"),
                                  library_variable("OTEL_EXPORTER_OTLP_TRACES_INSECURE"),
                                  library_variable("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE"),
                                  library_variable("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY"),
                                  library_variable("OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE"),
                                  "v1/traces",
                                  "TRACES"};
constexpr SignalVariables kLogs{library_variable("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL"),
                                library_variable("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"),
                                library_variable("OTEL_EXPORTER_OTLP_LOGS_HEADERS"),
                                library_variable("OTEL_EXPORTER_OTLP_LOGS_TIMEOUT"),
                                library_variable("OTEL_EXPORTER_OTLP_LOGS_COMPRESSION"),
                                library_variable("OTEL_EXPORTER_OTLP_LOGS_INSECURE"),
                                library_variable("OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE"),
                                library_variable("OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY"),
                                library_variable("OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE"),
                                "v1/logs",
                                "LOGS"};

// The traces-specific variable's value if set, else the generic one's; `which` names the one used.
std::optional<std::string> either(const EnvReader& env, const Variable& specific,
                                  const Variable& generic, const Variable*& which) {
  env.warn_if_both(specific, generic);
  which = &specific;
  if (auto v = env.get(specific)) return v;
  which = &generic;
  return env.get(generic);
}

Result<void> parse_protocol(const EnvReader& env, const SignalVariables& sv, OtlpConfig& otlp) {
  const Variable* var = nullptr;
  auto protocol = either(env, sv.protocol, library_variable("OTEL_EXPORTER_OTLP_PROTOCOL"), var);
  if (!protocol) return {};
  std::string p = lower(*protocol);
  if (p == "grpc") {
    otlp.protocol = OtlpProtocol::kGrpc;
  } else if (p == "http/protobuf") {
    otlp.protocol = OtlpProtocol::kHttpProtobuf;
  } else if (p == "http/json") {
    otlp.protocol = OtlpProtocol::kHttpJson;
  } else {
    return Error{quoted(*var, *protocol) +
                 " is not an OTLP protocol: use grpc, http/protobuf or http/json"};
  }
  return {};
}

// The signal-specific URL is used as is; the generic one gets /v1/traces (/v1/logs) appended for
// HTTP.
Result<void> parse_endpoint(const EnvReader& env, const SignalVariables& sv, OtlpConfig& otlp) {
  const bool http = otlp.protocol != OtlpProtocol::kGrpc;
  const Variable* var = nullptr;
  auto endpoint = either(env, sv.endpoint, library_variable("OTEL_EXPORTER_OTLP_ENDPOINT"), var);
  if (!endpoint) {
    otlp.endpoint =
        http ? "http://localhost:4318/" + std::string(sv.path) : "http://localhost:4317";
    return {};
  }
  const bool specific = var == &sv.endpoint;
  std::string_view e = *endpoint;
  bool is_http = e.starts_with("http://");
  bool is_https = e.starts_with("https://");
  if (!is_http && !is_https) {
    return Error{quoted(*var, *endpoint) +
                 " is not a URL: use http://host:port or https://host:port"};
  }
  std::string_view rest = e.substr(is_http ? 7 : 8);
  if (rest.empty() || rest.front() == '/' || rest.front() == ':') {
    return Error{quoted(*var, *endpoint) + " has no host"};
  }
  std::string url(e);
  if (http && !specific) {
    if (url.back() != '/') url += '/';
    url += sv.path;
  }
  otlp.endpoint = url;
  return {};
}

Result<void> parse_headers(const EnvReader& env, const SignalVariables& sv, OtlpConfig& otlp) {
  // The signal-specific list is read second, so its keys replace the generic ones.
  for (const Variable* var : {&library_variable("OTEL_EXPORTER_OTLP_HEADERS"), &sv.headers}) {
    auto headers = env.get(*var);
    if (!headers) continue;
    size_t pos = 0;
    std::string_view text = *headers;
    while (pos <= text.size()) {
      size_t comma = text.find(',', pos);
      if (comma == std::string_view::npos) comma = text.size();
      std::string_view item = trim(text.substr(pos, comma - pos));
      pos = comma + 1;
      if (item.empty()) continue;
      size_t eq = item.find('=');
      if (eq == std::string_view::npos || trim(item.substr(0, eq)).empty()) {
        return Error{quoted(*var, *headers) + ": \"" + std::string(item) +
                     "\" is not key=value (expected key1=value1,key2=value2)"};
      }
      auto key = percent_decode(trim(item.substr(0, eq)));
      auto value = percent_decode(trim(item.substr(eq + 1)));
      if (!key || !value) {
        return Error{quoted(*var, *headers) + ": \"" + std::string(item) +
                     "\" has a bad percent-encoding"};
      }
      std::string k = lower(*key);
      std::erase_if(otlp.headers, [&](const auto& h) { return h.first == k; });
      otlp.headers.emplace_back(std::move(k), std::move(*value));
    }
  }
  return {};
}

Result<void> parse_transport(const EnvReader& env, const SignalVariables& sv, OtlpConfig& otlp) {
  env.warn_if_both(sv.timeout, library_variable("OTEL_EXPORTER_OTLP_TIMEOUT"));
  for (const Variable* var : {&library_variable("OTEL_EXPORTER_OTLP_TIMEOUT"), &sv.timeout}) {
    TRACEKIT_TRY(env.millis(*var, otlp.timeout, 1));
  }
  env.warn_if_both(sv.compression, library_variable("OTEL_EXPORTER_OTLP_COMPRESSION"));
  for (const Variable* var :
       {&library_variable("OTEL_EXPORTER_OTLP_COMPRESSION"), &sv.compression}) {
    if (auto c = env.get(*var)) {
      std::string l = lower(*c);
      if (l == "gzip") {
        otlp.gzip = true;
      } else if (l == "none") {
        otlp.gzip = false;
      } else {
        return Error{quoted(*var, *c) + " is not a compression: use gzip or none"};
      }
    }
  }
  env.warn_if_both(sv.insecure, library_variable("OTEL_EXPORTER_OTLP_INSECURE"));
  bool insecure_set = false;
  for (const Variable* var : {&library_variable("OTEL_EXPORTER_OTLP_INSECURE"), &sv.insecure}) {
    if (env.get(*var)) insecure_set = true;
    TRACEKIT_TRY(env.boolean(*var, otlp.insecure));
  }
  // An http:// endpoint is plain text; https:// uses TLS unless INSECURE says otherwise.
  if (!insecure_set) otlp.insecure = otlp.endpoint.starts_with("http://");
  return {};
}

Result<void> parse_tls_files(const EnvReader& env, const SignalVariables& sv, OtlpConfig& otlp) {
  struct FileVar {
    const Variable& generic;
    const Variable& specific;
    std::string* out;
  };
  // Which variable gave each file, so that an error names the one the user set (found with
  // fuzz_config: a lone ..._TRACES_CLIENT_KEY was reported under the generic names only).
  const Variable* key_var = nullptr;
  const Variable* certificate_var = nullptr;
  for (const FileVar& f : {FileVar{library_variable("OTEL_EXPORTER_OTLP_CERTIFICATE"),
                                   sv.certificate, &otlp.certificate_file},
                           FileVar{library_variable("OTEL_EXPORTER_OTLP_CLIENT_KEY"), sv.client_key,
                                   &otlp.client_key_file},
                           FileVar{library_variable("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE"),
                                   sv.client_certificate, &otlp.client_certificate_file}}) {
    const Variable* var = nullptr;
    auto path = either(env, f.specific, f.generic, var);
    if (!path) continue;
    if (!std::ifstream(*path).good()) {
      return Error{quoted(*var, *path) + " names a file that cannot be read"};
    }
    *f.out = *path;
    if (f.out == &otlp.client_key_file) key_var = var;
    if (f.out == &otlp.client_certificate_file) certificate_var = var;
  }
  if (otlp.client_key_file.empty() != otlp.client_certificate_file.empty()) {
    const bool key_set = !otlp.client_key_file.empty();
    const std::string either_form = "OTEL_EXPORTER_OTLP_[" + std::string(sv.label) + "_]";
    return Error{std::string(key_set ? key_var->name : certificate_var->name) + " is set but " +
                 either_form + (key_set ? "CLIENT_CERTIFICATE" : "CLIENT_KEY") +
                 " is not: OTEL_EXPORTER_OTLP_CLIENT_KEY and OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE "
                 "must be set together for mutual TLS"};
  }
  return {};
}

Result<void> parse_signal(const EnvReader& env, const SignalVariables& sv, OtlpConfig& otlp) {
  TRACEKIT_TRY(parse_protocol(env, sv, otlp));
  TRACEKIT_TRY(parse_endpoint(env, sv, otlp));
  TRACEKIT_TRY(parse_headers(env, sv, otlp));
  TRACEKIT_TRY(parse_transport(env, sv, otlp));
  return parse_tls_files(env, sv, otlp);
}

}  // namespace

Result<void> parse_otlp(const EnvReader& env, OtlpConfig& otlp) {
  return parse_signal(env, kTraces, otlp);
}

Result<void> parse_logs_otlp(const EnvReader& env, OtlpConfig& otlp) {
  return parse_signal(env, kLogs, otlp);
}

}  // namespace tracekit::detail
