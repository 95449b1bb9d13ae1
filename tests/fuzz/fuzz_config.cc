// The configuration parsers: tracekit::Config::from_env (the SDK's OTEL_* and tracekit's own
// variables) and the collector's parse_options (flags and TRACEKIT_COLLECTOR_* variables). Each
// input line is "NAME=value" (an environment variable) or "--flag[=value]" (a collector
// argument). A parse either gives a configuration that keeps its documented bounds, or an
// error that names the variable or flag at fault; it never crashes or hangs.
#include <map>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "options.h"
#include "tracekit/config.h"

namespace {

bool names_one_of(const std::string& message, const std::map<std::string, std::string>& env,
                  const std::vector<std::string>& args) {
  for (const auto& [name, value] : env) {
    if (message.find(name) != std::string::npos) return true;
  }
  for (const auto& arg : args) {
    if (message.find(arg.substr(0, arg.find('='))) != std::string::npos) return true;
  }
  return false;
}

void check_config(const std::map<std::string, std::string>& env) {
  // The certificate variables name files that are opened: keep them to one readable file
  // rather than letting the input open arbitrary paths (a FIFO would block).
  auto getter = [&env](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    if (name.ends_with("_CERTIFICATE") || name.ends_with("_KEY")) {
      return it->second.empty() ? it->second : "/proc/self/status";
    }
    return it->second;
  };
  const tracekit::Result<tracekit::Config> c = tracekit::Config::from_env(getter);
  if (!c) {
    FUZZ_CHECK(!c.error().message.empty());
    FUZZ_CHECK(names_one_of(c.error().message, env, {}));
    return;
  }
  // Spans and log records (OTEL_BSP_* / OTEL_BLRP_*, OTEL_EXPORTER_OTLP_[TRACES_|LOGS_]*) follow
  // the same rules.
  for (const tracekit::BatchOptions* b : {&c->batch, &c->log_batch}) {
    FUZZ_CHECK(b->max_queue_size >= 1 && b->max_queue_size <= (size_t{1} << 24));
    FUZZ_CHECK(b->max_export_batch_size >= 1);
    FUZZ_CHECK(b->max_export_batch_size <= b->max_queue_size);
    FUZZ_CHECK(b->schedule_delay.count() >= 1 && b->export_timeout.count() >= 1);
  }
  for (const tracekit::OtlpConfig* otlp : {&c->otlp, &c->logs_otlp}) {
    FUZZ_CHECK(otlp->timeout.count() >= 1);
    const std::string& e = otlp->endpoint;
    FUZZ_CHECK(e.starts_with("http://") || e.starts_with("https://"));
    FUZZ_CHECK(e.size() > (e.starts_with("http://") ? 7u : 8u));
    for (const auto& [k, v] : otlp->headers)
      FUZZ_CHECK(!k.empty());
    FUZZ_CHECK(otlp->client_key_file.empty() == otlp->client_certificate_file.empty());
  }
  // Typed values: a sampler ratio within [0, 1]; each warning names a variable that was set; the
  // start-up summary can always be made.
  FUZZ_CHECK(c->sampler.ratio >= 0 && c->sampler.ratio <= 1);
  for (const auto& warning : c->warnings)
    FUZZ_CHECK(names_one_of(warning, env, {}));
  FUZZ_CHECK(!tracekit::summary_line(*c).empty());
  FUZZ_CHECK(!tracekit::summary_details(*c).empty());
}

void check_collector_options(const std::map<std::string, std::string>& env,
                             const std::vector<std::string>& args) {
  auto getenv = [&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  auto o = tracekit::collector::parse_options(args, getenv);
  if (!o) {
    FUZZ_CHECK(!o.error().message.empty());
    FUZZ_CHECK(names_one_of(o.error().message, env, args));
    return;
  }
  FUZZ_CHECK(!o->data_path.empty());
  FUZZ_CHECK(o->retention_age.count() >= 0);
  FUZZ_CHECK(o->retention_interval.count() >= 1);
  for (const auto* a : {&o->grpc, &o->http, &o->ui})
    FUZZ_CHECK(!a->host.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::map<std::string, std::string> env;
  std::vector<std::string> args;
  for (std::string_view line : tracekit::fuzz::split_lines(tracekit::fuzz::as_text(data, size))) {
    if (line.starts_with("--")) {
      args.emplace_back(line);
      continue;
    }
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    // Environment strings end at a NUL.
    std::string value(line.substr(eq + 1));
    value.resize(std::min(value.size(), value.find('\0')));
    env[std::string(line.substr(0, eq))] = value;
  }
  check_config(env);
  check_collector_options(env, args);
  return 0;
}
