// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "tracekit/clock.h"

namespace tracekit {
namespace {

using namespace std::chrono_literals;

uint64_t system_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

TEST(Clock, AgreesWithTheSystemClock) {
  // Generous: the scaled TSC follows the system clock within microseconds; 50 ms allows for a
  // slow, busy machine between the reads.
  constexpr uint64_t kTolerance = 50'000'000;
  for (int i = 0; i < 100; ++i) {
    const uint64_t before = system_ns();
    const uint64_t now = clock::now_ns();
    const uint64_t after = system_ns();
    ASSERT_GE(now + kTolerance, before) << "clock::now_ns() behind the system clock";
    ASSERT_LE(now, after + kTolerance) << "clock::now_ns() ahead of the system clock";
    if (i % 10 == 0) std::this_thread::sleep_for(15ms);  // cross a few re-anchors
  }
  const uint64_t ns = clock::now_ns();
  const uint64_t via_timestamp = clock::to_ns(clock::now());
  EXPECT_GE(via_timestamp, ns);
  EXPECT_LT(via_timestamp - ns, kTolerance);
}

TEST(Clock, NeverGoesBackwardsWithinAThread) {
  // Read for a while, long enough to cross several re-anchorings of the scaled TSC (every
  // 100 ms); the loop is bounded by the steady clock.
  const auto stop = std::chrono::steady_clock::now() + 350ms;
  uint64_t previous = clock::now_ns();
  uint64_t reads = 0;
  uint64_t backwards = 0;
  uint64_t worst = 0;
  while (std::chrono::steady_clock::now() < stop) {
    for (int i = 0; i < 1000; ++i) {
      const uint64_t now = clock::now_ns();
      if (now < previous) {
        ++backwards;
        worst = std::max(worst, previous - now);
      }
      previous = now;
      ++reads;
    }
  }
  EXPECT_GT(reads, 1000u);
  EXPECT_EQ(backwards, 0u) << "went backwards " << backwards << " times in " << reads
                           << " reads, by up to " << worst << " ns (uses_tsc=" << clock::uses_tsc()
                           << ")";
}

TEST(Clock, ConsistentAcrossThreads) {
  // One thread reads the clock and hands the value over; the other reads the clock after it
  // received it. Its reading must not be earlier by more than a small tolerance (cores' TSCs
  // and re-anchoring may differ by a little, never by a millisecond).
  constexpr uint64_t kTolerance = 1'000'000;  // 1 ms
  constexpr int kRounds = 2000;
  std::atomic<uint64_t> handed{0};
  std::atomic<int> posted{0};
  std::atomic<int> acked{0};
  std::thread writer([&] {
    for (int r = 1; r <= kRounds; ++r) {
      while (acked.load(std::memory_order_acquire) != r - 1)
        std::this_thread::yield();
      if (r % 200 == 0) std::this_thread::sleep_for(5ms);  // cross re-anchors too
      handed.store(clock::now_ns(), std::memory_order_relaxed);
      posted.store(r, std::memory_order_release);
    }
  });
  uint64_t worst = 0;
  int late = 0;
  for (int r = 1; r <= kRounds; ++r) {
    while (posted.load(std::memory_order_acquire) != r)
      std::this_thread::yield();
    const uint64_t theirs = handed.load(std::memory_order_relaxed);
    const uint64_t mine = clock::now_ns();
    if (mine < theirs) {
      worst = std::max(worst, theirs - mine);
      if (theirs - mine > kTolerance) ++late;
    }
    acked.store(r, std::memory_order_release);
  }
  writer.join();
  EXPECT_EQ(late, 0) << "a reading after the handoff was earlier by up to " << worst << " ns";
}

TEST(Clock, SystemClockOnRequest) {
  // The choice is made once per process, so check it in a fresh one: the "threadsafe" style
  // runs the death test by re-executing this binary.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        setenv("TRACEKIT_CLOCK", "system", 1);
        const uint64_t before = system_ns();
        const uint64_t now = clock::now_ns();
        const uint64_t after = system_ns();
        std::exit(!clock::uses_tsc() && now >= before && now <= after ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace tracekit
