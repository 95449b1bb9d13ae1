// SPDX-License-Identifier: Apache-2.0
// The collector's span store: one SQLite file in WAL mode. Receivers hand decoded spans to
// submit(); one writer thread inserts whatever has queued in a single transaction (group
// commit: many requests, one transaction) and then tells each submitter that its spans are
// committed, so a receiver can answer success only once the spans would survive a crash of the
// process. Queries run on a small pool of read connections, each with a time budget (the wait for
// a connection included), and see every committed batch; searches never hold the last connection,
// which keeps lookups answering while they run. Retention by age (of arrival) and by size runs on a
// thread and a connection of its own, in small transactions, so it never holds new spans back for
// long.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "log_model.h"
#include "span_model.h"
#include "tracekit/result.h"

struct sqlite3;

namespace tracekit::collector {

class Database;
class Statement;

struct StoreOptions {
  std::string path;  // the SQLite file; created with its directory's permissions
  // Spans that arrived longer ago than this are deleted (0: keep them however old they are).
  std::chrono::seconds max_age{std::chrono::hours(72)};
  // When the live data passes this many bytes, the oldest spans go until it is under 90 %
  // of it (0: no limit).
  uint64_t max_bytes = 1ull << 30;
  std::chrono::milliseconds retention_interval{std::chrono::seconds(30)};
  // Age retention knows arrival times to this precision (one bookkeeping row per interval).
  std::chrono::milliseconds arrival_granularity{1000};
  // submit() refuses spans past this many queued and not yet written, or past this many bytes
  // of them (the receivers then answer with a retryable "unavailable").
  size_t max_queued_spans = 200'000;
  uint64_t max_queued_bytes = 64ull << 20;
  // Read connections: this many queries run at once; more wait for a free one, within their
  // query budget.
  size_t read_connections = 4;
  // Searches (ReadKind::kSearch: trace and log searches, analytics) hold at most this many of
  // them at once (0: all but one, at least one), so that lookups (services, operations, one
  // trace, a trace's logs) always find a connection that no search can take. At most as many
  // searches again wait for one; a search past that is refused at once (is_store_busy()), so
  // that waiting searches cannot take every HTTP worker either.
  size_t search_connections = 0;
  // A query that runs longer than this, counted from its call (the wait for a read connection
  // included), is stopped (0: no budget); it fails with an error for which is_query_timeout()
  // holds.
  std::chrono::milliseconds query_budget{std::chrono::seconds(5)};
  // Retention deletes this many spans per transaction, so that the writer waits at most for one
  // such step.
  int64_t retention_step = 2'000;
};

// Called once, on the writer thread, when the spans of one submit() are committed (true) or
// their transaction failed (false). Must be quick and must not call back into the store.
using OnWritten = std::function<void(bool committed)>;

enum class WriteOutcome {
  kCommitted,  // in the file: a crash of the process no longer loses them
  kRefused,    // the queue is full (spans or bytes), or the store is closing: retry later
  kFailed,     // SQLite failed to write them
  kTimedOut,   // not committed within the time given (they may still be)
};

// One page of a trace: spans in (trace id, span id) order from a cursor, so a page costs an
// index range however large the trace is. `next_span_id` is where the next page starts (empty
// when this page is the last).
struct TracePage {
  std::vector<StoredSpan> spans;
  std::string next_span_id;
};

struct TraceSummary {
  std::string trace_id;
  std::string root_service;
  std::string root_name;  // the root span, or the earliest span when the root has not arrived
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  int64_t span_count = 0;
  int64_t error_count = 0;
  std::vector<std::string> services;  // sorted
};

struct TraceQuery {
  std::string service;                                      // empty: any
  std::string operation;                                    // span name; empty: any
  std::optional<int64_t> min_duration_ns, max_duration_ns;  // of a matching span
  bool errors_only = false;                                 // a matching span has status ERROR
  std::optional<int64_t> start_ns, end_ns;  // a matching span starts in [start, end]
  // key=value pairs; each must be on a matching span, or on its resource.
  std::vector<std::pair<std::string, std::string>> attributes;
  int limit = 20;
};

struct Operation {
  std::string name;
  int kind = 0;
};

// A list cut at a byte budget (about that much text; 0: no budget): `truncated` says more
// matched than it holds. Names come from exporters, so a list's size is theirs to choose.
template <class T>
struct Listing {
  std::vector<T> items;
  bool truncated = false;
};

struct StoreStats {
  uint64_t spans_written = 0;
  uint64_t spans_refused = 0;  // submit() found the queue full
  uint64_t duplicates = 0;     // same trace id and span id as a stored span
  uint64_t spans_deleted = 0;  // by retention
  uint64_t write_errors = 0;
  uint64_t logs_written = 0;
  uint64_t logs_refused = 0;
  uint64_t logs_deleted = 0;
  uint64_t searches_refused = 0;  // too many searches already waited for a read connection
  size_t searches_running = 0;    // now: searches holding a read connection
  size_t searches_waiting = 0;    // now: searches waiting for one
};

// What a read costs: a search may scan much of the file; a lookup follows an index to a bounded
// answer. Searches cannot take every read connection (StoreOptions::search_connections).
enum class ReadKind { kLookup, kSearch };

// Where a page of log records ends: the last record's time and row id (records are ordered by
// both, so a page costs an index range wherever it starts).
struct LogCursor {
  int64_t time_ns = 0;
  int64_t id = 0;
};

// One page of log records. The records carry resource_id and scope_id, not the JSON: each
// resource and scope is held once in `resources` / `scopes` however many records use it (one
// resource of 1 MiB under 1,000 records is 1 MiB here, not 1 GiB).
struct LogPage {
  std::vector<StoredLog> logs;
  std::unordered_map<int64_t, std::string> resources, scopes;  // id -> OTLP/JSON
  std::optional<LogCursor> next;  // where the next page starts; none when no record is left
};

// How large a page of log records may be: at most `max_records`, and past the first record at
// most about `max_bytes` of JSON, counting each record's resource and scope JSON each time the
// answer holds it (`shared_once`: once per page, when the answer lists them once).
struct LogPageLimits {
  size_t max_records = 10'000;
  size_t max_bytes = SIZE_MAX;
  bool shared_once = false;
};

// A log search: every field narrows it; newest first.
struct LogQuery {
  std::string service;                      // empty: any
  int min_severity = 0;                     // SeverityNumber; 0: any
  std::string text;                         // a substring of the body; empty: any
  std::optional<int64_t> start_ns, end_ns;  // the record's time in [start, end]
  std::string correlation_id;               // empty: any
  std::string trace_id;                     // empty: any
  int limit = 100;
  std::optional<LogCursor> after;  // continue a search after this record (a page's `next`)
};

class SpanStore {
 public:
  // Opens (or creates) the file, the schema and the writer thread.
  static Result<std::unique_ptr<SpanStore>> open(StoreOptions options);
  ~SpanStore();  // writes what is queued, then closes
  SpanStore(const SpanStore&) = delete;
  SpanStore& operator=(const SpanStore&) = delete;

