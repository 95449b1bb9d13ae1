// SPDX-License-Identifier: Apache-2.0
// request_guard(): Host allow-list, Origin and Sec-Fetch-Site on state-changing requests, JSON
// bodies, bearer token (header or cookie), security headers. See the header for the rules.
#include "tracekit/http/request_guard.h"

#include <sys/random.h>
#include <boost/beast/core/string.hpp>

#include <array>
#include <cerrno>
#include <charconv>
#include <memory>
#include <optional>
#include <system_error>

namespace tracekit::http {

namespace {

using boost::beast::iequals;

struct HostPort {
  std::string_view host;         // without brackets for IPv6
  std::optional<uint16_t> port;  // none when the text had none
};

// "name", "name:port", "[v6]", "[v6]:port"; nullopt when malformed.
std::optional<HostPort> parse_host_port(std::string_view text) {
  HostPort hp;
  std::string_view port_text;
  if (text.starts_with('[')) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    hp.host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return std::nullopt;
      port_text = rest.substr(1);
    }
  } else {
    const size_t colon = text.find(':');
    hp.host = text.substr(0, colon);
    if (colon != std::string_view::npos) port_text = text.substr(colon + 1);
  }
  if (hp.host.empty()) return std::nullopt;
  if (!port_text.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value > 65535) {
      return std::nullopt;
    }
    hp.port = static_cast<uint16_t>(value);
  } else if (text.ends_with(':')) {
    return std::nullopt;
  }
  return hp;
}

bool state_changing(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

// Whether the request's header announces a body (the server has framed it: Content-Length is
// one number, Transfer-Encoding ends in chunked).
bool announces_body(const Request& req) {
  if (!req.body().empty() || req.header("Transfer-Encoding")) return true;
  const auto length = req.header("Content-Length");
  return length && length->find_first_not_of('0') != std::string_view::npos;
}

bool json_media_type(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t'))
    media.remove_suffix(1);
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t'))
    media.remove_prefix(1);
  if (iequals(media, "application/json")) return true;
  return media.size() > 17 && iequals(media.substr(0, 12), "application/") &&
         iequals(media.substr(media.size() - 5), "+json");
}

std::string hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xF]);
  }
  return out;
}

// The value of cookie `name` in a Cookie header ("a=1; b=2").
std::optional<std::string_view> cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const size_t semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    while (!pair.empty() && pair.front() == ' ')
      pair.remove_prefix(1);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
  }
  return std::nullopt;
}

class Guard {
 public:
  explicit Guard(RequestGuardOptions o) : options_(std::move(o)) {
    for (const std::string& entry : options_.allowed_hosts) {
      if (entry == "*") {
        any_host_ = true;
        continue;
      }
      if (auto hp = parse_host_port(entry)) allowed_.push_back({std::string(hp->host), hp->port});
    }
    if (!options_.token.empty() && !options_.token_cookie.empty()) session_ = new_session();
  }

  boost::asio::awaitable<Response> operator()(Request& req, Next next) const {
    std::optional<Response> refusal = check(req);
    Response resp;
    if (refusal) {
      resp = std::move(*refusal);
    } else {
      resp = co_await next(req);
    }
    add_security_headers(resp);
    co_return resp;
  }

 private:
  struct Allowed {
    std::string host;
    std::optional<uint16_t> port;  // none: any port
  };

  // Whether `host`:`port` is allowed for a request that reached `req`'s local address and port.
  bool allowed(std::string_view host, uint16_t port, const Request& req) const {
    if (any_host_) return true;
    for (const Allowed& a : allowed_) {
      if (iequals(a.host, host) && (!a.port || *a.port == port)) return true;
    }
    if (port != req.local_port()) return false;
    std::string_view local = req.local_address();
    // A dual-stack socket reports IPv4 clients' addresses as ::ffff:a.b.c.d.
    if (local.starts_with("::ffff:") && local.find('.') != std::string_view::npos) {
      local.remove_prefix(7);
    }
    return iequals(host, "localhost") || host == "127.0.0.1" || host == "::1" ||
           iequals(host, local);
  }

