// SPDX-License-Identifier: Apache-2.0
#include "span_store.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "sqlite_db.h"

namespace tracekit::collector {

namespace {

// auto_vacuum and page_size must be chosen before the first table exists (a file that has
// tables keeps what it has); INCREMENTAL lets retention give freed pages back to the file
// system. 16 KiB pages: a span row (~700 bytes) and the index entries of a transaction fill a
// quarter as many pages as with the default 4 KiB, and SQLite writes each page of a commit to
// the WAL, and again at the checkpoint, with a system call of its own (the writer spent a third
// of its time in pwrite with 4 KiB pages; docs/decisions.md).
constexpr const char* kSchema = R"sql(
PRAGMA page_size = 16384;
PRAGMA auto_vacuum = INCREMENTAL;
PRAGMA journal_mode = WAL;
CREATE TABLE IF NOT EXISTS spans (
  id INTEGER PRIMARY KEY,            -- arrival order: retention deletes the lowest first
  trace_id TEXT NOT NULL,
  span_id TEXT NOT NULL,
  parent_span_id TEXT NOT NULL,
  service TEXT NOT NULL,
  name TEXT NOT NULL,
  kind INTEGER NOT NULL,
  start_ns INTEGER NOT NULL,
  end_ns INTEGER NOT NULL,
  duration_ns INTEGER NOT NULL,
  status_code INTEGER NOT NULL,
  status_message TEXT NOT NULL,
  trace_state TEXT NOT NULL,
  flags INTEGER NOT NULL,
  scope_id INTEGER NOT NULL,         -- scopes.id
  attributes TEXT NOT NULL,
  events TEXT NOT NULL,
  links TEXT NOT NULL,
  resource_id INTEGER NOT NULL,      -- resources.id
  dropped_attributes INTEGER NOT NULL,
  dropped_events INTEGER NOT NULL,
  dropped_links INTEGER NOT NULL
);
-- One trace by id, and the duplicate check for a span sent twice (an exporter's retry).
CREATE UNIQUE INDEX IF NOT EXISTS spans_by_trace ON spans (trace_id, span_id);
-- Search by service (and operation) over a time range, newest first.
CREATE INDEX IF NOT EXISTS spans_by_service ON spans (service, name, start_ns);
CREATE INDEX IF NOT EXISTS spans_by_time ON spans (start_ns);
-- A process sends the same resource and scope with every span: each is stored once (as its
-- OTLP/JSON text) and spans refer to it, which keeps a third of a typical row out of the file.
-- last_span_id and last_log_id are the highest span and log row ids of a transaction that used
-- the row: once retention has deleted every row up to them, nothing refers to it any more (two
-- numbers per resource instead of an index entry per span and per log record).
CREATE TABLE IF NOT EXISTS resources (id INTEGER PRIMARY KEY, json TEXT NOT NULL UNIQUE,
  last_span_id INTEGER NOT NULL DEFAULT 0, last_log_id INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS scopes (id INTEGER PRIMARY KEY, json TEXT NOT NULL UNIQUE,
  last_span_id INTEGER NOT NULL DEFAULT 0, last_log_id INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS operations (
  service TEXT NOT NULL, name TEXT NOT NULL, kind INTEGER NOT NULL,
  PRIMARY KEY (service, name, kind)) WITHOUT ROWID;
-- One row per write transaction (at most one per --arrival-granularity): the highest span id,
-- and in log_ingest_batches the highest log record id, it wrote and when. Age retention finds
-- the cut-off id here instead of indexing every row's arrival time.
CREATE TABLE IF NOT EXISTS ingest_batches (last_id INTEGER PRIMARY KEY, received_ns INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS log_ingest_batches (last_id INTEGER PRIMARY KEY,
  received_ns INTEGER NOT NULL);
-- OTLP log records, beside the spans (a trace's logs are one index range away from its spans).
CREATE TABLE IF NOT EXISTS logs (
  id INTEGER PRIMARY KEY,            -- arrival order
  time_ns INTEGER NOT NULL,
  observed_ns INTEGER NOT NULL,
  trace_id TEXT NOT NULL,            -- '' when the record has none
  span_id TEXT NOT NULL,
  severity_number INTEGER NOT NULL,
  severity_text TEXT NOT NULL,
  body TEXT NOT NULL,
  event_name TEXT NOT NULL,
  flags INTEGER NOT NULL,
  service TEXT NOT NULL,
  correlation_id TEXT NOT NULL,      -- the correlation_id attribute, '' when none
  attributes TEXT NOT NULL,
  dropped_attributes INTEGER NOT NULL,
  scope_id INTEGER NOT NULL,         -- scopes.id
  resource_id INTEGER NOT NULL       -- resources.id
);
-- A trace's logs in time order; search by time, by service or severity over time, by
-- correlation id. Records without a trace or correlation id stay out of those two indexes.
CREATE INDEX IF NOT EXISTS logs_by_trace ON logs (trace_id, time_ns) WHERE trace_id <> '';
CREATE INDEX IF NOT EXISTS logs_by_time ON logs (time_ns);
CREATE INDEX IF NOT EXISTS logs_by_service ON logs (service, time_ns);
CREATE INDEX IF NOT EXISTS logs_by_severity ON logs (severity_number, time_ns);
CREATE INDEX IF NOT EXISTS logs_by_correlation ON logs (correlation_id, time_ns)
  WHERE correlation_id <> '';
)sql";

// Files written before resources and scopes knew their last use had an index on spans and on
// logs for retention's clean-up; the columns are added and set to the newest rows, so that
// what exists now counts as in use until retention has deleted it.
constexpr const char* kMigrateLastUse = R"sql(
BEGIN;
ALTER TABLE resources ADD COLUMN last_span_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE resources ADD COLUMN last_log_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scopes ADD COLUMN last_span_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scopes ADD COLUMN last_log_id INTEGER NOT NULL DEFAULT 0;
UPDATE resources SET last_span_id = (SELECT coalesce(max(id), 0) FROM spans),
  last_log_id = (SELECT coalesce(max(id), 0) FROM logs);
UPDATE scopes SET last_span_id = (SELECT coalesce(max(id), 0) FROM spans),
  last_log_id = (SELECT coalesce(max(id), 0) FROM logs);
DROP INDEX IF EXISTS spans_by_resource;
DROP INDEX IF EXISTS spans_by_scope;
DROP INDEX IF EXISTS logs_by_resource;
DROP INDEX IF EXISTS logs_by_scope;
COMMIT;
)sql";

constexpr const char* kInsertLog =
    "INSERT INTO logs (time_ns, observed_ns, trace_id, span_id, severity_number, severity_text, "
    "body, event_name, flags, service, correlation_id, attributes, dropped_attributes, scope_id, "
    "resource_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

constexpr const char* kInsertSpan =
    "INSERT OR IGNORE INTO spans (trace_id, span_id, parent_span_id, service, name, kind, "
    "start_ns, end_ns, status_code, status_message, trace_state, flags, scope_id, attributes, "
    "events, links, resource_id, dropped_attributes, dropped_events, dropped_links, duration_ns) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

// The columns span_from_row reads, from `spans s` joined with its scope and resource.
constexpr const char* kSelectSpan =
    "SELECT s.trace_id, s.span_id, s.parent_span_id, s.service, s.name, s.kind, s.start_ns, "
    "s.end_ns, s.status_code, s.status_message, s.trace_state, s.flags, sc.json, s.attributes, "
    "s.events, s.links, r.json, s.dropped_attributes, s.dropped_events, s.dropped_links "
    "FROM spans s JOIN scopes sc ON sc.id = s.scope_id JOIN resources r ON r.id = s.resource_id ";

// Databases written before resources and scopes had tables of their own kept both as text in
// every span row. The old table is renamed (its indexes dropped, so that the schema creates
// them on the new one), then copied over in one transaction; a copy interrupted by a crash is
// finished at the next start.
constexpr const char* kMigrateInlineResourcesStart = R"sql(
BEGIN;
ALTER TABLE spans RENAME TO spans_inline_resources;
DROP INDEX IF EXISTS spans_by_trace;
DROP INDEX IF EXISTS spans_by_service;
DROP INDEX IF EXISTS spans_by_time;
DROP INDEX IF EXISTS spans_by_resource;
DROP INDEX IF EXISTS spans_by_scope;
COMMIT;
)sql";
constexpr const char* kMigrateInlineResourcesCopy = R"sql(
BEGIN;
INSERT OR IGNORE INTO resources (json) SELECT DISTINCT resource FROM spans_inline_resources;
INSERT OR IGNORE INTO scopes (json) SELECT DISTINCT scope FROM spans_inline_resources;
INSERT OR IGNORE INTO spans (id, trace_id, span_id, parent_span_id, service, name, kind, start_ns,
  end_ns, duration_ns, status_code, status_message, trace_state, flags, scope_id, attributes,
  events, links, resource_id, dropped_attributes, dropped_events, dropped_links)
SELECT o.id, o.trace_id, o.span_id, o.parent_span_id, o.service, o.name, o.kind, o.start_ns,
  o.end_ns, o.duration_ns, o.status_code, o.status_message, o.trace_state, o.flags, sc.id,
  o.attributes, o.events, o.links, r.id, o.dropped_attributes, o.dropped_events, o.dropped_links
FROM spans_inline_resources o JOIN scopes sc ON sc.json = o.scope
  JOIN resources r ON r.json = o.resource;
UPDATE resources SET last_span_id = (SELECT coalesce(max(id), 0) FROM spans);
UPDATE scopes SET last_span_id = (SELECT coalesce(max(id), 0) FROM spans);
DROP TABLE spans_inline_resources;
COMMIT;
)sql";

Result<bool> has_column(Database& db, std::string_view table, std::string_view column) {
  auto st = db.prepare("SELECT 1 FROM pragma_table_info(?) WHERE name = ?");
  if (!st) return st.error();
  st->bind(1, table);
  st->bind(2, column);
  return st->step() == SQLITE_ROW;
}

Result<void> open_schema(Database& db) {
  auto inline_resources = has_column(db, "spans", "resource");
  if (!inline_resources) return inline_resources.error();
  if (*inline_resources) {
    if (auto r = db.exec(kMigrateInlineResourcesStart); !r) {
      (void)db.exec("ROLLBACK");
      return Error{"migrating the span database: " + r.error().message};
    }
  }
  if (auto r = db.exec(kSchema); !r) return r.error();
  auto last_use = has_column(db, "resources", "last_span_id");
  if (!last_use) return last_use.error();
  if (!*last_use) {
    if (auto r = db.exec(kMigrateLastUse); !r) {
      (void)db.exec("ROLLBACK");
      return Error{"migrating the span database: " + r.error().message};
    }
  }
  auto unfinished = has_column(db, "spans_inline_resources", "resource");
  if (!unfinished) return unfinished.error();
  if (*unfinished) {
    if (auto r = db.exec(kMigrateInlineResourcesCopy); !r) {
      (void)db.exec("ROLLBACK");
      return Error{"migrating the span database: " + r.error().message};
    }
  }
  return {};
}

int64_t to_ns(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

StoredSpan span_from_row(const Statement& st) {
  StoredSpan s;
  s.trace_id = st.text_at(0);
  s.span_id = st.text_at(1);
  s.parent_span_id = st.text_at(2);
  s.service = st.text_at(3);
  s.name = st.text_at(4);
  s.kind = static_cast<int>(st.int_at(5));
  s.start_ns = st.int_at(6);
  s.end_ns = st.int_at(7);
  s.status_code = static_cast<int>(st.int_at(8));
  s.status_message = st.text_at(9);
  s.trace_state = st.text_at(10);
  s.flags = static_cast<uint32_t>(st.int_at(11));
  s.scope_json = st.text_at(12);
  s.attributes_json = st.text_at(13);
  s.events_json = st.text_at(14);
  s.links_json = st.text_at(15);
  s.resource_json = st.text_at(16);
  s.dropped_attributes = static_cast<uint32_t>(st.int_at(17));
  s.dropped_events = static_cast<uint32_t>(st.int_at(18));
  s.dropped_links = static_cast<uint32_t>(st.int_at(19));
  return s;
}

Result<uint64_t> used_bytes_of(Database& db) {
  auto pages = db.query_int("PRAGMA page_count");
  auto free_pages = db.query_int("PRAGMA freelist_count");
  auto page_size = db.query_int("PRAGMA page_size");
  if (!pages) return pages.error();
  if (!free_pages) return free_pages.error();
  if (!page_size) return page_size.error();
  return static_cast<uint64_t>((*pages - *free_pages) * *page_size);
}

}  // namespace

namespace {
// When rows arrived: a table of (highest row id, arrival time) rows, ingest_batches for spans
// and log_ingest_batches for log records. A write within the arrival granularity of the newest
// row extends it.
struct ArrivalIndex {
  struct Row {
    int64_t last_id = 0;
    int64_t received_ns = 0;
  };
  Statement insert, extend;
  Row newest;

  Result<void> prepare(Database& db, const std::string& table) {
    auto ins = db.prepare("INSERT INTO " + table + " (last_id, received_ns) VALUES (?,?)");
    if (!ins) return ins.error();
    auto ext = db.prepare("UPDATE " + table + " SET last_id = ?1 WHERE last_id = ?2");
    if (!ext) return ext.error();
    insert = std::move(*ins);
    extend = std::move(*ext);
    if (auto st = db.prepare("SELECT last_id, received_ns FROM " + table +
                             " ORDER BY last_id DESC LIMIT 1")) {
      if (st->step() == SQLITE_ROW) newest = {st->int_at(0), st->int_at(1)};
    }
    return {};
  }

  // Notes that the rows up to `last_id` arrived at `received_ns` (in the writer's transaction).
  void record(Database& db, int64_t last_id, int64_t received_ns, int64_t granularity_ns) {
    bool extended = false;
    if (newest.last_id > 0 && received_ns - newest.received_ns < granularity_ns) {
      extend.bind(1, last_id);
      extend.bind(2, newest.last_id);
      extended = extend.step() == SQLITE_DONE && db.changes() > 0;
      extend.reset();
    }
    if (extended) {
      newest.last_id = last_id;
      return;
    }
    insert.bind(1, last_id);
    insert.bind(2, received_ns);
    insert.step();
    insert.reset();
    newest = {last_id, received_ns};
  }
};

// The rows of `resources` or `scopes`, by their JSON text, as the writer knows them, and which
// of them the current transaction's spans and log records use.
struct InternedJson {
  const char* table;
  Statement insert, select, touch_spans, touch_logs;
  std::unordered_map<std::string, int64_t> ids;
  // The previous lookup: consecutive spans nearly always share their resource and scope. The
  // records of one request share the very text (no comparison at all); another request's equal
  // text is compared once, which is cheaper than hashing it.
  SharedJson last_json;
  int64_t last_id = 0;
  std::unordered_set<int64_t> used_by_spans, used_by_logs;  // in this transaction

  Result<void> prepare(Database& db) {
    auto ins = db.prepare(std::string("INSERT OR IGNORE INTO ") + table + " (json) VALUES (?)");
    if (!ins) return ins.error();
    auto sel = db.prepare(std::string("SELECT id FROM ") + table + " WHERE json = ?");
    if (!sel) return sel.error();
    auto ts = db.prepare(std::string("UPDATE ") + table + " SET last_span_id = ?1 WHERE id = ?2");
    if (!ts) return ts.error();
    auto tl = db.prepare(std::string("UPDATE ") + table + " SET last_log_id = ?1 WHERE id = ?2");
    if (!tl) return tl.error();
    insert = std::move(*ins);
    select = std::move(*sel);
    touch_spans = std::move(*ts);
    touch_logs = std::move(*tl);
    return {};
  }

  // The id of the row holding `json`, added when there is none (inside the writer's
  // transaction, so a rolled-back batch must forget() what it added).
  Result<int64_t> id_of(const SharedJson& json) {
    if (last_id != 0 && json == last_json) return last_id;
    auto id = lookup(json.str());
    if (!id) return id;
    last_json = json;
    last_id = *id;
    return id;
  }
  // Before the commit: the rows used in this transaction were last used by spans up to
  // `last_span_id` and log records up to `last_log_id`.
  Result<void> record_use(int64_t last_span_id, int64_t last_log_id) {
    for (auto [used, statement, last] : {std::tuple{&used_by_spans, &touch_spans, last_span_id},
                                         std::tuple{&used_by_logs, &touch_logs, last_log_id}}) {
      for (const int64_t id : *used) {
        statement->bind(1, last);
        statement->bind(2, id);
        const int rc = statement->step();
        statement->reset();
        if (rc != SQLITE_DONE) return Error{std::string("SQLite could not update ") + table};
      }
      used->clear();
    }
    return {};
  }
  void forget() {
    ids.clear();
    last_id = 0;
    last_json = {};
    used_by_spans.clear();
    used_by_logs.clear();
  }

 private:
  Result<int64_t> lookup(const std::string& json) {
    if (auto it = ids.find(json); it != ids.end()) return it->second;
    insert.bind(1, json);
    const int rc = insert.step();
    insert.reset();
    if (rc != SQLITE_DONE) return Error{std::string("SQLite could not add to ") + table};
    select.bind(1, json);
    const bool found = select.step() == SQLITE_ROW;
    const int64_t id = found ? select.int_at(0) : 0;
    select.reset();
    if (!found) return Error{std::string("SQLite lost a row of ") + table};
    ids.emplace(json, id);
    return id;
  }
};

// The resource and scope rows one span or log record refers to.
struct Refs {
  int64_t resource = 0, scope = 0;
};

// Resources and scopes together, as spans and log records use them.
struct SharedRows {
  InternedJson resources{"resources", {}, {}, {}, {}, {}};
  InternedJson scopes{"scopes", {}, {}, {}, {}, {}};

  Result<void> prepare(Database& db) {
    if (auto r = resources.prepare(db); !r) return r;
    return scopes.prepare(db);
  }
  Result<Refs> refs_of(const SharedJson& resource_json, const SharedJson& scope_json) {
    auto resource = resources.id_of(resource_json);
    if (!resource) return resource.error();
    auto scope = scopes.id_of(scope_json);
    if (!scope) return scope.error();
    return Refs{*resource, *scope};
  }
  void used_by_span(Refs refs) {
    resources.used_by_spans.insert(refs.resource);
    scopes.used_by_spans.insert(refs.scope);
  }
  void used_by_log(Refs refs) {
    resources.used_by_logs.insert(refs.resource);
    scopes.used_by_logs.insert(refs.scope);
  }
  Result<void> record_use(int64_t last_span_id, int64_t last_log_id) {
    if (auto r = resources.record_use(last_span_id, last_log_id); !r) return r;
    return scopes.record_use(last_span_id, last_log_id);
  }
  void forget() {
    resources.forget();
    scopes.forget();
  }
};
}  // namespace

namespace {
constexpr const char* kQueryTimeoutPrefix = "the query ran past its time budget";
constexpr const char* kStoreBusyPrefix = "too many searches at once";

// The operations (service \0 name \0 kind) the writer knows are in the table, so that a span of
// a known one costs no INSERT. Only a cache: past its byte bound it starts over, since
// exporters choose how many distinct (and how long) names arrive.
class KnownOperations {
 public:
  // True when `key` was not known (the caller inserts it into the table).
  bool learn(const std::string& key) {
    if (keys_.contains(key)) return false;
    const size_t cost = key.size() + kEntryOverhead;
    if (bytes_ + cost > kMaxBytes) clear();
    keys_.insert(key);
    bytes_ += cost;
    return true;
  }
  void clear() {
    keys_.clear();
    bytes_ = 0;
  }

 private:
  static constexpr size_t kMaxBytes = 8u << 20;
  static constexpr size_t kEntryOverhead = 64;  // the node and the string's own bytes
  std::unordered_set<std::string> keys_;
  size_t bytes_ = 0;
};

}  // namespace

struct SpanStore::Writer {
  Database db;
  Statement insert_span, insert_operation, insert_log;
  SharedRows shared;  // resources and scopes
  ArrivalIndex span_arrivals, log_arrivals;
  KnownOperations known_operations;
  int64_t last_received_ns = 0;
  // Set by retention (holding the write turn) when it deleted operations, resources or scopes
  // that the caches above may still name; the writer clears them before its next transaction.
  bool caches_stale = false;
};

struct SpanStore::Reader {
  Database db;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  std::chrono::milliseconds budget{0};

  // SQLite calls this every few thousand virtual-machine steps; non-zero interrupts the query.
  static int past_deadline(void* self) {
    return std::chrono::steady_clock::now() > static_cast<Reader*>(self)->deadline ? 1 : 0;
  }
  // The error of a failed step: a timeout when the progress handler interrupted it.
  Error step_error(const Statement& st) const {
    if (sqlite3_errcode(db.handle()) == SQLITE_INTERRUPT) {
      return Error{std::string(kQueryTimeoutPrefix) + " of " + std::to_string(budget.count()) +
                   " ms; narrow the search (service, operation, a shorter time range)"};
    }
    return Error{"SQLite: " + st.error()};
  }
};

struct SpanStore::Retainer {
  Database db;
};

struct SpanStore::RetentionRequest {
  int64_t now_ns = 0;
  bool done = false;
  Result<int64_t> result{int64_t{0}};
};

// A read connection taken from the pool for one query, given back when it goes out of scope;
// or, when none could be had, the reason (a lease that converts to false).
class SpanStore::ReaderLease {
 public:
  ReaderLease(SpanStore& store, Reader& reader, bool search,
              std::chrono::steady_clock::time_point deadline)
      : store_(store), reader_(&reader), search_(search) {
    // The query's budget counts from the call, so the time spent waiting for this connection
    // is taken out of it.
    reader.budget = store.options_.query_budget;
    reader.deadline = deadline;
  }
  ReaderLease(SpanStore& store, Error error) : store_(store), error_(std::move(error)) {}
  ReaderLease(const ReaderLease&) = delete;
  ReaderLease& operator=(const ReaderLease&) = delete;
  ~ReaderLease() {
    if (!reader_) return;
    {
      std::lock_guard lock(store_.mu_);
      store_.free_readers_.push_back(reader_);
      if (search_) --store_.searches_running_;
    }
    // Every waiter: a search may be waiting for a search slot and a lookup for any connection,
    // and notify_one could wake the one that still cannot go.
    store_.reader_free_.notify_all();
  }
  explicit operator bool() const { return reader_ != nullptr; }
  const Error& error() const { return error_; }
  Reader& operator*() const { return *reader_; }
  Reader* operator->() const { return reader_; }

 private:
  SpanStore& store_;
  Reader* reader_ = nullptr;
  bool search_ = false;
  Error error_;
};

bool is_query_timeout(const Error& error) {
  return error.message.starts_with(kQueryTimeoutPrefix);
}

bool is_store_busy(const Error& error) {
  return error.message.starts_with(kStoreBusyPrefix);
}

SpanStore::SpanStore(StoreOptions options) : options_(std::move(options)) {}

Result<std::unique_ptr<SpanStore>> SpanStore::open(StoreOptions options) {
  if (options.path.empty()) return Error{"the span database path is empty"};
  std::unique_ptr<SpanStore> store(new SpanStore(std::move(options)));
  auto w = std::make_unique<Writer>();
  if (auto r = w->db.open(store->options_.path, false); !r) return r.error();
  if (auto r = open_schema(w->db); !r) return r.error();
  // WAL with synchronous=NORMAL: a commit is in the WAL file (the kernel has it) when COMMIT
  // returns, so a crash of the process loses nothing committed; a power cut may lose the last
  // transactions, never corrupt the file.
  if (auto r = w->db.exec("PRAGMA synchronous = NORMAL"); !r) return r.error();
  // The writer's page cache holds the indexes' hot pages between transactions (SQLite's 2 MB
  // default made it read them back from the file at every commit), and a checkpoint runs once
  // the WAL holds about 64 MiB rather than 4 MiB: a page that many commits rewrite (an index
  // page of random trace ids) is copied into the file once per checkpoint, and each checkpoint
  // costs an fsync. Both are measured in docs/benchmarks-notes.md.
  auto page_size = w->db.query_int("PRAGMA page_size");
  if (!page_size) return page_size.error();
  if (auto r = w->db.exec("PRAGMA cache_size = -32768; PRAGMA wal_autocheckpoint = " +
                          std::to_string((64 << 20) / std::max<int64_t>(*page_size, 512)));
      !r) {
    return r.error();
  }
  auto ins = w->db.prepare(kInsertSpan);
  if (!ins) return ins.error();
  if (auto r = w->shared.prepare(w->db); !r) return r.error();
  w->insert_span = std::move(*ins);
  auto ins_log = w->db.prepare(kInsertLog);
  if (!ins_log) return ins_log.error();
  w->insert_log = std::move(*ins_log);
  auto op = w->db.prepare("INSERT OR IGNORE INTO operations (service, name, kind) VALUES (?,?,?)");
  if (!op) return op.error();
  w->insert_operation = std::move(*op);
  // Log records written before their arrival was kept (they went by their own time) count as
  // arriving now.
  if (auto st = w->db.prepare(
          "INSERT INTO log_ingest_batches (last_id, received_ns) SELECT id, ?1 FROM logs "
          "WHERE NOT EXISTS (SELECT 1 FROM log_ingest_batches) ORDER BY id DESC LIMIT 1")) {
    st->bind(1, to_ns(std::chrono::system_clock::now()));
    if (st->step() != SQLITE_DONE) return Error{"SQLite: " + st->error()};
  } else {
    return st.error();
  }
  if (auto r = w->span_arrivals.prepare(w->db, "ingest_batches"); !r) return r.error();
  if (auto r = w->log_arrivals.prepare(w->db, "log_ingest_batches"); !r) return r.error();
  w->last_received_ns =
      std::max(w->span_arrivals.newest.received_ns, w->log_arrivals.newest.received_ns);
  store->writer_ = std::move(w);

  auto retainer = std::make_unique<Retainer>();
  if (auto r = retainer->db.open(store->options_.path, false); !r) return r.error();
  if (auto r = retainer->db.exec("PRAGMA synchronous = NORMAL"); !r) return r.error();
  store->retainer_ = std::move(retainer);

  const size_t readers = std::max<size_t>(1, store->options_.read_connections);
  // All but one by default: the one left is for lookups, however many searches run.
  store->search_slots_ = std::clamp<size_t>(
      store->options_.search_connections > 0 ? store->options_.search_connections : readers - 1, 1,
      readers);
  for (size_t i = 0; i < readers; ++i) {
    auto reader = std::make_unique<Reader>();
    if (auto r = reader->db.open(store->options_.path, true); !r) return r.error();
    sqlite3_progress_handler(reader->db.handle(), 4000, &Reader::past_deadline, reader.get());
    store->free_readers_.push_back(reader.get());
    store->readers_.push_back(std::move(reader));
  }
  store->thread_ = std::thread([s = store.get()] { s->writer_loop(); });
  store->retention_thread_ = std::thread([s = store.get()] { s->retention_loop(); });
  return store;
}

SpanStore::~SpanStore() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_writer_.notify_all();
  wake_retention_.notify_all();
  if (retention_thread_.joinable()) retention_thread_.join();
  if (thread_.joinable()) thread_.join();
}

SpanStore::ReaderLease SpanStore::lease_reader(ReadKind kind) {
  const auto budget = options_.query_budget;
  const auto deadline = budget.count() > 0 ? std::chrono::steady_clock::now() + budget
                                           : std::chrono::steady_clock::time_point::max();
  const bool search = kind == ReadKind::kSearch;
  std::unique_lock lock(mu_);
  // A search that would only queue behind as many waiting searches as may run is refused now:
  // each waiting search holds one of the HTTP server's workers, and lookups need some too.
  if (search && searches_waiting_ >= search_slots_) {
    ++stats_.searches_refused;
    return ReaderLease(
        *this, Error{std::string(kStoreBusyPrefix) + ": " + std::to_string(searches_running_) +
                     " run and " + std::to_string(searches_waiting_) +
                     " wait for a read connection; try again shortly"});
  }
  auto can_go = [&] {
    return !free_readers_.empty() && (!search || searches_running_ < search_slots_);
  };
  if (search) ++searches_waiting_;
  bool leased = true;
  if (deadline == std::chrono::steady_clock::time_point::max()) {
    reader_free_.wait(lock, can_go);
  } else {
    leased = reader_free_.wait_until(lock, deadline, can_go);
  }
  if (search) --searches_waiting_;
  if (!leased) {
    return ReaderLease(
        *this, Error{std::string(kQueryTimeoutPrefix) + " of " + std::to_string(budget.count()) +
                     " ms waiting for a read connection (other queries held "
                     "them all); try again shortly"});
  }
  if (search) ++searches_running_;
  Reader* r = free_readers_.back();
  free_readers_.pop_back();
  lock.unlock();
  return ReaderLease(*this, *r, search, deadline);
}

bool SpanStore::submit(std::vector<StoredSpan> spans, OnWritten on_written) {
  uint64_t bytes = 0;
  SharedJsonBytes shared;
  for (const StoredSpan& sp : spans)
    bytes += span_memory_bytes(sp) + shared.add(sp.resource_json, sp.scope_json);
  const size_t items = spans.size();
  return enqueue({std::move(spans), {}, std::move(on_written), bytes}, items);
}

bool SpanStore::submit_logs(std::vector<StoredLog> logs, OnWritten on_written) {
  uint64_t bytes = 0;
  SharedJsonBytes shared;
  for (const StoredLog& l : logs)
    bytes += log_memory_bytes(l) + shared.add(l.resource_json, l.scope_json);
  const size_t items = logs.size();
  return enqueue({{}, std::move(logs), std::move(on_written), bytes}, items);
}

bool SpanStore::enqueue(Pending pending, size_t items) {
  if (items == 0) {
    if (pending.on_written) pending.on_written(true);
    return true;
  }
  const uint64_t bytes = pending.bytes;
  {
    std::lock_guard lock(mu_);
    // One request larger than the byte bound still goes through an empty queue; otherwise it
    // could never be written.
    const bool over_bytes = queued_bytes_ > 0 && queued_bytes_ + bytes > options_.max_queued_bytes;
    if (queued_spans_ + items > options_.max_queued_spans || over_bytes || stopping_) {
      (pending.logs.empty() ? stats_.spans_refused : stats_.logs_refused) += items;
      return false;
    }
    queued_spans_ += items;
    queued_bytes_ += bytes;
    queue_.push_back(std::move(pending));
    ++submitted_batches_;
  }
  wake_writer_.notify_one();
  return true;
}

WriteOutcome SpanStore::submit_and_wait(std::vector<StoredSpan> spans,
                                        std::chrono::milliseconds timeout) {
  return wait_for_commit(timeout,
                         [&](OnWritten done) { return submit(std::move(spans), std::move(done)); });
}

WriteOutcome SpanStore::submit_logs_and_wait(std::vector<StoredLog> logs,
                                             std::chrono::milliseconds timeout) {
  return wait_for_commit(
      timeout, [&](OnWritten done) { return submit_logs(std::move(logs), std::move(done)); });
}

WriteOutcome SpanStore::wait_for_commit(std::chrono::milliseconds timeout,
                                        const std::function<bool(OnWritten)>& submit_one) {
  struct Wait {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<bool> committed;
  };
  auto wait = std::make_shared<Wait>();
  const bool queued = submit_one([wait](bool committed) {
    {
      std::lock_guard lock(wait->mu);
      wait->committed = committed;
    }
    wait->cv.notify_all();
  });
  if (!queued) return WriteOutcome::kRefused;
  std::unique_lock lock(wait->mu);
  if (!wait->cv.wait_for(lock, timeout, [&] { return wait->committed.has_value(); }))
    return WriteOutcome::kTimedOut;
  return *wait->committed ? WriteOutcome::kCommitted : WriteOutcome::kFailed;
}

bool SpanStore::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  const uint64_t target = submitted_batches_;
  return written_.wait_for(lock, timeout, [&] { return written_batches_ >= target; });
}

StoreStats SpanStore::stats() const {
  std::lock_guard lock(mu_);
  StoreStats s = stats_;
  s.searches_running = searches_running_;
  s.searches_waiting = searches_waiting_;
  return s;
}

namespace {

// Inserts every span of `batches` in one transaction; returns {written, duplicates}.
template <class Batches>
Result<std::pair<uint64_t, uint64_t>> write_batches(
    Database& db, Statement& insert, SharedRows& shared, Statement& insert_operation,
    ArrivalIndex& span_arrivals, ArrivalIndex& log_arrivals, int64_t granularity_ns,
    KnownOperations& known_operations, int64_t received_ns, Statement& insert_log,
    uint64_t& logs_written, const Batches& batches) {
  if (auto r = db.exec("BEGIN IMMEDIATE"); !r) return r.error();
  auto fail = [&](Error e) -> Error {
    (void)db.exec("ROLLBACK");
    shared.forget();  // ids added in this transaction are gone with it
    known_operations.clear();
    return e;
  };
  uint64_t written = 0, duplicates = 0;
  int64_t last_span_rowid = 0, last_log_rowid = 0;
  std::string op_key;
  for (const auto& pending : batches) {
    for (const StoredSpan& s : pending.spans) {
      auto refs = shared.refs_of(s.resource_json, s.scope_json);
      if (!refs) return fail(refs.error());
      insert.bind(1, s.trace_id);
      insert.bind(2, s.span_id);
      insert.bind(3, s.parent_span_id);
      insert.bind(4, s.service);
      insert.bind(5, s.name);
      insert.bind(6, s.kind);
      insert.bind(7, s.start_ns);
      insert.bind(8, s.end_ns);
      insert.bind(9, s.status_code);
      insert.bind(10, s.status_message);
      insert.bind(11, s.trace_state);
      insert.bind(12, static_cast<int64_t>(s.flags));
      insert.bind(13, refs->scope);
      insert.bind(14, s.attributes_json);
      insert.bind(15, s.events_json);
      insert.bind(16, s.links_json);
      insert.bind(17, refs->resource);
      insert.bind(18, static_cast<int64_t>(s.dropped_attributes));
      insert.bind(19, static_cast<int64_t>(s.dropped_events));
      insert.bind(20, static_cast<int64_t>(s.dropped_links));
      insert.bind(21, s.duration_ns());
      const int rc = insert.step();
      insert.reset();
      if (rc != SQLITE_DONE)
        return fail(Error{"SQLite could not insert a span: " + insert.error()});
      if (db.changes() == 0) {
        ++duplicates;
        continue;
      }
      ++written;
      last_span_rowid = sqlite3_last_insert_rowid(db.handle());
      shared.used_by_span(*refs);
      op_key.assign(s.service).push_back('\0');
      op_key.append(s.name).push_back('\0');
      op_key.append(std::to_string(s.kind));
      if (known_operations.learn(op_key)) {
        insert_operation.bind(1, s.service);
        insert_operation.bind(2, s.name);
        insert_operation.bind(3, s.kind);
        insert_operation.step();
        insert_operation.reset();
      }
    }
  }
  // At most one row per granularity: a busy collector writes many transactions a second.
  if (written > 0) span_arrivals.record(db, last_span_rowid, received_ns, granularity_ns);
  // Log records after the spans' bookkeeping above, which reads the last span row id.
  for (const auto& pending : batches) {
    for (const StoredLog& l : pending.logs) {
      auto refs = shared.refs_of(l.resource_json, l.scope_json);
      if (!refs) return fail(refs.error());
      insert_log.bind(1, l.time_ns);
      insert_log.bind(2, l.observed_ns);
      insert_log.bind(3, l.trace_id);
      insert_log.bind(4, l.span_id);
      insert_log.bind(5, static_cast<int64_t>(l.severity_number));
      insert_log.bind(6, l.severity_text);
      insert_log.bind(7, l.body);
      insert_log.bind(8, l.event_name);
      insert_log.bind(9, static_cast<int64_t>(l.flags));
      insert_log.bind(10, l.service);
      insert_log.bind(11, l.correlation_id);
      insert_log.bind(12, l.attributes_json);
      insert_log.bind(13, static_cast<int64_t>(l.dropped_attributes));
      insert_log.bind(14, refs->scope);
      insert_log.bind(15, refs->resource);
      const int rc = insert_log.step();
      insert_log.reset();
      if (rc != SQLITE_DONE)
        return fail(Error{"SQLite could not insert a log record: " + insert_log.error()});
      ++logs_written;
      last_log_rowid = sqlite3_last_insert_rowid(db.handle());
      shared.used_by_log(*refs);
    }
  }
  if (last_log_rowid > 0) log_arrivals.record(db, last_log_rowid, received_ns, granularity_ns);
  if (auto r = shared.record_use(last_span_rowid, last_log_rowid); !r) return fail(r.error());
  if (auto r = db.exec("COMMIT"); !r) return fail(r.error());
  return std::pair{written, duplicates};
}

// After a batch this large the writer gives the freed memory back to the system once it has had
// nothing to write for kTrimAfterQuiet. A burst of large requests is received, decoded and freed
// across several threads' malloc arenas, and glibc trims only the top of each heap: without
// this the collector stayed ~80 MiB larger for good after one burst. Waiting for a quiet
// moment keeps the trim (a few milliseconds, holding each arena's lock in turn) off a busy
// writer.
constexpr uint64_t kLargeBatchBytes = 4ull << 20;
constexpr auto kTrimAfterQuiet = std::chrono::milliseconds(500);

void give_freed_memory_back() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

}  // namespace

void SpanStore::writer_loop() {
  std::unique_lock lock(mu_);
  bool trim_owed = false;
  const auto has_work = [&] { return stopping_ || !queue_.empty(); };
  while (true) {
    if (!trim_owed) {
      wake_writer_.wait(lock, has_work);
    } else if (!wake_writer_.wait_for(lock, kTrimAfterQuiet, has_work)) {
      lock.unlock();
      give_freed_memory_back();
      lock.lock();
      trim_owed = false;
      continue;
    }
    if (queue_.empty()) break;  // stopping, and everything is written
    std::deque<Pending> batches;
    batches.swap(queue_);
    const size_t n = queued_spans_;
    const uint64_t bytes = queued_bytes_;
    const size_t batch_count = batches.size();
    lock.unlock();
    Writer& w = *writer_;
    Result<std::pair<uint64_t, uint64_t>> result = std::pair<uint64_t, uint64_t>{0, 0};
    uint64_t logs_written = 0;
    {
      std::lock_guard turn(write_turn_);
      if (w.caches_stale) {
        w.known_operations.clear();
        w.shared.forget();
        w.caches_stale = false;
      }
      w.last_received_ns = std::max(w.last_received_ns, to_ns(std::chrono::system_clock::now()));
      result = write_batches(
          w.db, w.insert_span, w.shared, w.insert_operation, w.span_arrivals, w.log_arrivals,
          std::chrono::duration_cast<std::chrono::nanoseconds>(options_.arrival_granularity)
              .count(),
          w.known_operations, w.last_received_ns, w.insert_log, logs_written, batches);
    }
    if (!result) std::fprintf(stderr, "tracekit-collector: %s\n", result.error().message.c_str());
    for (Pending& p : batches) {
      if (p.on_written) p.on_written(result.ok());
      std::vector<StoredSpan>().swap(p.spans);  // free the spans before taking the lock again
      std::vector<StoredLog>().swap(p.logs);
    }
    batches.clear();
    lock.lock();
    queued_spans_ -= n;
    queued_bytes_ -= bytes;
    written_batches_ += batch_count;
    if (result) {
      stats_.spans_written += result->first;
      stats_.logs_written += logs_written;
      stats_.duplicates += result->second;
    } else {
      ++stats_.write_errors;
    }
    written_.notify_all();
    trim_owed = trim_owed || bytes >= kLargeBatchBytes;
  }
}

void SpanStore::retention_loop() {
  auto next = std::chrono::steady_clock::now() + options_.retention_interval;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    wake_retention_.wait_until(lock, next,
                               [&] { return stopping_ || !retention_requests_.empty(); });
    if (stopping_) break;
    if (!retention_requests_.empty()) {
      auto request = retention_requests_.front();
      retention_requests_.pop_front();
      lock.unlock();
      auto result = retain(request->now_ns);
      lock.lock();
      request->result = std::move(result);
      request->done = true;
      written_.notify_all();
      continue;
    }
    if (std::chrono::steady_clock::now() < next) continue;
    lock.unlock();
    auto deleted = retain(to_ns(std::chrono::system_clock::now()));
    if (!deleted)
      std::fprintf(stderr, "tracekit-collector: retention: %s\n", deleted.error().message.c_str());
    lock.lock();
    next = std::chrono::steady_clock::now() + options_.retention_interval;
  }
  // Requests still waiting get an answer.
  for (auto& r : retention_requests_) {
    r->result = Error{"the store is closing"};
    r->done = true;
  }
  retention_requests_.clear();
  written_.notify_all();
}

