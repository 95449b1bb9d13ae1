// SPDX-License-Identifier: Apache-2.0
// Runs each script in a sandbox built with bubblewrap: its own user, PID, network, IPC, UTS,
// mount and cgroup namespaces; a read-only minimal root (/usr and a few /etc files); the run's
// volume, a size-capped tmpfs at /work holding the script; no network; no capabilities, an
// unprivileged uid and a seccomp deny-list; memory, process and CPU limits for the whole sandbox
// through a per-run cgroup (per-process rlimits where none may be used); and a wall-clock limit
// that kills everything the script started. What it may and may not do, and the test showing
// each: docs/skriptoteket.md, "The runner's sandbox".
//
// Traced as one span per run, `sandbox_runner.execute`, with the seed's events volume_created
// {volume_name}, container_started {container_id} and container_finished {exit_code, timed_out,
// oom_killed, signal}.
//
// SandboxMode::kNone runs the script as a plain child process instead (its own process group
// and a directory on disk): for trusted scripts only, and said loudly at start and on the span.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>

#include "prepared_pool.h"
#include "run_cgroup.h"
#include "runner.h"
#include "tracekit/tracer.h"

namespace skriptoteket {

enum class SandboxMode { kBubblewrap, kNone };
std::string_view to_string(SandboxMode mode) noexcept;
std::optional<SandboxMode> parse_sandbox_mode(std::string_view text) noexcept;

struct SandboxRunnerOptions {
  SandboxMode mode = SandboxMode::kBubblewrap;
  size_t stdout_limit = 64 * 1024;  // bytes kept; the rest is read and dropped
  size_t stderr_limit = 64 * 1024;
  std::chrono::milliseconds max_time_limit{60000};
  // For the whole sandbox (cgroup); per process where no cgroup may be used.
  uint64_t memory_bytes = 512ULL * 1024 * 1024;
  uint64_t max_processes = 64;
  // Size of the run's volume (/work) and, separately, of its /tmp.
  uint64_t volume_bytes = 64ULL * 1024 * 1024;
  // Per-process limits, in every mode.
  uint64_t file_size_bytes = 16ULL * 1024 * 1024;
  uint64_t open_files = 64;
  // The bubblewrap binary; empty: /usr/bin/bwrap or /usr/local/bin/bwrap.
  std::string bwrap_path;
  // "auto", "v2", "v1" or "none" (rlimits only).
  std::string cgroup_mode = "auto";
  // The host uid and gid bubblewrap runs as when the runner runs as root (nobody).
  uid_t unprivileged_uid = 65534;
  gid_t unprivileged_gid = 65534;
  // Sandboxes started ahead of time, each waiting for one script (bubblewrap only): a run takes
  // one instead of waiting for bubblewrap to set up namespaces, mounts and the seccomp filter.
  // 0: every run starts its own sandbox.
  size_t prepared_sandboxes = 2;
  // SandboxMode::kNone only: working directories are created below this one.
  std::filesystem::path work_root = std::filesystem::temp_directory_path() / "skriptoteket-runs";
};

class SandboxRunner final : public ScriptRunner {
 public:
  // Finds the interpreters (and bwrap), compiles the seccomp filter, sets up the cgroups, and
  // runs a trial script in the sandbox: a runner that cannot sandbox refuses to start, with an
  // error naming the cause and the fix.
  static Result<std::unique_ptr<SandboxRunner>> create(SandboxRunnerOptions options,
                                                       tracekit::Tracer& tracer);
  ~SandboxRunner() override;

  Result<ScriptOutcome> execute(const ScriptJob& job) override;
  std::string_view name() const noexcept override { return "sandbox_runner"; }
  const SandboxRunnerOptions& options() const noexcept { return options_; }
  // "v1" or "v2" when whole-sandbox limits come from cgroups; "none" otherwise, and
  // cgroup_unavailable_reason() says why.
  std::string_view cgroup_version() const noexcept;
  const std::string& cgroup_unavailable_reason() const noexcept { return cgroup_reason_; }
  // How many sandboxes started ahead of time wait for a script now; waiting until all
  // `prepared_sandboxes` do (false after `timeout`). For benchmarks and tests.
  size_t prepared_now() const;
  bool wait_until_prepared(std::chrono::milliseconds timeout);

 private:
  struct Sandbox;
  SandboxRunner(SandboxRunnerOptions options, tracekit::Tracer& tracer);
  // Starts a sandbox for `job`, or (nullptr) one whose launcher waits for a script.
  Result<std::unique_ptr<Sandbox>> start(const ScriptJob* job);
  bool hand_over(Sandbox& sandbox, const ScriptJob& job);
  // Runs `job` in `waiting` when given and able to take it, else in a sandbox started for it.
  Result<ScriptOutcome> run(const ScriptJob& job, tracekit::Span& span,
                            std::unique_ptr<Sandbox> waiting);

  SandboxRunnerOptions options_;
  tracekit::Tracer& tracer_;
  std::string python_, bash_, bwrap_, prlimit_;
  std::string seccomp_program_;
  std::unique_ptr<CgroupManager> cgroups_;
  std::string cgroup_reason_;
  std::unique_ptr<PreparedPool<Sandbox>> pool_;  // last: destroyed first, it calls start()
};

}  // namespace skriptoteket
