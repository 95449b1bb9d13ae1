// SPDX-License-Identifier: Apache-2.0
// The client against real servers: reuse, timeouts, errors, limits, injection, and a traced
// call from inside a handler (service -> service).
#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <future>

#include "http_test_support.h"

namespace tracekit::http {
namespace {

using namespace std::chrono_literals;
using testing::attr_int;
using testing::attr_str;
using testing::wait_for_span;
using Awaitable = boost::asio::awaitable<Response>;

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::span_store()->clear();
    // Long enough that back-to-back requests on a loaded machine share a connection; short
    // enough for the test that waits for the server to close one.
    server_ = std::make_unique<Server>(ServerOptions{.idle_timeout = 1500ms});
    server_->use(tracing_middleware());
    server_->route("GET", "/echo-headers", [](Request& r) -> Awaitable {
      std::string out;
      for (const char* h : {"traceparent", "tracestate", "baggage", "user-agent"}) {
        out += std::string(h) + "=" + std::string(r.header(h).value_or("")) + "\n";
      }
      co_return Response::text(200, out);
    });
    server_->route("GET", "/sleep", [](Request&) -> Awaitable {
      boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, 2s);
      co_await t.async_wait(boost::asio::use_awaitable);
      co_return Response::text(200, "late");
    });
    server_->route("GET", "/big", [](Request&) -> Awaitable {
      co_return Response::text(200, std::string(5000, 'b'));
    });
    server_->route("POST", "/echo",
                   [](Request& r) -> Awaitable { co_return Response::text(200, r.body()); });
    server_->route("GET", "/fail",
                   [](Request&) -> Awaitable { co_return Response::error(503, "down"); });
    ASSERT_TRUE(server_->start().ok());
  }
  std::string url(std::string_view p) const { return server_->base_url() + std::string(p); }
  std::unique_ptr<Server> server_;
};

TEST_F(ClientTest, BlockingClientReusesConnectionsAcrossThreads) {
  BlockingClient c;
  const auto before = server_->stats().connections_accepted;
  for (int i = 0; i < 5; ++i) {
    auto r = c.request("POST", url("/echo"), "body" + std::to_string(i));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->body, "body" + std::to_string(i));
  }
  EXPECT_EQ(server_->stats().connections_accepted - before, 1u);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        auto r = c.request("GET", url("/big"));
        if (r.ok() && r->status == 200 && r->body.size() == 5000) ++ok;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(ok.load(), 80);
  EXPECT_LE(server_->stats().connections_accepted - before, 5u);
}

