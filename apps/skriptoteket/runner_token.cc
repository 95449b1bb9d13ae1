// SPDX-License-Identifier: Apache-2.0
#include "runner_token.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "service_env.h"

namespace skriptoteket {

namespace {
constexpr size_t kTokenBytes = 32;
}  // namespace

bool plausible(std::string_view token) {
  if (token.size() < 16 || token.size() > 512) return false;
  for (char c : token) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

namespace {

Result<std::string> read_token_file(const std::string& path) {
  // A file others may read (made by hand, or copied with a loose umask) is narrowed to its
  // owner, as the database is: the token is what keeps other local users off /execute.
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0 && st.st_uid == ::geteuid()) {
    (void)::chmod(path.c_str(), st.st_mode & 0700);
  }
  std::ifstream in(path);
  if (!in) {
    return Error{ErrorCode::kUnavailable,
                 "cannot read the runner token file " + path + ": " + std::strerror(errno)};
  }
  std::string token;
  std::getline(in, token);
  if (!plausible(token)) {
    return Error{ErrorCode::kInvalid,
                 "the runner token in " + path + " is not 16 to 512 printable characters"};
  }
  return token;
}

}  // namespace

RunnerTokenSource runner_token_source() {
  const std::string data_dir = env::text(setting("SKRIPTOTEKET_DATA_DIR"), "data");
  return {env::text(setting("SKRIPTOTEKET_RUNNER_TOKEN"), ""),
          env::text(setting("SKRIPTOTEKET_RUNNER_TOKEN_FILE"), data_dir + "/runner.token")};
}

Result<std::string> load_runner_token(const RunnerTokenSource& source) {
  if (!source.token.empty()) {
    if (!plausible(source.token)) {
      return Error{ErrorCode::kInvalid,
                   "SKRIPTOTEKET_RUNNER_TOKEN is not valid: expected 16 to 512 printable "
                   "characters without spaces"};
    }
    return source.token;
  }
  return read_token_file(source.file);
}

Result<std::string> load_or_create_runner_token(const RunnerTokenSource& source) {
  if (!source.token.empty() || ::access(source.file.c_str(), F_OK) == 0) {
    return load_runner_token(source);
  }
  unsigned char random[kTokenBytes];
  if (::getrandom(random, sizeof random, 0) != static_cast<ssize_t>(sizeof random)) {
    return Error{ErrorCode::kInternal, std::string("getrandom: ") + std::strerror(errno)};
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  for (unsigned char b : random) {
    token += kHex[b >> 4];
    token += kHex[b & 15];
  }
  std::error_code ec;
  if (const auto dir = std::filesystem::path(source.file).parent_path(); !dir.empty()) {
    std::filesystem::create_directories(dir, ec);
  }
  // Created readable by this user only, and never replaced: two runners share one token.
  const int fd = ::open(source.file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return load_runner_token(source);
    return Error{ErrorCode::kUnavailable, "cannot create the runner token file " + source.file +
                                              ": " + std::strerror(errno)};
  }
  const std::string line = token + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!written) {
    return Error{ErrorCode::kUnavailable, "cannot write the runner token file " + source.file};
  }
  return token;
}

}  // namespace skriptoteket
