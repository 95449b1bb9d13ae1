// SPDX-License-Identifier: Apache-2.0
// skriptoteket-runner: POST /execute runs one script with a ScriptRunner and answers its
// outcome; the tracing middleware continues the caller's trace, so the runner's span is a child
// of the web service's CLIENT span.
#pragma once

#include "metrics.h"
#include "runner.h"
#include "tracekit/http/server.h"
#include "tracekit/log/logger.h"

namespace skriptoteket {

struct RunnerServiceOptions {
  size_t max_script_bytes = 64 * 1024;
  // POST /execute answers 401 unless the request carries `Authorization: Bearer <token>`.
  std::string token;
};

class RunnerService {
 public:
  RunnerService(ScriptRunner& runner, RunnerServiceOptions options)
      : runner_(runner), options_(std::move(options)) {}
  void install(tracekit::http::Server& server);

 private:
  tracekit::http::Response execute(tracekit::http::Request& request);
  bool authorized(const tracekit::http::Request& request) const;

  ScriptRunner& runner_;
  RunnerServiceOptions options_;
  HttpMetrics metrics_{"skriptoteket_runner"};
  tracekit::log::Logger log_{"skriptoteket.runner"};
};

}  // namespace skriptoteket
