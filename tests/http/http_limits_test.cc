// SPDX-License-Identifier: Apache-2.0
// Connection limits and timeouts on real sockets: the per-client connection cap and its
// eviction of waiting connections, a slow reader cut at write_timeout, and what a response that
// fits in the socket buffers means for it.
#include <condition_variable>
#include <mutex>

#include "http_test_support.h"

namespace tracekit::http {
namespace {

using namespace std::chrono_literals;
using testing::RawConnection;
using testing::status_of;
using Awaitable = boost::asio::awaitable<Response>;

constexpr std::string_view kGet = "GET /small HTTP/1.1\r\nHost: x\r\n\r\n";

std::unique_ptr<Server> start_server(ServerOptions o, size_t big_bytes = 64u << 20) {
  auto server = std::make_unique<Server>(std::move(o));
  server->route("GET", "/small",
                [](Request&) -> Awaitable { co_return Response::text(200, "ok"); });
  server->route("GET", "/big", [big_bytes](Request&) -> Awaitable {
    co_return Response::text(200, std::string(big_bytes, 'x'));
  });
  EXPECT_TRUE(server->start().ok());
  return server;
}

TEST(ConnectionLimits, OneClientCannotTakeEveryConnection) {
  ServerOptions o;
  o.max_connections_per_client = 4;
  auto server = start_server(o);
  // Four connections from 127.0.0.1 are allowed, and stay usable.
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<RawConnection>(server->port(), 5s));
    ASSERT_TRUE(held.back()->connected());
    ASSERT_TRUE(tracekit::testing_wait(
        [&] { return server->stats().connections_open == static_cast<uint64_t>(i + 1); }));
  }
  held[1]->send(kGet);
  EXPECT_EQ(status_of(held[1]->read_response()), 200);
  // Another client (127.0.0.2 is loopback too) has its own four.
  RawConnection other(server->port(), 5s, "127.0.0.2");
  ASSERT_TRUE(other.connected());
  other.send(kGet);
  EXPECT_EQ(status_of(other.read_response()), 200);
  EXPECT_EQ(server->stats().connections_refused, 0u);
  EXPECT_EQ(server->stats().connections_evicted, 0u);
}

