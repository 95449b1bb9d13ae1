// SPDX-License-Identifier: Apache-2.0
// Running a script: the interface the runner service serves (SandboxRunner) and the web service
// calls (RemoteRunner), so either side can change without touching the callers.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "domain.h"

namespace skriptoteket {

struct ScriptJob {
  Language language = Language::kPython3;
  std::string source;
  std::chrono::milliseconds time_limit{10000};
};

struct ScriptOutcome {
  // The exit status; -1 when a signal ended the process (then `signal` says which).
  int exit_code = -1;
  int signal = 0;
  bool timed_out = false;
  std::string stdout_text;
  std::string stderr_text;
  bool stdout_truncated = false;
  bool stderr_truncated = false;
  // Why the sandbox ended it early, besides the time limit: the kernel's OOM killer at the
  // sandbox's memory limit, the CPU-time limit, or forks refused at the process limit (the
  // script may then have carried on and exited by itself).
  bool oom_killed = false;
  bool cpu_limit_exceeded = false;
  bool process_limit_reached = false;
  std::chrono::milliseconds duration{0};
};

class ScriptRunner {
 public:
  virtual ~ScriptRunner() = default;
  // A script that fails, hangs or floods its output is an outcome, not an error; an error means
  // the runner itself could not run it (no interpreter, no disk space, fork failed).
  virtual Result<ScriptOutcome> execute(const ScriptJob& job) = 0;
  // The prefix of the runner's span, `<name>.execute`.
  virtual std::string_view name() const noexcept = 0;
};

}  // namespace skriptoteket
