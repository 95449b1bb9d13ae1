// SPDX-License-Identifier: Apache-2.0
#include "tracekit/clock.h"

#include <ctime>

#include <atomic>
#include <string>

#include "tracekit/config_variables.h"
#include "tracekit/diagnostics.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <x86intrin.h>
#define TRACEKIT_HAVE_TSC 1
#endif

namespace tracekit::clock {
namespace {

uint64_t system_now_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

#if TRACEKIT_HAVE_TSC
// Time = anchor_ns + (tsc - anchor_tsc) * mult >> 32. Anchors are re-taken from the system clock
// every kReanchorNs, so the scaled TSC never strays from the wall clock by more than the drift
// of one interval, and follows clock steps within one interval. Anchors live in a small ring of
// slots published by index, so readers never lock and never see a half-written anchor.
constexpr uint64_t kReanchorNs = 100'000'000;  // 100 ms
constexpr int kSlots = 8;

struct Anchor {
  std::atomic<uint64_t> tsc{0};
  std::atomic<uint64_t> ns{0};
  std::atomic<uint64_t> mult{0};  // ns per tick, 32.32 fixed point
  std::atomic<uint64_t> reanchor_ticks{0};
};

struct TscClock {
  Anchor slots[kSlots];
  std::atomic<uint32_t> current{0};
  std::atomic<bool> busy{false};
  uint64_t first_tsc = 0;
  uint64_t first_ns = 0;
  bool usable = false;
};

bool cpu_has_invariant_tsc() {
  unsigned a, b, c, d;
  if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000007u) return false;
  __get_cpuid(0x80000007u, &a, &b, &c, &d);
  return (d & (1u << 8)) != 0;
}

// One (tsc, ns) pair taken as close together as the machine allows: the pair from the tightest
// of a few tries.
void sample_pair(uint64_t& tsc, uint64_t& ns) {
  uint64_t best = ~0ULL;
  for (int i = 0; i < 5; ++i) {
    // lfence+rdtsc rather than rdtscp: some hypervisors and valgrind lack rdtscp.
    _mm_lfence();
    uint64_t t0 = __rdtsc();
    uint64_t n = system_now_ns();
    _mm_lfence();
    uint64_t t1 = __rdtsc();
    if (t1 - t0 < best) {
      best = t1 - t0;
      tsc = t0 + (t1 - t0) / 2;
      ns = n;
    }
  }
}

void publish(TscClock& c, uint64_t tsc, uint64_t ns, uint64_t mult) {
  uint32_t next = (c.current.load(std::memory_order_relaxed) + 1) % kSlots;
  Anchor& a = c.slots[next];
  a.tsc.store(tsc, std::memory_order_relaxed);
  a.ns.store(ns, std::memory_order_relaxed);
  a.mult.store(mult, std::memory_order_relaxed);
  a.reanchor_ticks.store(mult ? (kReanchorNs << 32) / mult : ~0ULL, std::memory_order_relaxed);
  c.current.store(next, std::memory_order_release);
}

// TRACEKIT_CLOCK: "system" or "tsc" (the default). The clock starts before any configuration is
// read, so a bad value cannot fail anything here: it is reported and the default kept
// (Config::from_env reports it as an error).
bool use_system_clock() {
  auto choice = config::read_env(config::library_variable("TRACEKIT_CLOCK"));
  if (!choice || choice->empty() || *choice == "tsc") return false;
  if (*choice == "system") return true;
  report_diagnostic(DiagnosticLevel::kWarning, "TRACEKIT_CLOCK=\"" + *choice +
                                                   "\" is not a clock: use system or tsc; "
                                                   "using tsc");
  return false;
}

TscClock* make_clock() {
  static TscClock c;
  if (use_system_clock() || !cpu_has_invariant_tsc()) return &c;
  // First rate estimate from a 2 ms window; every re-anchor refines it over the whole run.
  uint64_t t0 = 0, n0 = 0, t1 = 0, n1 = 0;
  sample_pair(t0, n0);
  do {
    sample_pair(t1, n1);
  } while (n1 - n0 < 2'000'000);
  if (t1 <= t0) return &c;
  c.first_tsc = t0;
  c.first_ns = n0;
  auto mult = static_cast<uint64_t>((static_cast<unsigned __int128>(n1 - n0) << 32) / (t1 - t0));
  publish(c, t1, n1, mult);
  c.usable = true;
  return &c;
}

TscClock& tsc_clock() {
  static TscClock* c = make_clock();
  return *c;
}

[[gnu::noinline]] void reanchor(TscClock& c) {
  if (c.busy.exchange(true, std::memory_order_acquire)) return;
  uint64_t tsc = 0, ns = 0;
  sample_pair(tsc, ns);
  uint64_t mult =
      c.slots[c.current.load(std::memory_order_relaxed)].mult.load(std::memory_order_relaxed);
  if (tsc > c.first_tsc && ns > c.first_ns) {
    mult = static_cast<uint64_t>((static_cast<unsigned __int128>(ns - c.first_ns) << 32) /
                                 (tsc - c.first_tsc));
  }
  publish(c, tsc, ns, mult);
  c.busy.store(false, std::memory_order_release);
}
#endif

}  // namespace

bool uses_tsc() noexcept {
#if TRACEKIT_HAVE_TSC
  return tsc_clock().usable;
#else
  return false;
#endif
}

namespace {
// The clock follows the wall clock: each re-anchor (and the system clock itself) can land a few
// nanoseconds before the last extrapolated reading, and an event would then sort before the one
// read just earlier on the same thread. Within one thread, readings less than a millisecond
// behind the previous one are held at it; a real step of the wall clock (more than that) is
// still followed.
constexpr uint64_t kHoldBackwardsNs = 1'000'000;
thread_local uint64_t t_last_reading = 0;

uint64_t monotonic_within_thread(uint64_t now) noexcept {
  const uint64_t last = t_last_reading;
  if (now < last && last - now < kHoldBackwardsNs) [[unlikely]]
    return last;
  t_last_reading = now;
  return now;
}

uint64_t read_now_ns() noexcept;
}  // namespace

uint64_t now_ns() noexcept {
  return monotonic_within_thread(read_now_ns());
}

namespace {
uint64_t read_now_ns() noexcept {
#if TRACEKIT_HAVE_TSC
  TscClock& c = tsc_clock();
  if (c.usable) [[likely]] {
    const Anchor& a = c.slots[c.current.load(std::memory_order_acquire)];
    uint64_t base_tsc = a.tsc.load(std::memory_order_relaxed);
    uint64_t tsc = __rdtsc();
    uint64_t delta = tsc > base_tsc ? tsc - base_tsc : 0;
    if (delta > a.reanchor_ticks.load(std::memory_order_relaxed)) [[unlikely]] {
      reanchor(c);
      return system_now_ns();
    }
    return a.ns.load(std::memory_order_relaxed) +
           static_cast<uint64_t>(
               (static_cast<unsigned __int128>(delta) * a.mult.load(std::memory_order_relaxed)) >>
               32);
  }
#endif
  return system_now_ns();
}
}  // namespace

}  // namespace tracekit::clock
