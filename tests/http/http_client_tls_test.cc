// SPDX-License-Identifier: Apache-2.0
// The client over https against a real TLS server (tls_test_server.h) with certificates made by
// the openssl command: trace propagation, keep-alive, peer and host name verification, mutual
// TLS, handshake timeouts, configuration errors, and the blocking client.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <iostream>

#include "http_test_support.h"
#include "support/test_certificates.h"
#include "tls_test_server.h"

namespace tracekit::http {
namespace {

using namespace std::chrono_literals;
using testing::attr_int;
using testing::attr_str;
using testing::str;
using testing::TlsServerOptions;
using testing::TlsTestServer;
using testing::wait_for_span;
namespace asio = boost::asio;

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// A call made under a fresh root span, and the CLIENT span it produced.
struct Traced {
  Result<ClientResponse> result;
  SpanDataPtr span;
  std::chrono::milliseconds took;
};

template <class Call>
Traced traced(Call call) {
  auto root = get_tracer("test").start_span("root");
  Traced t{Error{"not run"}, nullptr, 0ms};
  const auto start = std::chrono::steady_clock::now();
  {
    Scope scope(Context().with_span(root));
    t.result = call();
  }
  t.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
  root.end();
  t.span = wait_for_span("GET", root.context().trace_id().to_hex());
  return t;
}

Traced traced_get(BlockingClient& client, const std::string& url) {
  return traced([&] { return client.request("GET", url); });
}

// A failed call: an error value, and a CLIENT span that is ERROR with the same message.
void expect_failed_call(const Traced& t, std::string_view part) {
  ASSERT_FALSE(t.result.ok());
  const std::string& message = t.result.error().message;
  EXPECT_TRUE(contains(message, part)) << message;
  ASSERT_TRUE(t.span);
  EXPECT_EQ(t.span->kind(), SpanKind::kClient);
  EXPECT_EQ(t.span->status_code(), StatusCode::kError);
  EXPECT_EQ(t.span->status_description(), message);
}

class TlsClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new tracekit::testing::TempDir();
    certs_ = tracekit::testing::make_certificates(*dir_);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    // The openssl command comes with scripts/install-deps.sh: no certificates is a failure.
    ASSERT_TRUE(certs_.ok) << certs_.error;
    testing::span_store()->clear();
  }

  static TlsServerOptions server_options() {
    TlsServerOptions o;
    o.cert_file = certs_.server_cert;
    o.key_file = certs_.server_key;
    return o;
  }
  // Trusts the test CA only; both semconv name sets on the span.
  static ClientOptions trusting(const std::string& ca_file) {
    ClientOptions o;
    o.semconv = Semconv::kDuplicate;
    o.tls.ca_file = ca_file;
    return o;
  }

  static inline tracekit::testing::TempDir* dir_ = nullptr;
  static inline tracekit::testing::TestCertificates certs_;
};

TEST_F(TlsClientTest, CoroutineClientGetsOverHttpsAndPropagatesTheTrace) {
  TlsTestServer server(server_options());
  const std::string url = server.url("/hello?x=1");
  const ClientOptions options = trusting(certs_.ca_cert);
  Traced t = traced([&] {
    // The coroutine client on an io_context of this thread, as in a handler.
    std::optional<Result<ClientResponse>> out;
    asio::io_context io;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          Client client(co_await asio::this_coro::executor, options);
          out.emplace(co_await client.request("GET", url));
        },
        asio::detached);
    io.run();
    return out ? std::move(*out) : Result<ClientResponse>(Error{"no result"});
  });
  ASSERT_TRUE(t.result.ok()) << t.result.error().message;
  EXPECT_EQ(t.result->status, 200);
  ASSERT_TRUE(t.span);
  const auto echo = boost::json::parse(t.result->body).as_object();

  // The traceparent the server received names the exported CLIENT span.
  const std::string traceparent = str(echo, "traceparent");
  ASSERT_EQ(traceparent.size(), 55u) << traceparent;
  EXPECT_EQ(traceparent.substr(3, 32), t.span->context().trace_id().to_hex());
  EXPECT_EQ(traceparent.substr(36, 16), t.span->context().span_id().to_hex());

  EXPECT_EQ(t.span->kind(), SpanKind::kClient);
  EXPECT_NE(t.span->status_code(), StatusCode::kError);
  EXPECT_EQ(attr_str(*t.span, "url.full"), url);
  EXPECT_EQ(attr_str(*t.span, "http.url"), url);
  EXPECT_EQ(attr_str(*t.span, "server.address"), "127.0.0.1");
  EXPECT_EQ(attr_int(*t.span, "server.port"), server.port());
  EXPECT_EQ(attr_int(*t.span, "net.peer.port"), server.port());
  EXPECT_EQ(attr_int(*t.span, "http.response.status_code"), 200);
  EXPECT_EQ(attr_str(*t.span, "network.peer.address"), "127.0.0.1");

  EXPECT_EQ(str(echo, "target"), "/hello?x=1");
  EXPECT_EQ(str(echo, "host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(str(echo, "sni"), "");  // no SNI for an IP literal (RFC 6066)
}

TEST_F(TlsClientTest, ConnectionsAreKeptAliveAndPooledApartFromPlainHttp) {
  TlsTestServer server(server_options());
  BlockingClient c(trusting(certs_.ca_cert));
  auto get = c.request("GET", server.url("/one"));
  ASSERT_TRUE(get.ok()) << get.error().message;
  auto head = c.request("HEAD", server.url("/two"));
  ASSERT_TRUE(head.ok()) << head.error().message;
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->body, "");
  EXPECT_NE(head->header("Content-Length").value_or("0"), "0");
  auto post = c.request("POST", server.url("/three"), "payload");
  ASSERT_TRUE(post.ok()) << post.error().message;
  EXPECT_EQ(server.requests(), 3u);
  EXPECT_EQ(server.connections_accepted(), 1u);

  // Same host and port, scheme http: a new plain connection (which the TLS server refuses), not
  // the pooled TLS one.
  auto plain = c.request("GET", "http://127.0.0.1:" + std::to_string(server.port()) + "/four");
  EXPECT_FALSE(plain.ok());
  EXPECT_EQ(server.connections_accepted(), 2u);
  EXPECT_EQ(server.requests(), 3u);

  // And the TLS connection is still pooled.
  ASSERT_TRUE(c.request("GET", server.url("/five")).ok());
  EXPECT_EQ(server.connections_accepted(), 2u);

  // The response body limit holds over TLS as over TCP.
  ClientOptions small = trusting(certs_.ca_cert);
  small.max_response_body_bytes = 16;
  BlockingClient limited(small);
  auto big = limited.request("GET", server.url("/six"));
  ASSERT_FALSE(big.ok());
  EXPECT_TRUE(contains(big.error().message, "response body larger than 16 bytes"))
      << big.error().message;
}

