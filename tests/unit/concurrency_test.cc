// SPDX-License-Identifier: Apache-2.0
// Many threads start, nest and end spans while the batch processor exports: the test the tracing
// core issue asks for. Run it under the tsan preset for data races and under asan for leaks and
// use-after-free; in every build it checks that no span is lost or counted twice.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "support/core_test_support.h"
#include "tracekit/tracekit.h"

namespace tracekit {
namespace {

using namespace std::chrono_literals;

// What the test knows of every span it started: its id and the parent it should name.
struct Started {
  SpanId id;
  SpanId parent;
};

// Spans handed from the threads that start them to one thread that ends them.
class HandOff {
 public:
  void push(Span span) {
    {
      std::lock_guard lock(mutex_);
      spans_.push_back(std::move(span));
    }
    changed_.notify_one();
  }
  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    changed_.notify_one();
  }
  // Ends spans until closed and empty; returns how many it ended.
  int drain() {
    int ended = 0;
    std::unique_lock lock(mutex_);
    for (;;) {
      changed_.wait(lock, [&] { return closed_ || !spans_.empty(); });
      if (spans_.empty()) return ended;
      Span span = std::move(spans_.front());
      spans_.pop_front();
      lock.unlock();
      span.set_attribute("ended.by", "hand-off thread");
      span.end();
      ++ended;
      lock.lock();
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Span> spans_;
  bool closed_ = false;
};

TEST(Concurrency, ManyThreadsNestSpansWhileTheBatchProcessorExports) {
  constexpr int kThreads = 8;
  constexpr int kIterations = 250;
  constexpr int kSharedKeysPerThread = 20;

  auto store = std::make_shared<InMemorySpanStore>();
  TracerProviderOptions options;
  // A small queue and short delay: the worker exports all the time and the queue overflows.
  options.processors.push_back(std::make_unique<BatchSpanProcessor>(
      std::make_unique<InMemorySpanExporter>(store),
      BatchOptions{.max_queue_size = 64, .max_export_batch_size = 16, .schedule_delay = 1ms}));
  TracerProvider provider(std::move(options));
  Tracer& tracer = provider.get_tracer("concurrency");

  // One span every thread writes to at once through its own SpanRef copy.
  Span shared = tracer.start_span("shared");
  const SpanId shared_id = shared.context().span_id();

  std::vector<std::vector<Started>> started(kThreads);
  HandOff hand_off;
  std::atomic<bool> go{false};
  std::atomic<bool> producers_done{false};

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t, shared_ref = SpanRef(shared)] {
      while (!go.load(std::memory_order_acquire))
        std::this_thread::yield();
      auto& mine = started[t];
      for (int i = 0; i < kIterations; ++i) {
        auto request = tracer.start_as_current_span("request", {.kind = SpanKind::kServer});
        request.set_attribute("thread", t).set_attribute("iteration", i);
        mine.push_back({request.context().span_id(), SpanId()});
        {
          auto work = tracer.start_as_current_span("work");  // child of the current span
          mine.push_back({work.context().span_id(), request.context().span_id()});
          work.add_event("step", {{"i", i}, {"detail", "some text to copy"}});
          {
            auto leaf = tracer.start_as_current_span("leaf");
            mine.push_back({leaf.context().span_id(), work.context().span_id()});
            leaf.set_attribute("payload", std::string(static_cast<size_t>(i % 300), 'x'));
            current_span().add_event("leaf.event");
          }
          Span explicit_child = tracer.start_span("explicit", {.parent = request});
          mine.push_back({explicit_child.context().span_id(), request.context().span_id()});
          explicit_child.add_link(shared_ref.context(), {{"link", true}});
          shared_ref.set_attribute(
              "t" + std::to_string(t) + ".k" + std::to_string(i % kSharedKeysPerThread), i);
          shared_ref.add_event("tick", {{"thread", t}});
          if (i % 5 == 0) {
            // Ended on another thread.
            Span handed = tracer.start_span("handed", {.parent = work});
            mine.push_back({handed.context().span_id(), work.context().span_id()});
            hand_off.push(std::move(handed));
          }
          if (i % 10 == 0) {
            Span root = tracer.start_span("detached-root", {.parent = Parent::root()});
            mine.push_back({root.context().span_id(), SpanId()});
          }
        }
        if (i % 50 == 0) std::this_thread::yield();
      }
    });
  }
  // Others read the counts and flush while all this goes on.
  std::thread ender([&] { hand_off.drain(); });
  std::thread flusher([&] {
    TracerStats previous;
    while (!producers_done.load(std::memory_order_acquire)) {
      provider.force_flush(20s);
      // The counters are read one after another while spans come and go, so no relation
      // between different counters holds here; each one only grows.
      TracerStats s = provider.stats();
      EXPECT_GE(s.spans_started, previous.spans_started);
      EXPECT_GE(s.spans_ended, previous.spans_ended);
      EXPECT_GE(s.spans_exported, previous.spans_exported);
      EXPECT_GE(s.spans_dropped, previous.spans_dropped);
      previous = s;
      std::this_thread::sleep_for(2ms);
    }
  });

