// SPDX-License-Identifier: Apache-2.0
// skriptoteket-runner: runs scripts for skriptoteket-web (POST /execute), each in a sandbox
// (bubblewrap, seccomp, cgroups). Settings from the environment (docs/skriptoteket.md), tracing
// from configure_tracing().
#include <cstdio>

#include "runner_service.h"
#include "runner_token.h"
#include "sandbox_runner.h"
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
  if (auto r = env::configure_service_tracing(); !r) return fail(r.error().message);

  auto port = env::number(setting("SKRIPTOTEKET_RUNNER_PORT"), 8081, 0, 65535);
  auto workers = env::number(setting("SKRIPTOTEKET_RUNNER_WORKERS"), 8, 1, 256);
  auto max_script =
      env::number(setting("SKRIPTOTEKET_MAX_SCRIPT_BYTES"), 64 * 1024, 1, 8 * 1024 * 1024);
  auto max_limit = env::number(setting("SKRIPTOTEKET_MAX_TIME_LIMIT_MS"), 60000, 1, 3600000);
  auto output_limit =
      env::number(setting("SKRIPTOTEKET_OUTPUT_LIMIT_BYTES"), 64 * 1024, 1, 16 * 1024 * 1024);
  for (const Error* f :
       {port.ok() ? nullptr : &port.error(), workers.ok() ? nullptr : &workers.error(),
        max_script.ok() ? nullptr : &max_script.error(),
        max_limit.ok() ? nullptr : &max_limit.error(),
        output_limit.ok() ? nullptr : &output_limit.error()}) {
    if (f) return fail(f->message);
  }

  SandboxRunnerOptions runner_options;
  const std::string sandbox_text = env::text(setting("SKRIPTOTEKET_RUNNER_SANDBOX"), "bubblewrap");
  const auto sandbox_mode = parse_sandbox_mode(sandbox_text);
  if (!sandbox_mode) {
    return fail("SKRIPTOTEKET_RUNNER_SANDBOX=\"" + sandbox_text +
                "\" is not valid: expected bubblewrap or none");
  }
  runner_options.mode = *sandbox_mode;
  runner_options.bwrap_path = env::text(setting("SKRIPTOTEKET_BWRAP"), "");
  runner_options.cgroup_mode = env::text(setting("SKRIPTOTEKET_SANDBOX_CGROUP"), "auto");
  if (runner_options.cgroup_mode != "auto" && runner_options.cgroup_mode != "v1" &&
      runner_options.cgroup_mode != "v2" && runner_options.cgroup_mode != "none") {
    return fail("SKRIPTOTEKET_SANDBOX_CGROUP=\"" + runner_options.cgroup_mode +
                "\" is not valid: expected auto, v2, v1 or none");
  }
  constexpr uint64_t kMiB = 1024 * 1024;
  auto memory =
      env::number(setting("SKRIPTOTEKET_SANDBOX_MEMORY_BYTES"), 512 * kMiB, 16 * kMiB, 64ULL << 30);
  auto processes = env::number(setting("SKRIPTOTEKET_SANDBOX_MAX_PROCESSES"), 64, 4, 100000);
  auto volume =
      env::number(setting("SKRIPTOTEKET_SANDBOX_VOLUME_BYTES"), 64 * kMiB, kMiB, 64ULL << 30);
  auto prepared = env::number(setting("SKRIPTOTEKET_RUNNER_PREPARED_SANDBOXES"), 2, 0, 64);
  for (const Error* f :
       {memory.ok() ? nullptr : &memory.error(), processes.ok() ? nullptr : &processes.error(),
        volume.ok() ? nullptr : &volume.error(), prepared.ok() ? nullptr : &prepared.error()}) {
    if (f) return fail(f->message);
  }
  runner_options.memory_bytes = memory.value();
  runner_options.max_processes = processes.value();
  runner_options.volume_bytes = volume.value();
  runner_options.prepared_sandboxes = prepared.value();
  const std::string data_dir = env::text(setting("SKRIPTOTEKET_DATA_DIR"), "data");
  runner_options.work_root = env::text(setting("SKRIPTOTEKET_WORK_DIR"), data_dir + "/runs");
  runner_options.stdout_limit = runner_options.stderr_limit = output_limit.value();
  runner_options.max_time_limit = std::chrono::milliseconds(max_limit.value());

  tracekit::log::Logger log("skriptoteket.runner");
  auto token = load_or_create_runner_token(runner_token_source());
  if (!token) return fail(token.error().message);
  auto runner = SandboxRunner::create(runner_options, tracekit::get_tracer("skriptoteket.runner"));
  if (!runner) return fail(runner.error().message);
  if (runner_options.mode == SandboxMode::kNone) {
    std::fprintf(stderr,
                 "skriptoteket-runner: WARNING: SKRIPTOTEKET_RUNNER_SANDBOX=none: scripts run as "
                 "plain child processes of this user, with access to its files, the network and "
                 "every process it may signal. Only for trusted scripts.\n");
    log.warn("sandbox.disabled", {{"sandbox", "none"}});
  }
  if (runner.value()->cgroup_version() == "none") {
    log.warn("sandbox.no_cgroup", {{"reason", runner.value()->cgroup_unavailable_reason()},
                                   {"limits", "per process (rlimits)"}});
  }
  RunnerService service(*runner.value(),
                        {.max_script_bytes = max_script.value(), .token = token.value()});

  tracekit::http::ServerOptions options;
  options.address = env::text(setting("SKRIPTOTEKET_RUNNER_ADDRESS"), "127.0.0.1");
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
  guard.allowed_hosts =
      tracekit::http::split_list(env::text(setting("SKRIPTOTEKET_ALLOWED_HOSTS"), ""));
  guard.public_prefixes = {"/healthz"};
  server.use(tracekit::http::request_guard(std::move(guard)));
  // Before start(): a stop asked for as soon as the port file exists must not be lost.
  server.catch_signals();
  if (auto r = server.start(); !r) return fail(r.error().message, 1);
  if (!env::write_port_file(server.port())) return fail("cannot write SKRIPTOTEKET_PORT_FILE", 1);

  log.info("service.started",
           {{"url", server.base_url()},
            {"sandbox", to_string(runner_options.mode)},
            {"cgroup", runner.value()->cgroup_version()},
            {"memory_bytes", static_cast<int64_t>(runner_options.memory_bytes)},
            {"max_processes", static_cast<int64_t>(runner_options.max_processes)},
            {"volume_bytes", static_cast<int64_t>(runner_options.volume_bytes)}});
  const int rc = server.run_until_signal();
  log.info("service.stopped", {{"exit_code", rc}});
  tracekit::shutdown_tracing();
  return rc;
}
