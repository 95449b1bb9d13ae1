// Running a script: the interface the runner service serves, so that a container runner (the
// seed's docker_runner) can replace the process runner without touching the callers.
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
  std::chrono::milliseconds duration{0};
};

class ScriptRunner {
 public:
  virtual ~ScriptRunner() = default;
  // A script that fails, hangs or floods its output is an outcome, not an error; an error means
  // the runner itself could not run it (no interpreter, no disk space, fork failed).
  virtual Outcome<ScriptOutcome> execute(const ScriptJob& job) = 0;
  // The prefix of the runner's span, `<name>.execute`.
  virtual std::string_view name() const noexcept = 0;
};

}  // namespace skriptoteket
