// SPDX-License-Identifier: Apache-2.0
// The SQLite store on real files: writes through the writer thread, every query filter, a span
// sent twice, reopening the file, retention by age and by size, and a full write queue.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "otlp_support.h"
#include "query_api.h"
#include "span_store.h"
#include "sqlite_db.h"

namespace tracekit::collector {
namespace {

using namespace std::chrono_literals;

std::string hex_id(uint64_t n, size_t digits) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%0*llx", static_cast<int>(digits),
                static_cast<unsigned long long>(n));
  return buf;
}

StoredSpan make_span(uint64_t trace, uint64_t span, uint64_t parent, std::string service,
                     std::string name, int64_t start_ns, int64_t duration_ns, int status = 0) {
  StoredSpan s;
  s.trace_id = hex_id(trace, 32);
  s.span_id = hex_id(span, 16);
  if (parent) s.parent_span_id = hex_id(parent, 16);
  s.service = std::move(service);
  s.name = std::move(name);
  s.kind = parent ? 3 : 2;
  s.start_ns = start_ns;
  s.end_ns = start_ns + duration_ns;
  s.status_code = status;
  s.attributes_json = R"([{"key":"span.n","value":{"intValue":")" + std::to_string(span) +
                      R"("}},{"key":"cached","value":{"boolValue":)" +
                      (span % 2 ? "true" : "false") +
                      R"(}},{"key":"route","value":{"stringValue":"/tools/{id}"}}])";
  s.resource_json =
      R"({"attributes":[{"key":"service.name","value":{"stringValue":")" + s.service +
      R"("}},{"key":"deployment.environment","value":{"stringValue":"test"}}],"droppedAttributesCount":0,"schemaUrl":""})";
  return s;
}

class StoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<SpanStore> open(StoreOptions o = {}) {
    o.path = dir.file("spans.db");
    auto store = SpanStore::open(o);
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? std::move(*store) : nullptr;
  }

  // Three traces: 1 = web -> db (error in db), 2 = web only, 3 = worker with a long span.
  void fill(SpanStore& store) {
    std::vector<StoredSpan> spans = {
        make_span(1, 11, 0, "web", "GET /tools/{id}", 1'000'000'000, 50'000'000),
        make_span(1, 12, 11, "db", "SELECT", 1'010'000'000, 20'000'000, 2),
        make_span(2, 21, 0, "web", "GET /health", 2'000'000'000, 1'000'000),
        make_span(3, 31, 0, "worker", "run", 3'000'000'000, 2'000'000'000),
    };
    ASSERT_TRUE(store.submit(std::move(spans)));
    ASSERT_TRUE(store.flush(10s));
  }

  std::vector<std::string> ids(const TraceQuery& q, SpanStore& store) {
    auto found = store.find_traces(q);
    EXPECT_TRUE(found.ok()) << (found.ok() ? "" : found.error().message);
    std::vector<std::string> out;
    if (found.ok()) {
      for (const auto& t : found->items)
        out.push_back(t.trace_id);
    }
    return out;
  }

  // A count straight from the file, on a connection of the test's own.
  int64_t count_rows(const std::string& table) {
    Database db;
    EXPECT_TRUE(db.open(dir.file("spans.db"), true).ok());
    auto n = db.query_int("SELECT count(*) FROM " + table);
    EXPECT_TRUE(n.ok()) << (n.ok() ? "" : n.error().message);
    return n.ok() ? *n : -1;
  }

  testing::TempDir dir;
};

// Spans are the viewer's API token's to guard: no other local user may read the file around
// it. A file an older version left readable is narrowed when opened.
TEST_F(StoreTest, TheDatabaseAndItsJournalAreReadableByTheOwnerOnly) {
  namespace fs = std::filesystem;
  const std::string path = dir.file("spans.db");
  { std::ofstream(path).flush(); }
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                            fs::perms::others_read);
  auto store = open();
  ASSERT_TRUE(store);
  fill(*store);
  const auto others = fs::perms::group_all | fs::perms::others_all;
  for (const std::string& file : {path, path + "-wal", path + "-shm"}) {
    ASSERT_TRUE(fs::exists(file)) << file;
    EXPECT_EQ(fs::status(file).permissions() & others, fs::perms::none) << file;
  }
}

TEST_F(StoreTest, ServicesOperationsAndTraceById) {
  auto store = open();
  ASSERT_TRUE(store);
  fill(*store);
  auto services = store->services();
  ASSERT_TRUE(services.ok());
  EXPECT_EQ(services->items, (std::vector<std::string>{"db", "web", "worker"}));
  EXPECT_FALSE(services->truncated);
  auto ops = store->operations("web");
  ASSERT_TRUE(ops.ok());
  ASSERT_EQ(ops->items.size(), 2u);
  EXPECT_EQ(ops->items[0].name, "GET /health");
  EXPECT_EQ(ops->items[1].name, "GET /tools/{id}");
  EXPECT_EQ(ops->items[1].kind, 2);

  // Lists stop at their byte budget (about 32 bytes of JSON per entry besides its text) and
  // say so.
  auto two_services = store->services(2 * 32 + 5);
  ASSERT_TRUE(two_services.ok());
  EXPECT_EQ(two_services->items, (std::vector<std::string>{"db", "web"}));
  EXPECT_TRUE(two_services->truncated);
  auto one_op = store->operations("web", 32 + 12);
  ASSERT_TRUE(one_op.ok());
  ASSERT_EQ(one_op->items.size(), 1u);
  EXPECT_TRUE(one_op->truncated);
  auto all = store->find_traces({});
  ASSERT_TRUE(all.ok());
  ASSERT_GE(all->items.size(), 2u);
  EXPECT_FALSE(all->truncated);
  auto first_only = store->find_traces({}, 1);
  ASSERT_TRUE(first_only.ok());
  EXPECT_TRUE(first_only->items.empty()) << "a summary past the budget is left out whole";
  EXPECT_TRUE(first_only->truncated);

  auto trace = store->trace(hex_id(1, 32));
  ASSERT_TRUE(trace.ok());
  ASSERT_EQ(trace->size(), 2u);
  EXPECT_EQ((*trace)[0].name, "GET /tools/{id}");
  EXPECT_EQ((*trace)[1].parent_span_id, hex_id(11, 16));
  EXPECT_EQ((*trace)[1].status_code, 2);
  EXPECT_EQ((*trace)[1].attributes_json,
            make_span(1, 12, 11, "db", "SELECT", 0, 0).attributes_json);
  auto none = store->trace(hex_id(99, 32));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(StoreTest, SearchFilters) {
  auto store = open();
  ASSERT_TRUE(store);
  fill(*store);
  const std::string t1 = hex_id(1, 32), t2 = hex_id(2, 32), t3 = hex_id(3, 32);
  using V = std::vector<std::string>;
  EXPECT_EQ(ids({}, *store), (V{t3, t2, t1})) << "newest first";
  EXPECT_EQ(ids({.service = "web"}, *store), (V{t2, t1}));
  EXPECT_EQ(ids({.service = "web", .operation = "GET /health"}, *store), (V{t2}));
  EXPECT_EQ(ids({.min_duration_ns = 40'000'000}, *store), (V{t3, t1}));
  EXPECT_EQ(ids({.max_duration_ns = 10'000'000}, *store), (V{t2}));
  EXPECT_EQ(ids({.errors_only = true}, *store), (V{t1}));
  EXPECT_EQ(ids({.start_ns = 1'500'000'000, .end_ns = 2'500'000'000}, *store), (V{t2}));
  EXPECT_EQ(ids({.attributes = {{"span.n", "31"}}}, *store), (V{t3}));
  EXPECT_EQ(ids({.attributes = {{"cached", "true"}}}, *store), (V{t3, t2, t1}));
  EXPECT_EQ(ids({.attributes = {{"cached", "false"}}}, *store), (V{t1}));
  EXPECT_EQ(ids({.attributes = {{"route", "/tools/{id}"}, {"span.n", "12"}}}, *store), (V{t1}));
  EXPECT_EQ(ids({.service = "worker", .attributes = {{"deployment.environment", "test"}}}, *store),
            (V{t3}))
      << "resource attributes match too";
  EXPECT_EQ(ids({.attributes = {{"route", "nope"}}}, *store), V{});
  EXPECT_EQ(ids({.limit = 1}, *store), (V{t3}));

  auto found = store->find_traces({.service = "db"});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->items.size(), 1u);
  EXPECT_FALSE(found->truncated);
  const TraceSummary& t = found->items[0];
  EXPECT_EQ(t.root_service, "web");
  EXPECT_EQ(t.root_name, "GET /tools/{id}");
  EXPECT_EQ(t.span_count, 2);
  EXPECT_EQ(t.error_count, 1);
  EXPECT_EQ(t.start_ns, 1'000'000'000);
  EXPECT_EQ(t.end_ns, 1'050'000'000);
  EXPECT_EQ(t.services, (std::vector<std::string>{"db", "web"}));
}

TEST_F(StoreTest, ASpanSentTwiceIsStoredOnce) {
  auto store = open();
  ASSERT_TRUE(store);
  fill(*store);
  fill(*store);
  EXPECT_EQ(*store->span_count(), 4);
  EXPECT_EQ(store->stats().duplicates, 4u);
}

TEST_F(StoreTest, ResourcesAndScopesAreStoredOnceAndComeBackWithEverySpan) {
  auto store = open({.max_age = std::chrono::hours(1), .max_bytes = 0});
  ASSERT_TRUE(store);
  std::vector<StoredSpan> spans;
  for (uint64_t i = 1; i <= 50; ++i) {
    spans.push_back(make_span(7, 100 + i, i == 1 ? 0 : 101, i % 2 ? "web" : "db", "op", 1000, 1));
    spans.back().scope_json = i % 2 ? R"({"name":"tracekit.http","version":"0.1.0"})"
                                    : R"({"name":"tracekit.sqlite","version":"0.1.0"})";
  }
  const std::vector<StoredSpan> sent = spans;
  ASSERT_TRUE(store->submit(std::move(spans)));
  ASSERT_TRUE(store->flush(10s));
  EXPECT_EQ(count_rows("resources"), 2);
  EXPECT_EQ(count_rows("scopes"), 2);
  auto trace = store->trace(hex_id(7, 32));
  ASSERT_TRUE(trace.ok());
  ASSERT_EQ(trace->size(), sent.size());
  for (const StoredSpan& got : *trace) {
    auto it = std::find_if(sent.begin(), sent.end(),
                           [&](const StoredSpan& s) { return s.span_id == got.span_id; });
    ASSERT_NE(it, sent.end());
    EXPECT_EQ(got.resource_json, it->resource_json);
    EXPECT_EQ(got.scope_json, it->scope_json);
  }
  // Retention takes the resources and scopes no span uses any more with the spans.
  auto deleted = store->run_retention(std::chrono::system_clock::now() + std::chrono::hours(2));
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  EXPECT_EQ(*deleted, 50);
  EXPECT_EQ(count_rows("resources"), 0);
  EXPECT_EQ(count_rows("scopes"), 0);
  // And new spans with the same resource get a row again (the writer forgot the old ids).
  ASSERT_TRUE(store->submit({make_span(8, 201, 0, "web", "op", 2000, 1)}));
  ASSERT_TRUE(store->flush(10s));
  EXPECT_EQ(count_rows("resources"), 1);
  EXPECT_EQ(store->trace(hex_id(8, 32))->size(), 1u);
}

TEST_F(StoreTest, ADatabaseWithResourcesInEveryRowIsMigrated) {
  // The layout of the first release: scope and resource as text in each span row.
  {
    Database db;
    ASSERT_TRUE(db.open(dir.file("spans.db"), false).ok());
    ASSERT_TRUE(db.exec(R"sql(
      CREATE TABLE spans (id INTEGER PRIMARY KEY, trace_id TEXT NOT NULL, span_id TEXT NOT NULL,
        parent_span_id TEXT NOT NULL, service TEXT NOT NULL, name TEXT NOT NULL,
        kind INTEGER NOT NULL, start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL,
        duration_ns INTEGER NOT NULL, status_code INTEGER NOT NULL, status_message TEXT NOT NULL,
        trace_state TEXT NOT NULL, flags INTEGER NOT NULL, scope TEXT NOT NULL,
        attributes TEXT NOT NULL, events TEXT NOT NULL, links TEXT NOT NULL,
        resource TEXT NOT NULL, dropped_attributes INTEGER NOT NULL,
        dropped_events INTEGER NOT NULL, dropped_links INTEGER NOT NULL);
      CREATE UNIQUE INDEX spans_by_trace ON spans (trace_id, span_id);
      CREATE INDEX spans_by_service ON spans (service, name, start_ns);
      CREATE INDEX spans_by_time ON spans (start_ns);
      CREATE TABLE operations (service TEXT NOT NULL, name TEXT NOT NULL, kind INTEGER NOT NULL,
        PRIMARY KEY (service, name, kind)) WITHOUT ROWID;
      CREATE TABLE ingest_batches (last_id INTEGER PRIMARY KEY, received_ns INTEGER NOT NULL);
      INSERT INTO operations VALUES ('old', 'GET /', 2);
      INSERT INTO spans VALUES
        (1, '0000000000000000000000000000000a', '00000000000000a1', '', 'old', 'GET /', 2,
         100, 300, 200, 0, '', '', 1, '{"name":"s1"}', '[]', '[]', '[]',
         '{"attributes":[{"key":"host.name","value":{"stringValue":"box"}}]}', 0, 0, 0),
        (2, '0000000000000000000000000000000a', '00000000000000a2', '00000000000000a1', 'old',
         'child', 1, 150, 250, 100, 2, 'bad', '', 1, '{"name":"s2"}', '[]', '[]', '[]',
         '{"attributes":[{"key":"host.name","value":{"stringValue":"box"}}]}', 0, 0, 0);
      INSERT INTO ingest_batches VALUES (2, 1);
    )sql")
                    .ok());
  }
  for (int reopen = 0; reopen < 2; ++reopen) {
    auto store = open();
    ASSERT_TRUE(store);
    auto trace = store->trace("0000000000000000000000000000000a");
    ASSERT_TRUE(trace.ok()) << trace.error().message;
    ASSERT_EQ(trace->size(), 2u);
    EXPECT_EQ((*trace)[0].scope_json, R"({"name":"s1"})");
    EXPECT_EQ((*trace)[1].scope_json, R"({"name":"s2"})");
    EXPECT_EQ((*trace)[1].status_message, "bad");
    EXPECT_EQ((*trace)[1].parent_span_id, "00000000000000a1");
    for (const auto& s : *trace)
      EXPECT_NE(s.resource_json.find("\"box\""), std::string::npos);
    EXPECT_EQ(ids({.attributes = {{"host.name", "box"}}}, *store),
              std::vector<std::string>{"0000000000000000000000000000000a"});
    if (reopen == 0) {
      EXPECT_EQ(store->services()->items, std::vector<std::string>{"old"});
      fill(*store);  // the migrated file takes new spans
    }
    EXPECT_EQ(*store->span_count(), 6);
  }
  EXPECT_EQ(count_rows("resources"), 4) << "box, web, db, worker";
}

// Resources and scopes know the last span and log record that used them, so retention's
// clean-up needs no index on every span: a resource still used by a newer span stays, one whose
// spans are all gone goes. A file from before (an index per span instead) is migrated.
TEST_F(StoreTest, RetentionKeepsResourcesThatNewerSpansUseAndMigratesOlderFiles) {
  {
    auto store = open();
    ASSERT_TRUE(store);
    fill(*store);  // resources: web, db, worker
  }
  {
    // The layout before: no last-use columns, an index on spans for the clean-up.
    Database db;
    ASSERT_TRUE(db.open(dir.file("spans.db"), false).ok());
    ASSERT_TRUE(db.exec("ALTER TABLE resources DROP COLUMN last_span_id; ALTER TABLE resources "
                        "DROP COLUMN last_log_id; ALTER TABLE scopes DROP COLUMN last_span_id; "
                        "ALTER TABLE scopes DROP COLUMN last_log_id; CREATE INDEX "
                        "spans_by_resource ON spans (resource_id); CREATE INDEX spans_by_scope ON "
                        "spans (scope_id)")
                    .ok());
  }
  auto store = open({.max_age = std::chrono::hours(1), .max_bytes = 0, .arrival_granularity = 0ms});
  ASSERT_TRUE(store);
  EXPECT_EQ(count_rows("sqlite_master WHERE name IN ('spans_by_resource', 'spans_by_scope')"), 0);
  EXPECT_EQ(count_rows("resources WHERE last_span_id = 4"), 3) << "the migrated rows are in use";
  const auto first_batch_done = std::chrono::system_clock::now();
  std::this_thread::sleep_for(2ms);
  // A newer span from "web" only.
  ASSERT_TRUE(store->submit({make_span(5, 51, 0, "web", "later", 5'000'000'000, 1)}));
  ASSERT_TRUE(store->flush(10s));
  auto deleted =
      store->run_retention(first_batch_done + std::chrono::hours(1) + std::chrono::nanoseconds(1));
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  EXPECT_EQ(*deleted, 4);
  EXPECT_EQ(count_rows("resources"), 1) << "db and worker went with their spans, web stays";
  auto trace = store->trace(hex_id(5, 32));
  ASSERT_TRUE(trace.ok());
  ASSERT_EQ(trace->size(), 1u) << "the span still joins its resource";
  EXPECT_NE((*trace)[0].resource_json.find("\"web\""), std::string::npos);
  // The writer forgot the deleted rows: a new "db" span gets its resource again.
  ASSERT_TRUE(store->submit({make_span(6, 61, 0, "db", "again", 6'000'000'000, 1)}));
  ASSERT_TRUE(store->flush(10s));
  EXPECT_EQ(store->trace(hex_id(6, 32))->size(), 1u);
  EXPECT_EQ(count_rows("resources"), 2);
}

TEST_F(StoreTest, DataSurvivesReopening) {
  {
    auto store = open();
    ASSERT_TRUE(store);
    fill(*store);
  }
  auto store = open();
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->span_count(), 4);
  EXPECT_EQ(store->trace(hex_id(1, 32))->size(), 2u);
  EXPECT_EQ(store->services()->items.size(), 3u);
}

TEST_F(StoreTest, SpansQueuedAtCloseAreWritten) {
  {
    auto store = open();
    ASSERT_TRUE(store);
    std::vector<StoredSpan> spans;
    for (int i = 0; i < 5000; ++i)
      spans.push_back(make_span(7, 100 + i, 0, "bulk", "op", i, 1));
    ASSERT_TRUE(store->submit(std::move(spans)));
  }  // no flush: the destructor writes the queue
  auto store = open();
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->span_count(), 5000);
}

TEST_F(StoreTest, RetentionByAgeDeletesWhatArrivedBeforeTheCutoff) {
  auto store = open({.max_age = std::chrono::hours(1), .max_bytes = 0, .arrival_granularity = 0ms});
  ASSERT_TRUE(store);
  fill(*store);
  const auto first_batch_done = std::chrono::system_clock::now();
  ASSERT_TRUE(store->submit({make_span(4, 41, 0, "late", "op", 4'000'000'000, 1)}));
  ASSERT_TRUE(store->flush(10s));

  auto deleted = store->run_retention(std::chrono::system_clock::now());
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 0) << "nothing is an hour old yet";
  // An hour after the first batch, but the second arrived later: only the first goes... unless
  // both landed within the same instant, which the clock resolution rules out here.
  deleted =
      store->run_retention(first_batch_done + std::chrono::hours(1) + std::chrono::nanoseconds(1));
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  EXPECT_GE(*deleted, 4);
  EXPECT_EQ(store->trace(hex_id(1, 32))->size(), 0u);
  EXPECT_EQ(store->services()->items, std::vector<std::string>{"late"})
      << "operations of deleted spans go";
  deleted = store->run_retention(std::chrono::system_clock::now() + std::chrono::hours(2));
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*store->span_count(), 0);
}

TEST_F(StoreTest, RetentionBySizeKeepsTheNewestUnderTheLimit) {
  constexpr uint64_t kLimit = 2u << 20;
  auto store = open({.max_age = 0s, .max_bytes = kLimit});
  ASSERT_TRUE(store);
  // About 8 MB of spans in batches, oldest first.
  for (int batch = 0; batch < 20; ++batch) {
    std::vector<StoredSpan> spans;
    for (int i = 0; i < 1000; ++i) {
      StoredSpan s =
          make_span(1000 + batch, batch * 1000 + i + 1, 0, "svc", "op", batch * 1000 + i, 1);
      s.events_json = "[{\"name\":\"" + std::string(300, 'e') + "\"}]";
      spans.push_back(std::move(s));
    }
    ASSERT_TRUE(store->submit(std::move(spans)));
  }
  ASSERT_TRUE(store->flush(30s));
  ASSERT_GT(*store->used_bytes(), kLimit);
  auto deleted = store->run_retention(std::chrono::system_clock::now());
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  EXPECT_GT(*deleted, 0);
  EXPECT_LE(*store->used_bytes(), kLimit);
  // The newest trace is whole, the oldest gone.
  EXPECT_EQ(store->trace(hex_id(1019, 32))->size(), 1000u);
  EXPECT_EQ(store->trace(hex_id(1000, 32))->size(), 0u);
  // The file shrank too (incremental vacuum), not just its free list.
  EXPECT_LE(std::filesystem::file_size(dir.file("spans.db")), kLimit + (1u << 20));
}

TEST_F(StoreTest, AFullQueueRefusesInsteadOfGrowing) {
  auto store = open({.max_queued_spans = 10});
  ASSERT_TRUE(store);
  std::vector<StoredSpan> spans;
  for (int i = 0; i < 11; ++i)
    spans.push_back(make_span(5, 500 + i, 0, "s", "op", i, 1));
  EXPECT_FALSE(store->submit(std::move(spans)));
  EXPECT_EQ(store->stats().spans_refused, 11u);
  EXPECT_TRUE(store->submit({make_span(5, 600, 0, "s", "op", 1, 1)}));
}

// Many spans of one service, oldest first, in batches of 1,000 (trace = batch number + base).
void fill_many(SpanStore& store, int n, uint64_t trace_base) {
  for (int first = 0; first < n; first += 1000) {
    std::vector<StoredSpan> spans;
    for (int i = first; i < std::min(n, first + 1000); ++i) {
      spans.push_back(make_span(trace_base + static_cast<uint64_t>(first / 1000),
                                static_cast<uint64_t>(i) + 1, 0, "bulk", "op", i, 1));
    }
    ASSERT_TRUE(store.submit(std::move(spans)));
  }
  ASSERT_TRUE(store.flush(60s));
}

TEST_F(StoreTest, SubmitAndWaitReturnsOnceTheSpansAreCommitted) {
  auto store = open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->submit_and_wait({make_span(7, 70, 0, "s", "op", 1, 1)}, 10s),
            WriteOutcome::kCommitted);
  // No flush: committed means a reader sees it now.
  EXPECT_EQ(store->trace(hex_id(7, 32))->size(), 1u);
  bool called = false, committed = false;
  ASSERT_TRUE(store->submit({make_span(7, 71, 0, "s", "op", 1, 1)}, [&](bool ok) {
    called = true;
    committed = ok;
  }));
  ASSERT_TRUE(store->flush(10s));
  EXPECT_TRUE(called);
  EXPECT_TRUE(committed);
}

TEST_F(StoreTest, TheQueueIsBoundedInBytes) {
  std::vector<StoredSpan> big;
  for (int i = 0; i < 20'000; ++i)
    big.push_back(make_span(8, static_cast<uint64_t>(i) + 1, 0, "s", "op", i, 1));
  uint64_t big_bytes = 0;
  for (const auto& s : big)
    big_bytes += span_memory_bytes(s);
  auto store = open({.max_queued_bytes = big_bytes - 1});
  ASSERT_TRUE(store);
  // One batch larger than the bound still goes through an empty queue...
  ASSERT_TRUE(store->submit(std::move(big)));
  // ...and while its bytes are queued (until written), more spans are refused.
  std::vector<StoredSpan> more;
  for (int i = 0; i < 20; ++i)
    more.push_back(make_span(9, static_cast<uint64_t>(i) + 1, 0, "s", "op", i, 1));
  EXPECT_FALSE(store->submit(std::move(more)));
  EXPECT_EQ(store->stats().spans_refused, 20u);
  ASSERT_TRUE(store->flush(60s));
  EXPECT_TRUE(store->submit({make_span(9, 1, 0, "s", "op", 1, 1)}));
}

// Retention deletes in small steps on its own connection: spans written while it runs are
// committed and queryable before it has finished (on the writer thread they waited for all of
// it: 2-7 s at the size limit).
TEST_F(StoreTest, RetentionDoesNotHoldNewSpansBack) {
  auto store = open({.max_age = 1h, .max_bytes = 0, .retention_step = 50});
  ASSERT_TRUE(store);
  constexpr int kOld = 30'000;
  fill_many(*store, kOld, 100);
  std::atomic<bool> retention_done{false};
  Result<int64_t> deleted = int64_t{0};
  std::thread retention([&] {
    deleted = store->run_retention(std::chrono::system_clock::now() + 2h);
    retention_done = true;
  });
  // Once retention has begun deleting...
  while (!retention_done && *store->span_count() == kOld)
    std::this_thread::sleep_for(1ms);
  int during = 0;
  std::chrono::nanoseconds slowest{0};
  for (uint64_t i = 1; i <= 20 && !retention_done; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_EQ(store->submit_and_wait({make_span(5000, i, 0, "new", "op", 1, 1)}, 10s),
              WriteOutcome::kCommitted);
    slowest = std::max(slowest, std::chrono::steady_clock::now() - t0);
    ASSERT_EQ(store->trace(hex_id(5000, 32))->size(), i);
    if (!retention_done) ++during;
  }
  retention.join();
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  EXPECT_EQ(*deleted, kOld);
  EXPECT_GT(during, 0) << "no span was committed while retention ran";
  std::printf("[ info     ] %d spans committed during retention, slowest %lld us\n", during,
              static_cast<long long>(slowest.count() / 1000));
  EXPECT_GE(store->trace(hex_id(5000, 32))->size(), static_cast<size_t>(during));
}

TEST_F(StoreTest, AQueryPastItsTimeBudgetIsStopped) {
  auto store = open({.query_budget = 1ms});
  ASSERT_TRUE(store);
  fill_many(*store, 20'000, 200);
  TraceQuery q;
  for (int i = 0; i < 8; ++i)
    q.attributes.emplace_back("absent" + std::to_string(i), "x");
  auto found = store->find_traces(q);
  ASSERT_FALSE(found.ok());
  EXPECT_TRUE(is_query_timeout(found.error())) << found.error().message;
  EXPECT_NE(found.error().message.find("time budget"), std::string::npos);
  // The connection is fine afterwards.
  EXPECT_TRUE(store->services().ok());
}

// Reads run on a pool of connections: the service list does not wait for slow searches.
TEST_F(StoreTest, ReadsDoNotQueueBehindSlowSearches) {
  auto store = open({.read_connections = 3, .query_budget = 60s});
  ASSERT_TRUE(store);
  fill_many(*store, 30'000, 300);
  TraceQuery slow;
  for (int i = 0; i < 16; ++i)
    slow.attributes.emplace_back("absent" + std::to_string(i), "x");
  std::atomic<int> slow_done{0};
  std::atomic<int> slow_started{0};
  std::vector<std::thread> searches;
  for (int i = 0; i < 2; ++i) {
    searches.emplace_back([&] {
      ++slow_started;
      EXPECT_TRUE(store->find_traces(slow).ok());
      ++slow_done;
    });
  }
  while (slow_started < 2)
    std::this_thread::yield();
  std::this_thread::sleep_for(20ms);  // both are inside their query
  auto services = store->services();
  const int finished_before = slow_done;
  for (auto& t : searches)
    t.join();
  ASSERT_TRUE(services.ok());
  EXPECT_EQ(finished_before, 0) << "the service list waited for a slow search";
}

// Searches (store.read() with ReadKind::kSearch, as the analytics queries run) that stay in their
// query until the gate opens: they hold their read connection as long as a test needs, with no
// timing. If a lookup the test waits for never comes back (the defect these tests are about), the
// gate opens by itself after a minute, so the test fails instead of blocking forever.
class SearchGate {
 public:
  SearchGate()
      : watchdog_([this] {
          std::unique_lock lock(mu_);
          if (!cv_.wait_for(lock, 60s, [&] { return open_; })) open_ = true;
          cv_.notify_all();
        }) {}
  ~SearchGate() {
    release();
    watchdog_.join();
  }
  // Runs a search that waits at the gate; its result.
  Result<void> search(SpanStore& store) {
    return store.read([&](Database&, const SpanStore::StepError&) -> Result<void> {
      std::unique_lock lock(mu_);
      ++entered_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return open_; });
      return {};
    });
  }
  void wait_entered(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return entered_ >= n; });
  }
  int entered() {
    std::lock_guard lock(mu_);
    return entered_;
  }
  void release() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int entered_ = 0;
  bool open_ = false;
  std::thread watchdog_;
};

// Searches never hold every read connection: with four, three searches run, a fourth waits (and
// past its query budget gives up with a timeout, 503 in the API), and the service list, an
// operation list and a trace answer meanwhile. Before, the fourth search took the last connection
// and the lookups waited for a search to end (9.6 s for /api/services under 8 slow searches).
TEST_F(StoreTest, SearchesLeaveAReadConnectionForLookups) {
  auto store = open({.read_connections = 4, .query_budget = 2s});
  ASSERT_TRUE(store);
  fill(*store);
  SearchGate gate;
  std::vector<std::thread> running;
  for (int i = 0; i < 3; ++i)
    running.emplace_back([&] { EXPECT_TRUE(gate.search(*store).ok()); });
  gate.wait_entered(3);
  Result<void> fourth;
  std::thread waiting([&] { fourth = gate.search(*store); });

  // (No ASSERT before the threads are joined: a failure must not leave them running.)
  auto services = store->services();
  EXPECT_TRUE(services.ok() &&
              services->items == (std::vector<std::string>{"db", "web", "worker"}));
  EXPECT_TRUE(store->operations("web").ok());
  auto trace = store->trace_page(hex_id(1, 32), "", 100, 1 << 20);
  EXPECT_TRUE(trace.ok() && trace->spans.size() == 2u);
  EXPECT_EQ(gate.entered(), 3) << "a fourth search took the last read connection";

  waiting.join();  // nothing frees a search slot before the gate opens: its budget runs out
  EXPECT_FALSE(fourth.ok()) << "the fourth search ran beside three others";
  if (!fourth.ok()) {
    EXPECT_TRUE(is_query_timeout(fourth.error())) << fourth.error().message;
    EXPECT_NE(fourth.error().message.find("waiting for a read connection"), std::string::npos);
  }
  gate.release();
  for (auto& t : running)
    t.join();
  EXPECT_TRUE(store->find_traces({}).ok()) << "the connections went back to the pool";
}

// The wait for a read connection is part of the query budget: a lookup that finds every
// connection taken gives up when the budget is spent (503 in the API) instead of waiting as long
// as the queries before it run.
TEST_F(StoreTest, TheWaitForAReadConnectionEndsWithTheQueryBudget) {
  auto store = open({.read_connections = 1, .query_budget = 300ms});
  ASSERT_TRUE(store);
  fill(*store);
  SearchGate gate;
  // With one connection a search may take it (there is nothing to keep back).
  std::thread running([&] { EXPECT_TRUE(gate.search(*store).ok()); });
  gate.wait_entered(1);
  auto services = store->services();
  EXPECT_FALSE(services.ok()) << "the lookup waited until the search ended";
  if (!services.ok()) {
    EXPECT_TRUE(is_query_timeout(services.error())) << services.error().message;
  }
  Response r = handle_api("/api/services", *store);
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_TRUE(std::find(r.headers.begin(), r.headers.end(),
                        std::pair<std::string, std::string>("Retry-After", "5")) !=
              r.headers.end());
  gate.release();
  running.join();
  EXPECT_TRUE(store->services().ok());
}

// As many searches may wait as may run; one more is refused at once (503, Retry-After: 1), so
// that waiting searches cannot occupy every worker of the HTTP server either.
TEST_F(StoreTest, SearchesPastTheWaitingRoomAreRefusedAtOnce) {
  auto store = open({.read_connections = 2, .query_budget = 0s});
  ASSERT_TRUE(store);
  fill(*store);
  SearchGate gate;
  std::thread running([&] { EXPECT_TRUE(gate.search(*store).ok()); });
  gate.wait_entered(1);
  std::thread waiting([&] { EXPECT_TRUE(gate.search(*store).ok()); });
  // Waiting for a connection (or, were there no waiting room, already running beside the first).
  while (store->stats().searches_waiting < 1 && gate.entered() < 2)
    std::this_thread::yield();
  EXPECT_EQ(gate.entered(), 1) << "two searches ran with one search connection";
  auto refused = store->find_traces({});
  EXPECT_FALSE(refused.ok());
  if (!refused.ok()) {
    EXPECT_TRUE(is_store_busy(refused.error())) << refused.error().message;
  }
  Response r = handle_api("/api/traces?lookback=all", *store);
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_TRUE(std::find(r.headers.begin(), r.headers.end(),
                        std::pair<std::string, std::string>("Retry-After", "1")) !=
              r.headers.end());
  EXPECT_EQ(store->stats().searches_refused, 2u);
  EXPECT_TRUE(store->services().ok()) << "lookups still have their connection";
  gate.release();
  running.join();
  waiting.join();
  EXPECT_EQ(gate.entered(), 2);
}

TEST_F(StoreTest, AnUnwritablePathIsAClearError) {
  auto store = SpanStore::open({.path = "/nonexistent-dir/x/spans.db"});
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("/nonexistent-dir/x/spans.db"), std::string::npos);
}

}  // namespace
}  // namespace tracekit::collector
