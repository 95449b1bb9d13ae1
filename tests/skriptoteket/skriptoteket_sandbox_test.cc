// SPDX-License-Identifier: Apache-2.0
// The sandbox runner with real bubblewrap sandboxes and real python3 and bash: normal scripts,
// non-zero exits, hangs (everything the script started is killed), output floods, the clean
// environment and volume, resource limits, and the span sandbox_runner.execute with the seed's
// three events. The attacks a hostile script tries are in skriptoteket_sandbox_e2e_test.cc,
// through the runner's API.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include "sandbox_runner.h"
#include "test_tracing.h"

namespace skriptoteket {
namespace {

using namespace std::chrono_literals;
using testing::MemoryTracing;
using testing::string_attribute;
using testing::TempDir;

// Host processes whose command line contains `needle` (zombies excluded).
int host_processes_running(const std::string& needle) {
  int found = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream cmdline(entry.path() / "cmdline");
    std::string text((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
    std::replace(text.begin(), text.end(), '\0', ' ');
    if (text.find(needle) != std::string::npos) ++found;
  }
  return found;
}

// Each test runs twice: with sandboxes started for their script (Fresh), and with every run
// taking a sandbox started ahead of time (Prepared), whose launcher receives the script.
class RunnerTest : public ::testing::TestWithParam<bool> {
 protected:
  bool prepared() const { return GetParam(); }
  void SetUp() override {
    SandboxRunnerOptions options;
    options.prepared_sandboxes = prepared() ? 2 : 0;
    options.work_root = dir_.path() / "runs";
    options.stdout_limit = 1000;
    options.stderr_limit = 500;
    options.max_time_limit = 20s;
    auto created = SandboxRunner::create(options, tracing_.tracer());
    ASSERT_TRUE(created.ok()) << created.error().message;
    runner_ = std::move(created).value();
  }
  ScriptOutcome run(Language language, std::string source, std::chrono::milliseconds limit = 10s) {
    return run_on(*runner_, {language, std::move(source), limit});
  }
  // Runs `job`; in the Prepared variant, once a sandbox waits for it, and checks it took one.
  ScriptOutcome run_on(SandboxRunner& runner, const ScriptJob& job) {
    const bool takes_a_prepared_sandbox = prepared() && job.source.find('\0') == std::string::npos;
    if (takes_a_prepared_sandbox) {
      EXPECT_TRUE(runner.wait_until_prepared(20s));
    }
    tracing_.spans->clear();
    auto outcome = runner.execute(job);
    EXPECT_TRUE(outcome.ok()) << (outcome.ok() ? "" : outcome.error().message);
    auto span = tracing_.spans->find("sandbox_runner.execute");
    EXPECT_TRUE(span);
    if (span && runner.options().mode == SandboxMode::kBubblewrap) {
      const auto* attribute = span->attribute("sandbox.prepared");
      EXPECT_TRUE(attribute && attribute->as_bool() == takes_a_prepared_sandbox);
    }
    return outcome.ok() ? outcome.value() : ScriptOutcome{};
  }

  TempDir dir_;
  MemoryTracing tracing_;
  std::unique_ptr<SandboxRunner> runner_;
};

TEST_P(RunnerTest, RunsAPythonScriptAndCapturesItsOutput) {
  auto outcome = run(Language::kPython3,
                     "import sys\nprint('hello from python')\nprint('warn', file=sys.stderr)\n");
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_FALSE(outcome.timed_out);
  EXPECT_EQ(outcome.stdout_text, "hello from python\n");
  EXPECT_EQ(outcome.stderr_text, "warn\n");
  EXPECT_FALSE(outcome.stdout_truncated);
}

TEST_P(RunnerTest, RunsABashScript) {
  auto outcome = run(Language::kBash, "echo \"sum=$((2 + 3))\"\n");
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_EQ(outcome.stdout_text, "sum=5\n");
}

TEST_P(RunnerTest, ANonZeroExitIsAnOutcomeNotAnError) {
  auto outcome = run(Language::kBash, "echo failing >&2\nexit 7\n");
  EXPECT_EQ(outcome.exit_code, 7);
  EXPECT_FALSE(outcome.timed_out);
  EXPECT_EQ(outcome.stderr_text, "failing\n");
  auto python = run(Language::kPython3, "raise SystemExit(3)\n");
  EXPECT_EQ(python.exit_code, 3);
}

TEST_P(RunnerTest, AHangingScriptIsKilledWithEverythingItStarted) {
  // The script starts a background sleeper in a session of its own, and hangs.
  // Numbers of their own per variant: CTest may run both at once.
  const std::string daemon = prepared() ? "sleep 3111" : "sleep 3011";
  const std::string main = prepared() ? "sleep 3112" : "sleep 3012";
  auto outcome = run(Language::kBash, "setsid " + daemon + " &\n" + main + "\n", 700ms);
  EXPECT_TRUE(outcome.timed_out);
  EXPECT_EQ(outcome.exit_code, -1);
  EXPECT_EQ(outcome.signal, SIGKILL);
  EXPECT_GE(outcome.duration, 700ms);
  EXPECT_LT(outcome.duration, 5s);
  EXPECT_EQ(host_processes_running(daemon), 0);
  EXPECT_EQ(host_processes_running(main), 0);
}

TEST_P(RunnerTest, AnOutputFloodIsCappedAndTheRestDropped) {
  auto outcome = run(Language::kPython3,
                     "import sys\nsys.stdout.write('x' * 5_000_000)\n"
                     "sys.stderr.write('e' * 100_000)\n");
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_EQ(outcome.stdout_text.size(), 1000u);
  EXPECT_TRUE(outcome.stdout_truncated);
  EXPECT_EQ(outcome.stderr_text.size(), 500u);
  EXPECT_TRUE(outcome.stderr_truncated);
}

TEST_P(RunnerTest, AnEndlessFloodEndsAtTheTimeLimit) {
  auto outcome = run(Language::kBash, "yes flood\n", 700ms);
  EXPECT_TRUE(outcome.timed_out);
  EXPECT_EQ(outcome.stdout_text.size(), 1000u);
  EXPECT_TRUE(outcome.stdout_truncated);
}

TEST_P(RunnerTest, TheScriptGetsACleanEnvironmentAndAFreshVolume) {
  ::setenv("SKRIPTOTEKET_SECRET_FOR_TEST", "must-not-leak", 1);
  auto outcome = run(Language::kPython3,
                     "import os\nprint(os.getcwd())\nprint(sorted(os.environ))\n"
                     "print(os.listdir('.'))\nopen('left-behind', 'w').write('x')\n");
  ::unsetenv("SKRIPTOTEKET_SECRET_FOR_TEST");
  EXPECT_EQ(outcome.exit_code, 0) << outcome.stderr_text;
  EXPECT_EQ(outcome.stdout_text.find("SKRIPTOTEKET_SECRET"), std::string::npos);
  EXPECT_NE(outcome.stdout_text.find("'HOME', 'LANG', 'PATH'"), std::string::npos)
      << outcome.stdout_text;
  EXPECT_EQ(outcome.stdout_text.rfind("/work\n", 0), 0u) << outcome.stdout_text;
  EXPECT_NE(outcome.stdout_text.find("['script.py']"), std::string::npos);
  // The next run's volume is fresh.
  auto next = run(Language::kBash, "ls -A /work\n");
  EXPECT_EQ(next.stdout_text, "script.sh\n");
}

TEST_P(RunnerTest, WithoutACgroupTheLimitsAreRlimitsInsideTheSandbox) {
  SandboxRunnerOptions options;
  options.cgroup_mode = "none";
  options.max_processes = 24;
  options.memory_bytes = 256ULL << 20;
  options.prepared_sandboxes = prepared() ? 1 : 0;
  auto created = SandboxRunner::create(options, tracing_.tracer());
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created.value()->cgroup_version(), "none");
  auto outcome = run_on(
      *created.value(),
      {Language::kBash, "ulimit -u\nulimit -v\nb() { b | b & }; b\nsleep 1\necho survived\n", 3s});
  // The process cap holds inside the sandbox's user namespace; the address space per process.
  EXPECT_EQ(outcome.stdout_text.substr(0, outcome.stdout_text.find("survived")),
            "24\n" + std::to_string(256 << 10) + "\n");
}

TEST_P(RunnerTest, WithoutASandboxTheScriptRunsInADirectoryOnDisk) {
  SandboxRunnerOptions options;
  options.mode = SandboxMode::kNone;
  options.cgroup_mode = "none";
  options.work_root = dir_.path() / "plain-runs";
  auto created = SandboxRunner::create(options, tracing_.tracer());
  ASSERT_TRUE(created.ok()) << created.error().message;
  auto outcome =
      created.value()->execute({Language::kPython3, "import os\nprint(os.getcwd())\n", 10s});
  ASSERT_TRUE(outcome.ok());
  const std::string workdir = outcome->stdout_text.substr(0, outcome->stdout_text.find('\n'));
  EXPECT_EQ(workdir.rfind((dir_.path() / "plain-runs").string(), 0), 0u) << workdir;
  EXPECT_FALSE(std::filesystem::exists(workdir));  // removed after the run
  auto span = tracing_.spans->find("sandbox_runner.execute");
  ASSERT_TRUE(span);
  EXPECT_EQ(string_attribute(*span, "runner.sandbox"), "none");
}

TEST_P(RunnerTest, ResourceLimitsApply) {
  auto outcome = run(Language::kPython3,
                     "import resource\n"
                     "print(resource.getrlimit(resource.RLIMIT_NOFILE)[0])\n"
                     "print(resource.getrlimit(resource.RLIMIT_CORE)[0])\n"
                     "print(resource.getrlimit(resource.RLIMIT_FSIZE)[0])\n"
                     "print(resource.getrlimit(resource.RLIMIT_CPU)[0])\n",
                     7s);
  // CPU seconds: the run's time limit and 2 more (the cgroup's budget is the exact one).
  EXPECT_EQ(outcome.stdout_text, "64\n0\n16777216\n9\n");
}

TEST_P(RunnerTest, TheScriptHoldsNoDescriptorButItsOutput) {
  auto outcome = run(Language::kPython3,
                     "import os\nprint(sorted(int(fd) for fd in os.listdir('/proc/self/fd')))\n");
  // 0, 1, 2 and the directory being listed: nothing of the runner, bubblewrap or the launcher.
  EXPECT_EQ(outcome.stdout_text, "[0, 1, 2, 3]\n");
}

TEST_P(RunnerTest, AScriptWithANulByteRunsAsBefore) {
  auto outcome = run(Language::kBash, std::string("echo before\n#\0\necho after\n", 26));
  EXPECT_EQ(outcome.exit_code, 0) << outcome.stderr_text;
  EXPECT_NE(outcome.stdout_text.find("before"), std::string::npos);
}

TEST_P(RunnerTest, TimeSpentWaitingIsNotTheScriptsCpuTime) {
  if (runner_->cgroup_version() == "none") GTEST_SKIP() << "no cgroup here";
  if (prepared()) std::this_thread::sleep_for(300ms);  // the sandbox waits meanwhile
  auto outcome = run(Language::kBash, "exit 0\n", 1000ms);
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_FALSE(outcome.cpu_limit_exceeded);
  auto span = tracing_.spans->find("sandbox_runner.execute");
  ASSERT_TRUE(span);
  const auto* cpu = span->attribute("sandbox.cpu_time_ms");
  ASSERT_TRUE(cpu);
  EXPECT_LT(cpu->as_int(), 500);
}

TEST_P(RunnerTest, BinaryOutputBecomesValidUtf8) {
  auto outcome = run(Language::kBash, "printf 'a\\377b'\n");
  EXPECT_EQ(outcome.stdout_text,
            "a\xEF\xBF\xBD"
            "b");
}

TEST_P(RunnerTest, ATimeLimitOutsideTheAllowedRangeIsRefused) {
  auto zero = runner_->execute({Language::kBash, "true", 0ms});
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().code, ErrorCode::kInvalid);
  auto huge = runner_->execute({Language::kBash, "true", 1h});
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.error().code, ErrorCode::kInvalid);
}

