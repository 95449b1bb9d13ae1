// SPDX-License-Identifier: Apache-2.0
// The web service's side of the runner: a ScriptRunner that asks skriptoteket-runner over HTTP
// with the instrumented client, so the call is a CLIENT span and carries traceparent.
#pragma once

#include <mutex>
#include <string>

#include "runner.h"
#include "runner_token.h"
#include "tracekit/http/client.h"

namespace skriptoteket {

class RemoteRunner final : public ScriptRunner {
 public:
  // `base_url` is the runner's "http://host:port"; the token that the runner requires is
  // read from `token` at the first call (the runner may start after this service).
  RemoteRunner(std::string base_url, RunnerTokenSource token);

  // kUnavailable when the runner cannot be reached or answers with an error.
  Result<ScriptOutcome> execute(const ScriptJob& job) override;
  std::string_view name() const noexcept override { return "remote_runner"; }
  const std::string& base_url() const noexcept { return base_url_; }

 private:
  Result<std::string> token();

  std::string base_url_;
  RunnerTokenSource token_source_;
  std::mutex token_mutex_;
  std::string token_;  // once read
  tracekit::http::BlockingClient client_;
};

}  // namespace skriptoteket