  // Queues spans for the writer; false (and nothing queued, `on_written` not called) when the
  // queue is full or the store is closing. `on_written` reports the commit.
  bool submit(std::vector<StoredSpan> spans, OnWritten on_written = {});
  // submit(), then waits for the commit.
  WriteOutcome submit_and_wait(std::vector<StoredSpan> spans, std::chrono::milliseconds timeout);
  // The same for log records (they share the queue, its bounds and the writer's transactions).
  bool submit_logs(std::vector<StoredLog> logs, OnWritten on_written = {});
  WriteOutcome submit_logs_and_wait(std::vector<StoredLog> logs, std::chrono::milliseconds timeout);
  // Waits until everything submitted before the call is committed; false on timeout.
  bool flush(std::chrono::milliseconds timeout);
  // Runs retention now, as if the clock read `now` (tests pass a time in the future).
  // Returns the number of spans deleted.
  Result<int64_t> run_retention(std::chrono::system_clock::time_point now);

  Result<Listing<std::string>> services(size_t max_bytes = 0);
  Result<Listing<Operation>> operations(const std::string& service, size_t max_bytes = 0);
  // The newest matching traces, at most query.limit; a trace whose summary would pass
  // `max_bytes` is left out with every one after it.
  Result<Listing<TraceSummary>> find_traces(const TraceQuery& query, size_t max_bytes = 0);
  // Every span of the trace, by start time; empty when there is no such trace. Its memory grows
  // with the trace: the API uses trace_page().
  Result<std::vector<StoredSpan>> trace(const std::string& trace_id_hex);
  // Spans of the trace whose span id is greater than `after_span_id` (empty: from the first),
  // at most `max_spans` of them and, past the first, at most about `max_bytes` of text.
  Result<TracePage> trace_page(const std::string& trace_id_hex, const std::string& after_span_id,
                               size_t max_spans, size_t max_bytes);
  Result<int64_t> span_count();
  // A page of a trace's log records in time order, after `after` (none: from the first).
  Result<LogPage> trace_logs_page(const std::string& trace_id_hex, std::optional<LogCursor> after,
                                  const LogPageLimits& limits);
  // A page of a log search, newest first (at most query.limit records).
  Result<LogPage> find_logs_page(const LogQuery& query, const LogPageLimits& limits);
  // The same without a byte budget, each record with its resource and scope JSON: their memory
  // grows with the answer (tests use them; the API uses the pages).
  Result<std::vector<StoredLog>> trace_logs(const std::string& trace_id_hex, size_t limit);
  Result<std::vector<StoredLog>> find_logs(const LogQuery& query);
  // The trace ids of the newest records with this correlation id (newest first, distinct).
  Result<std::vector<std::string>> traces_for_correlation(const std::string& correlation_id,
                                                          size_t limit);
  Result<int64_t> log_count();
  // Bytes of live data in the file (pages in use, free pages not counted).
  Result<uint64_t> used_bytes();
  // Runs `query` on a read connection from the pool, within the query budget: for queries
  // written beside the store (span_analytics.cc: searches, as they scan a time range). `query`
  // turns a failed step into an Error with `step_error`, which names a timeout as one
  // (is_query_timeout).
  using StepError = std::function<Error(const Statement&)>;
  Result<void> read(const std::function<Result<void>(Database&, const StepError&)>& query,
                    ReadKind kind = ReadKind::kSearch);
  StoreStats stats() const;

