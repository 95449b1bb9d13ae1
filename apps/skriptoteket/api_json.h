// SPDX-License-Identifier: Apache-2.0
// JSON for the API: the domain's representations, error bodies {"error", "detail"}, and request
// body parsing that tells a malformed body (400) from a well-formed but invalid one (422).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain.h"
#include "runner.h"
#include "tracekit/http/message.h"

namespace skriptoteket::api {

boost::json::object to_json(const Tool& tool);
boost::json::object to_json(const ToolVersion& version);
boost::json::object to_json(const Run& run);
boost::json::object to_json(const ScriptOutcome& outcome);

// A response with a JSON body.
tracekit::http::Response json(int status, const boost::json::value& body);
// {"error": code, "detail": detail}: code is a stable machine-readable word, detail says what
// exactly is wrong in words.
tracekit::http::Response error(int status, std::string_view code, std::string_view detail);
// The status and code for an error from the store or runner: kNotFound 404 "not_found",
// kConflict 409 "conflict", kInvalid 422 "validation_failed", kUnavailable 502
// "runner_unavailable", kInternal 500 "internal".
tracekit::http::Response from_error(const Error& error);

// The body as a JSON object. nullopt and `problem` set (a ready 400 response) when it is not
// JSON or not an object; an empty body counts as {} when `empty_ok`.
std::optional<boost::json::object> parse_object(const tracekit::http::Request& request,
                                                tracekit::http::Response& problem,
                                                bool empty_ok = false);

// Reads fields of a request object, collecting every problem for one 422 answer.
class FieldReader {
 public:
  explicit FieldReader(const boost::json::object& object) : object_(object) {}
  // A string field; `max_bytes` bounds its length.
  std::optional<std::string> string(std::string_view key, bool required, size_t max_bytes);
  // An integer field within [min, max].
  std::optional<int64_t> integer(std::string_view key, bool required, int64_t min, int64_t max);
  // Records a problem found by the caller.
  void problem(std::string text) { problems_.push_back(std::move(text)); }
  bool ok() const noexcept { return problems_.empty(); }
  // 422 naming every problem.
  tracekit::http::Response response() const;

 private:
  const boost::json::object& object_;
  std::vector<std::string> problems_;
};

}  // namespace skriptoteket::api
