// SPDX-License-Identifier: Apache-2.0
// The shared secret that lets skriptoteket-web, and nothing else on the host, call the runner's
// POST /execute (as `Authorization: Bearer <token>`).
//
// SKRIPTOTEKET_RUNNER_TOKEN when set (both services must get the same value); otherwise a file
// (SKRIPTOTEKET_RUNNER_TOKEN_FILE, default <data dir>/runner.token) that the runner creates with
// a random token, readable by its user only, and the web service reads.
#pragma once

#include <string>
#include <string_view>

#include "domain.h"

namespace skriptoteket {

// A bearer token (the runner's, or SKRIPTOTEKET_API_TOKEN): 16 to 512 printable characters
// without spaces, so it fits a header value and is not guessed in a few tries (failed attempts
// are not rate-limited).
bool plausible(std::string_view token);

struct RunnerTokenSource {
  std::string token;  // from the environment; empty: use `file`
  std::string file;
};

// The settings above, from the environment.
RunnerTokenSource runner_token_source();
// The runner's side: the token, creating the file with a new random one when it is missing.
Result<std::string> load_or_create_runner_token(const RunnerTokenSource& source);
// The web service's side: the token, or a failure saying where it was looked for.
Result<std::string> load_runner_token(const RunnerTokenSource& source);

}  // namespace skriptoteket
