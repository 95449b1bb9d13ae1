// SPDX-License-Identifier: Apache-2.0
#include "store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <utility>

#include "settings_variables.h"
#include "tracekit/semconv.h"
#include "tracekit/span.h"

namespace skriptoteket {

namespace semconv = tracekit::semconv;

namespace {

// Each migration moves the schema from version (index) to version (index + 1), inside one
// transaction together with the PRAGMA user_version that records it.
constexpr const char* kMigrations[] = {
    // 0 -> 1: the domain.
    "CREATE TABLE tools ("
    " id TEXT PRIMARY KEY,"
    " slug TEXT NOT NULL UNIQUE,"
    " title TEXT NOT NULL,"
    " description TEXT NOT NULL,"
    " created_at_ms INTEGER NOT NULL);"
    "CREATE TABLE tool_versions ("
    " id TEXT PRIMARY KEY,"
    " tool_id TEXT NOT NULL REFERENCES tools(id),"
    " language TEXT NOT NULL CHECK (language IN ('python3', 'bash')),"
    " source TEXT NOT NULL,"
    " created_at_ms INTEGER NOT NULL);"
    "CREATE TABLE runs ("
    " id TEXT PRIMARY KEY,"
    " tool_id TEXT NOT NULL REFERENCES tools(id),"
    " version_id TEXT NOT NULL REFERENCES tool_versions(id),"
    " status TEXT NOT NULL,"
    " exit_code INTEGER,"
    " stdout TEXT NOT NULL DEFAULT '',"
    " stderr TEXT NOT NULL DEFAULT '',"
    " stdout_truncated INTEGER NOT NULL DEFAULT 0,"
    " stderr_truncated INTEGER NOT NULL DEFAULT 0,"
    " error TEXT NOT NULL DEFAULT '',"
    " queued_at_ms INTEGER NOT NULL,"
    " started_at_ms INTEGER,"
    " finished_at_ms INTEGER);",
    // 1 -> 2: the lookups the API makes.
    "CREATE INDEX tool_versions_by_tool ON tool_versions(tool_id);"
    "CREATE INDEX runs_by_version ON runs(version_id);",
    // 2 -> 3: how the sandbox ended a run, in plain terms.
    "ALTER TABLE runs ADD COLUMN signal INTEGER;"
    "ALTER TABLE runs ADD COLUMN oom_killed INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE runs ADD COLUMN cpu_limit_exceeded INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE runs ADD COLUMN process_limit_reached INTEGER NOT NULL DEFAULT 0;",
};
static_assert(std::size(kMigrations) == Store::kSchemaVersion);

Error internal(std::string what, sqlite3* db) {
  return Error{ErrorCode::kInternal, std::move(what) + ": " + sqlite3_errmsg(db)};
}

}  // namespace

// One statement and its CLIENT span, which covers prepare, execution and reading the rows.
class Query {
 public:
  Query(Store& store, std::string_view operation, std::string_view table, const char* sql)
      : db_(store.db_),
        span_(store.tracer_.start_span(table.empty()
                                           ? std::string(operation)
                                           : std::string(operation) + " " + std::string(table),
                                       {.kind = tracekit::SpanKind::kClient})) {
    if (span_.is_recording()) {
      span_.set_attributes({{semconv::db::kSystem, "sqlite"},
                            {semconv::db::kName, store.db_name_},
                            {semconv::db::kOperation, operation},
                            {semconv::db::kStatement, sql}});
      if (!table.empty()) span_.set_attribute(semconv::db::kSqlTable, table);
    }
    rc_ = sqlite3_prepare_v2(db_, sql, -1, &stmt_, nullptr);
    if (rc_ != SQLITE_OK) fail();
  }
  ~Query() { sqlite3_finalize(stmt_); }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  bool prepared() const noexcept { return stmt_ != nullptr; }
  Query& bind(int index, std::string_view text) {
    if (stmt_)
      sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Query& bind(int index, int64_t value) {
    if (stmt_) sqlite3_bind_int64(stmt_, index, value);
    return *this;
  }
  Query& bind(int index, std::optional<int64_t> value) {
    if (!stmt_) return *this;
    if (value) {
      sqlite3_bind_int64(stmt_, index, *value);
    } else {
      sqlite3_bind_null(stmt_, index);
    }
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code (recorded on the span).
  int step() {
    if (!stmt_) return rc_;
    rc_ = sqlite3_step(stmt_);
    if (rc_ != SQLITE_ROW && rc_ != SQLITE_DONE) fail();
    return rc_;
  }
  // Runs a statement that returns no rows.
  bool run() { return step() == SQLITE_DONE; }

  std::string text(int column) const {
    const auto* p = sqlite3_column_text(stmt_, column);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(stmt_, column)))
             : std::string();
  }
  int64_t int64(int column) const { return sqlite3_column_int64(stmt_, column); }
  std::optional<int64_t> optional_int64(int column) const {
    if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
    return int64(column);
  }
  int rc() const noexcept { return rc_; }
  // The extended code distinguishes a UNIQUE violation from other constraint failures.
  int extended_rc() const noexcept { return sqlite3_extended_errcode(db_); }
  Error failure(std::string what) const { return internal(std::move(what), db_); }

