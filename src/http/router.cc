// SPDX-License-Identifier: Apache-2.0
#include "router.h"

#include <algorithm>

namespace tracekit::http::detail {

namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  // "/a/b" -> {"a", "b"}; "/" -> {""}; "/a/" -> {"a", ""}.
  size_t start = path.empty() || path[0] != '/' ? 0 : 1;
  for (;;) {
    const size_t slash = path.find('/', start);
    out.push_back(path.substr(start, slash == std::string_view::npos ? path.npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

// Matches and scores: each literal segment is worth more than a parameter, so "/tools/new" wins
// over "/tools/{id}" whatever order they were added in. Returns -1 when it does not match.
long match_score(const Route& r, const std::vector<std::string_view>& parts,
                 std::vector<std::pair<std::string, std::string>>* params) {
  long score = 0;
  size_t i = 0;
  for (const Segment& s : r.segments) {
    if (s.kind == Segment::Kind::kRest) {
      if (params) {
        std::string rest;
        for (size_t k = i; k < parts.size(); ++k) {
          if (k > i) rest += '/';
          rest += parts[k];
        }
        auto decoded = percent_decode(rest);
        if (!decoded) return -1;
        params->emplace_back(s.text, std::move(*decoded));
      }
      return score * 4 + 1;
    }
    if (i >= parts.size()) return -1;
    if (s.kind == Segment::Kind::kLiteral) {
      if (parts[i] != s.text) return -1;
      score = score * 4 + 3;
    } else {
      if (parts[i].empty()) return -1;
      if (params) {
        auto decoded = percent_decode(parts[i]);
        if (!decoded) return -1;
        params->emplace_back(s.text, std::move(*decoded));
      }
      score = score * 4 + 2;
    }
    ++i;
  }
  return i == parts.size() ? score : -1;
}

}  // namespace

Result<std::vector<Segment>> parse_pattern(std::string_view pattern) {
  const std::string where = "route pattern '" + std::string(pattern) + "': ";
  if (pattern.empty() || pattern[0] != '/') return Error{where + "must start with '/'"};
  std::vector<Segment> out;
  std::vector<std::string> names;
  const auto parts = split_path(pattern);
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string_view p = parts[i];
    if (p.starts_with('{')) {
      if (!p.ends_with('}') || p.size() < 3) return Error{where + "a '{' segment must be {name}"};
      std::string_view name = p.substr(1, p.size() - 2);
      Segment::Kind kind = Segment::Kind::kParam;
      if (name.ends_with("...")) {
        if (i + 1 != parts.size()) return Error{where + "{name...} must be the last segment"};
        name.remove_suffix(3);
        kind = Segment::Kind::kRest;
      }
      if (name.empty() || name.find_first_of("{}/") != std::string_view::npos) {
        return Error{where + "bad parameter name"};
      }
      if (std::find(names.begin(), names.end(), name) != names.end()) {
        return Error{where + "parameter '" + std::string(name) + "' appears twice"};
      }
      names.emplace_back(name);
      out.push_back({kind, std::string(name)});
    } else {
      if (p.find_first_of("{}") != std::string_view::npos) {
        return Error{where + "'{' and '}' only around a whole segment"};
      }
      out.push_back({Segment::Kind::kLiteral, std::string(p)});
    }
  }
  return out;
}

void Router::add(Route route) {
  auto segments = parse_pattern(route.pattern);
  if (!segments) {
    if (first_error_.empty()) first_error_ = segments.error().message;
    return;
  }
  if (route.method.empty()) {
    if (first_error_.empty()) first_error_ = "route '" + route.pattern + "': empty method";
    return;
  }
  route.segments = std::move(*segments);
  routes_.push_back(std::move(route));
}

RouteMatch Router::match(std::string_view method, std::string_view path) const {
  RouteMatch m;
  const auto parts = split_path(path);
  long best = -1;
  long best_head_fallback = -1;
  const Route* head_fallback = nullptr;
  std::vector<std::string> allowed;
  for (const Route& r : routes_) {
    const long score = match_score(r, parts, nullptr);
    if (score < 0) continue;
    if (r.method == method || r.method == "*") {
      if (score > best) {
        best = score;
        m.route = &r;
      }
    } else if (method == "HEAD" && r.method == "GET" && score > best_head_fallback) {
      best_head_fallback = score;
      head_fallback = &r;
    }
    if (std::find(allowed.begin(), allowed.end(), r.method) == allowed.end()) {
      allowed.push_back(r.method);
    }
  }
  if (m.route == nullptr) m.route = head_fallback;
  if (m.route != nullptr) {
    m.kind = RouteMatch::Kind::kFound;
    match_score(*m.route, parts, &m.params);
    return m;
  }
  if (allowed.empty()) return m;
  m.kind = RouteMatch::Kind::kMethodNotAllowed;
  if (std::find(allowed.begin(), allowed.end(), "GET") != allowed.end() &&
      std::find(allowed.begin(), allowed.end(), "HEAD") == allowed.end()) {
    allowed.emplace_back("HEAD");
  }
  for (const auto& a : allowed) {
    if (!m.allow.empty()) m.allow += ", ";
    m.allow += a;
  }
  return m;
}

}  // namespace tracekit::http::detail