  go.store(true, std::memory_order_release);
  for (auto& th : threads)
    th.join();
  hand_off.close();
  ender.join();
  producers_done.store(true, std::memory_order_release);
  flusher.join();

  // The queue is empty after a flush, so the shared span is certain to be queued, not dropped.
  ASSERT_TRUE(provider.force_flush(20s));
  shared.end();
  ASSERT_TRUE(provider.shutdown(20s));

  // Every span the test started, with the parent it must name.
  std::map<SpanId, SpanId> expected_parent;
  expected_parent[shared_id] = SpanId();
  for (const auto& mine : started) {
    for (const auto& s : mine)
      EXPECT_TRUE(expected_parent.emplace(s.id, s.parent).second) << "span id used twice";
  }
  const uint64_t total = expected_parent.size();

  const TracerStats stats = provider.stats();
  EXPECT_EQ(stats.spans_started, total);
  EXPECT_EQ(stats.spans_ended, total);
  EXPECT_EQ(stats.spans_exported + stats.spans_dropped, stats.spans_ended);
  EXPECT_EQ(stats.spans_dropped, stats.spans_dropped_queue_full) << "nothing else can fail";
  EXPECT_EQ(stats.export_failures, 0u);

  const auto exported = store->spans();
  EXPECT_EQ(exported.size(), stats.spans_exported);
  std::set<SpanId> exported_ids;
  for (const auto& span : exported) {
    EXPECT_TRUE(exported_ids.insert(span->context().span_id()).second) << "exported twice";
  }
  uint64_t parent_exported = 0, parent_dropped = 0;
  for (const auto& span : exported) {
    auto it = expected_parent.find(span->context().span_id());
    ASSERT_NE(it, expected_parent.end()) << "exported a span nobody started: " << span->name();
    EXPECT_EQ(span->parent_span_id(), it->second) << span->name();
    EXPECT_GE(span->end_time_ns(), span->start_time_ns());
    if (!span->parent_span_id().is_valid()) continue;
    // The parent was exported too, or it was one of the dropped spans.
    if (exported_ids.count(span->parent_span_id())) {
      ++parent_exported;
    } else {
      ASSERT_TRUE(expected_parent.count(span->parent_span_id())) << "unknown parent";
      ++parent_dropped;
    }
  }
  EXPECT_EQ(total - exported_ids.size(), stats.spans_dropped);
  EXPECT_GT(parent_exported, 0u);
  RecordProperty("spans", static_cast<int>(total));
  RecordProperty("dropped", static_cast<int>(stats.spans_dropped));
  RecordProperty("children_of_dropped_parents", static_cast<int>(parent_dropped));

  // The shared span kept every write from every thread, up to its limits, and counted the rest:
  // of the 160 distinct keys it keeps 128; every later write of a key it did not keep counts as
  // one dropped attribute.
  const SpanDataPtr shared_data = store->find("shared");
  ASSERT_TRUE(shared_data);
  EXPECT_EQ(shared_data->attributes().size(), 128u);
  EXPECT_GE(shared_data->dropped_attributes_count(),
            static_cast<uint32_t>(kThreads * kSharedKeysPerThread - 128));
  EXPECT_LE(shared_data->dropped_attributes_count(),
            static_cast<uint32_t>(kThreads * kIterations - 128));
  for (const auto& kv : shared_data->attributes()) {
    EXPECT_EQ(kv.key[0], 't');
    EXPECT_EQ(kv.value.type(), AttributeType::kInt);
  }
  EXPECT_EQ(shared_data->events().size(), 128u);
  EXPECT_EQ(shared_data->events().size() + shared_data->dropped_events_count(),
            static_cast<size_t>(kThreads * kIterations));
  for (const auto& span : exported) {
    if (span->name() == "handed") {
      ASSERT_NE(span->attribute("ended.by"), nullptr);
      EXPECT_EQ(span->attribute("ended.by")->as_string(), "hand-off thread");
    }
  }
}

// Spans started on one provider from many threads while the global provider is swapped: tracers
// rebind without a lock on the span path, which must still be free of races.
TEST(Concurrency, GlobalProviderSwapWhileThreadsStartSpans) {
  auto store = std::make_shared<InMemorySpanStore>();
  auto make = [&] {
    TracerProviderOptions o;
    o.processors.push_back(
        std::make_unique<SimpleSpanProcessor>(std::make_unique<InMemorySpanExporter>(store)));
    return std::make_shared<TracerProvider>(std::move(o));
  };
  set_global_tracer_provider(nullptr);
  Tracer& tracer = get_tracer("swap.test");
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> recorded{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      while (!stop.load(std::memory_order_acquire)) {
        Span s = tracer.start_span("maybe");
        if (s.is_recording()) recorded.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (int i = 0; i < 20; ++i) {
    set_global_tracer_provider(i % 2 ? nullptr : make());
    std::this_thread::sleep_for(2ms);
  }
  stop.store(true, std::memory_order_release);
  for (auto& t : threads)
    t.join();
  set_global_tracer_provider(nullptr);
  EXPECT_EQ(store->size(), recorded.load());
}

}  // namespace
}  // namespace tracekit
