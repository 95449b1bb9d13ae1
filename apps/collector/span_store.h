// The collector's span store: one SQLite file in WAL mode. Receivers hand decoded spans to
// submit(), which only queues them; one writer thread inserts whatever has queued in a single
// transaction, so the receive path never waits for the disk. Queries run on their own read
// connection and see every committed batch. Retention by age (of arrival) and by size runs on
// the writer thread.
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
#include <vector>

#include "span_model.h"
#include "tracekit/result.h"

struct sqlite3;

namespace tracekit::collector {

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
  // submit() refuses spans past this many queued and not yet written (the receivers then answer
  // with a retryable "unavailable").
  size_t max_queued_spans = 200'000;
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

struct StoreStats {
  uint64_t spans_written = 0;
  uint64_t spans_refused = 0;  // submit() found the queue full
  uint64_t duplicates = 0;     // same trace id and span id as a stored span
  uint64_t spans_deleted = 0;  // by retention
  uint64_t write_errors = 0;
};

class SpanStore {
 public:
  // Opens (or creates) the file, the schema and the writer thread.
  static Result<std::unique_ptr<SpanStore>> open(StoreOptions options);
  ~SpanStore();  // writes what is queued, then closes
  SpanStore(const SpanStore&) = delete;
  SpanStore& operator=(const SpanStore&) = delete;

  // Queues spans for the writer; false (and nothing queued) when the queue is full.
  bool submit(std::vector<StoredSpan> spans);
  // Waits until everything submitted before the call is committed; false on timeout.
  bool flush(std::chrono::milliseconds timeout);
  // Runs retention now, as if the clock read `now` (tests pass a time in the future).
  // Returns the number of spans deleted.
  Result<int64_t> run_retention(std::chrono::system_clock::time_point now);

  Result<std::vector<std::string>> services();
  Result<std::vector<Operation>> operations(const std::string& service);
  Result<std::vector<TraceSummary>> find_traces(const TraceQuery& query);
  // Every span of the trace, by start time; empty when there is no such trace.
  Result<std::vector<StoredSpan>> trace(const std::string& trace_id_hex);
  Result<int64_t> span_count();
  // Bytes of live data in the file (pages in use, free pages not counted).
  Result<uint64_t> used_bytes();
  StoreStats stats() const;

 private:
  struct Writer;
  struct Reader;
  explicit SpanStore(StoreOptions options);
  void writer_loop();
  Result<int64_t> retain(int64_t now_ns);  // on the writer thread

  StoreOptions options_;
  std::unique_ptr<Writer> writer_;
  std::unique_ptr<Reader> reader_;

  mutable std::mutex mu_;
  std::condition_variable wake_writer_, written_;
  std::deque<std::vector<StoredSpan>> queue_;
  std::deque<std::function<void()>> tasks_;  // run on the writer thread
  size_t queued_spans_ = 0;
  uint64_t submitted_batches_ = 0, written_batches_ = 0;
  bool stopping_ = false;
  StoreStats stats_;
  std::thread thread_;
};

}  // namespace tracekit::collector