 private:
  void fail() {
    span_.set_status(tracekit::StatusCode::kError, sqlite3_errmsg(db_));
    span_.set_attribute("db.sqlite.error_code", static_cast<int64_t>(rc_));
  }

  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  tracekit::Span span_;
  int rc_ = SQLITE_OK;
};

namespace {

// BEGIN IMMEDIATE ... COMMIT, rolled back unless committed.
class Transaction {
 public:
  explicit Transaction(Store& store) : store_(store) {
    ok_ = Query(store_, "BEGIN", "", "BEGIN IMMEDIATE").run();
  }
  ~Transaction() {
    if (ok_ && !committed_) (void)Query(store_, "ROLLBACK", "", "ROLLBACK").run();
  }
  bool began() const noexcept { return ok_; }
  bool commit() {
    committed_ = Query(store_, "COMMIT", "", "COMMIT").run();
    return committed_;
  }

 private:
  Store& store_;
  bool ok_ = false;
  bool committed_ = false;
};

constexpr const char* kToolColumns = "id, slug, title, description, created_at_ms";
constexpr const char* kVersionColumns = "id, tool_id, language, source, created_at_ms";

Tool read_tool(const Query& q) {
  return Tool{q.text(0), q.text(1), q.text(2), q.text(3), q.int64(4)};
}

ToolVersion read_version(const Query& q) {
  return ToolVersion{q.text(0), q.text(1), parse_language(q.text(2)).value_or(Language::kPython3),
                     q.text(3), q.int64(4)};
}

}  // namespace

std::string Store::default_path() {
  using tracekit::config::read_env;
  if (auto p = read_env(setting("SKRIPTOTEKET_DB_PATH")); p && !p->empty()) return *p;
  auto dir = read_env(setting("SKRIPTOTEKET_DATA_DIR"));
  return (std::filesystem::path(dir && !dir->empty() ? *dir : "data") / "skriptoteket.db").string();
}

Store::Store(sqlite3* db, std::string path, tracekit::Tracer& tracer)
    : db_(db),
      path_(std::move(path)),
      db_name_(std::filesystem::path(path_).filename().string()),
      tracer_(tracer) {}

Store::~Store() {
  sqlite3_close_v2(db_);
}

Result<std::unique_ptr<Store>> Store::open(const std::string& path, tracekit::Tracer& tracer) {
  if (path.empty()) return Error{ErrorCode::kInvalid, "the database path is empty"};
  // The start-up work (PRAGMAs, migrations) is one trace under this span, not a trace per
  // statement that would bury the requests in the viewer's list.
  return tracer.in_span("store.open", [&](tracekit::ScopedSpan& span) {
    span.set_attributes({{semconv::db::kSystem, "sqlite"},
                         {semconv::db::kName, std::filesystem::path(path).filename().string()}});
    auto opened = open_traced(path, tracer);
    if (!opened) span.set_status(tracekit::StatusCode::kError, opened.error().message);
    return opened;
  });
}

Result<std::unique_ptr<Store>> Store::open_traced(const std::string& path,
                                                  tracekit::Tracer& tracer) {
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return Error{ErrorCode::kInternal,
                   "cannot create the data directory " + parent.string() + ": " + ec.message()};
    }
  }
  // The database holds every script and its output, with the API token guarding them: the file
  // is readable by this user only (other local users, and the uid sandboxes run as, must not read
  // around the token). SQLite gives its -wal and -shm files the database file's permissions.
  if (const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600); fd >= 0) {
    (void)::fchmod(fd, 0600);  // a database made by an older version
    ::close(fd);
  }
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message =
        "cannot open the database " + path + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close_v2(db);
    return Error{ErrorCode::kInternal, std::move(message)};
  }
  std::unique_ptr<Store> store(new Store(db, path, tracer));
  // Another process (a second web instance, the sqlite3 shell) may hold the write lock briefly.
  sqlite3_busy_timeout(db, 5000);
  {
    Query wal(*store, "PRAGMA", "", "PRAGMA journal_mode=WAL");
    if (wal.step() != SQLITE_ROW || wal.text(0) != "wal") {
      return Error{ErrorCode::kInternal,
                   "cannot switch " + path + " to WAL mode: " + std::string(sqlite3_errmsg(db))};
    }
  }
  if (!Query(*store, "PRAGMA", "", "PRAGMA foreign_keys=ON").run() ||
      !Query(*store, "PRAGMA", "", "PRAGMA synchronous=NORMAL").run()) {
    return internal("cannot configure " + path, db);
  }
  if (auto migrated = store->migrate(); !migrated) return migrated.error();
  return store;
}