TEST_F(TlsClientTest, StalePooledTlsConnectionIsRetriedOnAFreshOne) {
  TlsServerOptions o = server_options();
  o.idle_timeout = 200ms;
  TlsTestServer server(o);
  BlockingClient c(trusting(certs_.ca_cert));
  ASSERT_TRUE(c.request("GET", server.url("/a")).ok());
  // The server drops the idle connection without a TLS close_notify.
  ASSERT_TRUE(tracekit::testing_wait([&] { return server.connections_open() == 0; }));
  auto r = c.request("GET", server.url("/b"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(server.connections_accepted(), 2u);
}

TEST_F(TlsClientTest, UntrustedServerIsAHandshakeErrorUnlessVerificationIsOff) {
  TlsTestServer server(server_options());
  const std::string url = server.url("/");
  const std::string where = "TLS handshake with 127.0.0.1:" + std::to_string(server.port());

  BlockingClient wrong_ca(trusting(certs_.other_ca_cert));
  Traced t = traced_get(wrong_ca, url);
  expect_failed_call(t, where + " failed: certificate verify failed");
  EXPECT_TRUE(contains(t.result.error().message, "unable to get local issuer certificate"))
      << t.result.error().message;
  EXPECT_LT(t.took, 10s);

  // The default trust store (the system's CAs) does not know the test CA either.
  BlockingClient system_cas;
  expect_failed_call(traced_get(system_cas, url), "certificate verify failed");

  ClientOptions insecure;
  insecure.tls.verify_peer = false;
  BlockingClient unverified(insecure);
  auto r = unverified.request("GET", url);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
}

TEST_F(TlsClientTest, CertificateMustNameTheHostOrAddress) {
  BlockingClient c(trusting(certs_.ca_cert));
  {
    // Certificate for DNS:localhost only.
    TlsServerOptions o = server_options();
    o.cert_file = certs_.localhost_only_cert;
    o.key_file = certs_.localhost_only_key;
    TlsTestServer server(o);
    expect_failed_call(traced_get(c, server.url("/")), "IP address mismatch");
    auto by_name = c.request("GET", server.url("/", "localhost"));
    ASSERT_TRUE(by_name.ok()) << by_name.error().message;
    const auto echo = boost::json::parse(by_name->body).as_object();
    EXPECT_EQ(str(echo, "sni"), "localhost");
    EXPECT_EQ(str(echo, "host"), "localhost:" + std::to_string(server.port()));
  }
  {
    // Certificate for IP:127.0.0.1 only.
    TlsServerOptions o = server_options();
    o.cert_file = certs_.ip_only_cert;
    o.key_file = certs_.ip_only_key;
    TlsTestServer server(o);
    expect_failed_call(traced_get(c, server.url("/", "localhost")), "hostname mismatch");
    auto by_address = c.request("GET", server.url("/"));
    ASSERT_TRUE(by_address.ok()) << by_address.error().message;

    ClientOptions insecure;
    insecure.tls.verify_peer = false;
    BlockingClient unverified(insecure);
    auto r = unverified.request("GET", server.url("/", "localhost"));
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
}

TEST_F(TlsClientTest, MutualTlsSendsTheClientCertificate) {
  TlsServerOptions o = server_options();
  o.client_ca_file = certs_.ca_cert;
  TlsTestServer server(o);

  // Without a certificate the server ends the connection: with TLS 1.3 the client has finished
  // its handshake by then, so the alert ("certificate required") comes with the response.
  BlockingClient anonymous(trusting(certs_.ca_cert));
  Traced t = traced_get(anonymous, server.url("/"));
  expect_failed_call(t, "127.0.0.1:" + std::to_string(server.port()));
  std::cout << "without a client certificate: " << t.result.error().message << "\n";

  ClientOptions with_cert = trusting(certs_.ca_cert);
  with_cert.tls.client_certificate_file = certs_.client_cert;
  with_cert.tls.client_key_file = certs_.client_key;
  BlockingClient authenticated(with_cert);
  auto r = authenticated.request("GET", server.url("/"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  const auto echo = boost::json::parse(r->body).as_object();
  EXPECT_TRUE(contains(str(echo, "client_subject"), "CN=tracekit client"))
      << str(echo, "client_subject");
}

TEST_F(TlsClientTest, StalledHandshakeTimesOutWithinTheConnectTimeout) {
  TlsServerOptions o = server_options();
  o.stall_handshake = true;
  TlsTestServer server(o);
  const std::string where = "TLS handshake with 127.0.0.1:" + std::to_string(server.port());

  ClientOptions quick = trusting(certs_.ca_cert);
  quick.connect_timeout = 300ms;
  BlockingClient c(quick);
  Traced t = traced_get(c, server.url("/"));
  expect_failed_call(t, where + " failed: timed out");
  EXPECT_GE(t.took, 290ms);
  EXPECT_LT(t.took, 5s);  // 300 ms plus scheduling on a busy machine; not the 30 s total

  // The call's own deadline bounds the handshake too.
  ClientOptions short_call = trusting(certs_.ca_cert);
  short_call.total_timeout = 200ms;
  BlockingClient c2(short_call);
  Traced t2 = traced_get(c2, server.url("/"));
  expect_failed_call(t2, where + " failed: timed out");
  EXPECT_LT(t2.took, 5s);  // not the 5 s connect timeout
  EXPECT_TRUE(tracekit::testing_wait([&] { return server.connections_accepted() == 2; }));
}

TEST_F(TlsClientTest, UnusableTlsFilesAreErrorsFromTheRequest) {
  TlsTestServer server(server_options());
  // The message of a failed https call; the span is ERROR, and every later https request of
  // the client fails the same way (the TLS context is built once).
  auto first_error = [&](ClientOptions o) -> std::string {
    BlockingClient c(std::move(o));
    Traced t = traced_get(c, server.url("/"));
    if (t.result.ok()) return "(no error)";
    EXPECT_TRUE(t.span && t.span->status_code() == StatusCode::kError);
    auto again = c.request("GET", server.url("/"));
    EXPECT_EQ(again.ok() ? std::string() : again.error().message, t.result.error().message);
    return t.result.error().message;
  };
  const std::string missing = dir_->file("no-such-ca.pem");
  std::string e = first_error(trusting(missing));
  EXPECT_TRUE(contains(e, "TLS setup failed: cannot load the CA file '" + missing + "'")) << e;

  ClientOptions not_pem = trusting(dir_->file("make.sh"));
  e = first_error(not_pem);
  EXPECT_TRUE(contains(e, "cannot load the CA file")) << e;

  ClientOptions cert_only = trusting(certs_.ca_cert);
  cert_only.tls.client_certificate_file = certs_.client_cert;
  e = first_error(cert_only);
  EXPECT_TRUE(contains(e, "a client certificate needs its key")) << e;

  ClientOptions wrong_key = trusting(certs_.ca_cert);
  wrong_key.tls.client_certificate_file = certs_.client_cert;
  wrong_key.tls.client_key_file = certs_.server_key;
  e = first_error(wrong_key);
  EXPECT_TRUE(contains(e, "cannot load the client key")) << e;
  std::cout << "mismatched client key: " << e << "\n";
  EXPECT_EQ(server.connections_accepted(), 0u);

  // TLS settings are only read for https: the same client still speaks plain http.
  Server plain;
  plain.route("GET", "/ok",
              [](Request&) -> asio::awaitable<Response> { co_return Response::text(200, "ok"); });
  ASSERT_TRUE(plain.start().ok());
  BlockingClient c(trusting(missing));
  auto r = c.request("GET", plain.base_url() + "/ok");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->body, "ok");
}

TEST_F(TlsClientTest, BlockingClientOverHttpsFromManyThreads) {
  TlsTestServer server(server_options());
  BlockingClient c(trusting(certs_.ca_cert));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        auto r = c.request("GET", server.url("/t" + std::to_string(t)));
        if (r.ok() && r->status == 200 && contains(r->body, "/t" + std::to_string(t))) ++ok;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(ok.load(), 40);
  EXPECT_EQ(server.requests(), 40u);
  // Pooled: at most one connection per concurrent caller.
  EXPECT_LE(server.connections_accepted(), 4u);
}

}  // namespace
}  // namespace tracekit::http
