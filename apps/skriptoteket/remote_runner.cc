// SPDX-License-Identifier: Apache-2.0
#include "remote_runner.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "tracekit/log/logger.h"

namespace skriptoteket {

namespace json = boost::json;

RemoteRunner::RemoteRunner(std::string base_url, RunnerTokenSource token)
    : base_url_(std::move(base_url)), token_source_(std::move(token)) {
  while (!base_url_.empty() && base_url_.back() == '/')
    base_url_.pop_back();
}

Result<std::string> RemoteRunner::token() {
  std::lock_guard lock(token_mutex_);
  if (token_.empty()) {
    auto loaded = load_runner_token(token_source_);
    if (!loaded) return loaded;
    token_ = std::move(loaded).value();
  }
  return token_;
}

Result<ScriptOutcome> RemoteRunner::execute(const ScriptJob& job) {
  const std::string body = json::serialize(json::object{{"language", to_string(job.language)},
                                                        {"source", job.source},
                                                        {"time_limit_ms", job.time_limit.count()}});
  // The script's own time plus room for starting it and sending its output.
  tracekit::http::RequestOptions options;
  options.total_timeout = job.time_limit + std::chrono::seconds(15);
  auto secret = token();
  if (!secret) {
    return Error{ErrorCode::kUnavailable, "no token for the runner: " + secret.error().message};
  }
  tracekit::http::HeaderList headers = {{"Content-Type", "application/json"},
                                        {"Authorization", "Bearer " + secret.value()}};
  // The request's correlation id goes along, so both services' logs share it as well as the
  // trace id.
  if (const auto id = tracekit::log::current_correlation_id(); !id.empty()) {
    headers.emplace_back("X-Correlation-ID", std::string(id));
  }
  auto response =
      client_.request("POST", base_url_ + "/execute", body, std::move(headers), options);
  if (response.ok() && response->status == 401) {
    // The runner was restarted with another token: read it again next time.
    std::lock_guard lock(token_mutex_);
    token_.clear();
  }
  if (!response.ok()) {
    return Error{ErrorCode::kUnavailable, "the runner at " + base_url_ +
                                              " could not be reached: " + response.error().message};
  }
  std::error_code ec;
  json::value parsed = json::parse(response->body, ec);
  if (response->status != 200) {
    std::string detail = response->body.substr(0, 500);
    if (!ec && parsed.is_object()) {
      if (const auto* d = parsed.as_object().if_contains("detail"); d && d->is_string()) {
        detail = std::string(d->get_string());
      }
    }
    return Error{ErrorCode::kUnavailable,
                 "the runner answered " + std::to_string(response->status) + ": " + detail};
  }
  if (ec || !parsed.is_object()) {
    return Error{ErrorCode::kUnavailable, "the runner's answer is not a JSON object"};
  }
  const json::object& o = parsed.as_object();
  // A run is recorded as succeeded on exit code 0: an answer without one (another program on
  // the port, a runner of another version) is a protocol error, never a success.
  if (const auto* code = o.if_contains("exit_code"); !code || !code->is_int64()) {
    return Error{ErrorCode::kUnavailable, "the runner's answer has no integer exit_code"};
  }
  auto integer = [&](std::string_view key) -> int64_t {
    const auto* v = o.if_contains(key);
    return v && v->is_int64() ? v->get_int64()
                              : (v && v->is_uint64() ? static_cast<int64_t>(v->get_uint64()) : 0);
  };
  auto boolean = [&](std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_bool() && v->get_bool();
  };
  auto text = [&](std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  ScriptOutcome outcome;
  outcome.exit_code = static_cast<int>(integer("exit_code"));
  outcome.signal = static_cast<int>(integer("signal"));
  outcome.timed_out = boolean("timed_out");
  outcome.stdout_text = text("stdout");
  outcome.stderr_text = text("stderr");
  outcome.stdout_truncated = boolean("stdout_truncated");
  outcome.stderr_truncated = boolean("stderr_truncated");
  outcome.oom_killed = boolean("oom_killed");
  outcome.cpu_limit_exceeded = boolean("cpu_limit_exceeded");
  outcome.process_limit_reached = boolean("process_limit_reached");
  outcome.duration = std::chrono::milliseconds(integer("duration_ms"));
  return outcome;
}

}  // namespace skriptoteket