int Store::schema_version() {
  std::lock_guard lock(mutex_);
  Query q(*this, "PRAGMA", "", "PRAGMA user_version");
  return q.step() == SQLITE_ROW ? static_cast<int>(q.int64(0)) : -1;
}

Result<bool> Store::migrate() {
  auto span = tracer_.start_as_current_span("store.migrate");  // a child of store.open
  int current = 0;
  {
    Query q(*this, "PRAGMA", "", "PRAGMA user_version");
    if (q.step() != SQLITE_ROW) return q.failure("cannot read the schema version");
    current = static_cast<int>(q.int64(0));
  }
  span.set_attribute("db.schema.from", static_cast<int64_t>(current));
  if (current > kSchemaVersion) {
    return Error{ErrorCode::kInternal, path_ + " has schema version " + std::to_string(current) +
                                           ", newer than this program's " +
                                           std::to_string(kSchemaVersion)};
  }
  for (int v = current; v < kSchemaVersion; ++v) {
    Transaction tx(*this);
    if (!tx.began())
      return internal("cannot begin the migration to version " + std::to_string(v + 1), db_);
    {
      // Several statements: sqlite3_exec, under one span of its own.
      auto step = tracer_.start_span("MIGRATE", {.kind = tracekit::SpanKind::kClient});
      step.set_attributes({{semconv::db::kSystem, "sqlite"},
                           {semconv::db::kName, db_name_},
                           {semconv::db::kOperation, "MIGRATE"},
                           {semconv::db::kStatement, kMigrations[v]}});
      char* error = nullptr;
      if (sqlite3_exec(db_, kMigrations[v], nullptr, nullptr, &error) != SQLITE_OK) {
        Error f{ErrorCode::kInternal, "migration to schema version " + std::to_string(v + 1) +
                                          " failed: " + (error ? error : "unknown error")};
        step.set_status(tracekit::StatusCode::kError, f.message);
        sqlite3_free(error);
        return f;
      }
    }
    // PRAGMA takes no bound parameters; the version is a number we produce, not user data.
    const std::string set_version = "PRAGMA user_version=" + std::to_string(v + 1);
    if (!Query(*this, "PRAGMA", "", set_version.c_str()).run() || !tx.commit()) {
      return internal("cannot record schema version " + std::to_string(v + 1), db_);
    }
  }
  span.set_attribute("db.schema.to", static_cast<int64_t>(kSchemaVersion));
  return true;
}

void Store::set_limits(const StoreLimits& limits) {
  std::lock_guard lock(mutex_);
  limits_ = limits;
}

