// SPDX-License-Identifier: Apache-2.0
// A middleware that keeps browsers from being used against a service they can reach (one on
// 127.0.0.1 included): DNS rebinding, cross-site requests that need no preflight, framing of
// its pages; and an optional bearer token.
//
//   tracekit::http::RequestGuardOptions guard;
//   guard.allowed_hosts = tracekit::http::split_list(getenv("MY_ALLOWED_HOSTS"));
//   guard.token = getenv("MY_API_TOKEN") ? getenv("MY_API_TOKEN") : "";
//   guard.public_prefixes = {"/healthz"};
//   server.use(tracekit::http::request_guard(guard));
//
// In order, for every request:
//  1. Host must be allowed (else 421): the defaults are localhost, 127.0.0.1, [::1] and the
//     address the client connected to, each with the port it connected to; allowed_hosts adds
//     "name" (any port), "name:port", or "*" (any Host). A page on a rebound DNS name sends
//     that name as Host, so it is refused even though it reaches 127.0.0.1.
//  2. State-changing methods (anything but GET, HEAD, OPTIONS): an Origin header must name an
//     allowed host (else 403), and Sec-Fetch-Site must not be cross-site. A request without
//     Origin (curl, other services) passes.
//  3. POST, PUT, PATCH and DELETE with a body or a Content-Type must send application/json (or
//     application/<x>+json) when require_json is set (else 415): a cross-site form or a
//     text/plain fetch() can then not reach a JSON route.
//  4. With a token set: Authorization: Bearer <token>, or the token cookie, compared in constant
//     time (else 401 with WWW-Authenticate). A browser logs in once by opening any page with
//     ?token=<token>: the answer is a redirect to the same path without it, setting the cookie
//     (HttpOnly, SameSite=Strict, Path=/). The token is never logged or echoed.
// Every answer that passes through the guard (its own refusals included) carries
// X-Content-Type-Options: nosniff, X-Frame-Options: DENY, Referrer-Policy: no-referrer,
// Cross-Origin-Resource-Policy: same-origin, and content_security_policy unless the handler
// set its own.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tracekit/http/server.h"

namespace tracekit::http {

struct RequestGuardOptions {
  // Hosts accepted besides the defaults: "name", "name:port", "[v6]", "[v6]:port", "*".
  std::vector<std::string> allowed_hosts;
  // false: any Host is accepted (Origin is still checked against the allowed hosts). For
  // endpoints that only programs use, which may reach the service under any name.
  bool check_host = true;
  bool require_json = true;
  // Empty: no token is required.
  std::string token;
  // Paths starting with one of these need no token (health checks).
  std::vector<std::string> public_prefixes;
  // The cookie that logs a browser in after one visit with ?token=; empty turns that off. It
  // holds a random value of this process, never the token. Cookies ignore ports, so each
  // service on a host needs a name of its own, or logging into one logs out of the other.
  std::string token_cookie = "tracekit_session";
  // Allows the service's own scripts, styles and fetch() calls only; no inline script, no
  // framing, no plugins.
  std::string content_security_policy =
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
      "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
};

Middleware request_guard(RequestGuardOptions options);

// Splits "a, b,c" at commas and whitespace, dropping empty items (for environment variables).
std::vector<std::string> split_list(std::string_view text);

// Equality that takes the same time wherever the inputs differ (for secrets).
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace tracekit::http