TEST_P(RunnerTest, TheSpanTellsTheRunsLifeInThreeEvents) {
  tracing_.spans->clear();
  tracekit::SpanContext parent;
  {
    auto outer = tracing_.tracer().start_as_current_span("POST /execute");
    parent = outer.context();
    run(Language::kBash, "exit 4\n");
  }
  auto span = tracing_.spans->find("sandbox_runner.execute");
  ASSERT_TRUE(span);
  EXPECT_EQ(span->parent_span_id(), parent.span_id());
  EXPECT_EQ(string_attribute(*span, "runner.language"), "bash");
  EXPECT_EQ(string_attribute(*span, "runner.sandbox"), "bubblewrap");
  const auto events = span->events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].name, "volume_created");
  ASSERT_EQ(events[0].attributes.size(), 1u);
  EXPECT_EQ(events[0].attributes[0].key, "volume_name");
  EXPECT_EQ(events[1].name, "container_started");
  ASSERT_EQ(events[1].attributes.size(), 2u);
  EXPECT_EQ(events[1].attributes[0].key, "container_id");
  EXPECT_EQ(events[1].attributes[0].value.as_string().rfind("sbx-", 0), 0u);
  EXPECT_EQ(events[2].name, "container_finished");
  ASSERT_EQ(events[2].attributes.size(), 3u);
  EXPECT_EQ(events[2].attributes[0].key, "exit_code");
  EXPECT_EQ(events[2].attributes[0].value.as_int(), 4);
  EXPECT_EQ(events[2].attributes[1].key, "timed_out");
  EXPECT_FALSE(events[2].attributes[1].value.as_bool());
  EXPECT_EQ(events[2].attributes[2].key, "oom_killed");
  EXPECT_FALSE(events[2].attributes[2].value.as_bool());
  EXPECT_NE(span->status_code(), tracekit::StatusCode::kError);
}

TEST_P(RunnerTest, ATimedOutRunSaysSoInItsLastEvent) {
  tracing_.spans->clear();
  run(Language::kPython3, "import time\ntime.sleep(60)\n", 500ms);
  auto span = tracing_.spans->find("sandbox_runner.execute");
  ASSERT_TRUE(span);
  ASSERT_EQ(span->events().size(), 3u);
  EXPECT_TRUE(span->events()[2].attributes[1].value.as_bool());
}

TEST_P(RunnerTest, ConcurrentRunsDoNotMixTheirOutput) {
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  std::vector<ScriptOutcome> outcomes(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto o = runner_->execute({Language::kBash, "echo run-" + std::to_string(i) + "\n", 10s});
      if (o.ok()) outcomes[i] = o.value();
    });
  }
  for (auto& t : threads)
    t.join();
  for (int i = 0; i < kThreads; ++i)
    EXPECT_EQ(outcomes[i].stdout_text, "run-" + std::to_string(i) + "\n");
}

INSTANTIATE_TEST_SUITE_P(Sandboxes, RunnerTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Prepared" : "Fresh";
                         });

}  // namespace
}  // namespace skriptoteket
