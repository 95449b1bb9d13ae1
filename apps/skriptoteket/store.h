// SPDX-License-Identifier: Apache-2.0
// The SQLite store of tools, versions and runs. One connection in WAL mode, guarded by a mutex;
// the schema is migrated when the store opens. Every statement runs inside a CLIENT span
// (db.system=sqlite, db.operation, db.statement): statements bind their values as parameters,
// so the recorded statement text never holds user data.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "domain.h"
#include "tracekit/tracer.h"

struct sqlite3;

namespace skriptoteket {

struct NewTool {
  std::string slug;
  std::string title;
  std::string description;
};

// What a finished execution leaves on its run.
struct RunResult {
  RunStatus status = RunStatus::kFailed;
  std::optional<int> exit_code;
  std::string stdout_text;
  std::string stderr_text;
  bool stdout_truncated = false;
  bool stderr_truncated = false;
  std::string error;
  std::optional<int> signal;
  bool oom_killed = false;
  bool cpu_limit_exceeded = false;
  bool process_limit_reached = false;
};

// How much the store keeps, so that no client can fill the disk (docs/skriptoteket.md, "Storage
// limits"): sources are bounded by tools x versions x SKRIPTOTEKET_MAX_SCRIPT_BYTES and outputs by
// runs x 2 x SKRIPTOTEKET_OUTPUT_LIMIT_BYTES.
struct StoreLimits {
  uint64_t max_tools = 500;
  uint64_t max_versions_per_tool = 50;
  // Creating a run deletes the oldest finished runs beyond this many. Runs still queued or
  // running are never deleted (their requests are waiting for them).
  uint64_t max_stored_runs = 5000;
};

// One page of tools, oldest first. `next_cursor` continues after the last tool of the page;
// empty on the last page.
struct ToolPage {
  std::vector<Tool> tools;
  std::string next_cursor;
};

class Store {
 public:
  // The schema version the code expects; open() migrates older files up to it.
  static constexpr int kSchemaVersion = 3;

  // SKRIPTOTEKET_DB_PATH, else $SKRIPTOTEKET_DATA_DIR/skriptoteket.db (data directory default
  // ./data).
  static std::string default_path();

  // Opens (creating the file and its directory if needed) and migrates. `tracer` must outlive
  // the store.
  static Result<std::unique_ptr<Store>> open(const std::string& path, tracekit::Tracer& tracer);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Replaces the limits (the defaults until called).
  void set_limits(const StoreLimits& limits);

  // kConflict when the slug is taken; kUnavailable when max_tools tools exist (a limit of the
  // store, not a conflict with this request's data: the API answers 409 limit_reached).
  Result<Tool> create_tool(const NewTool& tool);
  Result<std::vector<Tool>> list_tools();
  // At most `limit` tools after `cursor` (empty: from the first); kInvalid for a cursor this
  // store did not give.
  Result<ToolPage> list_tools(size_t limit, std::string_view cursor);
  Result<Tool> get_tool(const std::string& id);  // kNotFound
  // kNotFound when the tool does not exist; kUnavailable when it has max_versions_per_tool.
  Result<ToolVersion> create_version(const std::string& tool_id, Language language,
                                     const std::string& source);
  // kNotFound unless the version exists and belongs to the tool.
  Result<ToolVersion> get_version(const std::string& tool_id, const std::string& version_id);
  // A new run of `version`, queued; the oldest finished runs beyond max_stored_runs are deleted
  // in the same transaction.
  Result<Run> create_run(const ToolVersion& version);
  // queued -> running. kConflict if the run is not queued.
  Result<Run> start_run(const std::string& run_id);
  // running -> a final status. kConflict if the run is not running.
  Result<Run> finish_run(const std::string& run_id, const RunResult& result);
  Result<Run> get_run(const std::string& id);

  int schema_version();
  // Finished runs deleted to keep within max_stored_runs since the store opened (/metrics).
  uint64_t runs_pruned() const noexcept { return runs_pruned_.load(std::memory_order_relaxed); }
  const std::string& path() const noexcept { return path_; }

 private:
  static Result<std::unique_ptr<Store>> open_traced(const std::string& path,
                                                    tracekit::Tracer& tracer);
  Store(sqlite3* db, std::string path, tracekit::Tracer& tracer);
  Result<bool> migrate();
  Result<Run> load_run(const std::string& id);  // mutex held
  friend class Query;

  sqlite3* db_;
  std::string path_;
  std::string db_name_;  // the file name, for db.name
  tracekit::Tracer& tracer_;
  std::mutex mutex_;
  StoreLimits limits_;  // guarded by mutex_
  std::atomic<uint64_t> runs_pruned_{0};
};

}  // namespace skriptoteket