Result<Tool> Store::create_tool(const NewTool& tool) {
  std::lock_guard lock(mutex_);
  Tool created{new_uuid(), tool.slug, tool.title, tool.description, now_ms()};
  // The count and the insert are one statement, so concurrent requests (or another process)
  // cannot both take the last place; no row inserted means the limit is reached.
  Query q(*this, "INSERT", "tools",
          "INSERT INTO tools (id, slug, title, description, created_at_ms)"
          " SELECT ?, ?, ?, ?, ? WHERE (SELECT count(*) FROM tools) < ?");
  q.bind(1, created.id).bind(2, created.slug).bind(3, created.title).bind(4, created.description);
  q.bind(5, created.created_at_ms).bind(6, static_cast<int64_t>(limits_.max_tools));
  if (!q.run()) {
    if (q.extended_rc() == SQLITE_CONSTRAINT_UNIQUE) {
      return Error{ErrorCode::kConflict, "a tool with slug '" + tool.slug + "' exists"};
    }
    return q.failure("cannot create the tool");
  }
  if (sqlite3_changes(db_) != 1) {
    return Error{ErrorCode::kUnavailable,
                 "there are SKRIPTOTEKET_MAX_TOOLS (" + std::to_string(limits_.max_tools) +
                     ") tools, the most this service keeps; no more can be created"};
  }
  return created;
}

Result<ToolPage> Store::list_tools(size_t limit, std::string_view cursor) {
  // The cursor is the rowid of the page's last tool. Rowids follow insertion (tools are never
  // deleted), so a page continues exactly where the last ended, and tools created meanwhile come
  // on later pages; creation times could tie or go back with the clock.
  int64_t after = 0;
  if (!cursor.empty()) {
    bool ok = cursor.size() <= 18;
    for (char c : cursor)
      ok = ok && c >= '0' && c <= '9';
    if (!ok) {
      return Error{ErrorCode::kInvalid,
                   "cursor '" + std::string(cursor) + "' is not one this service gave"};
    }
    after = std::stoll(std::string(cursor));
  }
  std::lock_guard lock(mutex_);
  const std::string sql = std::string("SELECT ") + kToolColumns +
                          ", rowid FROM tools WHERE rowid > ? ORDER BY rowid LIMIT ?";
  Query q(*this, "SELECT", "tools", sql.c_str());
  // One more than the page: whether there is a next page, without counting.
  q.bind(1, after).bind(2, static_cast<int64_t>(limit) + 1);
  ToolPage page;
  int64_t last = 0;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    if (page.tools.size() == limit) {
      page.next_cursor = std::to_string(last);
      break;
    }
    page.tools.push_back(read_tool(q));
    last = q.int64(5);
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return q.failure("cannot list the tools");
  return page;
}

Result<std::vector<Tool>> Store::list_tools() {
  std::lock_guard lock(mutex_);
  const std::string sql =
      std::string("SELECT ") + kToolColumns + " FROM tools ORDER BY rowid";  // as list_tools(limit)
  Query q(*this, "SELECT", "tools", sql.c_str());
  std::vector<Tool> tools;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW)
    tools.push_back(read_tool(q));
  if (rc != SQLITE_DONE) return q.failure("cannot list the tools");
  return tools;
}

Result<Tool> Store::get_tool(const std::string& id) {
  std::lock_guard lock(mutex_);
  const std::string sql = std::string("SELECT ") + kToolColumns + " FROM tools WHERE id = ?";
  Query q(*this, "SELECT", "tools", sql.c_str());
  q.bind(1, id);
  const int rc = q.step();
  if (rc == SQLITE_ROW) return read_tool(q);
  if (rc == SQLITE_DONE) return Error{ErrorCode::kNotFound, "no tool with id " + id};
  return q.failure("cannot read the tool");
}

