// SPDX-License-Identifier: Apache-2.0
// What Skriptoteket's sandbox costs per run: start-to-exit of `echo hi` (bash) and
// `print(1)` (python3), sandboxed (bubblewrap, seccomp, a per-run cgroup) and as a plain child
// process, with p50 and p99 over each repetition's runs; and ten concurrent runs, which must
// overlap rather than queue. scripts/bench_report.py puts the added cost beside its goal.
//
// "sandboxed" is the runner as it is configured by default: each run takes a sandbox started
// ahead of time, and the runs are paced so that one is waiting (each waits for the pool before
// its clock starts), as requests arriving some milliseconds apart find it. "fresh" starts a
// sandbox per run (SKRIPTOTEKET_RUNNER_PREPARED_SANDBOXES=0): that is the latency when runs
// arrive faster than sandboxes are prepared. cpu_ms is the CPU of the runner and all its
// children per run (sandbox preparation included, wherever it happened).
#include <benchmark/benchmark.h>

#include <sys/resource.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "sandbox_runner.h"
#include "tracekit/tracer_provider.h"

namespace {

using skriptoteket::Language;
using skriptoteket::SandboxMode;
using skriptoteket::SandboxRunner;
using Clock = std::chrono::steady_clock;

enum class Start { kPrepared, kFresh };

SandboxRunner& runner(SandboxMode mode, Start start = Start::kPrepared) {
  static auto make = [](SandboxMode m, Start s) {
    skriptoteket::SandboxRunnerOptions options;
    options.mode = m;
    options.prepared_sandboxes = s == Start::kPrepared ? 2 : 0;
    if (m == SandboxMode::kNone) options.cgroup_mode = "none";
    auto created = SandboxRunner::create(options, tracekit::get_tracer("bench.sandbox"));
    if (!created) {
      std::fprintf(stderr, "sandbox bench: %s\n", created.error().message.c_str());
      std::exit(1);
    }
    return std::move(created).value();
  };
  static auto sandboxed = make(SandboxMode::kBubblewrap, Start::kPrepared);
  static auto fresh = make(SandboxMode::kBubblewrap, Start::kFresh);
  static auto plain = make(SandboxMode::kNone, Start::kFresh);
  if (mode == SandboxMode::kNone) return *plain;
  return start == Start::kPrepared ? *sandboxed : *fresh;
}

// CPU time of this process and of its children that have been waited for, in ms.
double cpu_ms() {
  double total = 0;
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage u{};
    ::getrusage(who, &u);
    total += static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
             static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
  }
  return total;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

void BM_SandboxRun(benchmark::State& state, Language language, SandboxMode mode, Start start) {
  const std::string source = language == Language::kBash ? "echo hi\n" : "print(1)\n";
  SandboxRunner& r = runner(mode, start);
  std::vector<double> ms;
  r.wait_until_prepared(std::chrono::seconds(10));
  const double cpu_before = cpu_ms();
  for (auto _ : state) {
    r.wait_until_prepared(std::chrono::seconds(10));
    const auto begin = Clock::now();
    auto outcome = r.execute({language, source, std::chrono::seconds(10)});
    const double elapsed = std::chrono::duration<double>(Clock::now() - begin).count();
    state.SetIterationTime(elapsed);
    ms.push_back(elapsed * 1e3);
    if (!outcome || outcome->exit_code != 0) state.SkipWithError("the script did not run");
  }
  // The last runs' sandboxes are removed (and replaced) on the pool's thread: let it finish, so
  // their CPU is counted.
  r.wait_until_prepared(std::chrono::seconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  state.counters["p50_ms"] = percentile(ms, 0.50);
  state.counters["p99_ms"] = percentile(ms, 0.99);
  state.counters["cpu_ms"] = (cpu_ms() - cpu_before) / static_cast<double>(ms.size());
}
#define SANDBOX_RUN(name, language, mode, start)                \
  BENCHMARK_CAPTURE(BM_SandboxRun, name, language, mode, start) \
      ->Iterations(60)                                          \
      ->Unit(benchmark::kMillisecond)                           \
      ->UseManualTime()
SANDBOX_RUN(echo_sandboxed, Language::kBash, SandboxMode::kBubblewrap, Start::kPrepared);
SANDBOX_RUN(echo_fresh, Language::kBash, SandboxMode::kBubblewrap, Start::kFresh);
SANDBOX_RUN(echo_plain, Language::kBash, SandboxMode::kNone, Start::kFresh);
SANDBOX_RUN(python3_sandboxed, Language::kPython3, SandboxMode::kBubblewrap, Start::kPrepared);
SANDBOX_RUN(python3_fresh, Language::kPython3, SandboxMode::kBubblewrap, Start::kFresh);
SANDBOX_RUN(python3_plain, Language::kPython3, SandboxMode::kNone, Start::kFresh);

// Ten sandboxed runs of `sleep 0.3` at once: about 0.3 s if they overlap, 3 s if they queue.
void BM_SandboxTenConcurrent(benchmark::State& state) {
  SandboxRunner& r = runner(SandboxMode::kBubblewrap);
  double single_ms = 0;
  {
    const auto start = Clock::now();
    (void)r.execute({Language::kBash, "sleep 0.3\n", std::chrono::seconds(10)});
    single_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  }
  double wall_ms = 0;
  for (auto _ : state) {
    const auto start = Clock::now();
    std::vector<std::thread> threads;
    for (int i = 0; i < 10; ++i) {
      threads.emplace_back([&] {
        (void)r.execute({Language::kBash, "sleep 0.3\n", std::chrono::seconds(10)});
      });
    }
    for (auto& t : threads)
      t.join();
    wall_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  }
  state.counters["single_run_ms"] = single_ms;
  state.counters["ten_runs_ms"] = wall_ms;
  // 1.0: fully overlapped; 10: fully serialized.
  state.counters["serialization"] = wall_ms / single_ms;
}
BENCHMARK(BM_SandboxTenConcurrent)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