Result<int64_t> SpanStore::run_retention(std::chrono::system_clock::time_point now) {
  auto request = std::make_shared<RetentionRequest>();
  request->now_ns = to_ns(now);
  std::unique_lock lock(mu_);
  if (stopping_) return Error{"the store is closing"};
  retention_requests_.push_back(request);
  wake_retention_.notify_one();
  written_.wait(lock, [&] { return request->done; });
  return request->result;
}

namespace {
// Deletes the rows of `resources` or `scopes` that no span or log record refers to any more.
std::string unused_rows(const std::string& table) {
  return "DELETE FROM " + table +
         " WHERE last_span_id < (SELECT coalesce(min(id), 1 << 62) FROM spans) AND "
         "last_log_id < (SELECT coalesce(min(id), 1 << 62) FROM logs); ";
}
}  // namespace

// Runs on the retention thread, with its own connection. Every change is a small transaction
// taken in turn with the writer (write_turn_), so a new batch waits for one step at most.
Result<int64_t> SpanStore::retain(int64_t now_ns) {
  Database& db = retainer_->db;
  int64_t deleted = 0;
  auto stopping = [&] {
    std::lock_guard lock(mu_);
    return stopping_;
  };
  // Deletes the spans with id <= last_id, oldest first, a step at a time.
  // Runs a DELETE of at most `limit` rows (its last parameter; `bind` sets the others) a step at
  // a time, each step in turn with the writer, until a step deletes less than it could or
  // `max_rows` are gone. Spans and log records both go this way.
  auto delete_in_steps =
      [&](const char* sql, const std::function<void(Statement&)>& bind, int limit_param,
          int64_t max_rows = std::numeric_limits<int64_t>::max()) -> Result<int64_t> {
    auto del = db.prepare(sql);
    if (!del) return del.error();
    int64_t total = 0;
    while (!stopping() && total < max_rows) {
      std::lock_guard turn(write_turn_);
      const int64_t limit = std::min(options_.retention_step, max_rows - total);
      bind(*del);
      del->bind(limit_param, limit);
      const int rc = del->step();
      del->reset();
      if (rc != SQLITE_DONE) return Error{"SQLite retention: " + del->error()};
      const int64_t n = db.changes();
      total += n;
      if (n < limit) break;
    }
    return total;
  };
  // Deletes the spans with id <= last_id, oldest first.
  auto delete_through = [&](int64_t last_id) -> Result<void> {
    auto n = delete_in_steps(
        "DELETE FROM spans WHERE id IN (SELECT id FROM spans WHERE id <= ?1 ORDER BY id LIMIT ?2)",
        [&](Statement& st) { st.bind(1, last_id); }, 2);
    if (!n) return n.error();
    deleted += *n;
    return {};
  };
  auto exec_in_turn = [&](const std::string& sql) {
    std::lock_guard turn(write_turn_);
    return db.exec(sql);
  };
  // Deletes log records in arrival order: those with id <= `last_id`, or the first `count`.
  int64_t logs_deleted = 0;
  auto delete_logs = [&](bool by_count, int64_t arg) -> Result<void> {
    auto n = by_count
                 ? delete_in_steps(
                       "DELETE FROM logs WHERE id IN (SELECT id FROM logs ORDER BY id LIMIT ?1)",
                       [](Statement&) {}, 1, arg)
                 : delete_in_steps(
                       "DELETE FROM logs WHERE id IN (SELECT id FROM logs WHERE id <= ?1 "
                       "ORDER BY id LIMIT ?2)",
                       [&](Statement& st) { st.bind(1, arg); }, 2);
    if (!n) return n.error();
    logs_deleted += *n;
    return {};
  };
  // The highest row id that arrived before `cutoff_ns`, by `table`'s arrival rows; 0 for none.
  auto arrived_before = [&](const char* table, int64_t cutoff_ns) -> Result<int64_t> {
    auto st =
        db.prepare(std::string("SELECT max(last_id) FROM ") + table + " WHERE received_ns < ?");
    if (!st) return st.error();
    st->bind(1, cutoff_ns);
    return st->step() == SQLITE_ROW ? st->int_at(0) : 0;  // NULL: nothing that old
  };

  if (options_.max_age.count() > 0) {
    const int64_t cutoff =
        now_ns - std::chrono::duration_cast<std::chrono::nanoseconds>(options_.max_age).count();
    auto last_span = arrived_before("ingest_batches", cutoff);
    if (!last_span) return last_span.error();
    if (*last_span > 0) {
      if (auto r = delete_through(*last_span); !r) return r.error();
      if (auto r = exec_in_turn("DELETE FROM ingest_batches WHERE last_id <= " +
                                std::to_string(*last_span));
          !r) {
        return r.error();
      }
    }
    // Log records by arrival too, like spans: records with old timestamps (replays, imports)
    // stay their full age, and a trace keeps its logs as long as its spans.
    auto last_log = arrived_before("log_ingest_batches", cutoff);
    if (!last_log) return last_log.error();
    if (*last_log > 0) {
      if (auto r = delete_logs(/*by_count=*/false, *last_log); !r) return r.error();
      if (auto r = exec_in_turn("DELETE FROM log_ingest_batches WHERE last_id <= " +
                                std::to_string(*last_log));
          !r) {
        return r.error();
      }
    }
  }
  if (options_.max_bytes > 0) {
    const auto target = static_cast<uint64_t>(static_cast<double>(options_.max_bytes) * 0.9);
    for (int round = 0; round < 8 && !stopping(); ++round) {
      auto used = used_bytes_of(db);
      if (!used) return used.error();
      if (*used <= options_.max_bytes && round == 0) break;
      if (*used <= target) break;
      auto total = db.query_int("SELECT count(*) FROM spans");
      if (!total) return total.error();
      auto total_logs = db.query_int("SELECT count(*) FROM logs");
      if (!total_logs) return total_logs.error();
      if (*total == 0 && *total_logs == 0) break;
      // Rows are about the same size, so delete the share of spans and of log records that is
      // over the target, oldest first.
      const double share = static_cast<double>(*used - target) / static_cast<double>(*used);
      if (*total_logs > 0) {
        const auto n_logs = std::max<int64_t>(
            1, static_cast<int64_t>(std::ceil(share * static_cast<double>(*total_logs))));
        if (auto r = delete_logs(/*by_count=*/true, n_logs); !r) {
          return r.error();
        }
      }
      if (*total == 0) continue;
      const auto n = std::max<int64_t>(
          1, static_cast<int64_t>(std::ceil(share * static_cast<double>(*total))));
      auto cut = db.prepare("SELECT id FROM spans ORDER BY id LIMIT 1 OFFSET ?");
      if (!cut) return cut.error();
      cut->bind(1, std::min(n, *total) - 1);
      if (cut->step() != SQLITE_ROW) break;
      const int64_t last_id = cut->int_at(0);
      cut->reset();
      if (auto r = delete_through(last_id); !r) return r.error();
    }
    if (auto r =
            exec_in_turn("DELETE FROM ingest_batches WHERE last_id < (SELECT coalesce(min(id), "
                         "1 << 62) FROM spans); DELETE FROM log_ingest_batches WHERE last_id < "
                         "(SELECT coalesce(min(id), 1 << 62) FROM logs)");
        !r) {
      return r.error();
    }
  }
  if (deleted > 0 || logs_deleted > 0) {
    {
      std::lock_guard turn(write_turn_);
      // Operations whose last span went (an index probe each), and resources and scopes whose
      // last use is older than every span and log record left (retention deletes rows in id
      // order, except log records by age, which only keeps a resource longer); the writer's
      // caches of them are rebuilt from what is left.
      if (auto r =
              db.exec("BEGIN; DELETE FROM operations WHERE NOT EXISTS (SELECT 1 FROM spans s WHERE "
                      "s.service = operations.service AND s.name = operations.name AND s.kind = "
                      "operations.kind); " +
                      unused_rows("resources") + unused_rows("scopes") + "COMMIT");
          !r) {
        (void)db.exec("ROLLBACK");
        return r.error();
      }
      writer_->caches_stale = true;
    }
    // Give the freed pages back to the file system, so the file shrinks too: a few hundred
    // pages per step (each step moves pages from the end of the file into the holes).
    while (!stopping()) {
      auto free_pages = db.query_int("PRAGMA freelist_count");
      if (!free_pages) return free_pages.error();
      if (*free_pages == 0) break;
      if (auto r = exec_in_turn("PRAGMA incremental_vacuum(512)"); !r) return r.error();
    }
    // A passive checkpoint copies the WAL back and truncates the file without taking the write
    // lock; it never waits for readers.
    if (auto r = db.exec("PRAGMA wal_checkpoint(PASSIVE)"); !r) return r.error();
    std::lock_guard lock(mu_);
    stats_.spans_deleted += static_cast<uint64_t>(deleted);
    stats_.logs_deleted += static_cast<uint64_t>(logs_deleted);
  }
  return deleted;
}