 private:
  struct Writer;
  struct Reader;
  struct Retainer;
  struct Pending {
    std::vector<StoredSpan> spans;
    std::vector<StoredLog> logs;
    OnWritten on_written;
    uint64_t bytes = 0;
  };
  bool enqueue(Pending pending, size_t items);
  WriteOutcome wait_for_commit(std::chrono::milliseconds timeout,
                               const std::function<bool(OnWritten)>& submit_one);
  class ReaderLease;
  explicit SpanStore(StoreOptions options);
  void writer_loop();
  void retention_loop();
  Result<int64_t> retain(int64_t now_ns);  // on the retention thread
  ReaderLease lease_reader(ReadKind kind);
  Result<LogPage> read_log_page(ReaderLease& reader, Statement& st, const LogPageLimits& limits);

  StoreOptions options_;
  std::unique_ptr<Writer> writer_;
  std::unique_ptr<Retainer> retainer_;
  std::vector<std::unique_ptr<Reader>> readers_;

  // Held by the writer for each transaction and by retention for each of its small steps: the
  // two connections take turns without SQLite's busy-wait polling.
  std::mutex write_turn_;

  mutable std::mutex mu_;
  std::condition_variable wake_writer_, written_, wake_retention_, reader_free_;
  std::deque<Pending> queue_;
  std::vector<Reader*> free_readers_;
  size_t search_slots_ = 1;  // read connections searches may hold at once
  size_t searches_running_ = 0, searches_waiting_ = 0;
  size_t queued_spans_ = 0;  // spans and log records
  uint64_t queued_bytes_ = 0;
  uint64_t submitted_batches_ = 0, written_batches_ = 0;
  struct RetentionRequest;
  std::deque<std::shared_ptr<RetentionRequest>> retention_requests_;  // from run_retention()
  bool stopping_ = false;
  StoreStats stats_;
  std::thread thread_, retention_thread_;
};

// Whether a query failed because it ran past StoreOptions::query_budget (running, or waiting
// for a read connection).
bool is_query_timeout(const Error& error);
// Whether a search was refused at once because as many as may wait already waited for a read
// connection (StoreOptions::search_connections).
bool is_store_busy(const Error& error);

}  // namespace tracekit::collector
