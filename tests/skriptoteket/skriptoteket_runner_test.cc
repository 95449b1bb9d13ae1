// The process runner with real python3 and bash children: normal scripts, non-zero exits, hangs
// (the whole process group is killed), output floods, the clean environment, resource limits, and
// the span process_runner.execute with its three events.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <thread>

#include "process_runner.h"
#include "test_tracing.h"

namespace skriptoteket {
namespace {

using namespace std::chrono_literals;
using testing::MemoryTracing;
using testing::string_attribute;
using testing::TempDir;

// Waits (bounded) until `pid` is gone or a zombie.
void testing_wait_for_death(int pid) {
  for (int i = 0; i < 500; ++i) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!stat || !std::getline(stat, line)) return;
    const auto close = line.rfind(')');
    if (close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z') return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "process " << pid << " outlived the time limit";
}

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ProcessRunnerOptions options;
    options.work_root = dir_.path() / "runs";
    options.stdout_limit = 1000;
    options.stderr_limit = 500;
    options.max_time_limit = 20s;
    auto created = ProcessRunner::create(options, tracing_.tracer());
    ASSERT_TRUE(created.ok()) << created.failure().message;
    runner_ = std::move(created).value();
  }
  ScriptOutcome run(Language language, std::string source, std::chrono::milliseconds limit = 10s) {
    auto outcome = runner_->execute({language, std::move(source), limit});
    EXPECT_TRUE(outcome.ok()) << (outcome.ok() ? "" : outcome.failure().message);
    return outcome.ok() ? outcome.value() : ScriptOutcome{};
  }

  TempDir dir_;
  MemoryTracing tracing_;
  std::unique_ptr<ProcessRunner> runner_;
};

TEST_F(RunnerTest, RunsAPythonScriptAndCapturesItsOutput) {
  auto outcome = run(Language::kPython3,
                     "import sys\nprint('hello from python')\nprint('warn', file=sys.stderr)\n");
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_FALSE(outcome.timed_out);
  EXPECT_EQ(outcome.stdout_text, "hello from python\n");
  EXPECT_EQ(outcome.stderr_text, "warn\n");
  EXPECT_FALSE(outcome.stdout_truncated);
}

TEST_F(RunnerTest, RunsABashScript) {
  auto outcome = run(Language::kBash, "echo \"sum=$((2 + 3))\"\n");
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_EQ(outcome.stdout_text, "sum=5\n");
}

TEST_F(RunnerTest, ANonZeroExitIsAnOutcomeNotAnError) {
  auto outcome = run(Language::kBash, "echo failing >&2\nexit 7\n");
  EXPECT_EQ(outcome.exit_code, 7);
  EXPECT_FALSE(outcome.timed_out);
  EXPECT_EQ(outcome.stderr_text, "failing\n");
  auto python = run(Language::kPython3, "raise SystemExit(3)\n");
  EXPECT_EQ(python.exit_code, 3);
}

TEST_F(RunnerTest, AHangingScriptIsKilledWithItsWholeProcessGroup) {
  // The script starts a background sleeper, reports its pid, and hangs.
  auto outcome = run(Language::kBash, "sleep 300 &\necho $!\nsleep 300\n", 700ms);
  EXPECT_TRUE(outcome.timed_out);
  EXPECT_EQ(outcome.exit_code, -1);
  EXPECT_EQ(outcome.signal, SIGKILL);
  EXPECT_GE(outcome.duration, 700ms);
  const int sleeper = std::atoi(outcome.stdout_text.c_str());
  ASSERT_GT(sleeper, 0) << outcome.stdout_text;
  // Gone, or at most a zombie waiting for its new parent to reap it.
  testing_wait_for_death(sleeper);
}

TEST_F(RunnerTest, AnOutputFloodIsCappedAndTheRestDropped) {
  auto outcome = run(Language::kPython3,
                     "import sys\nsys.stdout.write('x' * 5_000_000)\n"
                     "sys.stderr.write('e' * 100_000)\n");
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_EQ(outcome.stdout_text.size(), 1000u);
  EXPECT_TRUE(outcome.stdout_truncated);
  EXPECT_EQ(outcome.stderr_text.size(), 500u);
  EXPECT_TRUE(outcome.stderr_truncated);
}

TEST_F(RunnerTest, AnEndlessFloodEndsAtTheTimeLimit) {
  auto outcome = run(Language::kBash, "yes flood\n", 700ms);
  EXPECT_TRUE(outcome.timed_out);
  EXPECT_EQ(outcome.stdout_text.size(), 1000u);
  EXPECT_TRUE(outcome.stdout_truncated);
}