// Idle connections cannot lock a client out (and with it every local client, all 127.0.0.1): a
// new connection evicts the one that has waited longest for a request, whether idle after an
// answer or stuck in the middle of its header. A connection receiving a body, or with a request
// being handled, is never evicted; when every one is such, the new connection is refused.
TEST(ConnectionLimits, ANewConnectionEvictsTheLongestWaitingOneOfItsClient) {
  ServerOptions o;
  o.max_connections_per_client = 3;
  o.worker_threads = 4;
  auto server = std::make_unique<Server>(o);
  server->route("GET", "/small",
                [](Request&) -> Awaitable { co_return Response::text(200, "ok"); });
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  server->route("GET", "/hold", [&](Request&) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return release; });
    return Response::text(200, "held");
  });
  server->route("POST", "/upload",
                [](Request& req) -> Awaitable { co_return Response::text(200, req.body()); });
  ASSERT_TRUE(server->start().ok());
  // Once the server has noted when each waiting connection began to wait (a loaded machine may
  // note it well after the answer was read), so that the next connection waits from later.
  auto settled = [&](uint64_t open, uint64_t in_flight, uint64_t waiting) {
    const bool ok = tracekit::testing_wait([&] {
      const auto st = server->stats();
      return st.connections_open == open && st.requests_in_flight == in_flight &&
             st.connections_waiting == waiting;
    });
    std::this_thread::sleep_for(2ms);
    return ok;
  };
  // Oldest first: idle after an answer, half a header, and an upload under way.
  RawConnection idle(server->port(), 5s);
  idle.send(kGet);
  ASSERT_EQ(status_of(idle.read_response()), 200);
  ASSERT_TRUE(settled(1, 0, 1));
  RawConnection half_header(server->port(), 5s);
  half_header.send("GET /small HTTP/1.1\r\nHo");
  ASSERT_TRUE(settled(2, 0, 2));
  RawConnection uploading(server->port(), 5s);
  uploading.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab");
  ASSERT_TRUE(settled(3, 1, 2));
  // Each newcomer is served and takes the place of the longest waiting; the upload is passed
  // over, and the third newcomer takes the first one's place (idle since its answer).
  RawConnection first(server->port(), 5s);
  first.send(kGet);
  EXPECT_EQ(status_of(first.read_response()), 200);
  EXPECT_TRUE(idle.closed_by_peer());
  ASSERT_TRUE(settled(3, 1, 2));
  RawConnection second(server->port(), 5s);
  second.send(kGet);
  EXPECT_EQ(status_of(second.read_response()), 200);
  EXPECT_TRUE(half_header.closed_by_peer());
  ASSERT_TRUE(settled(3, 1, 2));
  RawConnection third(server->port(), 5s);
  third.send(kGet);
  EXPECT_EQ(status_of(third.read_response()), 200);
  EXPECT_TRUE(first.closed_by_peer());
  uploading.send("cde");
  const std::string uploaded = uploading.read_response();
  EXPECT_EQ(status_of(uploaded), 200);
  EXPECT_TRUE(uploaded.ends_with("abcde")) << uploaded;
  EXPECT_EQ(server->stats().connections_evicted, 3u);
  EXPECT_EQ(server->stats().connections_refused, 0u);
  // Three requests being handled: nothing to evict, so a fourth connection is closed at once.
  for (RawConnection* c : {&second, &third, &uploading})
    c->send("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(tracekit::testing_wait([&] { return server->stats().requests_in_flight == 3; }));
  RawConnection over(server->port(), 5s);
  EXPECT_TRUE(over.closed_by_peer());
  EXPECT_EQ(server->stats().connections_refused, 1u);
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  for (RawConnection* c : {&second, &third, &uploading}) {
    EXPECT_EQ(status_of(c->read_response()), 200);
  }
  // Idle again, so the client may connect again (evicting one of them).
  RawConnection again(server->port(), 5s);
  again.send(kGet);
  EXPECT_EQ(status_of(again.read_response()), 200);
  EXPECT_EQ(server->stats().connections_evicted, 4u);
}

TEST(ConnectionLimits, ZeroMeansNoPerClientCap) {
  ServerOptions o;
  o.max_connections_per_client = 0;
  o.max_connections = 3;
  auto server = start_server(o);
  std::vector<std::unique_ptr<RawConnection>> held;
  held.reserve(3);
  for (int i = 0; i < 3; ++i)
    held.push_back(std::make_unique<RawConnection>(server->port(), 5s));
  ASSERT_TRUE(tracekit::testing_wait([&] { return server->stats().connections_open == 3; }));
  RawConnection over(server->port(), 5s);  // the global cap still holds
  EXPECT_TRUE(over.closed_by_peer());
  EXPECT_EQ(server->stats().connections_refused, 1u);
}