  std::optional<Response> check(Request& req) const {
    if (options_.check_host) {
      auto hp = parse_host_port(req.host());
      if (!hp || !allowed(hp->host, hp->port.value_or(80), req)) {
        return Response::error(421, "this server does not answer for the host '" +
                                        std::string(req.host().substr(0, 200)) +
                                        "'; see allowed hosts in its configuration");
      }
    }
    if (state_changing(req.method())) {
      if (auto origin = req.header("Origin")) {
        if (!origin_allowed(*origin, req)) {
          return Response::error(403, "cross-origin request refused (Origin '" +
                                          std::string(origin->substr(0, 200)) + "')");
        }
      }
      if (auto site = req.header("Sec-Fetch-Site"); site && iequals(*site, "cross-site")) {
        return Response::error(403, "cross-site request refused (Sec-Fetch-Site: cross-site)");
      }
    }
    if (options_.require_json && (req.method() == "POST" || req.method() == "PUT" ||
                                  req.method() == "PATCH" || req.method() == "DELETE")) {
      auto type = req.header("Content-Type");
      // The body is not read yet (the server reads it after the middleware): its header says
      // whether there is one.
      if ((type || announces_body(req)) && !(type && json_media_type(*type))) {
        Response r =
            Response::error(415, "the body must be sent as Content-Type: application/json");
        r.set_header("Accept", "application/json");
        return r;
      }
    }
    if (!options_.token.empty() && !is_public(req.path())) return check_token(req);
    return std::nullopt;
  }

  bool origin_allowed(std::string_view origin, const Request& req) const {
    uint16_t default_port = 0;
    if (origin.starts_with("http://")) {
      default_port = 80;
      origin.remove_prefix(7);
    } else if (origin.starts_with("https://")) {
      default_port = 443;
      origin.remove_prefix(8);
    } else {
      return false;  // "null" (sandboxed pages, file:) and every other scheme
    }
    auto hp = parse_host_port(origin);
    return hp && allowed(hp->host, hp->port.value_or(default_port), req);
  }

  bool is_public(std::string_view path) const {
    for (const std::string& p : options_.public_prefixes) {
      if (path.starts_with(p)) return true;
    }
    return false;
  }

  std::optional<Response> check_token(Request& req) const {
    if (auto auth = req.header("Authorization")) {
      if (auth->size() > 7 && iequals(auth->substr(0, 7), "Bearer ") &&
          constant_time_equal(auth->substr(7), options_.token)) {
        return std::nullopt;
      }
      return unauthorized("the bearer token is not the right one");
    }
    if (!options_.token_cookie.empty()) {
      if (auto cookies = req.header("Cookie")) {
        auto value = cookie_value(*cookies, options_.token_cookie);
        if (value && constant_time_equal(*value, session_)) return std::nullopt;
      }
      if (req.method() == "GET" || req.method() == "HEAD") {
        if (auto offered = req.query_param("token")) {
          if (!constant_time_equal(*offered, options_.token)) {
            return unauthorized("the token is not the right one");
          }
          // The browser keeps the token in a cookie that cross-site requests do not carry;
          // the redirect takes it out of the address bar and the history.
          Response r(303);
          // "//host" or a backslash would make the Location another site (an open redirect).
          const std::string_view path = req.path();
          const bool local = path.starts_with('/') && !path.starts_with("//") &&
                             path.find('\\') == std::string_view::npos;
          r.set_header("Location", local ? path : std::string_view("/"));
          r.set_header("Set-Cookie", options_.token_cookie + "=" + session_ +
                                         "; Path=/; HttpOnly; SameSite=Strict");
          r.set_header("Cache-Control", "no-store");
          return r;
        }
      }
    }
    return unauthorized("a token is required");
  }

  Response unauthorized(std::string_view why) const {
    std::string message(why);
    message += ": send Authorization: Bearer <token>";
    if (!options_.token_cookie.empty()) message += ", or open /?token=<token> once in a browser";
    Response r = Response::error(401, message);
    r.set_header("WWW-Authenticate", "Bearer");
    return r;
  }

  void add_security_headers(Response& resp) const {
    auto& h = resp.headers();
    h.set("X-Content-Type-Options", "nosniff");
    h.set("X-Frame-Options", "DENY");
    h.set("Referrer-Policy", "no-referrer");
    h.set("Cross-Origin-Resource-Policy", "same-origin");
    if (!options_.content_security_policy.empty() && h.find("Content-Security-Policy") == h.end()) {
      h.set("Content-Security-Policy", options_.content_security_policy);
    }
  }

  RequestGuardOptions options_;
  std::vector<Allowed> allowed_;
  bool any_host_ = false;
  // What the login cookie holds: 32 random bytes of this process, not the token (which the
  // browser would then hand to every service on the same host, since cookies ignore ports).
  // A restart ends the browsers' logins.
  std::string session_;

  static std::string new_session() {
    std::array<unsigned char, 32> bytes{};
    size_t got = 0;
    while (got < bytes.size()) {
      const ssize_t n = getrandom(bytes.data() + got, bytes.size() - got, 0);
      if (n > 0) {
        got += static_cast<size_t>(n);
      } else if (errno != EINTR) {
        throw std::system_error(errno, std::generic_category(), "getrandom for the login cookie");
      }
    }
    return hex(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }
};

}  // namespace

Middleware request_guard(RequestGuardOptions options) {
  auto guard = std::make_shared<const Guard>(std::move(options));
  return [guard](Request& req, Next next) { return (*guard)(req, next); };
}

}  // namespace tracekit::http
