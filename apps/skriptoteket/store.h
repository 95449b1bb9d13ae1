// SPDX-License-Identifier: Apache-2.0
// The SQLite store of tools, versions and runs. One connection in WAL mode, guarded by a mutex;
// the schema is migrated when the store opens. Every statement runs inside a CLIENT span
// (db.system=sqlite, db.operation, db.statement): statements bind their values as parameters,
// so the recorded statement text never holds user data.
#pragma once

#include <memory>
#include <mutex>
#include <string>
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

  Result<Tool> create_tool(const NewTool& tool);  // kConflict when the slug is taken
  Result<std::vector<Tool>> list_tools();
  Result<Tool> get_tool(const std::string& id);  // kNotFound
  // kNotFound when the tool does not exist.
  Result<ToolVersion> create_version(const std::string& tool_id, Language language,
                                     const std::string& source);
  // kNotFound unless the version exists and belongs to the tool.
  Result<ToolVersion> get_version(const std::string& tool_id, const std::string& version_id);
  // A new run of `version`, queued.
  Result<Run> create_run(const ToolVersion& version);
  // queued -> running. kConflict if the run is not queued.
  Result<Run> start_run(const std::string& run_id);
  // running -> a final status. kConflict if the run is not running.
  Result<Run> finish_run(const std::string& run_id, const RunResult& result);
  Result<Run> get_run(const std::string& id);

  int schema_version();
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
};

}  // namespace skriptoteket
