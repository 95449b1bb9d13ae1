// SPDX-License-Identifier: Apache-2.0
#include "tls_test_server.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>
#include <thread>

namespace tracekit::http::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bh = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

struct TlsTestServer::Impl {
  // Everything a session uses is declared before the io_context: sessions still suspended when
  // it is destroyed end then (their streams were made from `ssl`, their guards count `open`).
  TlsServerOptions options;
  asio::ssl::context ssl{asio::ssl::context::tls_server};
  std::atomic<size_t> accepted{0}, open{0}, answered{0};
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  std::thread thread;

  // Counts a connection as open for the life of its session coroutine.
  struct OpenGuard {
    std::atomic<size_t>& open;
    explicit OpenGuard(std::atomic<size_t>& o) : open(o) { ++open; }
    ~OpenGuard() { --open; }
  };

  static std::string server_name(SSL* ssl) {
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    return name ? name : "";
  }
  static std::string client_subject(SSL* ssl) {
    X509* cert = SSL_get0_peer_certificate(ssl);
    if (!cert) return "";
    char buf[256];
    X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
    return buf;
  }

  bh::response<bh::string_body> answer(const bh::request<bh::string_body>& req, SSL* ssl) {
    auto field = [&](bh::field f) { return std::string(req[f]); };
    boost::json::object o;
    o["method"] = std::string(req.method_string());
    o["target"] = std::string(req.target());
    o["host"] = field(bh::field::host);
    o["traceparent"] = std::string(req["traceparent"]);
    o["sni"] = server_name(ssl);
    o["client_subject"] = client_subject(ssl);
    bh::response<bh::string_body> res{bh::status::ok, req.version()};
    res.set(bh::field::content_type, "application/json");
    res.body() = boost::json::serialize(o);
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    // A HEAD answer has the GET answer's Content-Length but no body (Beast would send it).
    if (req.method() == bh::verb::head) res.body().clear();
    return res;
  }

  asio::awaitable<void> session(tcp::socket socket) {
    OpenGuard guard(open);
    if (options.stall_handshake) {
      // Read (and drop) the ClientHello and anything after it until the client gives up.
      char buf[1024];
      for (;;) {
        auto [ec, n] = co_await socket.async_read_some(asio::buffer(buf), kTuple);
        if (ec) co_return;
      }
    }
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), ssl);
    beast::get_lowest_layer(stream).expires_after(options.idle_timeout);
    auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kTuple);
    if (hec) co_return;  // e.g. the client refused our certificate, or sent none for mTLS
    beast::flat_buffer buffer;
    for (;;) {
      beast::get_lowest_layer(stream).expires_after(options.idle_timeout);
      bh::request<bh::string_body> req;
      auto [rec, rn] = co_await bh::async_read(stream, buffer, req, kTuple);
      if (rec) co_return;  // closed, idle too long, or not HTTP
      auto res = answer(req, stream.native_handle());
      ++answered;  // before the client can have the answer
      auto [wec, wn] = co_await bh::async_write(stream, res, kTuple);
      if (wec || !res.keep_alive()) co_return;
    }
  }

  asio::awaitable<void> listen() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kTuple);
      if (ec) co_return;
      ++accepted;
      asio::co_spawn(ioc, session(std::move(socket)), asio::detached);
    }
  }
};

TlsTestServer::TlsTestServer(TlsServerOptions options) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.options = std::move(options);
  s.ssl.use_certificate_chain_file(s.options.cert_file);
  s.ssl.use_private_key_file(s.options.key_file, asio::ssl::context::pem);
  if (!s.options.client_ca_file.empty()) {
    s.ssl.load_verify_file(s.options.client_ca_file);
    s.ssl.set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
  }
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  s.acceptor.open(ep.protocol());
  s.acceptor.bind(ep);
  s.acceptor.listen();
  port_ = s.acceptor.local_endpoint().port();
  asio::co_spawn(s.ioc, s.listen(), asio::detached);
  s.thread = std::thread([&s] { s.ioc.run(); });
}

TlsTestServer::~TlsTestServer() {
  impl_->ioc.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::string TlsTestServer::url(std::string_view path, std::string_view host) const {
  return "https://" + std::string(host) + ":" + std::to_string(port_) + std::string(path);
}

size_t TlsTestServer::connections_accepted() const {
  return impl_->accepted.load();
}
size_t TlsTestServer::connections_open() const {
  return impl_->open.load();
}
size_t TlsTestServer::requests() const {
  return impl_->answered.load();
}

}  // namespace tracekit::http::testing
