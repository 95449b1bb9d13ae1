// SPDX-License-Identifier: Apache-2.0
// The SQLite store on real files: the domain's rules, migrations, WAL, and one CLIENT span per
// statement whose text holds no user data.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <set>

#include <fstream>
#include <thread>

#include "store.h"
#include "test_tracing.h"

namespace skriptoteket {
namespace {

using testing::MemoryTracing;
using testing::string_attribute;
using testing::TempDir;

class StoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> open_store() {
    auto opened = Store::open(path_, tracing_.tracer());
    EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error().message);
    return opened.ok() ? std::move(opened).value() : nullptr;
  }
  Tool make_tool(Store& store, const std::string& slug) {
    auto tool = store.create_tool({slug, "Title of " + slug, "A description"});
    EXPECT_TRUE(tool.ok());
    return tool.ok() ? tool.value() : Tool{};
  }

  TempDir dir_;
  std::string path_ = (dir_.path() / "nested" / "skriptoteket.db").string();
  MemoryTracing tracing_;
};

TEST_F(StoreTest, OpeningIsOneTraceUnderStoreOpen) {
  auto store = open_store();
  ASSERT_TRUE(store);
  auto spans = tracing_.spans->spans();
  auto root = tracing_.spans->find("store.open");
  ASSERT_TRUE(root);
  EXPECT_FALSE(root->parent_span_id().is_valid());
  ASSERT_GT(spans.size(), 3u);  // PRAGMAs, store.migrate, MIGRATE steps
  for (const auto& span : spans) {
    EXPECT_EQ(span->context().trace_id(), root->context().trace_id()) << span->name();
  }
  EXPECT_TRUE(tracing_.spans->find("store.migrate"));
}

TEST_F(StoreTest, CreatesTheFileItsDirectoryAndTheCurrentSchemaInWalMode) {
  auto store = open_store();
  ASSERT_TRUE(store);
  EXPECT_TRUE(std::filesystem::exists(path_));
  EXPECT_EQ(store->schema_version(), Store::kSchemaVersion);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

// Scripts and their output are the API token's to guard: no other local user (nor the uid the
// sandboxes run as) may read the database around it. A file an older version left readable is
// narrowed when opened.
TEST_F(StoreTest, TheDatabaseAndItsJournalAreReadableByTheOwnerOnly) {
  namespace fs = std::filesystem;
  fs::create_directories(fs::path(path_).parent_path());
  { std::ofstream(path_).flush(); }
  fs::permissions(path_, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                             fs::perms::others_read);
  auto store = open_store();
  ASSERT_TRUE(store);
  make_tool(*store, "private");
  const auto others = fs::perms::group_all | fs::perms::others_all;
  for (const std::string& file : {path_, path_ + "-wal", path_ + "-shm"}) {
    ASSERT_TRUE(fs::exists(file)) << file;
    EXPECT_EQ(fs::status(file).permissions() & others, fs::perms::none) << file;
  }
}

// Ids of versions and runs are what grants reading them: drawn from the kernel, each one tells
// nothing of the next. Here: no two of many are equal and their random bits look uniform.
TEST(Ids, AreVersionFourUuidsWithUniformRandomBits) {
  constexpr int kIds = 4000;
  std::set<std::string> seen;
  int ones[128] = {};
  for (int i = 0; i < kIds; ++i) {
    const std::string id = new_uuid();
    ASSERT_TRUE(is_uuid(id)) << id;
    EXPECT_EQ(id[14], '4') << id;
    seen.insert(id);
    int bit = 0;
    for (char c : id) {
      if (c == '-') continue;
      const int v = c <= '9' ? c - '0' : c - 'a' + 10;
      for (int b = 3; b >= 0; --b)
        ones[bit++] += (v >> b) & 1;
    }
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kIds));
  // Every bit outside the version and variant fields is set in about half of the ids (4000 draws:
  // a fair bit lands within 1,700..2,300 except with probability ~1e-21).
  for (int bit = 0; bit < 128; ++bit) {
    if ((bit >= 48 && bit < 52) || bit == 64 || bit == 65) continue;
    EXPECT_GT(ones[bit], 1700) << "bit " << bit;
    EXPECT_LT(ones[bit], 2300) << "bit " << bit;
  }
}

