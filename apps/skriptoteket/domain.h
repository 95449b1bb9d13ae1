// SPDX-License-Identifier: Apache-2.0
// Skriptoteket's domain: tools, their versions (a script in one language) and runs of a version.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "tracekit/result.h"

namespace skriptoteket {

enum class Language { kPython3, kBash };
std::string_view to_string(Language language) noexcept;
std::optional<Language> parse_language(std::string_view text) noexcept;

// A run moves queued -> running -> succeeded | failed | timed_out.
enum class RunStatus { kQueued, kRunning, kSucceeded, kFailed, kTimedOut };
std::string_view to_string(RunStatus status) noexcept;
std::optional<RunStatus> parse_run_status(std::string_view text) noexcept;

struct Tool {
  std::string id;  // UUID
  std::string slug;
  std::string title;
  std::string description;
  int64_t created_at_ms = 0;  // Unix epoch
};

struct ToolVersion {
  std::string id;  // UUID
  std::string tool_id;
  Language language = Language::kPython3;
  std::string source;
  int64_t created_at_ms = 0;
};

struct Run {
  std::string id;  // UUID
  std::string tool_id;
  std::string version_id;
  RunStatus status = RunStatus::kQueued;
  std::optional<int> exit_code;
  std::string stdout_text;  // capped by the runner
  std::string stderr_text;
  bool stdout_truncated = false;
  bool stderr_truncated = false;
  std::string error;  // why a run failed outside the script (runner unreachable, ...)
  // How the sandbox ended it, besides its own exit: the signal that killed it, its memory or
  // CPU limit; forks refused at its process limit.
  std::optional<int> signal;
  bool oom_killed = false;
  bool cpu_limit_exceeded = false;
  bool process_limit_reached = false;
  int64_t queued_at_ms = 0;
  std::optional<int64_t> started_at_ms;
  std::optional<int64_t> finished_at_ms;
};

// A random (version 4) UUID in its canonical lower-case form.
std::string new_uuid();
// True for the canonical 8-4-4-4-12 hex form (either case).
bool is_uuid(std::string_view text) noexcept;
int64_t now_ms() noexcept;
// 2026-11-25T09:14:46.123Z
std::string format_time_ms(int64_t ms);

// Failures are tracekit's typed errors: the store and the runner return Result<T>, and the web
// layer maps each ErrorCode to an HTTP status (api::from_error).
using tracekit::Error;
using tracekit::ErrorCode;
using tracekit::Result;

}  // namespace skriptoteket

namespace skriptoteket {
// `text` with every byte that does not start a valid UTF-8 sequence replaced by U+FFFD, so
// script output can go into JSON whatever the script printed.
std::string to_valid_utf8(std::string_view text);
}  // namespace skriptoteket
