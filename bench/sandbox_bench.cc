// What Skriptoteket's sandbox costs per run: start-to-exit of `echo hi` (bash) and
// `print(1)` (python3), sandboxed (bubblewrap, seccomp, a per-run cgroup) and as a plain child
// process, with p50 and p99 over each repetition's runs; and ten concurrent runs, which must
// overlap rather than queue. scripts/bench_report.py puts the added cost beside its goal.
#include <benchmark/benchmark.h>

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

SandboxRunner& runner(SandboxMode mode) {
  static auto make = [](SandboxMode m) {
    skriptoteket::SandboxRunnerOptions options;
    options.mode = m;
    if (m == SandboxMode::kNone) options.cgroup_mode = "none";
    auto created = SandboxRunner::create(options, tracekit::get_tracer("bench.sandbox"));
    if (!created) {
      std::fprintf(stderr, "sandbox bench: %s\n", created.failure().message.c_str());
      std::exit(1);
    }
    return std::move(created).value();
  };
  static auto sandboxed = make(SandboxMode::kBubblewrap);
  static auto plain = make(SandboxMode::kNone);
  return mode == SandboxMode::kBubblewrap ? *sandboxed : *plain;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

void BM_SandboxRun(benchmark::State& state, Language language, SandboxMode mode) {
  const std::string source = language == Language::kBash ? "echo hi\n" : "print(1)\n";
  SandboxRunner& r = runner(mode);
  std::vector<double> ms;
  for (auto _ : state) {
    const auto start = Clock::now();
    auto outcome = r.execute({language, source, std::chrono::seconds(10)});
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    if (!outcome || outcome->exit_code != 0) state.SkipWithError("the script did not run");
  }
  state.counters["p50_ms"] = percentile(ms, 0.50);
  state.counters["p99_ms"] = percentile(ms, 0.99);
}
BENCHMARK_CAPTURE(BM_SandboxRun, echo_sandboxed, Language::kBash, SandboxMode::kBubblewrap)
    ->Iterations(60)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_SandboxRun, echo_plain, Language::kBash, SandboxMode::kNone)
    ->Iterations(60)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_SandboxRun, python3_sandboxed, Language::kPython3, SandboxMode::kBubblewrap)
    ->Iterations(60)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_SandboxRun, python3_plain, Language::kPython3, SandboxMode::kNone)
    ->Iterations(60)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

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
