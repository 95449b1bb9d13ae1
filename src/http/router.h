// SPDX-License-Identifier: Apache-2.0
// Route patterns ("/tools/{id}", "/files/{path...}") and matching, with 404/405 decisions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tracekit/http/server.h"
#include "tracekit/result.h"

namespace tracekit::http::detail {

struct Segment {
  enum class Kind : uint8_t { kLiteral, kParam, kRest };
  Kind kind;
  std::string text;  // literal text or parameter name
};

struct Route {
  std::string method;   // "GET", ..., or "*"
  std::string pattern;  // as given
  std::vector<Segment> segments;
  Handler handler;  // one of these two is set
  BlockingHandler blocking_handler;
  RouteOptions options;
};

struct RouteMatch {
  enum class Kind : uint8_t { kFound, kNotFound, kMethodNotAllowed };
  Kind kind = Kind::kNotFound;
  const Route* route = nullptr;
  std::vector<std::pair<std::string, std::string>> params;
  std::string allow;  // for 405: the methods the path accepts, "GET, POST"
};

// Parses a pattern; an error says what is wrong with it.
Result<std::vector<Segment>> parse_pattern(std::string_view pattern);

class Router {
 public:
  // Errors are kept and reported by first_error() (Server::start() fails with them).
  void add(Route route);
  const std::string& first_error() const noexcept { return first_error_; }
  // `path` is still percent-encoded; parameter values come back decoded. HEAD falls back to GET
  // routes.
  RouteMatch match(std::string_view method, std::string_view path) const;

 private:
  std::vector<Route> routes_;
  std::string first_error_;
};

}  // namespace tracekit::http::detail
