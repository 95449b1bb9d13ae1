// The web service's side of the runner: a ScriptRunner that asks skriptoteket-runner over HTTP
// with the instrumented client, so the call is a CLIENT span and carries traceparent.
#pragma once

#include <string>

#include "runner.h"
#include "tracekit/http/client.h"

namespace skriptoteket {

class RemoteRunner final : public ScriptRunner {
 public:
  // `base_url` is the runner's "http://host:port".
  explicit RemoteRunner(std::string base_url);

  // kUnavailable when the runner cannot be reached or answers with an error.
  Outcome<ScriptOutcome> execute(const ScriptJob& job) override;
  std::string_view name() const noexcept override { return "remote_runner"; }
  const std::string& base_url() const noexcept { return base_url_; }

 private:
  std::string base_url_;
  tracekit::http::BlockingClient client_;
};

}  // namespace skriptoteket