// ---- queries (the read connection) ----

namespace {

// What one more entry of a list costs against its byte budget: its text and about as much JSON
// around it as the API writes.
constexpr size_t kListEntryOverhead = 32;

bool over_budget(size_t bytes, size_t max_bytes) {
  return max_bytes != 0 && bytes > max_bytes;
}

}  // namespace

Result<Listing<std::string>> SpanStore::services(size_t max_bytes) {
  ReaderLease reader = lease_reader(ReadKind::kLookup);
  if (!reader) return reader.error();
  auto st = reader->db.prepare("SELECT DISTINCT service FROM operations ORDER BY service");
  if (!st) return st.error();
  Listing<std::string> out;
  size_t bytes = 0;
  int rc;
  while ((rc = st->step()) == SQLITE_ROW) {
    std::string service = st->text_at(0);
    bytes += service.size() + kListEntryOverhead;
    if (over_budget(bytes, max_bytes)) {
      out.truncated = true;
      return out;
    }
    out.items.push_back(std::move(service));
  }
  if (rc != SQLITE_DONE) return reader->step_error(*st);
  return out;
}

Result<Listing<Operation>> SpanStore::operations(const std::string& service, size_t max_bytes) {
  ReaderLease reader = lease_reader(ReadKind::kLookup);
  if (!reader) return reader.error();
  auto st =
      reader->db.prepare("SELECT name, kind FROM operations WHERE service = ? ORDER BY name, kind");
  if (!st) return st.error();
  st->bind(1, service);
  Listing<Operation> out;
  size_t bytes = 0;
  int rc;
  while ((rc = st->step()) == SQLITE_ROW) {
    Operation op{st->text_at(0), static_cast<int>(st->int_at(1))};
    bytes += op.name.size() + kListEntryOverhead;
    if (over_budget(bytes, max_bytes)) {
      out.truncated = true;
      return out;
    }
    out.items.push_back(std::move(op));
  }
  if (rc != SQLITE_DONE) return reader->step_error(*st);
  return out;
}