TEST_F(StoreTest, ToolsRoundTripAndKeepTheirDataAcrossReopening) {
  std::string id;
  {
    auto store = open_store();
    Tool tool = make_tool(*store, "word-count");
    id = tool.id;
    EXPECT_TRUE(is_uuid(tool.id));
    auto read = store->get_tool(id);
    ASSERT_TRUE(read.ok());
    EXPECT_EQ(read->slug, "word-count");
    EXPECT_EQ(read->title, "Title of word-count");
  }
  auto store = open_store();
  auto tools = store->list_tools();
  ASSERT_TRUE(tools.ok());
  ASSERT_EQ(tools->size(), 1u);
  EXPECT_EQ(tools->front().id, id);
  EXPECT_EQ(store->schema_version(), Store::kSchemaVersion);
}

TEST_F(StoreTest, ADuplicateSlugIsAConflictAndWritesNothing) {
  auto store = open_store();
  make_tool(*store, "same");
  auto again = store->create_tool({"same", "Other", ""});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(store->list_tools()->size(), 1u);
}

TEST_F(StoreTest, UnknownIdsAreNotFound) {
  auto store = open_store();
  const std::string missing = new_uuid();
  EXPECT_EQ(store->get_tool(missing).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store->get_run(missing).error().code, ErrorCode::kNotFound);
  auto version = store->create_version(missing, Language::kBash, "echo hi");
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(version.error().code, ErrorCode::kNotFound);
  Tool tool = make_tool(*store, "t");
  EXPECT_EQ(store->get_version(tool.id, missing).error().code, ErrorCode::kNotFound);
}

TEST_F(StoreTest, AVersionBelongsToItsToolOnly) {
  auto store = open_store();
  Tool a = make_tool(*store, "a");
  Tool b = make_tool(*store, "b");
  auto version = store->create_version(a.id, Language::kPython3, "print('hi')\n");
  ASSERT_TRUE(version.ok());
  auto read = store->get_version(a.id, version->id);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->source, "print('hi')\n");
  EXPECT_EQ(read->language, Language::kPython3);
  EXPECT_EQ(store->get_version(b.id, version->id).error().code, ErrorCode::kNotFound);
}

TEST_F(StoreTest, ARunMovesFromQueuedToRunningToItsFinalStatusOnce) {
  auto store = open_store();
  Tool tool = make_tool(*store, "t");
  auto version = store->create_version(tool.id, Language::kBash, "exit 3");
  ASSERT_TRUE(version.ok());
  auto run = store->create_run(version.value());
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, RunStatus::kQueued);
  // Finishing a run that never started is refused.
  EXPECT_EQ(store->finish_run(run->id, {}).error().code, ErrorCode::kConflict);
  auto running = store->start_run(run->id);
  ASSERT_TRUE(running.ok());
  EXPECT_EQ(running->status, RunStatus::kRunning);
  EXPECT_TRUE(running->started_at_ms.has_value());
  EXPECT_EQ(store->start_run(run->id).error().code, ErrorCode::kConflict);

  RunResult result;
  result.status = RunStatus::kFailed;
  result.exit_code = 3;
  result.stdout_text = "out";
  result.stderr_text = "err";
  result.stderr_truncated = true;
  auto finished = store->finish_run(run->id, result);
  ASSERT_TRUE(finished.ok());
  auto read = store->get_run(run->id);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->status, RunStatus::kFailed);
  EXPECT_EQ(read->exit_code, 3);
  EXPECT_EQ(read->stdout_text, "out");
  EXPECT_EQ(read->stderr_text, "err");
  EXPECT_FALSE(read->stdout_truncated);
  EXPECT_TRUE(read->stderr_truncated);
  EXPECT_EQ(read->version_id, version->id);
  EXPECT_EQ(read->tool_id, tool.id);
  EXPECT_TRUE(read->finished_at_ms.has_value());
  EXPECT_EQ(store->finish_run(run->id, result).error().code, ErrorCode::kConflict);
}