TEST_F(RunnerTest, TheScriptGetsACleanEnvironmentAndAFreshWorkingDirectory) {
  ::setenv("SKRIPTOTEKET_SECRET_FOR_TEST", "must-not-leak", 1);
  auto outcome = run(Language::kPython3,
                     "import os\nprint(os.getcwd())\nprint(sorted(os.environ))\n"
                     "print(os.listdir('.'))\n");
  ::unsetenv("SKRIPTOTEKET_SECRET_FOR_TEST");
  EXPECT_EQ(outcome.exit_code, 0) << outcome.stderr_text;
  EXPECT_EQ(outcome.stdout_text.find("SKRIPTOTEKET_SECRET"), std::string::npos);
  EXPECT_NE(outcome.stdout_text.find("'HOME', 'LANG', 'PATH'"), std::string::npos)
      << outcome.stdout_text;
  const std::string workdir = outcome.stdout_text.substr(0, outcome.stdout_text.find('\n'));
  EXPECT_EQ(workdir.rfind((dir_.path() / "runs").string(), 0), 0u) << workdir;
  EXPECT_NE(outcome.stdout_text.find("['script.py']"), std::string::npos);
  // Removed after the run.
  EXPECT_FALSE(std::filesystem::exists(workdir));
}

TEST_F(RunnerTest, ResourceLimitsApply) {
  auto outcome = run(Language::kPython3,
                     "import resource\n"
                     "print(resource.getrlimit(resource.RLIMIT_NOFILE)[0])\n"
                     "print(resource.getrlimit(resource.RLIMIT_CORE)[0])\n"
                     "print(resource.getrlimit(resource.RLIMIT_FSIZE)[0])\n");
  EXPECT_EQ(outcome.stdout_text, "64\n0\n16777216\n");
}

TEST_F(RunnerTest, BinaryOutputBecomesValidUtf8) {
  auto outcome = run(Language::kBash, "printf 'a\\377b'\n");
  EXPECT_EQ(outcome.stdout_text,
            "a\xEF\xBF\xBD"
            "b");
}

TEST_F(RunnerTest, ATimeLimitOutsideTheAllowedRangeIsRefused) {
  auto zero = runner_->execute({Language::kBash, "true", 0ms});
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.failure().kind, Failure::Kind::kInvalid);
  auto huge = runner_->execute({Language::kBash, "true", 1h});
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.failure().kind, Failure::Kind::kInvalid);
}

TEST_F(RunnerTest, TheSpanTellsTheRunsLifeInThreeEvents) {
  tracing_.spans->clear();
  tracekit::SpanContext parent;
  {
    auto outer = tracing_.tracer().start_as_current_span("POST /execute");
    parent = outer.context();
    run(Language::kBash, "exit 4\n");
  }
  auto span = tracing_.spans->find("process_runner.execute");
  ASSERT_TRUE(span);
  EXPECT_EQ(span->parent_span_id(), parent.span_id());
  EXPECT_EQ(string_attribute(*span, "runner.language"), "bash");
  const auto events = span->events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].name, "workdir_created");
  ASSERT_EQ(events[0].attributes.size(), 1u);
  EXPECT_EQ(events[0].attributes[0].key, "path");
  EXPECT_EQ(events[1].name, "process_started");
  ASSERT_EQ(events[1].attributes.size(), 1u);
  EXPECT_EQ(events[1].attributes[0].key, "pid");
  EXPECT_GT(events[1].attributes[0].value.as_int(), 0);
  EXPECT_EQ(events[2].name, "process_finished");
  ASSERT_EQ(events[2].attributes.size(), 2u);
  EXPECT_EQ(events[2].attributes[0].key, "exit_code");
  EXPECT_EQ(events[2].attributes[0].value.as_int(), 4);
  EXPECT_EQ(events[2].attributes[1].key, "timed_out");
  EXPECT_FALSE(events[2].attributes[1].value.as_bool());
  EXPECT_NE(span->status_code(), tracekit::StatusCode::kError);
}

TEST_F(RunnerTest, ATimedOutRunSaysSoInItsLastEvent) {
  tracing_.spans->clear();
  run(Language::kPython3, "import time\ntime.sleep(60)\n", 500ms);
  auto span = tracing_.spans->find("process_runner.execute");
  ASSERT_TRUE(span);
  ASSERT_EQ(span->events().size(), 3u);
  EXPECT_TRUE(span->events()[2].attributes[1].value.as_bool());
}

TEST_F(RunnerTest, ConcurrentRunsDoNotMixTheirOutput) {
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

}  // namespace
}  // namespace skriptoteket