namespace {

// The text of an OTLP/JSON AnyValue as a user types it: strings as they are, numbers in decimal,
// booleans as true/false.
constexpr const char* kAttributeMatch =
    "(SELECT 1 FROM json_each(%s) a WHERE json_extract(a.value, '$.key') = ? AND coalesce("
    "json_extract(a.value, '$.value.stringValue'), json_extract(a.value, '$.value.intValue'), "
    "CAST(json_extract(a.value, '$.value.doubleValue') AS TEXT), "
    "CASE json_type(a.value, '$.value.boolValue') WHEN 'true' THEN 'true' WHEN 'false' THEN "
    "'false' END) = ?)";

std::string attribute_match(const char* column) {
  char buf[600];
  std::snprintf(buf, sizeof buf, kAttributeMatch, column);
  return buf;
}

}  // namespace

Result<Listing<TraceSummary>> SpanStore::find_traces(const TraceQuery& q, size_t max_bytes) {
  // Matching spans newest first, read only until `limit` distinct traces are found: the newest
  // traces cost the same however many spans the store holds. A service without an operation
  // is filtered row by row ("+service" keeps SQLite off the service index) so the scan can
  // follow the start-time index and stop early; service and operation together use their own
  // index, which is ordered by start time too.
  std::string sql = "SELECT trace_id FROM spans s WHERE 1";
  if (!q.service.empty()) sql += q.operation.empty() ? " AND +service = ?" : " AND service = ?";
  if (!q.operation.empty()) sql += " AND name = ?";
  if (q.min_duration_ns) sql += " AND duration_ns >= ?";
  if (q.max_duration_ns) sql += " AND duration_ns <= ?";
  if (q.errors_only) sql += " AND status_code = 2";
  if (q.start_ns) sql += " AND start_ns >= ?";
  if (q.end_ns) sql += " AND start_ns <= ?";
  for (size_t i = 0; i < q.attributes.size(); ++i) {
    sql +=
        " AND (EXISTS " + attribute_match("s.attributes") + " OR EXISTS " +
        attribute_match("(SELECT json FROM resources WHERE id = s.resource_id), '$.attributes'") +
        ")";
  }
  sql += " ORDER BY start_ns DESC";

  ReaderLease reader = lease_reader(ReadKind::kSearch);
  if (!reader) return reader.error();
  Database& db = reader->db;
  auto st = db.prepare(sql);
  if (!st) return st.error();
  int pos = 1;
  if (!q.service.empty()) st->bind(pos++, q.service);
  if (!q.operation.empty()) st->bind(pos++, q.operation);
  if (q.min_duration_ns) st->bind(pos++, *q.min_duration_ns);
  if (q.max_duration_ns) st->bind(pos++, *q.max_duration_ns);
  if (q.start_ns) st->bind(pos++, *q.start_ns);
  if (q.end_ns) st->bind(pos++, *q.end_ns);
  for (const auto& [key, value] : q.attributes) {
    st->bind(pos++, key);
    st->bind(pos++, value);
    st->bind(pos++, key);
    st->bind(pos++, value);
  }
  std::vector<TraceSummary> out;
  std::unordered_set<std::string> seen;
  const size_t limit = static_cast<size_t>(std::max(1, q.limit));
  int rc = SQLITE_DONE;
  while (out.size() < limit && (rc = st->step()) == SQLITE_ROW) {
    std::string id = st->text_at(0);
    if (seen.insert(id).second) out.push_back({.trace_id = std::move(id)});
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return reader->step_error(*st);

  auto totals = db.prepare(
      "SELECT min(start_ns), max(end_ns), count(*), sum(status_code = 2) FROM spans WHERE trace_id "
      "= ?");
  auto services =
      db.prepare("SELECT DISTINCT service FROM spans WHERE trace_id = ? ORDER BY service");
  // The root: no parent, or a parent that is not in this trace (it continues a remote one).
  auto root = db.prepare(
      "SELECT service, name FROM spans s WHERE trace_id = ?1 ORDER BY (parent_span_id = '' OR NOT "
      "EXISTS (SELECT 1 FROM spans p WHERE p.trace_id = ?1 AND p.span_id = s.parent_span_id)) "
      "DESC, "
      "start_ns, id LIMIT 1");
  if (!totals) return totals.error();
  if (!services) return services.error();
  if (!root) return root.error();
  Listing<TraceSummary> listing;
  size_t bytes = 0;
  // Stops at the first trace that does not fit: it and those after it are left out.
  const auto fits = [&](size_t more) {
    bytes += more;
    if (!over_budget(bytes, max_bytes)) return true;
    listing.truncated = true;
    return false;
  };
  for (TraceSummary& t : out) {
    if (!fits(t.trace_id.size() + 4 * kListEntryOverhead)) break;
    totals->bind(1, t.trace_id);
    if ((rc = totals->step()) == SQLITE_ROW) {
      t.start_ns = totals->int_at(0);
      t.end_ns = totals->int_at(1);
      t.span_count = totals->int_at(2);
      t.error_count = totals->int_at(3);
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return reader->step_error(*totals);
    totals->reset();
    services->bind(1, t.trace_id);
    while ((rc = services->step()) == SQLITE_ROW) {
      std::string service = services->text_at(0);
      if (!fits(service.size() + kListEntryOverhead)) break;
      t.services.push_back(std::move(service));
    }
    if (listing.truncated) break;
    if (rc != SQLITE_DONE) return reader->step_error(*services);
    services->reset();
    root->bind(1, t.trace_id);
    if ((rc = root->step()) == SQLITE_ROW) {
      t.root_service = root->text_at(0);
      t.root_name = root->text_at(1);
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return reader->step_error(*root);
    root->reset();
    if (!fits(t.root_service.size() + t.root_name.size())) break;
    listing.items.push_back(std::move(t));
  }
  return listing;
}

Result<std::vector<StoredSpan>> SpanStore::trace(const std::string& trace_id_hex) {
  std::vector<StoredSpan> out;
  std::string after;
  do {
    auto page = trace_page(trace_id_hex, after, 10'000, 64u << 20);
    if (!page) return page.error();
    std::move(page->spans.begin(), page->spans.end(), std::back_inserter(out));
    after = std::move(page->next_span_id);
  } while (!after.empty());
  std::stable_sort(out.begin(), out.end(), [](const StoredSpan& a, const StoredSpan& b) {
    return a.start_ns < b.start_ns;
  });
  return out;
}

Result<TracePage> SpanStore::trace_page(const std::string& trace_id_hex,
                                        const std::string& after_span_id, size_t max_spans,
                                        size_t max_bytes) {
  ReaderLease reader = lease_reader(ReadKind::kLookup);
  if (!reader) return reader.error();
  // The unique index (trace_id, span_id) gives the rows in this order: no sort, and a page
  // costs the same wherever it starts.
  auto st = reader->db.prepare(std::string(kSelectSpan) +
                               "WHERE s.trace_id = ?1 AND s.span_id > ?2 ORDER BY s.span_id");
  if (!st) return st.error();
  st->bind(1, trace_id_hex);
  st->bind(2, after_span_id);
  TracePage page;
  size_t bytes = 0;
  int rc;
  while ((rc = st->step()) == SQLITE_ROW) {
    if (page.spans.size() >= std::max<size_t>(1, max_spans) || (bytes >= max_bytes && bytes > 0)) {
      page.next_span_id = page.spans.back().span_id;
      break;
    }
    page.spans.push_back(span_from_row(*st));
    const StoredSpan& s = page.spans.back();
    bytes += 200 + s.name.size() + s.attributes_json.size() + s.events_json.size() +
             s.links_json.size() + s.scope_json.size() + s.resource_json.size() +
             s.status_message.size() + s.trace_state.size();
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return reader->step_error(*st);
  return page;
}

Result<int64_t> SpanStore::span_count() {
  ReaderLease reader = lease_reader(ReadKind::kSearch);
  if (!reader) return reader.error();
  return reader->db.query_int("SELECT count(*) FROM spans");
}

Result<void> SpanStore::read(const std::function<Result<void>(Database&, const StepError&)>& query,
                             ReadKind kind) {
  ReaderLease reader = lease_reader(kind);
  if (!reader) return reader.error();
  Reader& r = *reader;
  return query(r.db, [&r](const Statement& st) { return r.step_error(st); });
}

Result<uint64_t> SpanStore::used_bytes() {
  ReaderLease reader = lease_reader(ReadKind::kLookup);
  if (!reader) return reader.error();
  return used_bytes_of(reader->db);
}

// ---- log records (the read connection) ----

namespace {

// The record without its resource and scope: a page reads each of those once (read_log_page).
constexpr const char* kSelectLog =
    "SELECT l.trace_id, l.span_id, l.time_ns, l.observed_ns, l.severity_number, "
    "l.severity_text, l.body, l.event_name, l.flags, l.service, l.correlation_id, l.attributes, "
    "l.dropped_attributes, l.id, l.resource_id, l.scope_id FROM logs l ";

StoredLog log_from_row(const Statement& st) {
  StoredLog l;
  l.trace_id = st.text_at(0);
  l.span_id = st.text_at(1);
  l.time_ns = st.int_at(2);
  l.observed_ns = st.int_at(3);
  l.severity_number = static_cast<int>(st.int_at(4));
  l.severity_text = st.text_at(5);
  l.body = st.text_at(6);
  l.event_name = st.text_at(7);
  l.flags = static_cast<uint32_t>(st.int_at(8));
  l.service = st.text_at(9);
  l.correlation_id = st.text_at(10);
  l.attributes_json = st.text_at(11);
  l.dropped_attributes = static_cast<uint32_t>(st.int_at(12));
  l.id = st.int_at(13);
  l.resource_id = st.int_at(14);
  l.scope_id = st.int_at(15);
  l.resource_json = SharedJson();
  l.scope_json = SharedJson();
  return l;
}

// About the JSON the API writes for a record, its resource and scope aside (field names, ids,
// times and numbers are the 300).
size_t log_json_bytes(const StoredLog& l) {
  return 300 + l.severity_text.size() + l.body.size() + l.event_name.size() + l.service.size() +
         l.correlation_id.size() + l.attributes_json.size();
}

// The pages without a byte budget, each record with its resource and scope JSON.
std::vector<StoredLog> inline_shared(LogPage page) {
  // One shared text per resource and scope, however many records refer to it.
  std::unordered_map<int64_t, SharedJson> resources, scopes;
  for (auto& [id, json] : page.resources)
    resources.emplace(id, SharedJson(std::move(json)));
  for (auto& [id, json] : page.scopes)
    scopes.emplace(id, SharedJson(std::move(json)));
  for (StoredLog& l : page.logs) {
    l.resource_json = resources[l.resource_id];
    l.scope_json = scopes[l.scope_id];
  }
  return std::move(page.logs);
}

}  // namespace

// Steps `st` (kSelectLog columns, one row more than the page may hold) into a page, reading
// each resource and scope once. The budget is checked before each record, so a page holds at
// least one and ends within one record of `max_bytes`: the answer's memory, and the
// collector's, is bounded by the budget rather than by the records times their resource.
Result<LogPage> SpanStore::read_log_page(ReaderLease& reader, Statement& st,
                                         const LogPageLimits& limits) {
  auto resource = reader->db.prepare("SELECT json FROM resources WHERE id = ?");
  if (!resource) return resource.error();
  auto scope = reader->db.prepare("SELECT json FROM scopes WHERE id = ?");
  if (!scope) return scope.error();
  // The JSON of row `id` into `into`, once per page; its size when the answer holds it again.
  auto shared = [&](Statement& q, std::unordered_map<int64_t, std::string>& into,
                    int64_t id) -> Result<size_t> {
    auto [it, first] = into.try_emplace(id);
    if (first) {
      q.bind(1, id);
      const int rc = q.step();
      if (rc == SQLITE_ROW) it->second = q.text_at(0);
      q.reset();
      if (rc != SQLITE_ROW && rc != SQLITE_DONE) return reader->step_error(q);
      if (it->second.empty()) it->second = "{}";
    }
    return first || !limits.shared_once ? it->second.size() : 0;
  };
  LogPage page;
  const size_t max_records = std::max<size_t>(1, limits.max_records);
  size_t bytes = 0;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    if (page.logs.size() >= max_records || (bytes >= limits.max_bytes && !page.logs.empty())) {
      page.next = LogCursor{page.logs.back().time_ns, page.logs.back().id};
      break;
    }
    StoredLog l = log_from_row(st);
    auto r = shared(*resource, page.resources, l.resource_id);
    if (!r) return r.error();
    auto c = shared(*scope, page.scopes, l.scope_id);
    if (!c) return c.error();
    bytes += log_json_bytes(l) + *r + *c;
    page.logs.push_back(std::move(l));
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return reader->step_error(st);
  return page;
}

Result<LogPage> SpanStore::trace_logs_page(const std::string& trace_id_hex,
                                           std::optional<LogCursor> after,
                                           const LogPageLimits& limits) {
  ReaderLease reader = lease_reader(ReadKind::kLookup);
  if (!reader) return reader.error();
  // The partial index (trace_id, time_ns) gives the rows in time order: no sort; a page after a
  // cursor starts with a range of it (only records of the cursor's own time are passed over).
  std::string sql = std::string(kSelectLog) + "WHERE l.trace_id = ?1 AND l.trace_id <> ''";
  if (after) sql += " AND l.time_ns >= ?3 AND (l.time_ns > ?3 OR l.id > ?4)";
  sql += " ORDER BY l.time_ns, l.id LIMIT ?2";
  auto st = reader->db.prepare(sql);
  if (!st) return st.error();
  st->bind(1, trace_id_hex);
  // One row more than the page holds: it tells whether there is a next page.
  st->bind(2, static_cast<int64_t>(
                  std::min<size_t>(std::max<size_t>(1, limits.max_records), INT64_MAX - 1) + 1));
  if (after) {
    st->bind(3, after->time_ns);
    st->bind(4, after->id);
  }
  return read_log_page(reader, *st, limits);
}

Result<LogPage> SpanStore::find_logs_page(const LogQuery& q, const LogPageLimits& limits) {
  std::string sql = std::string(kSelectLog) + "WHERE 1";
  if (!q.trace_id.empty()) sql += " AND l.trace_id = ? AND l.trace_id <> ''";
  if (!q.correlation_id.empty()) sql += " AND l.correlation_id = ? AND l.correlation_id <> ''";
  if (!q.service.empty()) sql += " AND l.service = ?";
  if (q.min_severity > 0) sql += " AND l.severity_number >= ?";
  if (q.start_ns) sql += " AND l.time_ns >= ?";
  if (q.end_ns) sql += " AND l.time_ns <= ?";
  // instr() rather than LIKE: the text is matched as typed, with no wildcard characters.
  if (!q.text.empty()) sql += " AND instr(l.body, ?) > 0";
  if (q.after) sql += " AND l.time_ns <= ? AND (l.time_ns < ? OR l.id < ?)";
  sql += " ORDER BY l.time_ns DESC, l.id DESC LIMIT ?";
  ReaderLease reader = lease_reader(ReadKind::kSearch);
  if (!reader) return reader.error();
  auto st = reader->db.prepare(sql);
  if (!st) return st.error();
  int pos = 1;
  if (!q.trace_id.empty()) st->bind(pos++, q.trace_id);
  if (!q.correlation_id.empty()) st->bind(pos++, q.correlation_id);
  if (!q.service.empty()) st->bind(pos++, q.service);
  if (q.min_severity > 0) st->bind(pos++, static_cast<int64_t>(q.min_severity));
  if (q.start_ns) st->bind(pos++, *q.start_ns);
  if (q.end_ns) st->bind(pos++, *q.end_ns);
  if (!q.text.empty()) st->bind(pos++, q.text);
  if (q.after) {
    st->bind(pos++, q.after->time_ns);
    st->bind(pos++, q.after->time_ns);
    st->bind(pos++, q.after->id);
  }
  LogPageLimits page_limits = limits;
  page_limits.max_records = static_cast<size_t>(std::max(1, q.limit));
  st->bind(pos++, static_cast<int64_t>(page_limits.max_records) + 1);
  return read_log_page(reader, *st, page_limits);
}

Result<std::vector<StoredLog>> SpanStore::trace_logs(const std::string& trace_id_hex,
                                                     size_t limit) {
  auto page = trace_logs_page(trace_id_hex, std::nullopt, {.max_records = limit});
  if (!page) return page.error();
  return inline_shared(std::move(*page));
}

Result<std::vector<StoredLog>> SpanStore::find_logs(const LogQuery& q) {
  auto page = find_logs_page(q, {});
  if (!page) return page.error();
  return inline_shared(std::move(*page));
}

Result<std::vector<std::string>> SpanStore::traces_for_correlation(
    const std::string& correlation_id, size_t limit) {
  ReaderLease reader = lease_reader(ReadKind::kLookup);
  if (!reader) return reader.error();
  auto st = reader->db.prepare(
      "SELECT trace_id FROM logs WHERE correlation_id = ?1 AND correlation_id <> '' AND "
      "trace_id <> '' ORDER BY time_ns DESC");
  if (!st) return st.error();
  st->bind(1, correlation_id);
  std::vector<std::string> out;
  int rc = SQLITE_DONE;
  while (out.size() < std::max<size_t>(1, limit) && (rc = st->step()) == SQLITE_ROW) {
    std::string id = st->text_at(0);
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(std::move(id));
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return reader->step_error(*st);
  return out;
}

Result<int64_t> SpanStore::log_count() {
  ReaderLease reader = lease_reader(ReadKind::kSearch);
  if (!reader) return reader.error();
  return reader->db.query_int("SELECT count(*) FROM logs");
}

}  // namespace tracekit::collector