TEST_F(StoreTest, EveryStatementIsAClientSpanWithoutLiteralValues) {
  auto store = open_store();
  tracing_.spans->clear();
  const std::string secret_slug = "slug-that-must-not-leak";
  Tool tool = make_tool(*store, secret_slug);
  ASSERT_TRUE(store->get_tool(tool.id).ok());
  auto spans = tracing_.spans->spans();
  ASSERT_EQ(spans.size(), 2u);
  for (const auto& span : spans) {
    EXPECT_EQ(span->kind(), tracekit::SpanKind::kClient);
    EXPECT_EQ(string_attribute(*span, "db.system"), "sqlite");
    EXPECT_EQ(string_attribute(*span, "db.name"), "skriptoteket.db");
    const std::string statement = string_attribute(*span, "db.statement");
    EXPECT_EQ(statement.find(secret_slug), std::string::npos) << statement;
    EXPECT_EQ(statement.find(tool.id), std::string::npos) << statement;
    EXPECT_NE(statement.find('?'), std::string::npos) << statement;
  }
  EXPECT_EQ(spans[0]->name(), "INSERT tools");
  EXPECT_EQ(string_attribute(*spans[0], "db.operation"), "INSERT");
  EXPECT_EQ(string_attribute(*spans[0], "db.sql.table"), "tools");
  EXPECT_EQ(spans[1]->name(), "SELECT tools");
  EXPECT_EQ(string_attribute(*spans[1], "db.operation"), "SELECT");
}

TEST_F(StoreTest, StatementSpansAreChildrenOfTheCurrentSpan) {
  auto store = open_store();
  tracing_.spans->clear();
  tracekit::SpanContext parent;
  {
    auto outer = tracing_.tracer().start_as_current_span("handler");
    parent = outer.context();
    make_tool(*store, "child");
  }
  auto insert = tracing_.spans->find("INSERT tools");
  ASSERT_TRUE(insert);
  EXPECT_EQ(insert->context().trace_id(), parent.trace_id());
  EXPECT_EQ(insert->parent_span_id(), parent.span_id());
}

TEST_F(StoreTest, AFailedStatementMarksItsSpanAsAnError) {
  auto store = open_store();
  make_tool(*store, "dup");
  tracing_.spans->clear();
  ASSERT_FALSE(store->create_tool({"dup", "x", "y"}).ok());
  auto insert = tracing_.spans->find("INSERT tools");
  ASSERT_TRUE(insert);
  EXPECT_EQ(insert->status_code(), tracekit::StatusCode::kError);
}

TEST_F(StoreTest, MigratesAVersionOneFileAndKeepsItsRows) {
  {
    // A file as the first release left it: schema version 1, no indexes.
    sqlite3* db = nullptr;
    std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    const char* v1 =
        "CREATE TABLE tools (id TEXT PRIMARY KEY, slug TEXT NOT NULL UNIQUE, title TEXT NOT NULL,"
        " description TEXT NOT NULL, created_at_ms INTEGER NOT NULL);"
        "CREATE TABLE tool_versions (id TEXT PRIMARY KEY, tool_id TEXT NOT NULL REFERENCES "
        "tools(id),"
        " language TEXT NOT NULL CHECK (language IN ('python3', 'bash')), source TEXT NOT NULL,"
        " created_at_ms INTEGER NOT NULL);"
        "CREATE TABLE runs (id TEXT PRIMARY KEY, tool_id TEXT NOT NULL REFERENCES tools(id),"
        " version_id TEXT NOT NULL REFERENCES tool_versions(id), status TEXT NOT NULL,"
        " exit_code INTEGER, stdout TEXT NOT NULL DEFAULT '', stderr TEXT NOT NULL DEFAULT '',"
        " stdout_truncated INTEGER NOT NULL DEFAULT 0, stderr_truncated INTEGER NOT NULL DEFAULT 0,"
        " error TEXT NOT NULL DEFAULT '', queued_at_ms INTEGER NOT NULL, started_at_ms INTEGER,"
        " finished_at_ms INTEGER);"
        "INSERT INTO tools VALUES ('00000000-0000-4000-8000-000000000001', 'old', 'Old', '', 1);"
        "PRAGMA user_version=1;";
    ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  auto store = open_store();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->schema_version(), Store::kSchemaVersion);
  auto old = store->get_tool("00000000-0000-4000-8000-000000000001");
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->slug, "old");
  auto migrate = tracing_.spans->find("MIGRATE");
  ASSERT_TRUE(migrate);
  EXPECT_NE(string_attribute(*migrate, "db.statement").find("runs_by_version"), std::string::npos);
}

