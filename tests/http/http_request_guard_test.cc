// SPDX-License-Identifier: Apache-2.0
// request_guard() on a real server: Host allow-list (DNS rebinding), Origin and Sec-Fetch-Site
// on state-changing requests, JSON bodies, the bearer token and its cookie login, security
// headers.
#include "http_test_support.h"

namespace tracekit::http {
namespace {

using testing::RawConnection;
using testing::status_of;
using Awaitable = boost::asio::awaitable<Response>;

struct Reply {
  int status = -1;
  std::string raw;  // header and body
  std::string header(std::string_view name) const {
    const std::string lower = RawConnection::lower(raw.substr(0, raw.find("\r\n\r\n") + 2));
    const std::string key = "\r\n" + RawConnection::lower(std::string(name)) + ": ";
    const size_t at = lower.find(key);
    if (at == std::string::npos) return {};
    const size_t start = at + key.size();
    return raw.substr(start, raw.find("\r\n", start) - start);
  }
};

class GuardTest : public ::testing::Test {
 protected:
  void start(RequestGuardOptions guard) {
    server_ = std::make_unique<Server>();
    server_->use(request_guard(std::move(guard)));
    server_->route("GET", "/items",
                   [](Request&) -> Awaitable { co_return Response::json(200, "[]"); });
    server_->route("POST", "/items",
                   [](Request& r) -> Awaitable { co_return Response::json(201, r.body()); });
    server_->route("GET", "/healthz",
                   [](Request&) -> Awaitable { co_return Response::json(200, "{}"); });
    server_->route("GET", "/page", [](Request&) -> Awaitable {
      Response r = Response::text(200, "<p>page</p>", "text/html");
      r.set_header("Content-Security-Policy", "default-src 'self'");
      co_return r;
    });
    ASSERT_TRUE(server_->start().ok());
  }
  std::string self() const { return "127.0.0.1:" + std::to_string(server_->port()); }