// Bodies are read whole into memory; across connections their bytes are bounded. A body that
// would pass the bound is answered 503 (Retry-After) unread and its connection closed; the
// bytes come back when the requests holding them are answered.
TEST(BodyBudget, BodiesBeyondTheBoundAreRefusedUnreadUntilRoomIsBack) {
  ServerOptions o;
  o.max_body_bytes = 1u << 20;
  o.max_body_bytes_in_flight = 1u << 20;
  auto server = std::make_unique<Server>(o);
  std::atomic<size_t> received{0};
  server->route("POST", "/upload", [&](Request& req) -> Awaitable {
    received += req.body().size();
    co_return Response::text(200, std::to_string(req.body().size()));
  });
  ASSERT_TRUE(server->start().ok());
  auto post = [](size_t length) {
    return "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(length) +
           "\r\n\r\n";
  };
  // The first client announces 700 KB and sends half: its reservation holds.
  RawConnection first(server->port(), 5s);
  ASSERT_TRUE(first.send(post(700'000) + std::string(350'000, 'a')));
  ASSERT_TRUE(
      tracekit::testing_wait([&] { return server->stats().body_bytes_reserved == 700'000; }));
  // A second 400 KB body does not fit beside it: refused before a byte of it is read.
  RawConnection second(server->port(), 5s);
  ASSERT_TRUE(second.send(post(400'000)));
  const std::string refused = second.read_response();
  EXPECT_EQ(status_of(refused), 503) << refused;
  EXPECT_NE(RawConnection::lower(refused).find("retry-after: 1"), std::string::npos) << refused;
  EXPECT_TRUE(second.closed_by_peer());
  EXPECT_EQ(server->stats().bodies_refused, 1u);
  // Sent in chunks, a body reserves its whole limit: no room for that either.
  RawConnection chunked(server->port(), 5s);
  ASSERT_TRUE(
      chunked.send("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                   "chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"));
  EXPECT_EQ(status_of(chunked.read_response()), 503);
  EXPECT_EQ(server->stats().bodies_refused, 2u);
  // The first body completes and is answered; its bytes are free again.
  ASSERT_TRUE(first.send(std::string(350'000, 'a')));
  EXPECT_EQ(status_of(first.read_response()), 200);
  ASSERT_TRUE(tracekit::testing_wait([&] { return server->stats().body_bytes_reserved == 0; }));
  RawConnection third(server->port(), 5s);
  ASSERT_TRUE(third.send(post(400'000) + std::string(400'000, 'b')));
  EXPECT_EQ(status_of(third.read_response()), 200);
  // A body as large as the whole bound is still read, alone.
  RawConnection whole(server->port(), 5s);
  ASSERT_TRUE(whole.send(post(1u << 20) + std::string(1u << 20, 'c')));
  EXPECT_EQ(status_of(whole.read_response()), 200);
  EXPECT_EQ(received.load(), 700'000u + 400'000u + (1u << 20));
  EXPECT_EQ(server->stats().bodies_refused, 2u);
}

TEST(Timeouts, ASlowReaderIsCutAtWriteTimeoutNotIdleTimeout) {
  // 64 MiB do not fit in the socket buffers, so the write waits on the reader; the server
  // gives up at write_timeout, long before idle_timeout.
  ServerOptions o;
  o.write_timeout = 300ms;
  o.idle_timeout = 60s;
  auto server = start_server(o);
  RawConnection c(server->port(), 20s);
  c.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(tracekit::testing_wait([&] { return server->stats().requests == 1; }));
  EXPECT_TRUE(tracekit::testing_wait([&] { return server->stats().connections_open == 0; }, 10s))
      << "the slow reader's connection was not closed at write_timeout";
  const std::string got = c.read_all();
  EXPECT_LT(got.size(), size_t{64} << 20) << "the whole response arrived";
}

TEST(Timeouts, AnUnreadResponseThatFitsTheBuffersLeavesTheConnectionIdle) {
  // What docs/http.md says: the kernel takes a small response at once, so the connection is idle
  // (idle_timeout), not writing, even though the client has not read it.
  ServerOptions o;
  o.write_timeout = 100ms;
  o.idle_timeout = 3s;  // far from the 300 ms below, which a loaded machine may stretch
  auto server = start_server(o);
  RawConnection c(server->port(), 10s);
  c.send(kGet);
  ASSERT_TRUE(tracekit::testing_wait([&] { return server->stats().requests == 1; }));
  std::this_thread::sleep_for(300ms);  // well past write_timeout
  EXPECT_EQ(server->stats().connections_open, 1u);
  EXPECT_TRUE(tracekit::testing_wait([&] { return server->stats().connections_open == 0; }, 10s));
  EXPECT_EQ(status_of(c.read_response()), 200);  // the response was delivered whole
}

}  // namespace
}  // namespace tracekit::http
