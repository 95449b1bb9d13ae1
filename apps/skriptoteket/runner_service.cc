// SPDX-License-Identifier: Apache-2.0
#include "runner_service.h"

#include "api_json.h"
#include "tracekit/http/request_guard.h"
#include "tracekit/http/tracing.h"
#include "web_service.h"

namespace skriptoteket {

namespace json = boost::json;
using tracekit::http::Request;
using tracekit::http::Response;

void RunnerService::install(tracekit::http::Server& server) {
  server.use(metrics_.middleware());
  server.use(
      tracekit::http::access_log_middleware({.excluded_prefixes = {"/healthz", "/metrics"}}));
  server.use(tracekit::http::tracing_middleware());
  server.use(uniform_errors_middleware());
  server.route("GET", "/healthz", [](Request&) {
    return api::json(200, json::object{{"status", "ok"}});
  });
  server.route("GET", "/metrics", [this](Request&) {
    return Response::text(200, metrics_.render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  // Blocking: the script runs on a worker thread, where the request's context is current.
  server.route("POST", "/execute", [this](Request& r) { return execute(r); });
}

bool RunnerService::authorized(const Request& request) const {
  constexpr std::string_view kScheme = "Bearer ";
  const std::string_view header = request.header("Authorization").value_or("");
  if (options_.token.empty() || header.size() <= kScheme.size() || !header.starts_with(kScheme)) {
    return false;
  }
  return tracekit::http::constant_time_equal(header.substr(kScheme.size()), options_.token);
}

Response RunnerService::execute(Request& request) {
  if (!authorized(request)) {
    // Anything on the host can reach the port; only skriptoteket-web knows the token.
    log_.warn("runner.unauthorized",
              {{"remote_address", request.remote_address()},
               {"has_authorization", request.header("Authorization").has_value()}});
    Response refused = api::error(401, "unauthorized",
                                  "POST /execute needs the runner's token (Authorization: Bearer)");
    refused.set_header("WWW-Authenticate", "Bearer");
    return refused;
  }
  Response problem;
  auto body = api::parse_object(request, problem);
  if (!body) return problem;
  if (const auto* s = body->if_contains("source");
      s && s->is_string() && s->get_string().size() > options_.max_script_bytes) {
    return api::error(
        413, "payload_too_large",
        "source is larger than " + std::to_string(options_.max_script_bytes) + " bytes");
  }
  api::FieldReader fields(*body);
  auto source = fields.string("source", true, options_.max_script_bytes);
  auto language_text = fields.string("language", true, 32);
  auto limit_ms = fields.integer("time_limit_ms", true, 1, INT32_MAX);
  std::optional<Language> language;
  if (language_text) {
    language = parse_language(*language_text);
    if (!language) fields.problem("language must be \"python3\" or \"bash\"");
  }
  if (!fields.ok()) return fields.response();

  auto outcome = runner_.execute({*language, *source, std::chrono::milliseconds(*limit_ms)});
  if (!outcome) {
    log_.error("script.execution_failed", {{"error", outcome.error().message}});
    return api::from_error(outcome.error());
  }
  log_.info("script.executed", {{"runner", runner_.name()},
                                {"language", to_string(*language)},
                                {"exit_code", outcome->exit_code},
                                {"timed_out", outcome->timed_out},
                                {"duration_ms", static_cast<int64_t>(outcome->duration.count())}});
  return api::json(200, api::to_json(outcome.value()));
}

}  // namespace skriptoteket
