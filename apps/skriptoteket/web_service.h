// SPDX-License-Identifier: Apache-2.0
// skriptoteket-web: the JSON API over the store, running versions through a ScriptRunner (the
// runner service, in production). Installs its middleware and routes on a tracekit::http::Server.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "metrics.h"
#include "runner.h"
#include "store.h"
#include "tracekit/http/client.h"
#include "tracekit/http/request_guard.h"
#include "tracekit/http/server.h"
#include "tracekit/log/logger.h"

namespace skriptoteket {

struct WebOptions {
  size_t max_script_bytes = 64 * 1024;  // larger sources are refused with 413
  std::chrono::milliseconds default_time_limit{10000};
  std::chrono::milliseconds max_time_limit{60000};
  // Runs executing at once (web_main: SKRIPTOTEKET_MAX_CONCURRENT_RUNS). A run holds a worker
  // thread for as long as it executes, up to its time limit, so without a bound of their own a few
  // slow scripts take every worker and the API stops answering. Keep it below the server's
  // worker_threads: the rest serve everything else. Further run requests get 503 with
  // Retry-After at once, on the I/O thread, without taking a worker.
  size_t max_concurrent_runs = 4;
  // POST /test for the W3C trace-context test harness.
  bool tracecontext_test_endpoint = false;
  // Host allow-list, Origin, JSON bodies, optional token, security headers (request_guard.h).
  tracekit::http::RequestGuardOptions guard = default_guard();

  static tracekit::http::RequestGuardOptions default_guard() {
    tracekit::http::RequestGuardOptions g;
    g.public_prefixes = {"/healthz"};
    g.token_cookie = "skriptoteket_session";  // not the collector's, on the same host
    return g;
  }
};

class WebService {
 public:
  // `store` and `runner` must outlive the service.
  WebService(Store& store, ScriptRunner& runner, WebOptions options);

  // Middleware (metrics, access log, tracing, uniform error bodies, the request guard) and
  // every route; the guard's refusals are counted, logged and traced like any answer. The
  // server's body limit must exceed max_script_bytes so that this service answers 413 itself.
  void install(tracekit::http::Server& server);
  HttpMetrics& metrics() noexcept { return metrics_; }
  // /metrics: the HTTP metrics, then runs in flight and what the limits refused or pruned.
  std::string render_metrics() const;

 private:
  tracekit::http::Response create_tool(tracekit::http::Request& request);
  tracekit::http::Response list_tools(tracekit::http::Request& request);
  tracekit::http::Response get_tool(tracekit::http::Request& request);
  tracekit::http::Response create_version(tracekit::http::Request& request);
  tracekit::http::Response get_version(tracekit::http::Request& request);
  tracekit::http::Response run_version(tracekit::http::Request& request);
  tracekit::http::Response execute_tool_version(tracekit::Span& span, const std::string& tool_id,
                                                const std::string& version_id, int64_t limit_ms);
  tracekit::http::Response get_run(tracekit::http::Request& request);
  // A store failure as an answer: a storage limit is 409 limit_reached, the rest api::from_error.
  tracekit::http::Response store_failure(const Error& error, std::string_view limit);
  // Admits a run request while fewer than max_concurrent_runs execute, else answers 503.
  tracekit::http::Middleware run_admission();
  tracekit::http::Response tracecontext_test(tracekit::http::Request& request);

  Store& store_;
  ScriptRunner& runner_;
  WebOptions options_;
  HttpMetrics metrics_{"skriptoteket"};
  tracekit::log::Logger log_{"skriptoteket.web"};
  tracekit::Tracer& tracer_;
  std::atomic<size_t> runs_in_flight_{0};
  std::atomic<uint64_t> runs_refused_{0};
  std::atomic<uint64_t> tools_refused_{0};     // at SKRIPTOTEKET_MAX_TOOLS
  std::atomic<uint64_t> versions_refused_{0};  // at SKRIPTOTEKET_MAX_VERSIONS_PER_TOOL
  // For POST /test: the harness's callbacks.
  tracekit::http::BlockingClient test_client_;
};

// Rewrites error responses that do not yet have the {"error", "detail"} shape (the server's own
// 404/405/413/… answers) into it, keeping status and headers.
tracekit::http::Middleware uniform_errors_middleware();

}  // namespace skriptoteket
