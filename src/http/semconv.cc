// SPDX-License-Identifier: Apache-2.0
// OTEL_SEMCONV_STABILITY_OPT_IN, URL redaction, and the shared attribute helpers.
#include "semconv.h"

#include <array>
#include <cstdlib>
#include <cstring>

#include "tracekit/config_variables.h"
#include "tracekit/http/message.h"
#include "tracekit/http/tracing.h"
#include "tracekit/propagation/text_map.h"

namespace tracekit::http {

namespace detail {

std::string_view known_method(std::string_view m) noexcept {
  static constexpr std::array<std::string_view, 9> kMethods{
      "GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS", "CONNECT", "TRACE"};
  for (auto k : kMethods)
    if (k == m) return k;
  return {};
}

std::pair<std::string_view, uint16_t> split_host_port(std::string_view authority,
                                                      uint16_t default_port) noexcept {
  const size_t at = authority.rfind('@');
  if (at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return {authority, default_port};
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') {
      port = authority.substr(close + 2);
    }
  } else {
    const size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos && authority.find(':') == colon) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
  }
  if (port.empty() || port.size() > 5) return {host, default_port};
  uint32_t v = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return {host, default_port};
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v == 0 || v > 65535) return {host, default_port};
  return {host, static_cast<uint16_t>(v)};
}

}  // namespace detail

Semconv parse_semconv(std::string_view opt_in) {
  bool stable = false;
  bool dup = false;
  while (!opt_in.empty()) {
    const size_t comma = opt_in.find(',');
    std::string_view item = opt_in.substr(0, comma);
    opt_in = comma == std::string_view::npos ? std::string_view() : opt_in.substr(comma + 1);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
      item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t'))
      item.remove_suffix(1);
    if (item == "http/dup") dup = true;
    if (item == "http") stable = true;
  }
  // OpenTelemetry: "http/dup" takes precedence over "http".
  if (dup) return Semconv::kDuplicate;
  return stable ? Semconv::kStable : Semconv::kOld;
}

Semconv semconv_from_env() {
  auto v = config::read_env(config::library_variable("OTEL_SEMCONV_STABILITY_OPT_IN"));
  return v ? parse_semconv(*v) : Semconv::kOld;
}

std::vector<std::string> default_redacted_query_params() {
  return {"AWSAccessKeyId",
          "Signature",
          "sig",
          "X-Goog-Signature",
          "X-Amz-Signature",
          "X-Amz-Credential",
          "X-Amz-Security-Token",
          "token",
          "access_token",
          "api_key",
          "apikey",
          "password",
          "secret"};
}

std::string redacted_url(std::string_view scheme, std::string_view host, std::string_view target,
                         const TracingOptions& options) {
  std::string out;
  detail::assign_redacted_url(out, scheme, host, target, options);
  return out;
}

void detail::assign_redacted_url(std::string& out, std::string_view scheme, std::string_view host,
                                 std::string_view target, const TracingOptions& options) {
  assign_redacted_url(out, scheme, host, target,
                      QueryRedaction{options.redacted_query_params, options.omit_query});
}

void detail::assign_redacted_url(std::string& out, std::string_view scheme, std::string_view host,
                                 std::string_view target, QueryRedaction redaction) {
  // An absolute-form target ("http://user:pw@host/p") brings its own scheme and authority; a
  // target whose text before "://" is no scheme is not one (found by fuzz_http_request: the
  // query then passed unredacted as part of the "scheme").
  auto is_scheme = [](std::string_view s) {
    auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    if (s.empty() || !alpha(s[0])) return false;
    for (char c : s) {
      if (!alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') return false;
    }
    return true;
  };
  // (An origin-form target, "/p?q", the usual one, starts with '/': no search for it.)
  if (const size_t sep = target.starts_with('/') ? std::string_view::npos : target.find("://");
      sep != std::string_view::npos && is_scheme(target.substr(0, sep))) {
    scheme = target.substr(0, sep);
    target.remove_prefix(sep + 3);
    const size_t slash = target.find_first_of("/?");
    host = target.substr(0, slash);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  // The authority ends where a URL parser would end it: a Host header holding '/', '?', '#' or
  // whitespace must not smuggle a path or an unredacted query into the URL (found by
  // fuzz_http_request). Never credentials: the userinfo is dropped.
  host = detail::authority_without_userinfo(host);
  // The path ends at the first '?' or '#', the query at the first '#' after it: one pass.
  size_t q = std::string_view::npos, end = target.size();
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == '#') {
      end = i;
      break;
    }
    if (target[i] == '?' && q == std::string_view::npos) q = i;
  }
  // The scheme, "://", the authority and the path in one resize: a traced request's URL is
  // built each time (four appends cost ~200 instructions more).
  const std::string_view path = target.substr(0, q == std::string_view::npos ? end : q);
  out.resize(scheme.size() + 3 + host.size() + path.size());
  char* p = out.data();
  auto put = [&p](std::string_view piece) {
    if (!piece.empty()) std::memcpy(p, piece.data(), piece.size());
    p += piece.size();
  };
  put(scheme);
  put("://");
  put(host);
  put(path);
  if (q == std::string_view::npos || redaction.omit_query) return;
  target = target.substr(0, end);
  std::string_view query = target.substr(q + 1);
  out.push_back('?');
  bool first = true;
  while (true) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    const std::string_view key = pair.substr(0, eq);
    // Compared as the application reads it: "pass%77ord" is "password" (found by
    // fuzz_http_request). An undecodable key is redacted too.
    std::optional<std::string> decoded;
    if (key.find('%') != std::string_view::npos) decoded = percent_decode(key);
    const bool undecodable = key.find('%') != std::string_view::npos && !decoded;
    const std::string_view name = decoded ? std::string_view(*decoded) : key;
    bool redact = undecodable;
    for (const auto& r : redaction.params) {
      if (propagation::iequals(name, r)) {
        redact = true;
        break;
      }
    }
    if (!first) out.push_back('&');
    first = false;
    if (redact && eq != std::string_view::npos) {
      out.append(key).append("=REDACTED");
    } else {
      out.append(pair);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
}

}  // namespace tracekit::http