TEST_F(ClientTest, StalePooledConnectionIsRetriedOnAFreshOne) {
  BlockingClient c;
  ASSERT_TRUE(c.request("GET", url("/big")).ok());
  // The server closes the idle connection after idle_timeout.
  ASSERT_TRUE(tracekit::testing_wait([&] { return server_->stats().connections_open == 0; }));
  auto r = c.request("GET", url("/big"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
}

// A server that answers the first request on a connection and then reads the second whole and
// closes without an answer (as one does when it dies mid-request). A POST must not be sent
// again: the server may have acted on it (the web service's POST /execute ran a script twice).
// A GET is repeated on a fresh connection, which this server answers.
TEST_F(ClientTest, ARequestLostOnAReusedConnectionIsRepeatedOnlyWhenIdempotent) {
  for (const std::string method : {"POST", "GET"}) {
    SCOPED_TRACE(method);
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor acc(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    const uint16_t port = acc.local_endpoint().port();
    std::atomic<int> second_requests{0};
    std::atomic<bool> stop{false};
    // Reads one request (no body is sent by GET; POST sends Content-Length: 4).
    auto read_request = [](boost::asio::ip::tcp::socket& s) {
      std::string in;
      char buf[1024];
      boost::system::error_code ec;
      while (in.find("\r\n\r\n") == std::string::npos ||
             (in.starts_with("POST") && !in.ends_with("body"))) {
        const size_t n = s.read_some(boost::asio::buffer(buf), ec);
        if (ec) return std::string();
        in.append(buf, n);
      }
      return in;
    };
    std::thread t([&] {
      acc.non_blocking(true);
      int connection = 0;
      while (!stop) {
        boost::system::error_code ec;
        auto s = acc.accept(ec);
        if (ec) {
          std::this_thread::sleep_for(5ms);
          continue;
        }
        s.non_blocking(false);
        const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        if (connection++ == 0) {
          if (read_request(s).empty()) continue;
          boost::asio::write(s, boost::asio::buffer(ok), ec);
          if (read_request(s).find("/second") != std::string::npos) ++second_requests;
          s.close();  // no answer
        } else {
          if (read_request(s).find("/second") != std::string::npos) ++second_requests;
          boost::asio::write(s, boost::asio::buffer(ok), ec);
        }
      }
    });
    BlockingClient c(ClientOptions{.total_timeout = 5s});
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    auto first = c.request(method, base + "/first", method == "POST" ? "body" : "");
    ASSERT_TRUE(first.ok()) << first.error().message;
    auto second = c.request(method, base + "/second", method == "POST" ? "body" : "");
    std::this_thread::sleep_for(50ms);
    stop = true;
    t.join();
    if (method == "POST") {
      EXPECT_FALSE(second.ok()) << "the POST was answered";
      EXPECT_EQ(second_requests.load(), 1) << "the POST was sent again";
    } else {
      ASSERT_TRUE(second.ok()) << second.error().message;
      EXPECT_EQ(second_requests.load(), 2);
    }
  }
}

// Idle connections are bounded in all, not only per host, and are not reused past their idle
// timeout: a client calling many hosts once kept a descriptor open for each.
TEST_F(ClientTest, IdleConnectionsAreBoundedInAllAndExpire) {
  std::vector<std::unique_ptr<Server>> servers;
  for (int i = 0; i < 5; ++i) {
    servers.push_back(std::make_unique<Server>());
    servers.back()->route("GET", "/",
                          [](Request&) -> Awaitable { co_return Response::text(200, "x"); });
    ASSERT_TRUE(servers.back()->start().ok());
  }
  auto open_connections = [&] {
    uint64_t n = 0;
    for (auto& s : servers)
      n += s->stats().connections_open;
    return n;
  };
  {
    BlockingClient c(ClientOptions{.max_idle_connections = 2});
    for (auto& s : servers)
      ASSERT_TRUE(c.request("GET", s->base_url() + "/").ok());
    EXPECT_TRUE(tracekit::testing_wait([&] { return open_connections() == 2; }))
        << open_connections() << " connections kept";
    // The two kept are the two used last.
    const auto accepted = servers[4]->stats().connections_accepted;
    ASSERT_TRUE(c.request("GET", servers[4]->base_url() + "/").ok());
    EXPECT_EQ(servers[4]->stats().connections_accepted, accepted) << "not reused";
  }
  BlockingClient expiring(ClientOptions{.idle_connection_timeout = 1s});
  const auto before = servers[0]->stats().connections_accepted;
  ASSERT_TRUE(expiring.request("GET", servers[0]->base_url() + "/").ok());
  ASSERT_TRUE(expiring.request("GET", servers[0]->base_url() + "/").ok());
  EXPECT_EQ(servers[0]->stats().connections_accepted - before, 1u) << "reused while fresh";
  std::this_thread::sleep_for(1500ms);
  ASSERT_TRUE(expiring.request("GET", servers[0]->base_url() + "/").ok());
  EXPECT_EQ(servers[0]->stats().connections_accepted - before, 2u) << "reused past its timeout";
}

TEST_F(ClientTest, TimeoutsAndErrorsAreValues) {
  BlockingClient c(ClientOptions{.total_timeout = 200ms});
  auto slow = c.request("GET", url("/sleep"));
  ASSERT_FALSE(slow.ok());
  EXPECT_NE(slow.error().message.find("timed out"), std::string::npos) << slow.error().message;
  auto per_call = c.request("GET", url("/sleep"), "", {}, RequestOptions{.total_timeout = 50ms});
  ASSERT_FALSE(per_call.ok());

  uint16_t closed_port;
  {
    Server s;
    ASSERT_TRUE(s.start().ok());
    closed_port = s.port();
  }
  auto refused = c.request("GET", "http://127.0.0.1:" + std::to_string(closed_port) + "/");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("connect 127.0.0.1:" + std::to_string(closed_port)),
            std::string::npos)
      << refused.error().message;

  BlockingClient small(ClientOptions{.max_response_body_bytes = 1000});
  auto big = small.request("GET", url("/big"));
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.error().message.find("larger than 1000 bytes"), std::string::npos);

  // The client span of a failed call is ERROR with the message.
  auto failed = wait_for_span("GET", "");
  ASSERT_TRUE(failed);

  auto unresolvable = c.request("GET", "http://no-such-host.invalid/");
  ASSERT_FALSE(unresolvable.ok());
  EXPECT_NE(unresolvable.error().message.find("resolve"), std::string::npos);
}

TEST_F(ClientTest, MalformedResponseIsAnError) {
  // A "server" that answers garbage.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acc(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const uint16_t port = acc.local_endpoint().port();
  std::thread t([&] {
    auto s = acc.accept();
    char buf[1024];
    boost::system::error_code ec;
    s.read_some(boost::asio::buffer(buf), ec);
    boost::asio::write(s, boost::asio::buffer(std::string("NOT HTTP AT ALL\r\n\r\n")), ec);
    s.close();
  });
  BlockingClient c(ClientOptions{.total_timeout = 5s});
  auto r = c.request("GET", "http://127.0.0.1:" + std::to_string(port) + "/");
  t.join();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("reading the response"), std::string::npos) << r.error().message;
}

