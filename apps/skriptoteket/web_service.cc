// SPDX-License-Identifier: Apache-2.0
#include "web_service.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "api_json.h"
#include "tracekit/http/tracing.h"
#include "tracekit/tracer.h"
#include "tracekit/tracer_provider.h"

namespace skriptoteket {

namespace json = boost::json;
using tracekit::http::Request;
using tracekit::http::Response;

namespace {

// A path parameter that must be a UUID; otherwise `problem` is a 400.
bool uuid_param(const Request& request, std::string_view name, std::string& out,
                Response& problem) {
  out = std::string(request.param(name));
  if (is_uuid(out)) return true;
  problem = api::error(400, "invalid_id", std::string(name) + " '" + out + "' is not a UUID");
  return false;
}

bool valid_slug(std::string_view slug) {
  if (slug.empty() || slug.size() > 64) return false;
  for (size_t i = 0; i < slug.size(); ++i) {
    const char c = slug[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0);
    if (!ok) return false;
  }
  return true;
}

std::string_view error_code_for(int status) {
  switch (status) {
    case 400:
      return "bad_request";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 408:
      return "request_timeout";
    case 409:
      return "conflict";
    case 413:
      return "payload_too_large";
    case 415:
      return "unsupported_media_type";
    case 421:
      return "misdirected_request";
    case 422:
      return "validation_failed";
    case 431:
      return "headers_too_large";
    default:
      return status >= 500 ? "internal" : "bad_request";
  }
}

constexpr std::string_view kRunRoute = "/tools/{id}/versions/{version_id}/run";

// GET /tools pages: small enough that one answer stays cheap, large enough that the default
// SKRIPTOTEKET_MAX_TOOLS fits a page or a few.
constexpr int64_t kDefaultToolPage = 100;
constexpr int64_t kMaxToolPage = 500;

void gauge(std::string& out, std::string_view name, std::string_view help, uint64_t value) {
  out += "# HELP " + std::string(name) + " " + std::string(help) + "\n# TYPE " + std::string(name) +
         " gauge\n" + std::string(name) + " " + std::to_string(value) + "\n";
}

RunStatus status_of(const ScriptOutcome& outcome) {
  if (outcome.timed_out) return RunStatus::kTimedOut;
  return outcome.exit_code == 0 ? RunStatus::kSucceeded : RunStatus::kFailed;
}

}  // namespace

tracekit::http::Middleware uniform_errors_middleware() {
  return [](Request& request, tracekit::http::Next next) -> boost::asio::awaitable<Response> {
    Response response = co_await next(request);
    if (response.status() < 400) co_return response;
    std::error_code ec;
    json::value body = json::parse(response.body(), ec);
    if (!ec && body.is_object() && body.as_object().contains("detail")) co_return response;
    std::string detail;
    if (!ec && body.is_object()) {
      if (const auto* e = body.as_object().if_contains("error"); e && e->is_string()) {
        detail = std::string(e->get_string());
      }
    }
    if (detail.empty() && response.status() == 404) {
      detail =
          "no resource at " + std::string(request.method()) + " " + std::string(request.path());
    }
    if (detail.empty())
      detail = "the request failed with status " + std::to_string(response.status());
    response.set_body(json::serialize(json::object{{"error", error_code_for(response.status())},
                                                   {"detail", detail}}),
                      "application/json");
    co_return response;
  };
}

WebService::WebService(Store& store, ScriptRunner& runner, WebOptions options)
    : store_(store),
      runner_(runner),
      options_(std::move(options)),
      tracer_(tracekit::get_tracer("skriptoteket.web")) {}

void WebService::install(tracekit::http::Server& server) {
  server.use(metrics_.middleware());
  server.use(
      tracekit::http::access_log_middleware({.excluded_prefixes = {"/healthz", "/metrics"}}));
  server.use(tracekit::http::tracing_middleware());
  server.use(uniform_errors_middleware());
  server.use(tracekit::http::request_guard(options_.guard));
  // Innermost: a run refused for want of a slot is still authorised, counted, logged and traced.
  server.use(run_admission());

  // Coroutine handlers on the I/O thread: probes and metrics touch neither the database nor the
  // worker pool, so they are answered however busy the workers are.
  server.route("GET", "/healthz", [](Request&) -> boost::asio::awaitable<Response> {
    co_return api::json(200, json::object{{"status", "ok"}});
  });
  server.route("GET", "/metrics", [this](Request&) -> boost::asio::awaitable<Response> {
    co_return Response::text(200, render_metrics(), "text/plain; version=0.0.4; charset=utf-8");
  });
  server.route("GET", "/", [](Request&) -> boost::asio::awaitable<Response> {
    Response r(302);
    r.set_header("Location", "/static/index.html");
    co_return r;
  });
  server.route("GET", "/tools", [this](Request& r) { return list_tools(r); });
  server.route("POST", "/tools", [this](Request& r) { return create_tool(r); });
  server.route("GET", "/tools/{id}", [this](Request& r) { return get_tool(r); });
  server.route("POST", "/tools/{id}/versions", [this](Request& r) { return create_version(r); });
  server.route("GET", "/tools/{id}/versions/{version_id}",
               [this](Request& r) { return get_version(r); });
  server.route("POST", "/tools/{id}/versions/{version_id}/run",
               [this](Request& r) { return run_version(r); });
  server.route("GET", "/runs/{id}", [this](Request& r) { return get_run(r); });
  if (options_.tracecontext_test_endpoint) {
    server.route("POST", "/test", [this](Request& r) { return tracecontext_test(r); });
  }
}

tracekit::http::Middleware WebService::run_admission() {
  return [this](Request& request, tracekit::http::Next next) -> boost::asio::awaitable<Response> {
    if (request.route() != kRunRoute || request.method() != "POST") {
      co_return co_await next(request);
    }
    // Take a slot only while one is free, so the count never passes the limit even for a moment
    // (a passing overshoot would refuse another request that should have had the slot). The
    // body is read first, outside a slot: the server reads it only when asked, and a client
    // trickling it in must not hold a slot meanwhile. A request that finds no slot free is
    // refused before its body is read at all.
    const size_t limit = options_.max_concurrent_runs;
    auto refuse = [&] {
      runs_refused_.fetch_add(1, std::memory_order_relaxed);
      Response refused = api::error(
          503, "too_many_runs",
          std::to_string(limit) +
              " runs are executing, the most SKRIPTOTEKET_MAX_CONCURRENT_RUNS allows; try again "
              "after Retry-After seconds");
      // Most runs take well under a second; a client that waits one second usually gets in.
      refused.set_header("Retry-After", "1");
      return refused;
    };
    if (runs_in_flight_.load() >= limit) co_return refuse();
    if (auto failure = co_await next.read_body(request)) co_return std::move(*failure);
    size_t taken = runs_in_flight_.load();
    bool admitted = false;
    while (taken < limit && !admitted)
      admitted = runs_in_flight_.compare_exchange_weak(taken, taken + 1);
    if (!admitted) co_return refuse();
    struct Slot {
      std::atomic<size_t>& in_flight;
      ~Slot() { in_flight.fetch_sub(1); }
    } slot{runs_in_flight_};
    co_return co_await next(request);
  };
}

std::string WebService::render_metrics() const {
  std::string out = metrics_.render();
  gauge(out, "skriptoteket_runs_in_flight", "Runs executing now.", runs_in_flight_.load());
  gauge(out, "skriptoteket_runs_in_flight_limit",
        "The most runs executing at once (SKRIPTOTEKET_MAX_CONCURRENT_RUNS).",
        options_.max_concurrent_runs);
  out +=
      "# HELP skriptoteket_runs_refused_total Run requests answered 503 because every run slot "
      "was taken.\n# TYPE skriptoteket_runs_refused_total counter\n"
      "skriptoteket_runs_refused_total " +
      std::to_string(runs_refused_.load()) + "\n";
  out +=
      "# HELP skriptoteket_storage_limit_refusals_total Creations refused at a storage limit, by "
      "limit.\n# TYPE skriptoteket_storage_limit_refusals_total counter\n"
      "skriptoteket_storage_limit_refusals_total{limit=\"tools\"} " +
      std::to_string(tools_refused_.load()) +
      "\nskriptoteket_storage_limit_refusals_total{limit=\"versions_per_tool\"} " +
      std::to_string(versions_refused_.load()) + "\n";
  out +=
      "# HELP skriptoteket_runs_pruned_total Finished runs deleted to keep within "
      "SKRIPTOTEKET_MAX_STORED_RUNS.\n# TYPE skriptoteket_runs_pruned_total counter\n"
      "skriptoteket_runs_pruned_total " +
      std::to_string(store_.runs_pruned()) + "\n";
  return out;
}

Response WebService::store_failure(const Error& error, std::string_view limit) {
  if (error.code != ErrorCode::kUnavailable) return api::from_error(error);
  // Counted, not logged: the access log has a line for each refusal already, and a flood of them
  // must not write twice as much.
  (limit == "tools" ? tools_refused_ : versions_refused_).fetch_add(1, std::memory_order_relaxed);
  return api::error(409, "limit_reached", error.message);
}

Response WebService::list_tools(Request& request) {
  // Paged, so one answer stays small however many tools there are.
  int64_t limit = kDefaultToolPage;
  if (auto text = request.query_param("limit")) {
    bool ok = !text->empty() && text->size() <= 6;
    for (char c : *text)
      ok = ok && c >= '0' && c <= '9';
    limit = ok ? std::stoll(*text) : 0;
    if (limit < 1 || limit > kMaxToolPage) {
      return api::error(400, "invalid_query",
                        "limit must be a whole number from 1 to " + std::to_string(kMaxToolPage));
    }
  }
  auto page =
      store_.list_tools(static_cast<size_t>(limit), request.query_param("cursor").value_or(""));
  if (!page) {
    if (page.error().code == ErrorCode::kInvalid) {
      return api::error(400, "invalid_query", page.error().message);
    }
    return api::from_error(page.error());
  }
  json::array items;
  for (const auto& t : page->tools)
    items.push_back(api::to_json(t));
  json::object body{{"tools", std::move(items)}};
  body["next_cursor"] =
      page->next_cursor.empty() ? json::value(nullptr) : json::value(page->next_cursor);
  return api::json(200, body);
}

Response WebService::create_tool(Request& request) {
  Response problem;
  auto body = api::parse_object(request, problem);
  if (!body) return problem;
  api::FieldReader fields(*body);
  auto slug = fields.string("slug", true, 64);
  auto title = fields.string("title", true, 200);
  auto description = fields.string("description", false, 4000);
  if (slug && !valid_slug(*slug)) {
    fields.problem("slug must be 1-64 characters of a-z, 0-9 and '-', not starting with '-'");
  }
  if (title && title->find_first_not_of(" \t") == std::string::npos) {
    fields.problem("title must not be blank");
  }
  if (!fields.ok()) return fields.response();
  auto tool = store_.create_tool({*slug, *title, description.value_or("")});
  if (!tool) return store_failure(tool.error(), "tools");
  tracekit::current_span().set_attribute("tool.id", tool->id);
  log_.info("tool.created", {{"tool_id", tool->id}, {"slug", tool->slug}});
  return api::json(201, api::to_json(tool.value()));
}

Response WebService::get_tool(Request& request) {
  std::string id;
  Response problem;
  if (!uuid_param(request, "id", id, problem)) return problem;
  tracekit::current_span().set_attribute("tool.id", id);
  auto tool = store_.get_tool(id);
  if (!tool) return api::from_error(tool.error());
  return api::json(200, api::to_json(tool.value()));
}

Response WebService::create_version(Request& request) {
  std::string tool_id;
  Response problem;
  if (!uuid_param(request, "id", tool_id, problem)) return problem;
  tracekit::current_span().set_attribute("tool.id", tool_id);
  auto body = api::parse_object(request, problem);
  if (!body) return problem;
  // An oversized script is refused before anything else is looked at.
  if (const auto* s = body->if_contains("source");
      s && s->is_string() && s->get_string().size() > options_.max_script_bytes) {
    return api::error(413, "payload_too_large",
                      "source is " + std::to_string(s->get_string().size()) +
                          " bytes; the limit is " + std::to_string(options_.max_script_bytes));
  }
  api::FieldReader fields(*body);
  auto source = fields.string("source", true, options_.max_script_bytes);
  auto language_text = fields.string("language", true, 32);
  std::optional<Language> language;
  if (language_text) {
    language = parse_language(*language_text);
    if (!language) fields.problem("language must be \"python3\" or \"bash\"");
  }
  if (source && source->empty()) fields.problem("source must not be empty");
  if (!fields.ok()) return fields.response();
  auto version = store_.create_version(tool_id, *language, *source);
  if (!version) return store_failure(version.error(), "versions_per_tool");
  tracekit::current_span().set_attribute("version.id", version->id);
  log_.info("version.created", {{"tool_id", tool_id}, {"version_id", version->id}});
  return api::json(201, api::to_json(version.value()));
}

Response WebService::get_version(Request& request) {
  std::string tool_id, version_id;
  Response problem;
  if (!uuid_param(request, "id", tool_id, problem) ||
      !uuid_param(request, "version_id", version_id, problem)) {
    return problem;
  }
  auto version = store_.get_version(tool_id, version_id);
  if (!version) return api::from_error(version.error());
  return api::json(200, api::to_json(version.value()));
}

Response WebService::run_version(Request& request) {
  std::string tool_id, version_id;
  Response problem;
  if (!uuid_param(request, "id", tool_id, problem) ||
      !uuid_param(request, "version_id", version_id, problem)) {
    return problem;
  }
  auto body = api::parse_object(request, problem, /*empty_ok=*/true);
  if (!body) return problem;
  api::FieldReader fields(*body);
  const auto limit_ms = fields.integer("time_limit_ms", false, 1, options_.max_time_limit.count())
                            .value_or(options_.default_time_limit.count());
  if (!fields.ok()) return fields.response();

  // The seed's §4: the business operation as its own span, current while it runs; an exception
  // escaping it is recorded on it, as the seed's `with` block does.
  return tracer_.in_span("execute_tool_version", [&](tracekit::ScopedSpan& span) {
    return execute_tool_version(span, tool_id, version_id, limit_ms);
  });
}

Response WebService::execute_tool_version(tracekit::Span& span, const std::string& tool_id,
                                          const std::string& version_id, int64_t limit_ms) {
  span.set_attribute("tool.id", tool_id);
  span.set_attribute("version.id", version_id);

  // A step that fails ends the operation: ERROR with the reason, as the seed's `with` block
  // records an exception.
  auto failed = [&span](const Error& failure) {
    span.set_status(tracekit::StatusCode::kError, failure.message);
    span.record_exception("skriptoteket::Failure", failure.message);
    return api::from_error(failure);
  };
  auto version = store_.get_version(tool_id, version_id);
  if (!version) return failed(version.error());
  auto queued = store_.create_run(version.value());
  if (!queued) return failed(queued.error());
  auto running = store_.start_run(queued->id);
  if (!running) return failed(running.error());

  auto outcome =
      runner_.execute({version->language, version->source, std::chrono::milliseconds(limit_ms)});
  RunResult result;
  if (outcome) {
    result.status = status_of(outcome.value());
    result.exit_code = outcome->exit_code;
    result.stdout_text = std::move(outcome->stdout_text);
    result.stderr_text = std::move(outcome->stderr_text);
    result.stdout_truncated = outcome->stdout_truncated;
    result.stderr_truncated = outcome->stderr_truncated;
    if (outcome->signal != 0) result.signal = outcome->signal;
    result.oom_killed = outcome->oom_killed;
    result.cpu_limit_exceeded = outcome->cpu_limit_exceeded;
    result.process_limit_reached = outcome->process_limit_reached;
  } else {
    // The run is recorded as failed either way: no run stays "running" forever.
    result.status = RunStatus::kFailed;
    result.error = outcome.error().message;
  }
  auto finished = store_.finish_run(queued->id, result);
  if (!finished) return failed(finished.error());

  span.set_attribute("run.id", finished->id);
  span.set_attribute("run.status", to_string(finished->status));
  if (!outcome) {
    span.set_status(tracekit::StatusCode::kError, outcome.error().message);
    log_.error("tool_version.execution_failed", {{"tool_id", tool_id},
                                                 {"version_id", version_id},
                                                 {"run_id", finished->id},
                                                 {"error", outcome.error().message}});
    json::object body_out{{"error", "runner_unavailable"},
                          {"detail", outcome.error().message},
                          {"run", api::to_json(finished.value())}};
    return api::json(502, body_out);
  }
  log_.info("tool_version.executed",
            {{"tool_id", tool_id},
             {"version_id", version_id},
             {"run_id", finished->id},
             {"status", to_string(finished->status)},
             {"exit_code", outcome->exit_code},
             {"duration_ms", static_cast<int64_t>(outcome->duration.count())}});
  return api::json(201, api::to_json(finished.value()));
}

Response WebService::get_run(Request& request) {
  std::string id;
  Response problem;
  if (!uuid_param(request, "id", id, problem)) return problem;
  tracekit::current_span().set_attribute("run.id", id);
  auto run = store_.get_run(id);
  if (!run) return api::from_error(run.error());
  return api::json(200, api::to_json(run.value()));
}

// The W3C trace-context test harness posts [{"url": ..., "arguments": [...]}, ...] and expects
// each url to be called in order with a POST of `arguments`, as children of the incoming trace.
Response WebService::tracecontext_test(Request& request) {
  std::error_code ec;
  json::value body = json::parse(request.body(), ec);
  if (ec || !body.is_array()) {
    return api::error(400, "invalid_json", "expected a JSON array of {\"url\", \"arguments\"}");
  }
  for (const auto& item : body.as_array()) {
    const auto* o = item.if_object();
    const auto* url = o ? o->if_contains("url") : nullptr;
    if (!url || !url->is_string()) {
      return api::error(422, "validation_failed", "every item needs a string \"url\"");
    }
  }
  int failed = 0;
  for (const auto& item : body.as_array()) {
    const auto& o = item.as_object();
    const json::value* arguments = o.if_contains("arguments");
    auto r =
        test_client_.request("POST", std::string(o.at("url").get_string()),
                             json::serialize(arguments ? *arguments : json::value(json::array{})),
                             {{"Content-Type", "application/json"}});
    if (!r) {
      ++failed;
      log_.warn("tracecontext_test.call_failed", {{"error", r.error().message}});
    }
  }
  return api::json(200, json::object{{"calls", body.as_array().size()}, {"failed", failed}});
}

}  // namespace skriptoteket
