// SPDX-License-Identifier: Apache-2.0
// The batch processors' queue (src/core/producer_rings.h): one ring per producing thread, and
// what becomes of a ring when its thread exits.
#include "producer_rings.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>
#include <vector>

namespace tracekit::detail {
namespace {

TEST(ProducerRings, ANewThreadAdoptsTheRingOfOneThatExited) {
  // A server that starts a thread per request: each thread queues its span and exits before the
  // consumer runs. The rings are reused instead of one being made (and scanned by the consumer
  // at every pop) per thread that ever queued anything; 1,000 threads used to leave 1,000.
  ProducerRings<void> rings(4096);
  std::vector<int> items(1000);
  for (int& item : items) {
    std::thread([&] { ASSERT_TRUE(rings.try_push(&item, 1'000'000).pushed); }).join();
  }
  EXPECT_EQ(rings.ring_count(), 1u);
  EXPECT_EQ(rings.size(), items.size());
  // The items come out in the order the threads queued them.
  for (int& item : items)
    ASSERT_EQ(rings.try_pop(), &item);
  EXPECT_EQ(rings.try_pop(), nullptr);
}

TEST(ProducerRings, RingsOfLiveThreadsAreNotTaken) {
  ProducerRings<void> rings(4096);
  int a = 1, b = 2, c = 3;
  ASSERT_TRUE(rings.try_push(&a, 1'000'000).pushed);  // this thread's ring, in use
  std::thread([&] { ASSERT_TRUE(rings.try_push(&b, 1'000'000).pushed); }).join();
  EXPECT_EQ(rings.ring_count(), 2u);  // the main thread's ring was not adopted
  std::thread([&] { ASSERT_TRUE(rings.try_push(&c, 1'000'000).pushed); }).join();
  EXPECT_EQ(rings.ring_count(), 2u);  // the exited thread's was
  std::vector<void*> popped;
  while (void* p = rings.try_pop())
    popped.push_back(p);
  ASSERT_EQ(popped.size(), 3u);
  // b before c: the second thread wrote after the first.
  auto pos = [&](void* p) { return std::find(popped.begin(), popped.end(), p) - popped.begin(); };
  EXPECT_LT(pos(&b), pos(&c));
}

TEST(ProducerRings, DrainedRingsOfExitedThreadsLeaveTheSetAndGiveTheirCreditsBack) {
  // Drained rings of exited threads wait among a few spares (at most four are kept).
  ProducerRings<void> rings(64);
  std::vector<int> items(200);
  for (int& item : items) {
    std::thread([&] { ASSERT_TRUE(rings.try_push(&item, 1'000'000).pushed); }).join();
    ASSERT_EQ(rings.try_pop(), &item);  // drained: the next pop finds it empty and orphaned
    ASSERT_EQ(rings.try_pop(), nullptr);
    EXPECT_EQ(rings.ring_count(), 0u);  // out of the consumer's set
  }
  // Every credit came back: the bound still admits a full queue.
  std::vector<int> more(64);
  for (int& item : more)
    ASSERT_TRUE(rings.try_push(&item, 1'000'000).pushed);
  int one_too_many = 0;
  EXPECT_FALSE(rings.try_push(&one_too_many, 1'000'000).pushed);
}

}  // namespace
}  // namespace tracekit::detail
