// Runs a script as a child process: a fresh working directory (the run's "volume"), its own
// process group (killed as a whole at the time limit), a clean environment, resource limits and
// capped output. Traced as the span `process_runner.execute` with the events
// workdir_created {path}, process_started {pid} and process_finished {exit_code, timed_out}.
#pragma once

#include <filesystem>
#include <string>

#include "runner.h"
#include "tracekit/tracer.h"

namespace skriptoteket {

struct ProcessRunnerOptions {
  // Working directories are created below this one (made if missing).
  std::filesystem::path work_root = std::filesystem::temp_directory_path() / "skriptoteket-runs";
  size_t stdout_limit = 64 * 1024;  // bytes kept; the rest is read and dropped
  size_t stderr_limit = 64 * 1024;
  std::chrono::milliseconds max_time_limit{60000};
  // Per-process limits (setrlimit) of the script.
  uint64_t address_space_bytes = 1024ULL * 1024 * 1024;
  uint64_t file_size_bytes = 16ULL * 1024 * 1024;
  uint64_t open_files = 64;
  // Keep the working directory after the run (for debugging).
  bool keep_workdir = false;
};

class ProcessRunner final : public ScriptRunner {
 public:
  // Finds python3 and bash on PATH now, so a missing interpreter is reported at start.
  static Outcome<std::unique_ptr<ProcessRunner>> create(ProcessRunnerOptions options,
                                                        tracekit::Tracer& tracer);

  Outcome<ScriptOutcome> execute(const ScriptJob& job) override;
  std::string_view name() const noexcept override { return "process_runner"; }
  const ProcessRunnerOptions& options() const noexcept { return options_; }

 private:
  ProcessRunner(ProcessRunnerOptions options, tracekit::Tracer& tracer, std::string python,
                std::string bash);
  Outcome<ScriptOutcome> run_in(const std::filesystem::path& workdir, const ScriptJob& job,
                                tracekit::Span& span);

  ProcessRunnerOptions options_;
  tracekit::Tracer& tracer_;
  std::string python_;
  std::string bash_;
};

}  // namespace skriptoteket
