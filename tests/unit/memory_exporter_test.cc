// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "tracekit/tracekit.h"

namespace tracekit {
namespace {

using namespace std::chrono_literals;

struct Spans {
  std::shared_ptr<InMemorySpanStore> source = std::make_shared<InMemorySpanStore>();
  std::unique_ptr<TracerProvider> provider;
  Spans() {
    TracerProviderOptions o;
    o.processors.push_back(
        std::make_unique<SimpleSpanProcessor>(std::make_unique<InMemorySpanExporter>(source)));
    provider = std::make_unique<TracerProvider>(std::move(o));
  }
  std::vector<SpanDataPtr> make(std::initializer_list<std::string_view> names) {
    source->clear();
    for (auto name : names) {
      provider->get_tracer("t").start_span(name);
    }
    return source->spans();
  }
};

TEST(InMemorySpanExporter, StoresExportedSpansInOrder) {
  Spans spans;
  auto batch = spans.make({"a", "b", "a"});
  InMemorySpanExporter exporter;
  ASSERT_TRUE(exporter.export_spans(batch, Deadline::max()).ok());
  auto more = spans.make({"c"});
  ASSERT_TRUE(exporter.export_spans(more, Deadline::max()).ok());
  const auto& store = exporter.store();
  ASSERT_EQ(store->size(), 4u);
  auto stored = store->spans();
  EXPECT_EQ(stored[0]->name(), "a");
  EXPECT_EQ(stored[1]->name(), "b");
  EXPECT_EQ(stored[3]->name(), "c");
  EXPECT_EQ(store->find("a"), batch[0]) << "find returns the first match";
  EXPECT_EQ(store->find("missing"), nullptr);
  store->clear();
  EXPECT_EQ(store->size(), 0u);
}

TEST(InMemorySpanExporter, SharesItsStoreWithTheTest) {
  Spans spans;
  auto shared = std::make_shared<InMemorySpanStore>();
  auto exporter = std::make_unique<InMemorySpanExporter>(shared);
  EXPECT_EQ(exporter->store(), shared);
  ASSERT_TRUE(exporter->export_spans(spans.make({"x"}), Deadline::max()).ok());
  exporter.reset();
  EXPECT_EQ(shared->size(), 1u) << "the store outlives the exporter";
}

TEST(InMemorySpanExporter, RefusesAfterShutdown) {
  Spans spans;
  InMemorySpanExporter exporter;
  EXPECT_TRUE(exporter.shutdown(1s));
  ExportResult r = exporter.export_spans(spans.make({"late"}), Deadline::max());
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.error.empty());
  EXPECT_EQ(exporter.store()->size(), 0u);
  EXPECT_TRUE(exporter.force_flush(1s));
}

TEST(InMemorySpanExporter, EmptyBatchIsFine) {
  InMemorySpanExporter exporter;
  EXPECT_TRUE(exporter.export_spans({}, Deadline::max()).ok());
  EXPECT_EQ(exporter.store()->size(), 0u);
}

}  // namespace
}  // namespace tracekit