TEST_F(StoreTest, AFileFromANewerProgramIsRefused) {
  {
    sqlite3* db = nullptr;
    std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  auto opened = Store::open(path_, tracing_.tracer());
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message.find("newer"), std::string::npos);
}

TEST_F(StoreTest, AnUnusablePathIsAClearError) {
  const std::string file = (dir_.path() / "plain-file").string();
  { std::ofstream(file) << std::string(8192, 'x'); }  // not an SQLite file
  auto opened = Store::open(file + "/db.sqlite", tracing_.tracer());
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message.find("plain-file"), std::string::npos) << opened.error().message;
  auto not_a_db = Store::open(file, tracing_.tracer());
  ASSERT_FALSE(not_a_db.ok());
}

TEST_F(StoreTest, ConcurrentWritersAllLand) {
  auto store = open_store();
  Tool tool = make_tool(*store, "busy");
  auto version = store->create_version(tool.id, Language::kBash, "true");
  ASSERT_TRUE(version.ok());
  constexpr int kThreads = 4, kRuns = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kRuns; ++i) {
        auto run = store->create_run(version.value());
        if (!run.ok() || !store->start_run(run->id).ok()) {
          ++failures;
          continue;
        }
        RunResult r;
        r.status = RunStatus::kSucceeded;
        r.exit_code = 0;
        if (!store->finish_run(run->id, r).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(failures.load(), 0);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM runs WHERE status = 'succeeded'", -1,
                               &stmt, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), kThreads * kRuns);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