TEST_F(ClientTest, HeadersOrMethodsThatWouldSplitTheRequestAreRefusedUnsent) {
  BlockingClient c;
  const auto before = server_->stats().requests;
  // CR LF in a value would end the header and make the rest a second request to the server.
  const std::string smuggled = "1\r\n\r\nGET /echo-headers HTTP/1.1\r\nHost: x";
  auto value = c.request("GET", url("/big"), "", {{"X-Id", smuggled}});
  ASSERT_FALSE(value.ok());
  EXPECT_NE(value.error().message.find("invalid header 'X-Id'"), std::string::npos)
      << value.error().message;
  auto name = c.request("GET", url("/big"), "", {{"X-Id: 1\r\nX-Other", "2"}});
  ASSERT_FALSE(name.ok());
  auto method = c.request("GET /echo-headers HTTP/1.1\r\nHost: x\r\n\r\nGET", url("/big"));
  ASSERT_FALSE(method.ok());
  EXPECT_NE(method.error().message.find("invalid method"), std::string::npos)
      << method.error().message;
  // Nothing reached the server; a well-formed request on the same client still works.
  EXPECT_EQ(server_->stats().requests, before);
  auto ok = c.request("GET", url("/big"), "", {{"X-Id", "1"}});
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->status, 200);
}

TEST(ParseUrl, AcceptsHttpAndHttpsAndExplainsEverythingElse) {
  auto p = parse_url("http://example.com:8080/a/b?c=d#frag");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->host, "example.com");
  EXPECT_EQ(p->port, 8080);
  EXPECT_EQ(p->target, "/a/b?c=d");
  EXPECT_EQ(parse_url("http://h")->target, "/");
  EXPECT_EQ(parse_url("http://h?x=1")->target, "/?x=1");
  EXPECT_EQ(parse_url("http://[::1]:9000/x")->host, "::1");
  for (const char* bad :
       {"ftp://h/", "h/x", "https:/h/", "http://:80/", "https://:443/", "http://h:0/",
        "http://h:70000/", "https://h:8a/", "http://u:p@h/", "http://h/a b", "http://[::1/"}) {
    auto r = parse_url(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find(bad), std::string::npos) << r.error().message;
  }
}

TEST(ParseUrl, HttpsDefaultsToPort443) {
  auto p = parse_url("https://example.com/a?b=c");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->scheme, "https");
  EXPECT_TRUE(p->tls());
  EXPECT_EQ(p->host, "example.com");
  EXPECT_EQ(p->port, 443);
  EXPECT_EQ(p->target, "/a?b=c");
  auto explicit_port = parse_url("https://example.com:8443");
  ASSERT_TRUE(explicit_port.ok());
  EXPECT_EQ(explicit_port->port, 8443);
  EXPECT_EQ(explicit_port->target, "/");
  auto plain = parse_url("http://example.com/");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->scheme, "http");
  EXPECT_FALSE(plain->tls());
  EXPECT_EQ(plain->port, 80);
  // Schemes are case-insensitive (RFC 3986).
  auto upper = parse_url("HTTPS://example.com/");
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(upper->scheme, "https");
  EXPECT_EQ(upper->port, 443);
}

TEST(ParseUrl, HostHeaderOmitsTheSchemesDefaultPort) {
  EXPECT_EQ(parse_url("https://example.com/")->authority(), "example.com");
  EXPECT_EQ(parse_url("https://example.com:443/")->authority(), "example.com");
  EXPECT_EQ(parse_url("https://example.com:8443/")->authority(), "example.com:8443");
  EXPECT_EQ(parse_url("https://example.com:80/")->authority(), "example.com:80");
  EXPECT_EQ(parse_url("http://example.com:80/")->authority(), "example.com");
  EXPECT_EQ(parse_url("http://example.com:443/")->authority(), "example.com:443");
  EXPECT_EQ(parse_url("http://[::1]:8080/")->authority(), "[::1]:8080");
  EXPECT_EQ(parse_url("https://[::1]/")->authority(), "[::1]");
}

