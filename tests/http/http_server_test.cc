// SPDX-License-Identifier: Apache-2.0
// The server on real sockets: routing, limits, keep-alive, handler forms, errors, static files,
// correlation ids, graceful stop.
#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <future>

#include "http_test_support.h"

namespace tracekit::http {
namespace {

using namespace std::chrono_literals;
using testing::RawConnection;
using testing::status_of;
using Awaitable = boost::asio::awaitable<Response>;

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<Server>(options());
    server_->route("GET", "/tools/{id}", [](Request& r) -> Awaitable {
      co_return Response::json(200, "{\"id\":\"" + std::string(r.param("id")) + "\"}");
    });
    server_->route("GET", "/tools/new",
                   [](Request&) -> Awaitable { co_return Response::text(200, "literal"); });
    server_->route("POST", "/tools/{id}",
                   [](Request& r) -> Awaitable { co_return Response::text(201, r.body()); });
    server_->route("GET", "/files/{path...}", [](Request& r) -> Awaitable {
      co_return Response::text(200, std::string(r.param("path")));
    });
    server_->route("GET", "/query", [](Request& r) -> Awaitable {
      co_return Response::text(200, r.query_param("q").value_or("<none>"));
    });
    server_->route("POST", "/blocking", [](Request& r) {
      std::ostringstream id;
      id << std::this_thread::get_id();
      return Response::text(200, id.str() + "|" + r.body());
    });
    server_->route("GET", "/io-thread", [](Request&) -> Awaitable {
      std::ostringstream id;
      id << std::this_thread::get_id();
      co_return Response::text(200, id.str());
    });
    server_->route("GET", "/throw", [](Request&) -> Awaitable {
      throw std::runtime_error("handler failed");
      co_return Response::text(200, "unreachable");
    });
    server_->route("GET", "/throw-blocking",
                   [](Request&) -> Response { throw std::logic_error("blocking handler failed"); });
    server_->route(
        "POST", "/big",
        [](Request& r) -> Awaitable {
          co_return Response::text(200, std::to_string(r.body().size()));
        },
        RouteOptions{.max_body_bytes = 4 * 1024 * 1024});
    server_->route("GET", "/slow", [](Request&) -> Awaitable {
      boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, 300ms);
      co_await t.async_wait(boost::asio::use_awaitable);
      co_return Response::text(200, "slow done");
    });
    server_->route("GET", "/unsafe-headers", [](Request& r) -> Awaitable {
      // What a handler might do with a query parameter: echo it into a header.
      Response resp = Response::text(200, "body");
      resp.set_header("X-Echo", std::string(r.query_param("v").value_or("")));
      resp.set_header("Bad Name", "1");
      resp.set_header("X-Ok", "fine");
      co_return resp;
    });
    server_->route("GET", "/empty",
                   [](Request&) -> Awaitable { co_return Response::text(204, "ignored"); });
    server_->route("GET", "/correlation", [](Request& r) -> Awaitable {
      co_return Response::text(
          200, r.correlation_id() + "|" + std::string(log::current_correlation_id()));
    });
    ASSERT_TRUE(server_->start().ok());
  }
  virtual ServerOptions options() {
    ServerOptions o;
    o.max_body_bytes = 1024;
    o.max_header_bytes = 2048;
    o.header_timeout = 500ms;
    return o;
  }
  std::string url(std::string_view path) const { return server_->base_url() + std::string(path); }
  ClientResponse get(std::string_view path) {
    auto r = client_.request("GET", url(path));
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(*r) : ClientResponse{};
  }

  std::unique_ptr<Server> server_;
  BlockingClient client_{ClientOptions{.tracing = false}};
};

TEST_F(ServerTest, RouteParamsAndLiteralsWin) {
  auto r = get("/tools/abc%20def");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"id\":\"abc def\"}");
  EXPECT_EQ(r.header("content-type").value_or(""), "application/json");
  EXPECT_EQ(get("/tools/new").body, "literal");
  EXPECT_EQ(get("/files/a/b/c.txt").body, "a/b/c.txt");
  EXPECT_EQ(get("/query?x=1&q=hello+world%21").body, "hello world!");
}

