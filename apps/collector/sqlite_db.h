// SPDX-License-Identifier: Apache-2.0
// A thin RAII layer over the SQLite C API: a connection and prepared statements that say what
// failed, with the database's own message.
#pragma once

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "tracekit/result.h"

namespace tracekit::collector {

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(Statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Statement& operator=(Statement&& o) noexcept {
    std::swap(db_, o.db_);
    std::swap(stmt_, o.stmt_);
    return *this;
  }

  // Binding: 1-based positions. Text is bound without a copy; it must outlive step().
  void bind(int pos, std::string_view text) {
    sqlite3_bind_text(stmt_, pos, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
  }
  void bind(int pos, int64_t v) { sqlite3_bind_int64(stmt_, pos, v); }
  void bind(int pos, int v) { sqlite3_bind_int(stmt_, pos, v); }
  void bind_null(int pos) { sqlite3_bind_null(stmt_, pos); }

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(stmt_); }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  int64_t int_at(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string text_at(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  std::string error() const { return sqlite3_errmsg(db_); }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

class Database {
 public:
  Database() = default;
  ~Database() { sqlite3_close_v2(db_); }
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Result<void> open(const std::string& path, bool read_only) {
    // Spans hold what services did, with the viewer's API token guarding them: the file is
    // readable by this user only (other local users must not read around the token). SQLite
    // gives its -wal and -shm files the database file's permissions.
    if (!read_only) {
      const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
      if (fd >= 0) {
        (void)::fchmod(fd, 0600);  // a database made by an older version
        ::close(fd);
      }
    }
    const int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
      return Error{"cannot open the span database " + path + ": " +
                   (db_ ? sqlite3_errmsg(db_) : "out of memory")};
    }
    sqlite3_busy_timeout(db_, 5000);
    return {};
  }

  Result<void> exec(const std::string& sql) {
    char* msg = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
      Error e{"SQLite: " + std::string(msg ? msg : sqlite3_errmsg(db_)) +
              " (in: " + sql.substr(0, 80) + ")"};
      sqlite3_free(msg);
      return e;
    }
    return {};
  }

  Result<Statement> prepare(std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
        SQLITE_OK) {
      return Error{"SQLite cannot prepare a statement: " + std::string(sqlite3_errmsg(db_))};
    }
    return Statement(db_, stmt);
  }

  // The first column of the first row of a query that returns an integer.
  Result<int64_t> query_int(std::string_view sql) {
    auto st = prepare(sql);
    if (!st) return st.error();
    const int rc = st->step();
    if (rc == SQLITE_ROW) return st->int_at(0);
    if (rc == SQLITE_DONE) return int64_t{0};
    return Error{"SQLite: " + st->error()};
  }

  int64_t changes() const { return sqlite3_changes64(db_); }
  sqlite3* handle() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace tracekit::collector