Result<ToolVersion> Store::create_version(const std::string& tool_id, Language language,
                                          const std::string& source) {
  std::lock_guard lock(mutex_);
  Transaction tx(*this);
  if (!tx.began()) return internal("cannot begin a transaction", db_);
  {
    Query exists(*this, "SELECT", "tools", "SELECT 1 FROM tools WHERE id = ?");
    exists.bind(1, tool_id);
    const int rc = exists.step();
    if (rc == SQLITE_DONE) return Error{ErrorCode::kNotFound, "no tool with id " + tool_id};
    if (rc != SQLITE_ROW) return exists.failure("cannot read the tool");
  }
  ToolVersion created{new_uuid(), tool_id, language, source, now_ms()};
  // Counted in the inserting statement, so concurrent requests cannot pass the limit.
  Query q(*this, "INSERT", "tool_versions",
          "INSERT INTO tool_versions (id, tool_id, language, source, created_at_ms)"
          " SELECT ?, ?, ?, ?, ? WHERE (SELECT count(*) FROM tool_versions WHERE tool_id = ?) < ?");
  q.bind(1, created.id).bind(2, tool_id).bind(3, to_string(language)).bind(4, source);
  q.bind(5, created.created_at_ms).bind(6, tool_id);
  q.bind(7, static_cast<int64_t>(limits_.max_versions_per_tool));
  if (!q.run()) return q.failure("cannot create the version");
  if (sqlite3_changes(db_) != 1) {
    return Error{ErrorCode::kUnavailable,
                 "tool " + tool_id + " has SKRIPTOTEKET_MAX_VERSIONS_PER_TOOL (" +
                     std::to_string(limits_.max_versions_per_tool) +
                     ") versions, the most this service keeps; no more can be created"};
  }
  if (!tx.commit()) return internal("cannot commit the version", db_);
  return created;
}

Result<ToolVersion> Store::get_version(const std::string& tool_id, const std::string& version_id) {
  std::lock_guard lock(mutex_);
  const std::string sql =
      std::string("SELECT ") + kVersionColumns + " FROM tool_versions WHERE id = ? AND tool_id = ?";
  Query q(*this, "SELECT", "tool_versions", sql.c_str());
  q.bind(1, version_id).bind(2, tool_id);
  const int rc = q.step();
  if (rc == SQLITE_ROW) return read_version(q);
  if (rc == SQLITE_DONE) {
    return Error{ErrorCode::kNotFound, "no version " + version_id + " of tool " + tool_id};
  }
  return q.failure("cannot read the version");
}

Result<Run> Store::create_run(const ToolVersion& version) {
  std::lock_guard lock(mutex_);
  Run run;
  run.id = new_uuid();
  run.tool_id = version.tool_id;
  run.version_id = version.id;
  run.status = RunStatus::kQueued;
  run.queued_at_ms = now_ms();
  Query q(
      *this, "INSERT", "runs",
      "INSERT INTO runs (id, tool_id, version_id, status, queued_at_ms) VALUES (?, ?, ?, ?, ?)");
  q.bind(1, run.id).bind(2, run.tool_id).bind(3, run.version_id).bind(4, to_string(run.status));
  q.bind(5, run.queued_at_ms);
  if (!q.run()) {
    if ((q.extended_rc() & 0xFF) == SQLITE_CONSTRAINT) {
      return Error{ErrorCode::kNotFound, "no version " + version.id};
    }
    return q.failure("cannot create the run");
  }
  // Runs are pruned rather than refused: refusing would let old runs block every new one, while
  // a run's output is worth little once it is old. Oldest first by rowid, the insertion order
  // (the newest rows are never deleted, so SQLite's rowids keep growing), which needs no index of
  // its own; one statement that deletes nothing while under the limit. Unfinished runs stay: a
  // request is waiting for each. A failure here costs the request nothing: the next run prunes.
  Query prune(*this, "DELETE", "runs",
              "DELETE FROM runs WHERE rowid IN (SELECT rowid FROM runs WHERE status NOT IN (?, ?)"
              " ORDER BY rowid LIMIT max(0, (SELECT count(*) FROM runs) - ?))");
  prune.bind(1, to_string(RunStatus::kQueued)).bind(2, to_string(RunStatus::kRunning));
  prune.bind(3, static_cast<int64_t>(limits_.max_stored_runs));
  if (prune.run()) {
    runs_pruned_.fetch_add(static_cast<uint64_t>(sqlite3_changes(db_)), std::memory_order_relaxed);
  }
  return run;
}