// The span's URL as on the server side: no fragment, secret query values redacted, or the
// query left out.
TEST_F(ClientTest, TheSpansUrlRedactsSecrets) {
  auto root = get_tracer("test").start_span("root");
  const std::string trace = root.context().trace_id().to_hex();
  {
    Scope scope(Context().with_span(root));
    BlockingClient c(ClientOptions{.semconv = Semconv::kDuplicate});
    ASSERT_TRUE(c.request("GET", url("/big?sig=abc&X-Amz-Credential=k&Page=2#part")).ok());
    BlockingClient omit(ClientOptions{.omit_query = true});
    ASSERT_TRUE(omit.request("GET", url("/echo-headers?token=abc")).ok());
  }
  ASSERT_TRUE(testing_wait([&] {
    int n = 0;
    for (auto& s : testing::span_store()->spans())
      n += s->kind() == SpanKind::kClient && s->context().trace_id().to_hex() == trace;
    return n == 2;
  }));
  std::vector<std::string> urls;
  for (auto& s : testing::span_store()->spans()) {
    if (s->kind() != SpanKind::kClient || s->context().trace_id().to_hex() != trace) continue;
    urls.push_back(attr_str(*s, "http.url") + " " + attr_str(*s, "url.full"));
  }
  std::sort(urls.begin(), urls.end());
  const std::string big = url("/big?sig=REDACTED&X-Amz-Credential=REDACTED&Page=2");
  EXPECT_EQ(urls, (std::vector<std::string>{big + " " + big, url("/echo-headers") + " "}));
}

TEST_F(ClientTest, InjectsTraceparentTracestateAndBaggage) {
  BlockingClient c(ClientOptions{.user_agent = "test-agent/2"});
  auto root = get_tracer("test").start_span("root");
  const Context ctx = Context().with_span(root).with_baggage(Baggage().set("tenant", "acme"));
  Result<ClientResponse> r = Error{"not run"};
  {
    Scope scope(ctx);
    r = c.request("GET", url("/echo-headers"));
  }
  ASSERT_TRUE(r.ok());
  auto client = wait_for_span("GET", root.context().trace_id().to_hex());
  ASSERT_TRUE(client);
  char flags[3];
  std::snprintf(flags, sizeof flags, "%02x", client->context().flags().bits());
  EXPECT_NE(r->body.find("traceparent=00-" + root.context().trace_id().to_hex() + "-" +
                         client->context().span_id().to_hex() + "-" + flags),
            std::string::npos)
      << r->body;
  EXPECT_NE(r->body.find("baggage=tenant=acme"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("user-agent=test-agent/2"), std::string::npos);
  EXPECT_EQ(attr_str(*client, "net.peer.name"), "127.0.0.1");
  EXPECT_EQ(attr_int(*client, "net.peer.port"), server_->port());

  // 5xx answers are responses, and the client span is ERROR.
  auto f = c.request("GET", url("/fail"));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->status, 503);
}

TEST_F(ClientTest, HandlerCallingAnotherServiceContinuesTheTrace) {
  // web -> runner, as Skriptoteket does: the web handler calls the runner with the coroutine
  // client; the runner's server span is a child of the web's client span, which is a child of
  // the web's server span.
  Server web;
  web.use(tracing_middleware());
  const std::string runner_url = url("/echo");
  web.route("POST", "/run", [runner_url](Request& r) -> Awaitable {
    // The GCC 12 trap this shape used to hit is covered by the Client overloads.
    Client client(co_await boost::asio::this_coro::executor);
    auto res = co_await client.request("POST", runner_url, r.body());
    if (!res) co_return Response::error(502, res.error().message);
    co_return Response::text(200, "runner said " + res->body);
  });
  ASSERT_TRUE(web.start().ok());
  BlockingClient c(ClientOptions{.tracing = false});
  auto r = c.request("POST", web.base_url() + "/run", "hello");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "runner said hello");
  const std::string trace(r->header("x-trace-id").value_or(""));
  auto web_span = wait_for_span("POST /run", trace);
  auto client_span = wait_for_span("POST", trace);
  auto runner_span = wait_for_span("POST /echo", trace);
  ASSERT_TRUE(web_span && client_span && runner_span);
  EXPECT_EQ(client_span->parent_span_id(), web_span->context().span_id());
  EXPECT_EQ(runner_span->parent_span_id(), client_span->context().span_id());
}

}  // namespace
}  // namespace tracekit::http
