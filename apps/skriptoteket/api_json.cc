// SPDX-License-Identifier: Apache-2.0
#include "api_json.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace skriptoteket::api {

namespace json_ns = boost::json;

json_ns::object to_json(const Tool& tool) {
  return {{"id", tool.id},
          {"slug", tool.slug},
          {"title", tool.title},
          {"description", tool.description},
          {"created_at", format_time_ms(tool.created_at_ms)}};
}

json_ns::object to_json(const ToolVersion& version) {
  return {{"id", version.id},
          {"tool_id", version.tool_id},
          {"language", to_string(version.language)},
          {"source", version.source},
          {"created_at", format_time_ms(version.created_at_ms)}};
}

json_ns::object to_json(const Run& run) {
  json_ns::object o{{"id", run.id},
                    {"tool_id", run.tool_id},
                    {"version_id", run.version_id},
                    {"status", to_string(run.status)},
                    {"stdout", run.stdout_text},
                    {"stderr", run.stderr_text},
                    {"stdout_truncated", run.stdout_truncated},
                    {"stderr_truncated", run.stderr_truncated},
                    {"queued_at", format_time_ms(run.queued_at_ms)}};
  o["exit_code"] = run.exit_code ? json_ns::value(*run.exit_code) : json_ns::value(nullptr);
  o["started_at"] = run.started_at_ms ? json_ns::value(format_time_ms(*run.started_at_ms))
                                      : json_ns::value(nullptr);
  o["finished_at"] = run.finished_at_ms ? json_ns::value(format_time_ms(*run.finished_at_ms))
                                        : json_ns::value(nullptr);
  if (run.started_at_ms && run.finished_at_ms) {
    o["duration_ms"] = *run.finished_at_ms - *run.started_at_ms;
  }
  o["signal"] = run.signal ? json_ns::value(*run.signal) : json_ns::value(nullptr);
  o["oom_killed"] = run.oom_killed;
  o["cpu_limit_exceeded"] = run.cpu_limit_exceeded;
  o["process_limit_reached"] = run.process_limit_reached;
  if (!run.error.empty()) o["error"] = run.error;
  return o;
}

json_ns::object to_json(const ScriptOutcome& outcome) {
  return {{"exit_code", outcome.exit_code},
          {"signal", outcome.signal},
          {"timed_out", outcome.timed_out},
          {"stdout", outcome.stdout_text},
          {"stderr", outcome.stderr_text},
          {"stdout_truncated", outcome.stdout_truncated},
          {"stderr_truncated", outcome.stderr_truncated},
          {"oom_killed", outcome.oom_killed},
          {"cpu_limit_exceeded", outcome.cpu_limit_exceeded},
          {"process_limit_reached", outcome.process_limit_reached},
          {"duration_ms", outcome.duration.count()}};
}

tracekit::http::Response json(int status, const json_ns::value& body) {
  return tracekit::http::Response::json(status, json_ns::serialize(body));
}

tracekit::http::Response error(int status, std::string_view code, std::string_view detail) {
  return json(status, json_ns::object{{"error", code}, {"detail", detail}});
}

tracekit::http::Response from_error(const Error& e) {
  switch (e.code) {
    case ErrorCode::kNotFound:
      return error(404, "not_found", e.message);
    case ErrorCode::kConflict:
      return error(409, "conflict", e.message);
    case ErrorCode::kInvalid:
      return error(422, "validation_failed", e.message);
    case ErrorCode::kUnavailable:
      return error(502, "runner_unavailable", e.message);
    case ErrorCode::kInternal:
      break;
  }
  return error(500, "internal", e.message);
}

std::optional<json_ns::object> parse_object(const tracekit::http::Request& request,
                                            tracekit::http::Response& problem, bool empty_ok) {
  const std::string& body = request.body();
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
    if (empty_ok) return json_ns::object{};
    problem = error(400, "invalid_json", "the request body is empty; send a JSON object");
    return std::nullopt;
  }
  std::error_code ec;
  json_ns::value value = json_ns::parse(body, ec);
  if (ec) {
    problem = error(400, "invalid_json", "the request body is not valid JSON: " + ec.message());
    return std::nullopt;
  }
  if (!value.is_object()) {
    problem = error(400, "invalid_json", "the request body must be a JSON object");
    return std::nullopt;
  }
  return std::move(value.as_object());
}

std::optional<std::string> FieldReader::string(std::string_view key, bool required,
                                               size_t max_bytes) {
  const json_ns::value* v = object_.if_contains(key);
  if (!v || v->is_null()) {
    if (required) problems_.push_back(std::string(key) + " is required");
    return std::nullopt;
  }
  if (!v->is_string()) {
    problems_.push_back(std::string(key) + " must be a string");
    return std::nullopt;
  }
  const auto& s = v->get_string();
  if (s.size() > max_bytes) {
    problems_.push_back(std::string(key) + " is longer than " + std::to_string(max_bytes) +
                        " bytes");
    return std::nullopt;
  }
  return std::string(s);
}

std::optional<int64_t> FieldReader::integer(std::string_view key, bool required, int64_t min,
                                            int64_t max) {
  const json_ns::value* v = object_.if_contains(key);
  if (!v || v->is_null()) {
    if (required) problems_.push_back(std::string(key) + " is required");
    return std::nullopt;
  }
  std::optional<int64_t> n;
  if (v->is_int64()) n = v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    n = static_cast<int64_t>(v->get_uint64());
  }
  if (!n || *n < min || *n > max) {
    problems_.push_back(std::string(key) + " must be a whole number from " + std::to_string(min) +
                        " to " + std::to_string(max));
    return std::nullopt;
  }
  return n;
}

tracekit::http::Response FieldReader::response() const {
  std::string detail;
  for (const auto& p : problems_) {
    if (!detail.empty()) detail += "; ";
    detail += p;
  }
  return error(422, "validation_failed", detail);
}

}  // namespace skriptoteket::api
