// skriptoteket-runner: runs scripts for skriptoteket-web (POST /execute) as child processes.
// Settings from the environment (docs/skriptoteket.md), tracing from configure_tracing().
#include <cstdio>

#include "process_runner.h"
#include "runner_service.h"
#include "service_env.h"
#include "store.h"
#include "tracekit/http/request_guard.h"
#include "tracekit/log/logger.h"
#include "tracekit/setup.h"
#include "tracekit/tracer_provider.h"

namespace {

int fail(const std::string& message, int code = 2) {
  std::fprintf(stderr, "skriptoteket-runner: %s\n", message.c_str());
  return code;
}

}  // namespace

int main() {
  using namespace skriptoteket;
  if (auto r = tracekit::log::configure_from_env(); !r) return fail(r.error().message);
  if (auto r = tracekit::configure_tracing(); !r) return fail(r.error().message);

  auto port = env::number("SKRIPTOTEKET_RUNNER_PORT", 8081, 0, 65535);
  auto workers = env::number("SKRIPTOTEKET_RUNNER_WORKERS", 8, 1, 256);
  auto max_script = env::number("SKRIPTOTEKET_MAX_SCRIPT_BYTES", 64 * 1024, 1, 8 * 1024 * 1024);
  auto max_limit = env::number("SKRIPTOTEKET_MAX_TIME_LIMIT_MS", 60000, 1, 3600000);
  auto output_limit =
      env::number("SKRIPTOTEKET_OUTPUT_LIMIT_BYTES", 64 * 1024, 1, 16 * 1024 * 1024);
  for (const Failure* f :
       {port.ok() ? nullptr : &port.failure(), workers.ok() ? nullptr : &workers.failure(),
        max_script.ok() ? nullptr : &max_script.failure(),
        max_limit.ok() ? nullptr : &max_limit.failure(),
        output_limit.ok() ? nullptr : &output_limit.failure()}) {
    if (f) return fail(f->message);
  }

  ProcessRunnerOptions runner_options;
  const std::string data_dir = env::text("SKRIPTOTEKET_DATA_DIR", "data");
  runner_options.work_root = env::text("SKRIPTOTEKET_WORK_DIR", data_dir + "/runs");
  runner_options.stdout_limit = runner_options.stderr_limit = output_limit.value();
  runner_options.max_time_limit = std::chrono::milliseconds(max_limit.value());
  auto runner = ProcessRunner::create(runner_options, tracekit::get_tracer("skriptoteket.runner"));
  if (!runner) return fail(runner.failure().message);
  RunnerService service(*runner.value(), {.max_script_bytes = max_script.value()});

  tracekit::http::ServerOptions options;
  options.address = env::text("SKRIPTOTEKET_RUNNER_ADDRESS", "127.0.0.1");
  options.port = static_cast<uint16_t>(port.value());
  options.worker_threads = static_cast<unsigned>(workers.value());
  options.max_body_bytes = max_script.value() * 2 + 64 * 1024;
  options.server_name = "skriptoteket-runner";
  tracekit::http::Server server(options);
  service.install(server);
  // POST /execute runs code: a browser page must not reach it cross-site or through a rebound
  // DNS name (Host, Origin and JSON checks; docs/skriptoteket.md). Innermost, after the
  // service's own middleware, so refusals are counted, logged and traced.
  tracekit::http::RequestGuardOptions guard;
  guard.allowed_hosts = tracekit::http::split_list(env::text("SKRIPTOTEKET_ALLOWED_HOSTS", ""));
  guard.public_prefixes = {"/healthz"};
  server.use(tracekit::http::request_guard(std::move(guard)));
  if (auto r = server.start(); !r) return fail(r.error().message, 1);
  if (!env::write_port_file(server.port())) return fail("cannot write SKRIPTOTEKET_PORT_FILE", 1);

  tracekit::log::Logger log("skriptoteket.runner");
  log.info("service.started",
           {{"url", server.base_url()}, {"work_dir", runner_options.work_root.string()}});
  const int rc = server.run_until_signal();
  log.info("service.stopped", {{"exit_code", rc}});
  tracekit::shutdown_tracing();
  return rc;
}
