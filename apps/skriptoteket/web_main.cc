// SPDX-License-Identifier: Apache-2.0
// skriptoteket-web: the API. Settings come from the environment (docs/skriptoteket.md); tracing
// from tracekit::configure_tracing() (the seed's variables); it stops on SIGTERM/SIGINT and
// flushes its spans before exiting.
#include <cstdio>
#include <filesystem>
#include <string>

#include "remote_runner.h"
#include "runner_token.h"
#include "service_env.h"
#include "tracekit/log/logger.h"
#include "tracekit/setup.h"
#include "tracekit/tracer_provider.h"
#include "web_service.h"

#ifndef SKRIPTOTEKET_DEFAULT_STATIC_DIR
#define SKRIPTOTEKET_DEFAULT_STATIC_DIR "static"
#endif

namespace {

// The page's files: an installed binary (a Debian package, cmake --install) finds them at
// <prefix>/share/tracekit/skriptoteket/static beside its own bin/; one in a build tree has none
// there and uses the source tree's static/.
std::string default_static_dir() {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed =
        exe.parent_path().parent_path() / "share" / "tracekit" / "skriptoteket" / "static";
    if (fs::is_directory(installed, ec)) return installed.string();
  }
  return SKRIPTOTEKET_DEFAULT_STATIC_DIR;
}

int fail(const std::string& message, int code = 2) {
  std::fprintf(stderr, "skriptoteket-web: %s\n", message.c_str());
  return code;
}

}  // namespace

