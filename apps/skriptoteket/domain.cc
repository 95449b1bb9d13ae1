// SPDX-License-Identifier: Apache-2.0
#include "domain.h"

#include <sys/random.h>

#include "tracekit/detail/utf8.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>

namespace skriptoteket {

std::string_view to_string(Language language) noexcept {
  switch (language) {
    case Language::kPython3:
      return "python3";
    case Language::kBash:
      return "bash";
  }
  return "python3";
}

std::optional<Language> parse_language(std::string_view text) noexcept {
  if (text == "python3") return Language::kPython3;
  if (text == "bash") return Language::kBash;
  return std::nullopt;
}

std::string_view to_string(RunStatus status) noexcept {
  switch (status) {
    case RunStatus::kQueued:
      return "queued";
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kSucceeded:
      return "succeeded";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kTimedOut:
      return "timed_out";
  }
  return "failed";
}

std::optional<RunStatus> parse_run_status(std::string_view text) noexcept {
  for (RunStatus s : {RunStatus::kQueued, RunStatus::kRunning, RunStatus::kSucceeded,
                      RunStatus::kFailed, RunStatus::kTimedOut}) {
    if (to_string(s) == text) return s;
  }
  return std::nullopt;
}

std::string new_uuid() {
  // From the kernel's generator for every id: knowing a version's or a run's id is what lets a
  // client read it, so ids must not be predictable from others (a seeded Mersenne Twister's
  // state follows from a few hundred of its outputs).
  uint64_t words[2] = {0, 0};
  if (::getrandom(words, sizeof words, 0) != static_cast<ssize_t>(sizeof words)) {
    // getrandom(2) with flags 0 fails only before the kernel's pool is first seeded or on a
    // signal; std::random_device reads the same source.
    std::random_device device;
    for (uint64_t& w : words)
      w = (static_cast<uint64_t>(device()) << 32) ^ device();
  }
  uint64_t hi = words[0];
  uint64_t lo = words[1];
  hi = (hi & ~0xF000ULL) | 0x4000ULL;                  // version 4
  lo = (lo & ~(0xC000ULL << 48)) | (0x8000ULL << 48);  // variant 10
  char out[37];
  std::snprintf(out, sizeof out, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return out;
}

bool is_uuid(std::string_view text) noexcept {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

int64_t now_ms() noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string format_time_ms(int64_t ms) {
  const auto seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char out[96];  // room for any int the compiler can imagine in each field
  std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return out;
}

}  // namespace skriptoteket

namespace skriptoteket {

std::string to_valid_utf8(std::string_view text) {
  return tracekit::detail::utf8::sanitize(text);
}

}  // namespace skriptoteket
