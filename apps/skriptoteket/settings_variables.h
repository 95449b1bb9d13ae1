// SPDX-License-Identifier: Apache-2.0
// Every environment variable Skriptoteket's two processes read, in the one registry
// (tracekit/config_registry.h). To add one: add an entry here, read it with
// `env::text(setting("NAME"), ...)` (service_env.h), and run `scripts/check_config.py --write`.
#pragma once

#include "tracekit/config_registry.h"

namespace skriptoteket {

using enum tracekit::config::VariableType;

// clang-format off
inline constexpr tracekit::config::Variable kSettingVariables[] = {
  // The seed's variables, which only Skriptoteket reads (the library follows the OpenTelemetry
  // specification); they reach tracekit as ConfigOptions (service_env.cc).
  {"SERVICE_NAME", kText, "`skriptoteket`", "`service.name` (the seed's variable); `OTEL_SERVICE_NAME` wins over it, it wins over `OTEL_RESOURCE_ATTRIBUTES`", "skriptoteket", "skriptoteket-tracing"},
  {"SERVICE_VERSION", kText, "the build's version", "`service.version`; wins over `OTEL_RESOURCE_ATTRIBUTES`", "skriptoteket", "skriptoteket-tracing"},
  {"ENVIRONMENT", kText, "`development`", "`deployment.environment` (the seed's attribute name); wins over `OTEL_RESOURCE_ATTRIBUTES`", "skriptoteket", "skriptoteket-tracing"},
  // Where the processes listen and what they reach.
  {"SKRIPTOTEKET_WEB_ADDRESS", kText, "`127.0.0.1`", "web: where the API listens", "skriptoteket", "skriptoteket"},
  {"SKRIPTOTEKET_WEB_PORT", kInteger, "`8080`", "web: the API's port (`0`: any free port)", "skriptoteket", "skriptoteket"},
  {"SKRIPTOTEKET_RUNNER_ADDRESS", kText, "`127.0.0.1`", "runner: where the runner listens", "skriptoteket", "skriptoteket"},
  {"SKRIPTOTEKET_RUNNER_PORT", kInteger, "`8081`", "runner: its port (`0`: any free port)", "skriptoteket", "skriptoteket"},
  {"SKRIPTOTEKET_RUNNER_URL", kUrl, "`http://127.0.0.1:8081`", "web: the runner (no credentials: the runner token authenticates)", "skriptoteket", "skriptoteket"},
  {"SKRIPTOTEKET_PORT_FILE", kFile, "unset", "both: write the bound port there once listening (tests, scripts)", "skriptoteket", "skriptoteket"},
  {"SKRIPTOTEKET_DATA_DIR", kFile, "`data`", "both: holds the database and the runs' working directories", "skriptoteket", "skriptoteket"},
  {"SKRIPTOTEKET_DB_PATH", kFile, "`$SKRIPTOTEKET_DATA_DIR/skriptoteket.db`", "web: the SQLite file (created, WAL, migrated at start)", "skriptoteket", "skriptoteket"},
  {"SKRIPTOTEKET_WORK_DIR", kFile, "`$SKRIPTOTEKET_DATA_DIR/runs`", "runner: working directories of runs without a sandbox", "skriptoteket", "skriptoteket"},
  {"SKRIPTOTEKET_STATIC_DIR", kFile, "`apps/skriptoteket/static` of the source tree; installed: `<prefix>/share/tracekit/skriptoteket/static`", "web: the static page", "skriptoteket", "skriptoteket"},
  // Limits.
  {"SKRIPTOTEKET_WORKERS", kInteger, "`8`", "web: threads for blocking handlers (2-256)", "skriptoteket", "skriptoteket"},
  {"SKRIPTOTEKET_MAX_CONCURRENT_RUNS", kInteger, "half of `SKRIPTOTEKET_WORKERS` (`4`)", "web: runs executing at once; more get `503` with `Retry-After` (1 to `SKRIPTOTEKET_WORKERS` - 1, so reads always keep a thread)", "skriptoteket", "skriptoteket"},
  {"SKRIPTOTEKET_RUNNER_WORKERS", kInteger, "`8`", "runner: threads for runs: how many proceed at once (1-256)", "skriptoteket", "skriptoteket"},
  {"SKRIPTOTEKET_MAX_SCRIPT_BYTES", kInteger, "`65536`", "both: larger scripts get 413", "skriptoteket", "skriptoteket"},
  {"SKRIPTOTEKET_DEFAULT_TIME_LIMIT_MS", kInteger, "`10000`", "web: a run's time limit when the request gives none", "skriptoteket", "skriptoteket"},
  {"SKRIPTOTEKET_MAX_TIME_LIMIT_MS", kInteger, "`60000`", "both: the largest time limit a request may ask for", "skriptoteket", "skriptoteket"},
  {"SKRIPTOTEKET_MAX_TOOLS", kInteger, "`500`", "web: tools stored; creating more gets `409 limit_reached` (1-1000000)", "skriptoteket", "skriptoteket"},
  {"SKRIPTOTEKET_MAX_VERSIONS_PER_TOOL", kInteger, "`50`", "web: versions stored per tool; creating more gets `409 limit_reached` (1-100000)", "skriptoteket", "skriptoteket"},
  {"SKRIPTOTEKET_MAX_STORED_RUNS", kInteger, "`5000`", "web: runs kept; each new run deletes the oldest finished runs beyond it (1-10000000)", "skriptoteket", "skriptoteket"},
  {"SKRIPTOTEKET_OUTPUT_LIMIT_BYTES", kInteger, "`65536`", "runner: kept bytes of stdout and of stderr", "skriptoteket", "skriptoteket"},
  // The sandbox and the runner's token.
  {"SKRIPTOTEKET_RUNNER_SANDBOX", kChoice, "`bubblewrap`", "runner: `none` runs scripts as plain child processes (trusted scripts only)", "skriptoteket", "skriptoteket"},
  {"SKRIPTOTEKET_BWRAP", kFile, "`/usr/bin/bwrap`", "runner: the bubblewrap binary", "skriptoteket", "skriptoteket"},
  {"SKRIPTOTEKET_SANDBOX_CGROUP", kChoice, "`auto`", "runner: `auto`, `v2`, `v1`, `none` (rlimits only)", "skriptoteket", "skriptoteket"},
  {"SKRIPTOTEKET_SANDBOX_MEMORY_BYTES", kInteger, "`536870912` (512 MiB)", "runner: memory of the whole sandbox (16 MiB-64 GiB)", "skriptoteket", "skriptoteket"},
  {"SKRIPTOTEKET_SANDBOX_MAX_PROCESSES", kInteger, "`64`", "runner: processes and threads of the whole sandbox (4-100000)", "skriptoteket", "skriptoteket"},
  {"SKRIPTOTEKET_SANDBOX_VOLUME_BYTES", kInteger, "`67108864` (64 MiB)", "runner: size of `/work`, and separately of `/tmp` (1 MiB-64 GiB)", "skriptoteket", "skriptoteket"},
  {"SKRIPTOTEKET_RUNNER_PREPARED_SANDBOXES", kInteger, "`2`", "runner: sandboxes started ahead of time and waiting for a script (0-64; `0`: each run starts its own)", "skriptoteket", "skriptoteket"},
  {"SKRIPTOTEKET_RUNNER_TOKEN", kText, "unset", "both: the shared secret web -> runner (16-512 printable characters)", "skriptoteket", "skriptoteket"},
  {"SKRIPTOTEKET_RUNNER_TOKEN_FILE", kFile, "`$SKRIPTOTEKET_DATA_DIR/runner.token`", "both: without a token, the runner creates this file and the web service reads it", "skriptoteket", "skriptoteket"},
  // Access.
  {"SKRIPTOTEKET_ALLOWED_HOSTS", kList, "none", "both: extra `Host` values answered (`name`, `name:port`, `*`), comma-separated", "skriptoteket", "skriptoteket"},
  {"SKRIPTOTEKET_API_TOKEN", kText, "none", "web: bearer token required on everything but `/healthz` (16 to 512 printable characters)", "skriptoteket", "skriptoteket"},
  {"SKRIPTOTEKET_TRACECONTEXT_TEST", kBoolean, "`false`", "web: enable `POST /test` (the W3C trace-context test endpoint)", "skriptoteket", "skriptoteket"},
};
// clang-format on

consteval const tracekit::config::Variable& setting(std::string_view name) {
  return tracekit::config::find_variable(kSettingVariables, name);
}

}  // namespace skriptoteket