int main() {
  using namespace skriptoteket;
  if (auto r = tracekit::log::configure_from_env(); !r) return fail(r.error().message);
  if (auto r = env::configure_service_tracing(); !r) return fail(r.error().message);

  auto port = env::number(setting("SKRIPTOTEKET_WEB_PORT"), 8080, 0, 65535);
  // At least two: one for runs, one that keeps answering reads while they execute.
  auto workers = env::number(setting("SKRIPTOTEKET_WORKERS"), 8, 2, 256);
  auto max_script =
      env::number(setting("SKRIPTOTEKET_MAX_SCRIPT_BYTES"), 64 * 1024, 1, 8 * 1024 * 1024);
  auto max_limit = env::number(setting("SKRIPTOTEKET_MAX_TIME_LIMIT_MS"), 60000, 1, 3600000);
  auto default_limit =
      env::number(setting("SKRIPTOTEKET_DEFAULT_TIME_LIMIT_MS"), 10000, 1, 3600000);
  auto test_endpoint = env::flag(setting("SKRIPTOTEKET_TRACECONTEXT_TEST"), false);
  for (const Error* f :
       {port.ok() ? nullptr : &port.error(), workers.ok() ? nullptr : &workers.error(),
        max_script.ok() ? nullptr : &max_script.error(),
        max_limit.ok() ? nullptr : &max_limit.error(),
        default_limit.ok() ? nullptr : &default_limit.error(),
        test_endpoint.ok() ? nullptr : &test_endpoint.error()}) {
    if (f) return fail(f->message);
  }
  if (default_limit.value() > max_limit.value()) {
    return fail("SKRIPTOTEKET_DEFAULT_TIME_LIMIT_MS is larger than SKRIPTOTEKET_MAX_TIME_LIMIT_MS");
  }
  // A run holds a worker for as long as it executes: leave at least one worker to everything
  // else, so that reads are served however many runs are in flight.
  auto max_runs = env::number(setting("SKRIPTOTEKET_MAX_CONCURRENT_RUNS"), workers.value() / 2, 1,
                              workers.value() - 1);
  if (!max_runs) {
    return fail(max_runs.error().message +
                " (below SKRIPTOTEKET_WORKERS=" + std::to_string(workers.value()) +
                ", so that a worker is left for everything but runs)");
  }
  // How much the database may hold (docs/skriptoteket.md, "Storage limits").
  auto max_tools = env::number(setting("SKRIPTOTEKET_MAX_TOOLS"), 500, 1, 1000000);
  auto max_versions = env::number(setting("SKRIPTOTEKET_MAX_VERSIONS_PER_TOOL"), 50, 1, 100000);
  auto max_runs_stored = env::number(setting("SKRIPTOTEKET_MAX_STORED_RUNS"), 5000, 1, 10000000);
  for (const Error* f : {max_tools.ok() ? nullptr : &max_tools.error(),
                         max_versions.ok() ? nullptr : &max_versions.error(),
                         max_runs_stored.ok() ? nullptr : &max_runs_stored.error()}) {
    if (f) return fail(f->message);
  }

  const std::string db_path = Store::default_path();
  auto store = Store::open(db_path, tracekit::get_tracer("skriptoteket.store"));
  if (!store) return fail(store.error().message);
  store.value()->set_limits({.max_tools = max_tools.value(),
                             .max_versions_per_tool = max_versions.value(),
                             .max_stored_runs = max_runs_stored.value()});
  const std::string runner_url =
      env::text(setting("SKRIPTOTEKET_RUNNER_URL"), "http://127.0.0.1:8081");
  RemoteRunner runner(runner_url, runner_token_source());
  WebOptions web_options{.max_script_bytes = max_script.value(),
                         .default_time_limit = std::chrono::milliseconds(default_limit.value()),
                         .max_time_limit = std::chrono::milliseconds(max_limit.value()),
                         .max_concurrent_runs = max_runs.value(),
                         .tracecontext_test_endpoint = test_endpoint.value()};
  // Browsers on other sites (and DNS-rebound names) must not reach the API: see
  // docs/skriptoteket.md. The token is never logged.
  web_options.guard.allowed_hosts =
      tracekit::http::split_list(env::text(setting("SKRIPTOTEKET_ALLOWED_HOSTS"), ""));
  web_options.guard.token = env::text(setting("SKRIPTOTEKET_API_TOKEN"), "");
  if (!web_options.guard.token.empty() && !plausible(web_options.guard.token)) {
    return fail(
        "SKRIPTOTEKET_API_TOKEN is not valid: expected 16 to 512 printable characters "
        "without spaces (e.g. `openssl rand -hex 32`)");
  }
  // The runner is authenticated by its token; credentials in its URL would travel into run
  // errors, logs and spans.
  const auto has_userinfo = [](std::string_view url) {
    if (const size_t scheme = url.find("://"); scheme != std::string_view::npos) {
      url.remove_prefix(scheme + 3);
    }
    return url.substr(0, url.find_first_of("/?#")).find('@') != std::string_view::npos;
  };
  if (has_userinfo(runner_url)) {
    return fail(
        "SKRIPTOTEKET_RUNNER_URL must not hold credentials (user:password@): the runner "
        "is authenticated by its token");
  }
  WebService service(*store.value(), runner, web_options);

  tracekit::http::ServerOptions options;
  options.address = env::text(setting("SKRIPTOTEKET_WEB_ADDRESS"), "127.0.0.1");
  options.port = static_cast<uint16_t>(port.value());
  options.worker_threads = static_cast<unsigned>(workers.value());
  // Room above the script limit, so an oversized script gets this service's own 413 body.
  options.max_body_bytes = max_script.value() * 2 + 64 * 1024;
  options.static_dir = env::text(setting("SKRIPTOTEKET_STATIC_DIR"), default_static_dir());
  options.server_name = "skriptoteket-web";
  tracekit::http::Server server(options);
  service.install(server);
  // Before start(): a stop asked for as soon as the port file exists must not be lost.
  server.catch_signals();
  if (auto r = server.start(); !r) return fail(r.error().message, 1);
  if (!env::write_port_file(server.port())) return fail("cannot write SKRIPTOTEKET_PORT_FILE", 1);

  tracekit::log::Logger log("skriptoteket.web");
  log.info("service.started",
           {{"url", server.base_url()},
            {"runner_url", runner_url},
            {"database", db_path},
            {"allowed_hosts", env::text(setting("SKRIPTOTEKET_ALLOWED_HOSTS"), "")},
            {"api_token_required", !web_options.guard.token.empty()},
            {"workers", static_cast<int64_t>(workers.value())},
            {"max_concurrent_runs", static_cast<int64_t>(max_runs.value())},
            {"tracecontext_test_endpoint", test_endpoint.value()}});
  // Listening past loopback with no token gives anyone who reaches the port the whole API,
  // running scripts included.
  const std::string_view address = options.address;
  const bool loopback = address.starts_with("127.") || address == "::1" || address == "localhost" ||
                        address == "[::1]";
  if (!loopback && web_options.guard.token.empty()) {
    log.warn("service.open_without_token",
             {{"address", options.address},
              {"advice",
               "set SKRIPTOTEKET_API_TOKEN: anyone who reaches this port can create "
               "and run scripts"}});
  }
  const int rc = server.run_until_signal();
  log.info("service.stopped", {{"exit_code", rc}});
  tracekit::shutdown_tracing();
  return rc;
}
