// SPDX-License-Identifier: Apache-2.0
// Request framing that RFC 9112 forbids (§2.2, §3.2, §5, §6.1–6.3), each sent over a real socket
// with a second request pipelined behind it: the server must answer once (400, or 501 for a
// transfer coding it does not implement) with Connection: close and then close, so that the
// bytes behind the bad request are never read as a request of their own (request smuggling).
#include "http_test_support.h"

namespace tracekit::http {
namespace {

using testing::RawConnection;
using testing::status_of;
using Awaitable = boost::asio::awaitable<Response>;

// What a probe sends after the request under test; if it is answered, the server read the bad
// request's body (or its absence) differently than a proxy in front of it might have.
constexpr std::string_view kSmuggled = "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n";

struct Answer {
  int status = -1;
  int responses = 0;
  bool connection_close = false;
  std::string raw;
};

class FramingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions o;
    o.header_timeout = std::chrono::milliseconds(2000);
    server_ = std::make_unique<Server>(o);
    server_->route("*", "/echo",
                   [](Request& r) -> Awaitable { co_return Response::text(200, r.body()); });
    ASSERT_TRUE(server_->start().ok());
  }

  // Sends `request` and kSmuggled in one write, then reads until the server closes.
  Answer probe(const std::string& request) {
    RawConnection c(server_->port());
    EXPECT_TRUE(c.connected());
    c.send(request + std::string(kSmuggled));
    Answer a;
    a.raw = c.read_all();
    a.status = status_of(a.raw);
    for (size_t at = 0; (at = a.raw.find("HTTP/1.", at)) != std::string::npos; ++at) {
      if (at == 0 || a.raw.compare(at - 2, 2, "\r\n") == 0) ++a.responses;
    }
    a.connection_close =
        RawConnection::lower(a.raw).find("\r\nconnection: close\r\n") != std::string::npos;
    return a;
  }

  void expect_refused(const std::string& request, int status = 400) {
    const Answer a = probe(request);
    EXPECT_EQ(a.status, status) << a.raw;
    EXPECT_EQ(a.responses, 1) << "the bytes after the bad request were served:\n" << a.raw;
    EXPECT_TRUE(a.connection_close) << a.raw;
    // Answered before any middleware runs, so the server itself marks it: never sniffed as a
    // page, never cached.
    const std::string lower = RawConnection::lower(a.raw);
    EXPECT_NE(lower.find("\r\nx-content-type-options: nosniff\r\n"), std::string::npos) << a.raw;
    EXPECT_NE(lower.find("\r\ncache-control: no-store\r\n"), std::string::npos) << a.raw;
  }

  std::unique_ptr<Server> server_;
};

TEST_F(FramingTest, TransferCodingWithoutFinalChunkedIsRefused) {
  // The repro: the body length cannot be known, so the request is not answered as if
  // it had none.
  expect_refused("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n");
  expect_refused("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n");
  expect_refused(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
      "Transfer-Encoding: gzip\r\n\r\n0\r\n\r\n");
}

TEST_F(FramingTest, ChunkedTwiceIsRefused) {
  expect_refused(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"
      "0\r\n\r\n");
}

TEST_F(FramingTest, UnsupportedTransferCodingBeforeChunkedGets501) {
  expect_refused(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501);
  expect_refused(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      501);
}

TEST_F(FramingTest, TransferEncodingWithContentLengthIsRefused) {
  expect_refused(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
      "0\r\n\r\n");
  expect_refused(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
      "0\r\n\r\n");
  expect_refused(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\n"
      "hello");
}

TEST_F(FramingTest, DifferingContentLengthsAreRefused) {
  expect_refused(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!");
  expect_refused("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\nhello!");
}

TEST_F(FramingTest, InvalidContentLengthIsRefused) {
  for (std::string value : {"abc", "-1", "+5", "5 5", "0x5", "", "5;", "99999999999999999999999"}) {
    SCOPED_TRACE("Content-Length: " + value);
    expect_refused("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + value + "\r\n\r\nhello");
  }
}

TEST_F(FramingTest, TransferEncodingInHttp10IsRefused) {
  expect_refused("POST /echo HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
}

TEST_F(FramingTest, ObsoleteLineFoldingIsRefused) {
  expect_refused("GET /echo HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n");
  expect_refused("GET /echo HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n\tb\r\n\r\n");
}

TEST_F(FramingTest, WhitespaceBeforeTheColonIsRefused) {
  expect_refused("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello");
  expect_refused("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length\t: 5\r\n\r\nhello");
}

TEST_F(FramingTest, WhitespaceBeforeTheFirstFieldIsRefused) {
  expect_refused("POST /echo HTTP/1.1\r\n Content-Length: 5\r\nHost: x\r\n\r\nhello");
}

TEST_F(FramingTest, BareCarriageReturnIsRefused) {
  expect_refused("GET /echo HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n");
}

TEST_F(FramingTest, HostMissingOrRepeatedInHttp11IsRefused) {
  expect_refused("GET /echo HTTP/1.1\r\n\r\n");
  expect_refused("GET /echo HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n");
  expect_refused("GET /echo HTTP/1.1\r\nHost: a b\r\n\r\n");
  expect_refused("GET /echo HTTP/1.1\r\nHost: x/y\r\n\r\n");
}

TEST_F(FramingTest, WellFramedRequestsAreStillServed) {
  // HTTP/1.0 needs no Host; chunked in any case; a Content-Length list of one repeated value
  // (RFC 9110 §8.6 allows it); both pipelined requests answered.
  for (std::string ok :
       {std::string("GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
        std::string("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n"
                    "5\r\nhello\r\n0\r\n\r\n"),
        std::string("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\nhello"),
        std::string("POST /echo HTTP/1.1\r\nHost: [::1]:80\r\nContent-Length: 5\r\n\r\nhello")}) {
    RawConnection c(server_->port());
    c.send(ok + std::string(kSmuggled));
    const std::string first = c.read_response();
    EXPECT_EQ(status_of(first), 200) << ok << "\n" << first;
    const std::string second = c.read_response();
    EXPECT_EQ(status_of(second), 200) << ok << "\n" << second;
  }
}

TEST_F(FramingTest, TheServerKeepsServingAfterRefusals) {
  expect_refused("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n");
  BlockingClient client(ClientOptions{.tracing = false});
  auto r = client.request("POST", server_->base_url() + "/echo", "body");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->body, "body");
}

}  // namespace
}  // namespace tracekit::http