// Storage limits (docs/skriptoteket.md, "Storage limits"): one client must not fill the disk.
TEST_F(StoreTest, TheToolLimitRefusesTheNextToolNamingTheLimitAndWritesNothing) {
  auto store = open_store();
  store->set_limits({.max_tools = 3});
  for (const char* slug : {"a", "b", "c"})
    make_tool(*store, slug);
  auto refused = store->create_tool({"d", "D", ""});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(refused.error().message.find("SKRIPTOTEKET_MAX_TOOLS (3)"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(store->list_tools()->size(), 3u);
  // A taken slug is still a conflict, not the limit, while there is room.
  store->set_limits({.max_tools = 4});
  EXPECT_EQ(store->create_tool({"a", "A", ""}).error().code, ErrorCode::kConflict);
  EXPECT_TRUE(store->create_tool({"d", "D", ""}).ok());
}

TEST_F(StoreTest, TheVersionLimitCountsEachToolsOwnVersions) {
  auto store = open_store();
  store->set_limits({.max_versions_per_tool = 2});
  Tool a = make_tool(*store, "a");
  Tool b = make_tool(*store, "b");
  ASSERT_TRUE(store->create_version(a.id, Language::kBash, "echo 1").ok());
  ASSERT_TRUE(store->create_version(a.id, Language::kBash, "echo 2").ok());
  auto refused = store->create_version(a.id, Language::kBash, "echo 3");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(refused.error().message.find("SKRIPTOTEKET_MAX_VERSIONS_PER_TOOL (2)"),
            std::string::npos)
      << refused.error().message;
  EXPECT_TRUE(store->create_version(b.id, Language::kBash, "echo 1").ok());
  // A missing tool is still not found, whatever the counts.
  EXPECT_EQ(store->create_version(new_uuid(), Language::kBash, "x").error().code,
            ErrorCode::kNotFound);
}

TEST_F(StoreTest, TheLimitsHoldAgainstConcurrentCreators) {
  auto store = open_store();
  store->set_limits({.max_tools = 5});
  std::vector<std::thread> threads;
  std::atomic<int> created{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        if (store->create_tool({"t" + std::to_string(t) + "-" + std::to_string(i), "T", ""}).ok())
          ++created;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(created.load(), 5);
  EXPECT_EQ(store->list_tools()->size(), 5u);
}

TEST_F(StoreTest, ANewRunDeletesTheOldestFinishedRunsBeyondTheLimit) {
  auto store = open_store();
  store->set_limits({.max_stored_runs = 3});
  Tool tool = make_tool(*store, "t");
  auto version = store->create_version(tool.id, Language::kBash, "true");
  ASSERT_TRUE(version.ok());
  auto finished_run = [&] {
    auto run = store->create_run(version.value());
    EXPECT_TRUE(run.ok());
    EXPECT_TRUE(store->start_run(run->id).ok());
    RunResult r;
    r.status = RunStatus::kSucceeded;
    r.stdout_text = std::string(1000, 'x');
    EXPECT_TRUE(store->finish_run(run->id, r).ok());
    return run->id;
  };
  // The oldest run is still running: it is kept, and the oldest finished ones go instead.
  auto unfinished = store->create_run(version.value());
  ASSERT_TRUE(unfinished.ok());
  ASSERT_TRUE(store->start_run(unfinished->id).ok());
  const std::string first = finished_run();
  const std::string second = finished_run();
  EXPECT_EQ(store->runs_pruned(), 0u);
  const std::string third = finished_run();  // four runs: the oldest finished one goes
  EXPECT_EQ(store->get_run(first).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(store->get_run(unfinished->id).ok());
  EXPECT_TRUE(store->get_run(second).ok());
  EXPECT_TRUE(store->get_run(third).ok());
  EXPECT_EQ(store->runs_pruned(), 1u);
  const std::string fourth = finished_run();
  EXPECT_EQ(store->get_run(second).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(store->get_run(unfinished->id).ok());
  EXPECT_TRUE(store->get_run(fourth).ok());
  EXPECT_EQ(store->runs_pruned(), 2u);
  // The unfinished run can still be finished.
  RunResult r;
  r.status = RunStatus::kFailed;
  EXPECT_TRUE(store->finish_run(unfinished->id, r).ok());
}

TEST_F(StoreTest, ToolsComeInPagesThatFollowTheirCursor) {
  auto store = open_store();
  for (int i = 0; i < 5; ++i)
    make_tool(*store, "t" + std::to_string(i));
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page = store->list_tools(2, cursor);
    ASSERT_TRUE(page.ok()) << page.error().message;
    ASSERT_LE(page->tools.size(), 2u);
    for (const auto& t : page->tools)
      seen.push_back(t.slug);
    cursor = page->next_cursor;
    ++pages;
    // A tool created while paging comes after the others, on a later page.
    if (pages == 1) make_tool(*store, "late");
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"t0", "t1", "t2", "t3", "t4", "late"}));
  auto all = store->list_tools(100, "");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->tools.size(), 6u);
  EXPECT_TRUE(all->next_cursor.empty());
  for (const char* bad : {"x", "-1", "1.5", "1234567890123456789", "1 OR 1=1"}) {
    auto page = store->list_tools(2, bad);
    ASSERT_FALSE(page.ok()) << bad;
    EXPECT_EQ(page.error().code, ErrorCode::kInvalid) << bad;
  }
}

TEST(DomainTest, UuidsAreVersionFourAndValidated) {
  const std::string id = new_uuid();
  EXPECT_TRUE(is_uuid(id));
  EXPECT_EQ(id[14], '4');
  EXPECT_NE(new_uuid(), id);
  EXPECT_FALSE(is_uuid("not-a-uuid"));
  EXPECT_FALSE(is_uuid("0000000000000000000000000000000000000"));
  EXPECT_FALSE(is_uuid("00000000-0000-4000-8000-00000000000g"));
}

TEST(DomainTest, InvalidUtf8BecomesReplacementCharacters) {
  EXPECT_EQ(to_valid_utf8("plain"), "plain");
  EXPECT_EQ(to_valid_utf8("h\xC3\xA4j"), "h\xC3\xA4j");
  EXPECT_EQ(to_valid_utf8("a\xFF"
                          "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(to_valid_utf8("\xC3"), "\xEF\xBF\xBD");  // cut in the middle
  EXPECT_EQ(to_valid_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
}

}  // namespace
}  // namespace skriptoteket