  // One request with exactly these header lines (Host included).
  Reply send(std::string_view method, std::string_view target, std::string headers,
             std::string_view body = {}) {
    RawConnection c(server_->port());
    std::string req = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\n" + headers;
    if (!body.empty() || method == "POST") {
      req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    req += "Connection: close\r\n\r\n";
    req += body;
    c.send(req);
    Reply r;
    r.raw = c.read_all();
    r.status = status_of(r.raw);
    return r;
  }

  std::unique_ptr<Server> server_;
};

TEST_F(GuardTest, AForeignHostIsRefusedEvenOnGet) {
  start({});
  // DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1.
  EXPECT_EQ(send("GET", "/items", "Host: evil.example\r\n").status, 421);
  EXPECT_EQ(send("GET", "/items", "Host: evil.example:" + std::to_string(server_->port()) + "\r\n")
                .status,
            421);
  // The loopback names with the server's port are allowed; other ports are not.
  const std::string port = std::to_string(server_->port());
  for (std::string host :
       {"127.0.0.1:" + port, "localhost:" + port, "LOCALHOST:" + port, "[::1]:" + port}) {
    EXPECT_EQ(send("GET", "/items", "Host: " + host + "\r\n").status, 200) << host;
  }
  EXPECT_EQ(send("GET", "/items", "Host: 127.0.0.1:1\r\n").status, 421);
  EXPECT_EQ(send("GET", "/items", "Host: localhost\r\n").status, 421);  // port 80 implied
}

TEST_F(GuardTest, ConfiguredHostsAreAllowed) {
  start({.allowed_hosts = split_list("app.example, exact.example:8443")});
  EXPECT_EQ(send("GET", "/items", "Host: app.example\r\n").status, 200);
  EXPECT_EQ(send("GET", "/items", "Host: APP.example:9999\r\n").status, 200);
  EXPECT_EQ(send("GET", "/items", "Host: exact.example:8443\r\n").status, 200);
  EXPECT_EQ(send("GET", "/items", "Host: exact.example:8444\r\n").status, 421);
  EXPECT_EQ(send("GET", "/items", "Host: evil.example\r\n").status, 421);
}

TEST_F(GuardTest, AnyHostWithStarOrCheckHostOff) {
  start({.allowed_hosts = {"*"}});
  EXPECT_EQ(send("GET", "/items", "Host: whatever.example\r\n").status, 200);
  server_.reset();
  start({.check_host = false});
  EXPECT_EQ(send("GET", "/items", "Host: whatever.example\r\n").status, 200);
  // Origin is still checked against the allowed hosts.
  EXPECT_EQ(send("POST", "/items",
                 "Host: whatever.example\r\nOrigin: http://evil.example\r\n"
                 "Content-Type: application/json\r\n",
                 "{}")
                .status,
            403);
}

TEST_F(GuardTest, ForeignOriginsCannotChangeState) {
  start({});
  const std::string host = "Host: " + self() + "\r\nContent-Type: application/json\r\n";
  EXPECT_EQ(send("POST", "/items", host + "Origin: http://evil.example\r\n", "{}").status, 403);
  EXPECT_EQ(send("POST", "/items", host + "Origin: null\r\n", "{}").status, 403);
  EXPECT_EQ(send("POST", "/items", host + "Origin: http://127.0.0.1:1\r\n", "{}").status, 403);
  EXPECT_EQ(send("POST", "/items", host + "Sec-Fetch-Site: cross-site\r\n", "{}").status, 403);
  // Same origin, and no Origin at all (curl, another service), pass.
  EXPECT_EQ(send("POST", "/items", host + "Origin: http://" + self() + "\r\n", "{}").status, 201);
  EXPECT_EQ(send("POST", "/items", host + "Sec-Fetch-Site: same-origin\r\n", "{}").status, 201);
  EXPECT_EQ(send("POST", "/items", host, "{}").status, 201);
  // A foreign Origin on a GET is not refused: the browser keeps the answer from the page.
  EXPECT_EQ(send("GET", "/items", "Host: " + self() + "\r\nOrigin: http://evil.example\r\n").status,
            200);
}

TEST_F(GuardTest, JsonRoutesRefuseOtherContentTypes) {
  start({});
  const std::string host = "Host: " + self() + "\r\n";
  // What a page may send cross-site without a preflight.
  EXPECT_EQ(send("POST", "/items", host + "Content-Type: text/plain\r\n", "{\"a\":1}").status, 415);
  EXPECT_EQ(
      send("POST", "/items", host + "Content-Type: application/x-www-form-urlencoded\r\n").status,
      415);
  EXPECT_EQ(
      send("POST", "/items", host + "Content-Type: multipart/form-data; boundary=x\r\n", "--x--")
          .status,
      415);
  EXPECT_EQ(send("POST", "/items", host, "{\"a\":1}").status, 415);  // a body without a type
  EXPECT_EQ(send("POST", "/items", host + "Content-Type: application/jsonx\r\n", "{}").status, 415);
  for (std::string type :
       {"application/json", "Application/JSON; charset=utf-8", "application/merge-patch+json"}) {
    EXPECT_EQ(send("POST", "/items", host + "Content-Type: " + type + "\r\n", "{}").status, 201)
        << type;
  }
  EXPECT_EQ(send("POST", "/items", host).status, 201);  // no body, no type
  server_.reset();
  start({.require_json = false});
  EXPECT_EQ(
      send("POST", "/items", host.substr(0, 6) + self() + "\r\nContent-Type: text/plain\r\n", "x")
          .status,
      201);
}

TEST_F(GuardTest, TokenIsRequiredWhenConfigured) {
  start({.token = "s3cret-token", .public_prefixes = {"/healthz"}});
  const std::string host = "Host: " + self() + "\r\n";
  Reply none = send("GET", "/items", host);
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.header("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(none.raw.find("s3cret"), std::string::npos);
  EXPECT_EQ(send("GET", "/items", host + "Authorization: Bearer s3cret-tokem\r\n").status, 401);
  EXPECT_EQ(send("GET", "/items", host + "Authorization: Bearer s3cret-token!\r\n").status, 401);
  EXPECT_EQ(send("GET", "/items", host + "Authorization: Basic czNjcmV0LXRva2Vu\r\n").status, 401);
  EXPECT_EQ(send("GET", "/items", host + "Authorization: Bearer s3cret-token\r\n").status, 200);
  EXPECT_EQ(send("GET", "/items", host + "authorization: bearer s3cret-token\r\n").status, 200);
  EXPECT_EQ(send("GET", "/healthz", host).status, 200);
  // The Host check comes first: a rebound page cannot even try tokens.
  EXPECT_EQ(
      send("GET", "/items", "Host: evil.example\r\nAuthorization: Bearer s3cret-token\r\n").status,
      421);
}

// The server reads a body only when the request reaches its handler: a client without the
// token is refused as soon as its header is in, is never invited to send the body (no
// 100 Continue), and holds none of the server's body budget; the connection then closes.
TEST_F(GuardTest, TheTokenIsCheckedBeforeTheBodyIsRead) {
  start({.token = "s3cret-token"});
  const std::string head = "POST /items HTTP/1.1\r\nHost: " + self() +
                           "\r\nContent-Type: application/json\r\nContent-Length: 500000\r\n" +
                           "Expect: 100-continue\r\n";
  RawConnection refused(server_->port(), std::chrono::seconds(5));
  ASSERT_TRUE(refused.send(head + "\r\n"));  // and no body
  const std::string answer = refused.read_response();
  EXPECT_EQ(status_of(answer), 401) << answer;
  EXPECT_EQ(answer.find("100 Continue"), std::string::npos) << answer;
  EXPECT_NE(RawConnection::lower(answer).find("connection: close"), std::string::npos) << answer;
  EXPECT_TRUE(refused.closed_by_peer());
  EXPECT_TRUE(tracekit::testing_wait([&] { return server_->stats().body_bytes_reserved == 0; }));
  // What follows a refused header is never read as a request: its body, or whatever poses as
  // one, is left unread and the connection closes after the one answer.
  RawConnection smuggler(server_->port(), std::chrono::seconds(5));
  const std::string inner = "GET /items HTTP/1.1\r\nHost: " + self() + "\r\n\r\n";
  ASSERT_TRUE(smuggler.send("POST /items HTTP/1.1\r\nHost: " + self() +
                            "\r\nContent-Type: application/json\r\nContent-Length: " +
                            std::to_string(inner.size()) + "\r\n\r\n" + inner));
  const std::string all = smuggler.read_all();
  EXPECT_EQ(status_of(all), 401) << all;
  EXPECT_EQ(all.find("HTTP/1.1", 8), std::string::npos) << all;
  // With the token, the client is asked for the body and the handler gets all of it.
  RawConnection allowed(server_->port(), std::chrono::seconds(5));
  ASSERT_TRUE(allowed.send(head + "Authorization: Bearer s3cret-token\r\n\r\n"));
  EXPECT_EQ(status_of(allowed.read_response()), 100);
  const std::string body = "\"" + std::string(499'998, 'x') + "\"";
  ASSERT_TRUE(allowed.send(body));
  const std::string created = allowed.read_response();
  EXPECT_EQ(status_of(created), 201);
  EXPECT_NE(created.find(body), std::string::npos);
}

TEST_F(GuardTest, BrowsersLogInOnceThroughACookie) {
  start({.token = "s3cret-token"});
  const std::string host = "Host: " + self() + "\r\n";
  EXPECT_EQ(send("GET", "/page?token=wrong", host).status, 401);
  Reply login = send("GET", "/page?token=s3cret-token", host);
  ASSERT_EQ(login.status, 303) << login.raw;
  EXPECT_EQ(login.header("Location"), "/page");
  const std::string cookie = login.header("Set-Cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos) << cookie;
  EXPECT_EQ(cookie.find("s3cret"), std::string::npos) << "the token is sent back as it is";
  // Nor hex-encoded: the browser sends the cookie to every service of the host (cookies ignore
  // ports), so it must not be the token that exporters and API clients use.
  EXPECT_EQ(cookie.find("7333637265742d746f6b656e"), std::string::npos) << cookie;
  const std::string pair = cookie.substr(0, cookie.find(';'));
  EXPECT_TRUE(pair.starts_with("tracekit_session=")) << pair;
  EXPECT_EQ(pair.size(), std::string("tracekit_session=").size() + 64) << "32 random bytes";
  EXPECT_EQ(send("GET", "/page", host + "Cookie: other=1; " + pair + "\r\n").status, 200);
  EXPECT_EQ(send("GET", "/items", host + "Cookie: " + pair + "\r\n").status, 200);
  EXPECT_EQ(send("GET", "/items", host + "Cookie: tracekit_session=00\r\n").status, 401);
  EXPECT_EQ(
      send("GET", "/items", host + "Cookie: tracekit_session=7333637265742d746f6b656e\r\n").status,
      401)
      << "the hex-encoded token is no login";
  // The redirect never leaves the site.
  EXPECT_EQ(send("GET", "//evil.example/?token=s3cret-token", host).header("Location"), "/");
  // The login is for reading pages: a POST with ?token= is not logged in.
  EXPECT_EQ(
      send("POST", "/items?token=s3cret-token", host + "Content-Type: application/json\r\n", "{}")
          .status,
      401);
  // The value belongs to the process: after a restart the old cookie logs in no more.
  server_.reset();
  start({.token = "s3cret-token"});
  const std::string new_host = "Host: " + self() + "\r\n";
  EXPECT_EQ(send("GET", "/items", new_host + "Cookie: " + pair + "\r\n").status, 401);
}

TEST_F(GuardTest, SecurityHeadersOnEveryAnswer) {
  start({});
  const std::string host = "Host: " + self() + "\r\n";
  for (auto [target, status] : {std::pair<std::string, int>{"/items", 200}, {"/nowhere", 404}}) {
    Reply r = send("GET", target, host);
    EXPECT_EQ(r.status, status);
    EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff") << target;
    EXPECT_EQ(r.header("X-Frame-Options"), "DENY") << target;
    EXPECT_EQ(r.header("Referrer-Policy"), "no-referrer") << target;
    EXPECT_NE(r.header("Content-Security-Policy").find("frame-ancestors 'none'"), std::string::npos)
        << target;
  }
  Reply refused = send("GET", "/items", "Host: evil.example\r\n");
  EXPECT_EQ(refused.header("X-Frame-Options"), "DENY");
  // A handler's own policy is kept.
  EXPECT_EQ(send("GET", "/page", host).header("Content-Security-Policy"), "default-src 'self'");
}

TEST(GuardHelpers, ConstantTimeEqualAndSplitList) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abd", "abc"));
  EXPECT_FALSE(constant_time_equal("ab", "abc"));
  EXPECT_FALSE(constant_time_equal("abcabc", "abc"));
  EXPECT_FALSE(constant_time_equal("", "abc"));
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_EQ(split_list(" a, b ,,c\td "), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_TRUE(split_list("").empty());
}

}  // namespace
}  // namespace tracekit::http