TEST_F(ServerTest, NotFoundAndMethodNotAllowed) {
  auto r = get("/nothing");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("\"error\""), std::string::npos);
  auto d = client_.request("DELETE", url("/tools/1"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->status, 405);
  EXPECT_EQ(d->header("allow").value_or(""), "GET, POST, HEAD");
  EXPECT_EQ(get("/tools").status, 404);
  EXPECT_EQ(get("/tools/").status, 404);
}

TEST_F(ServerTest, HeadUsesGetRouteWithoutBody) {
  RawConnection c(server_->port());
  c.send("HEAD /tools/7 HTTP/1.1\r\nHost: x\r\n\r\n");
  // Content-Length announces the GET body, but none follows: the next response starts
  // right after the header.
  const std::string head = c.read_response(/*header_only=*/true);
  EXPECT_EQ(status_of(head), 200);
  EXPECT_NE(RawConnection::lower(head).find("content-length: 10"), std::string::npos) << head;
  c.send("GET /tools/8 HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string next = c.read_response();
  EXPECT_EQ(status_of(next), 200) << next;
  EXPECT_NE(next.find("{\"id\":\"8\"}"), std::string::npos);
}

TEST_F(ServerTest, ResponsesAreFramedByTheirLengthAndVersion) {
  RawConnection c(server_->port());
  // Two requests in one write: each response is exactly its header and its announced body.
  c.send(
      "GET /tools/1 HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /empty HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string first = c.read_response();
  EXPECT_TRUE(first.starts_with("HTTP/1.1 200 OK\r\n")) << first;
  EXPECT_TRUE(first.ends_with("\r\n\r\n{\"id\":\"1\"}")) << first;
  const std::string second = c.read_response(/*header_only=*/true);
  EXPECT_TRUE(second.starts_with("HTTP/1.1 204 No Content\r\n")) << second;
  EXPECT_EQ(RawConnection::lower(second).find("content-length"), std::string::npos) << second;
  // Nothing follows a 204: the next response starts right after its header.
  c.send("GET /tools/3 HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string third = c.read_response();
  EXPECT_TRUE(third.starts_with("HTTP/1.1 200 OK\r\n")) << third;

  // An HTTP/1.0 client gets an HTTP/1.0 answer, and the connection ends after it.
  RawConnection old(server_->port());
  old.send("GET /tools/2 HTTP/1.0\r\n\r\n");
  const std::string answer = old.read_all();
  EXPECT_TRUE(answer.starts_with("HTTP/1.0 200 OK\r\n")) << answer;
  EXPECT_TRUE(answer.ends_with("{\"id\":\"2\"}")) << answer;
}

TEST_F(ServerTest, HeadersThatWouldSplitTheResponseAreLeftOutAndLogged) {
  testing::LogCapture logs;
  RawConnection c(server_->port());
  // v = "a\r\nSet-Cookie: session=stolen\r\n\r\n<html>": sent as it is, it would end the header
  // and hand the client a cookie and a body of the attacker's choosing.
  c.send(
      "GET /unsafe-headers?v=a%0D%0ASet-Cookie:%20session=stolen%0D%0A%0D%0A%3Chtml%3E "
      "HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string raw = c.read_response();
  const std::string lower = RawConnection::lower(raw);
  EXPECT_EQ(status_of(raw), 200) << raw;
  EXPECT_EQ(lower.find("set-cookie"), std::string::npos) << raw;
  EXPECT_EQ(lower.find("x-echo"), std::string::npos) << raw;
  EXPECT_EQ(lower.find("bad name"), std::string::npos) << raw;
  EXPECT_NE(lower.find("\r\nx-ok: fine\r\n"), std::string::npos) << raw;
  EXPECT_TRUE(raw.ends_with("\r\n\r\nbody")) << raw;
  // A harmless value goes out as it came.
  c.send("GET /unsafe-headers?v=plain HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string next = RawConnection::lower(c.read_response());
  EXPECT_NE(next.find("\r\nx-echo: plain\r\n"), std::string::npos) << next;

  auto logged = logs.events("http.unsafe_response_header");
  ASSERT_EQ(logged.size(), 2u);  // one per response; the second left out only "Bad Name"
  EXPECT_EQ(testing::str(logged[0], "path"), "/unsafe-headers");
  EXPECT_EQ(logged[0].at("dropped").as_int64(), 2);
  EXPECT_EQ(logged[1].at("dropped").as_int64(), 1);
}

TEST_F(ServerTest, BodyLimitGives413ByContentLengthAndChunked) {
  auto r = client_.request("POST", url("/tools/1"), std::string(2000, 'x'));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 413);
  auto ok = client_.request("POST", url("/tools/1"), std::string(1000, 'y'));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->status, 201);
  EXPECT_EQ(ok->body.size(), 1000u);

  RawConnection c(server_->port());
  std::string chunked = "POST /tools/1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i)
    chunked += "200\r\n" + std::string(512, 'z') + "\r\n";
  chunked += "0\r\n\r\n";
  c.send(chunked);
  const std::string raw = c.read_all();
  EXPECT_EQ(status_of(raw), 413) << raw;
}

// The body is read when the request reaches its handler: middleware sees the header first
// (and can refuse the request before the body is sent), or reads the body itself with
// Next::read_body. A body that does not arrive in time ends the request as a 408 through the
// middleware (traced, logged); the client only sees the connection close, since the timeout has
// closed the socket.
TEST(ServerBody, MiddlewareRunsBeforeTheBodyIsReadAndMayReadItItself) {
  ServerOptions o;
  o.body_timeout = 300ms;
  Server server(o);
  std::atomic<size_t> seen_before_next{99}, seen_after_next{0};
  std::atomic<int> last_status{0}, read_body_refusal{0};
  server.use([&](Request& req, Next next) -> Awaitable {
    Response r = co_await next(req);
    last_status = r.status();
    co_return r;
  });
  server.use([&](Request& req, Next next) -> Awaitable {
    if (req.path() == "/peek") {
      if (auto failure = co_await next.read_body(req)) {
        read_body_refusal = failure->status();
        co_return std::move(*failure);
      }
      Response r = co_await next(req);
      r.set_header("X-Peeked", std::to_string(req.body().size()));
      co_return r;
    }
    seen_before_next = req.body().size();
    Response r = co_await next(req);
    seen_after_next = req.body().size();
    co_return r;
  });
  server.route("POST", "/echo",
               [](Request& r) -> Awaitable { co_return Response::text(200, r.body()); });
  server.route("POST", "/peek",
               [](Request& r) -> Awaitable { co_return Response::text(200, r.body()); });
  ASSERT_TRUE(server.start().ok());
  const auto post = [](std::string_view path, std::string_view body) {
    return "POST " + std::string(path) +
           " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
           std::string(body);
  };
  RawConnection c(server.port(), 5s);
  c.send(post("/echo", "hello"));
  const std::string echoed = c.read_response();
  EXPECT_EQ(status_of(echoed), 200);
  EXPECT_TRUE(echoed.ends_with("\r\n\r\nhello")) << echoed;
  EXPECT_EQ(seen_before_next.load(), 0u);
  EXPECT_EQ(seen_after_next.load(), 5u);
  EXPECT_EQ(last_status.load(), 200);
  // On the same connection: a middleware that reads the body first; then a POST to no route,
  // whose body is read (and dropped) so that the connection stays usable.
  c.send(post("/peek", "abc"));
  const std::string peeked = c.read_response();
  EXPECT_EQ(status_of(peeked), 200);
  EXPECT_NE(RawConnection::lower(peeked).find("x-peeked: 3"), std::string::npos) << peeked;
  // A body refused unread (over the limit) is refused to the middleware too, not given as empty.
  RawConnection big(server.port(), 5s);
  big.send("POST /peek HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n");
  EXPECT_EQ(status_of(big.read_response()), 413);
  EXPECT_EQ(read_body_refusal.load(), 413);
  c.send(post("/nowhere", "xyz"));
  EXPECT_EQ(status_of(c.read_response()), 404);
  c.send(post("/echo", "again"));
  EXPECT_EQ(status_of(c.read_response()), 200);
  // A body that stops arriving. (The middleware sees the 408 after the timeout has closed the
  // socket, so the client may see the close first: the test waits for it.)
  for (const char* path : {"/echo", "/peek"}) {
    last_status = 0;
    RawConnection late(server.port(), 5s);
    late.send("POST " + std::string(path) +
              " HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
    EXPECT_EQ(late.read_all(), "") << path;
    EXPECT_TRUE(tracekit::testing_wait([&] { return last_status.load() == 408; }))
        << path << ": " << last_status.load();
  }
}

TEST_F(ServerTest, PerRouteBodyLimitOverride) {
  auto r = client_.request("POST", url("/big"), std::string(3 * 1024 * 1024, 'b'));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, std::to_string(3 * 1024 * 1024));
}

TEST_F(ServerTest, KeepAliveReusesOneConnection) {
  const auto before = server_->stats().connections_accepted;
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(get("/tools/" + std::to_string(i)).status, 200);
  EXPECT_EQ(server_->stats().connections_accepted - before, 1u);
  RawConnection c(server_->port());
  c.send("GET /tools/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /tools/2 HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string first = c.read_response();
  const std::string second = c.read_response();
  EXPECT_NE(first.find("{\"id\":\"1\"}"), std::string::npos);
  EXPECT_NE(second.find("{\"id\":\"2\"}"), std::string::npos);
}

TEST_F(ServerTest, BlockingHandlersRunOnWorkers) {
  auto io = get("/io-thread").body;
  auto r = client_.request("POST", url("/blocking"), "payload");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  const auto bar = r->body.find('|');
  ASSERT_NE(bar, std::string::npos);
  EXPECT_NE(r->body.substr(0, bar), io);
  EXPECT_EQ(r->body.substr(bar + 1), "payload");
}

TEST_F(ServerTest, ExceptionsBecome500AndTheConnectionSurvives) {
  RawConnection c(server_->port());
  c.send("GET /throw HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string r1 = c.read_response();
  EXPECT_EQ(status_of(r1), 500);
  EXPECT_NE(r1.find("{\"error\":\"internal server error\",\"status\":500}"), std::string::npos);
  c.send("GET /throw-blocking HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(c.read_response()), 500);
  c.send("GET /tools/9 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(c.read_response()), 200);
}

TEST_F(ServerTest, CorrelationIdIsEchoedOrMade) {
  auto r = client_.request("GET", url("/correlation"), "", {{"X-Correlation-ID", "req-42.a:b_c"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "req-42.a:b_c|req-42.a:b_c");
  EXPECT_EQ(r->header("x-correlation-id").value_or(""), "req-42.a:b_c");
  // Not sane (a space, a quote, too long): replaced by a UUIDv4.
  for (std::string bad : {std::string("bad id"), std::string("x\"y"), std::string(200, 'a')}) {
    auto b = client_.request("GET", url("/correlation"), "", {{"X-Correlation-ID", bad}});
    ASSERT_TRUE(b.ok());
    const std::string id(b->header("x-correlation-id").value_or(""));
    ASSERT_EQ(id.size(), 36u) << id;
    EXPECT_EQ(id[14], '4');
    EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b');
    EXPECT_EQ(b->body, id + "|" + id);
  }
}

TEST_F(ServerTest, MalformedRequestsGet400AndServerKeepsServing) {
  for (std::string bad : {std::string("GARBAGE\r\n\r\n"), std::string("GET / HTTP/9.9\r\n\r\n"),
                          std::string("GET /x HTTP/1.1\r\nBad Header\r\n\r\n"),
                          std::string("\x01\x02\x03\r\n\r\n")}) {
    RawConnection c(server_->port());
    c.send(bad);
    const std::string raw = c.read_all();
    EXPECT_EQ(status_of(raw), 400) << raw;
  }
  EXPECT_EQ(get("/tools/1").status, 200);
}

TEST_F(ServerTest, OversizedHeaderGets431) {
  RawConnection c(server_->port());
  c.send("GET /tools/1 HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'h') + "\r\n\r\n");
  const std::string raw = c.read_all();
  EXPECT_EQ(status_of(raw), 431) << raw;
  EXPECT_EQ(get("/tools/1").status, 200);
}

TEST_F(ServerTest, SlowlorisPartialRequestsAreCutOff) {
  // Several connections trickle a header that never completes; each is closed once
  // header_timeout passes, while normal requests keep being served.
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < 5; ++i) {
    slow.push_back(std::make_unique<RawConnection>(server_->port()));
    slow.back()->send("GET /tools/1 HTTP/1.1\r\nHost: x\r\nX-A: ");
  }
  EXPECT_EQ(get("/tools/2").status, 200);
  for (auto& c : slow) {
    c->send("a");
    EXPECT_TRUE(c->closed_by_peer());
  }
  // A connection that never sends a byte is closed too.
  RawConnection silent(server_->port());
  EXPECT_TRUE(silent.closed_by_peer());
  EXPECT_EQ(get("/tools/3").status, 200);
}

TEST_F(ServerTest, GracefulStopFinishesInFlightRequests) {
  auto slow = std::async(std::launch::async, [&] {
    BlockingClient c(ClientOptions{.tracing = false});
    return c.request("GET", url("/slow"));
  });
  ASSERT_TRUE(tracekit::testing_wait([&] { return server_->stats().requests_in_flight == 1; }));
  EXPECT_TRUE(server_->stop(5s));
  auto r = slow.get();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "slow done");
  EXPECT_EQ(r->header("connection").value_or(""), "close");
  EXPECT_FALSE(client_.request("GET", url("/tools/1")).ok());
}

TEST(ServerStop, ABlockingHandlerThatNeverReturnsDoesNotHoldUpStop) {
  // A blocking handler stuck on something that never comes (a dead database, a lost lock) must
  // not turn a bounded stop into a hang: stop() gives up at its deadline and says so.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> entered{false};
  // Destroyed with the server's routes: tells when the server is really gone.
  auto token = std::make_shared<int>(0);
  std::weak_ptr<int> server_alive = token;
  auto server = std::make_unique<Server>();
  server->route("GET", "/stuck", [&, released, token = std::move(token)](Request&) {
    entered = true;
    released.wait();
    return Response::text(200, "too late");
  });
  server->route("GET", "/ok", [](Request&) { return Response::text(200, "ok"); });
  ASSERT_TRUE(server->start().ok());
  const std::string base = server->base_url();
  auto stuck = std::async(std::launch::async, [&] {
    BlockingClient c(ClientOptions{.total_timeout = 20s, .tracing = false});
    return c.request("GET", base + "/stuck");
  });
  ASSERT_TRUE(tracekit::testing_wait([&] { return entered.load(); }));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(server->stop(300ms)) << "a request was still running at the deadline";
  server.reset();
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, 5s) << "stop and the destructor waited for the stuck handler";
  EXPECT_FALSE(stuck.get().ok()) << "the stuck request's connection is closed";
  EXPECT_FALSE(server_alive.expired()) << "the stuck handler's server must outlive it";
  release.set_value();
  // Once the handler returns, its worker is joined and the rest of the server goes.
  EXPECT_TRUE(tracekit::testing_wait([&] { return server_alive.expired(); }));
}

TEST_F(ServerTest, RunUntilSignalStopsOnSigterm) {
  Server s;
  s.route("GET", "/", [](Request&) -> Awaitable { co_return Response::text(200, "hi"); });
  ASSERT_TRUE(s.start().ok());
  auto done = std::async(std::launch::async, [&] { return s.run_until_signal(2s); });
  EXPECT_EQ(client_.request("GET", s.base_url() + "/")->status, 200);
  // Raise only once the server's handler is installed (the default action would end the test).
  ASSERT_TRUE(tracekit::testing_wait([] {
    struct sigaction current {};
    sigaction(SIGTERM, nullptr, &current);
    return current.sa_handler != SIG_DFL;
  }));
  std::future_status st = std::future_status::timeout;
  for (int i = 0; i < 200 && st != std::future_status::ready; ++i) {
    std::raise(SIGTERM);
    st = done.wait_for(50ms);
  }
  ASSERT_EQ(st, std::future_status::ready);
  EXPECT_EQ(done.get(), 0);
  EXPECT_FALSE(s.running());
}

// A supervisor (or a test) may stop the service as soon as it answers, before its main thread
// reaches run_until_signal(). With catch_signals() before start(), that SIGTERM is not lost:
// without it, the default action would end this test's process.
TEST_F(ServerTest, ASignalCaughtBeforeStartIsNotLostBeforeRunUntilSignal) {
  Server s;
  s.route("GET", "/", [](Request&) -> Awaitable { co_return Response::text(200, "hi"); });
  s.catch_signals();
  ASSERT_TRUE(s.start().ok());
  EXPECT_EQ(client_.request("GET", s.base_url() + "/")->status, 200);
  std::raise(SIGTERM);
  auto done = std::async(std::launch::async, [&] { return s.run_until_signal(2s); });
  ASSERT_EQ(done.wait_for(30s), std::future_status::ready);
  EXPECT_EQ(done.get(), 0);
  EXPECT_FALSE(s.running());
}

TEST(ServerStart, BadOptionsAndPatternsAreErrors) {
  {
    Server s(ServerOptions{.address = "not-an-ip"});
    auto r = s.start();
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("not-an-ip"), std::string::npos);
  }
  {
    Server s;
    s.route("GET", "tools/{id", [](Request&) -> Awaitable { co_return Response(); });
    auto r = s.start();
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("tools/{id"), std::string::npos);
  }
  {
    Server a;
    ASSERT_TRUE(a.start().ok());
    Server b(ServerOptions{.port = a.port()});
    auto r = b.start();
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("cannot bind"), std::string::npos);
  }
}

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ =
        std::filesystem::temp_directory_path() / ("tracekit_static_" + std::to_string(::getpid()));
    std::filesystem::create_directories(root_ / "public" / "css");
    std::ofstream(root_ / "public" / "index.html") << "<h1>hi</h1>";
    std::ofstream(root_ / "public" / "css" / "site.css") << "body{}";
    std::ofstream(root_ / "secret.txt") << "secret";
    std::filesystem::create_symlink(root_ / "secret.txt", root_ / "public" / "link.txt");
    ServerOptions o;
    o.static_dir = (root_ / "public").string();
    server_ = std::make_unique<Server>(o);
    ASSERT_TRUE(server_->start().ok());
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(root_);
  }
  std::filesystem::path root_;
  std::unique_ptr<Server> server_;
  BlockingClient client_{ClientOptions{.tracing = false}};
};

TEST_F(StaticFilesTest, ServesFilesWithTypesAndRefusesTraversal) {
  auto css = client_.request("GET", server_->base_url() + "/static/css/site.css");
  ASSERT_TRUE(css.ok());
  EXPECT_EQ(css->status, 200);
  EXPECT_EQ(css->body, "body{}");
  EXPECT_EQ(css->header("content-type").value_or(""), "text/css; charset=utf-8");
  auto index = client_.request("GET", server_->base_url() + "/static/");
  ASSERT_TRUE(index.ok());
  EXPECT_EQ(index->body, "<h1>hi</h1>");
  EXPECT_EQ(index->header("content-type").value_or(""), "text/html; charset=utf-8");
  for (std::string path :
       {"/static/../secret.txt", "/static/%2e%2e/secret.txt", "/static/css/..%2f..%2fsecret.txt",
        "/static/link.txt", "/static/missing.js", "/static/%00"}) {
    RawConnection c(server_->port());
    c.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
    const std::string raw = c.read_response();
    EXPECT_EQ(status_of(raw), 404) << path << "\n" << raw;
    EXPECT_EQ(raw.find("secret\""), std::string::npos);
  }
  auto post = client_.request("POST", server_->base_url() + "/static/css/site.css", "x");
  ASSERT_TRUE(post.ok());
  EXPECT_EQ(post->status, 405);
}

}  // namespace
}  // namespace tracekit::http