Result<Run> Store::start_run(const std::string& run_id) {
  std::lock_guard lock(mutex_);
  Query q(*this, "UPDATE", "runs",
          "UPDATE runs SET status = ?, started_at_ms = ? WHERE id = ? AND status = ?");
  q.bind(1, to_string(RunStatus::kRunning)).bind(2, now_ms()).bind(3, run_id);
  q.bind(4, to_string(RunStatus::kQueued));
  if (!q.run()) return q.failure("cannot start the run");
  if (sqlite3_changes(db_) != 1) {
    return Error{ErrorCode::kConflict, "run " + run_id + " is not queued"};
  }
  return load_run(run_id);
}

Result<Run> Store::finish_run(const std::string& run_id, const RunResult& result) {
  std::lock_guard lock(mutex_);
  Query q(*this, "UPDATE", "runs",
          "UPDATE runs SET status = ?, exit_code = ?, stdout = ?, stderr = ?, stdout_truncated = ?,"
          " stderr_truncated = ?, error = ?, finished_at_ms = ?, signal = ?, oom_killed = ?,"
          " cpu_limit_exceeded = ?, process_limit_reached = ? WHERE id = ? AND status = ?");
  q.bind(1, to_string(result.status));
  q.bind(2, result.exit_code ? std::optional<int64_t>(*result.exit_code) : std::nullopt);
  q.bind(3, result.stdout_text).bind(4, result.stderr_text);
  q.bind(5, int64_t{result.stdout_truncated}).bind(6, int64_t{result.stderr_truncated});
  q.bind(7, result.error).bind(8, now_ms());
  q.bind(9, result.signal ? std::optional<int64_t>(*result.signal) : std::nullopt);
  q.bind(10, int64_t{result.oom_killed}).bind(11, int64_t{result.cpu_limit_exceeded});
  q.bind(12, int64_t{result.process_limit_reached}).bind(13, run_id);
  q.bind(14, to_string(RunStatus::kRunning));
  if (!q.run()) return q.failure("cannot finish the run");
  if (sqlite3_changes(db_) != 1) {
    return Error{ErrorCode::kConflict, "run " + run_id + " is not running"};
  }
  return load_run(run_id);
}

Result<Run> Store::get_run(const std::string& id) {
  std::lock_guard lock(mutex_);
  return load_run(id);
}

Result<Run> Store::load_run(const std::string& id) {
  Query q(*this, "SELECT", "runs",
          "SELECT id, tool_id, version_id, status, exit_code, stdout, stderr, stdout_truncated,"
          " stderr_truncated, error, queued_at_ms, started_at_ms, finished_at_ms, signal,"
          " oom_killed, cpu_limit_exceeded, process_limit_reached FROM runs WHERE id = ?");
  q.bind(1, id);
  const int rc = q.step();
  if (rc == SQLITE_DONE) return Error{ErrorCode::kNotFound, "no run with id " + id};
  if (rc != SQLITE_ROW) return q.failure("cannot read the run");
  Run run;
  run.id = q.text(0);
  run.tool_id = q.text(1);
  run.version_id = q.text(2);
  run.status = parse_run_status(q.text(3)).value_or(RunStatus::kFailed);
  if (auto code = q.optional_int64(4)) run.exit_code = static_cast<int>(*code);
  run.stdout_text = q.text(5);
  run.stderr_text = q.text(6);
  run.stdout_truncated = q.int64(7) != 0;
  run.stderr_truncated = q.int64(8) != 0;
  run.error = q.text(9);
  run.queued_at_ms = q.int64(10);
  run.started_at_ms = q.optional_int64(11);
  run.finished_at_ms = q.optional_int64(12);
  if (auto signal = q.optional_int64(13)) run.signal = static_cast<int>(*signal);
  run.oom_killed = q.int64(14) != 0;
  run.cpu_limit_exceeded = q.int64(15) != 0;
  run.process_limit_reached = q.int64(16) != 0;
  return run;
}

}  // namespace skriptoteket
