// SPDX-License-Identifier: Apache-2.0
// A small HTTPS server for the client's TLS tests (Boost.Beast over Asio SSL), on 127.0.0.1 with
// an ephemeral port and its own I/O thread. Every request is answered 200 with a JSON echo of
// what the server saw: method, target, Host, traceparent, the TLS server name (SNI) and the
// client certificate's subject. Keep-alive as the request asks; it counts TCP connections.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace tracekit::http::testing {

struct TlsServerOptions {
  std::string cert_file, key_file;  // PEM
  // Non-empty: require a client certificate signed by this CA (mutual TLS).
  std::string client_ca_file;
  // Accept TCP connections but never answer the TLS handshake (for handshake timeouts).
  bool stall_handshake = false;
  // Close a connection (without close_notify) after this long without a request.
  std::chrono::milliseconds idle_timeout{10000};
};

class TlsTestServer {
 public:
  explicit TlsTestServer(TlsServerOptions options);
  ~TlsTestServer();
  TlsTestServer(const TlsTestServer&) = delete;
  TlsTestServer& operator=(const TlsTestServer&) = delete;

  uint16_t port() const { return port_; }
  // "https://{host}:{port}{path}".
  std::string url(std::string_view path, std::string_view host = "127.0.0.1") const;

  size_t connections_accepted() const;  // TCP connections
  size_t connections_open() const;      // not yet closed by either side
  size_t requests() const;              // requests answered

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
};

}  // namespace tracekit::http::testing
