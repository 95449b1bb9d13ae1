// SPDX-License-Identifier: Apache-2.0
// An HTTP/1.1 client on Boost.Beast that traces its calls: each request is a CLIENT span, child
// of the current context, named "{METHOD}" with http.method, http.url, http.status_code,
// server.address, server.port (or the stable names, see Semconv), and the global propagator
// injects traceparent / tracestate / baggage into the outgoing headers.
//
//   tracekit::http::Client client(co_await boost::asio::this_coro::executor);
//   auto r = co_await client.request("POST", "http://127.0.0.1:8081/run", body,
//                                    {{"Content-Type", "application/json"}});
//   if (!r) log.error("runner.failed", {{"error", r.error().message}});
//
//   tracekit::http::BlockingClient blocking;   // thread-safe, owns its I/O thread
//   auto r2 = blocking.request("GET", "http://127.0.0.1:8081/healthz");
//
// http:// and https:// (TLS 1.2+ with OpenSSL). For https the server's certificate is verified
// by default, against the system's CA store and for the URL's host (DNS name or IP address);
// ClientOptions::tls trusts a private CA instead, adds a client certificate (mutual TLS), or
// turns verification off for tests. Connections are kept alive and reused per
// scheme://host:port. Failures (DNS, connect, TLS handshake, timeout, malformed response, body
// too large) are errors, never exceptions; a 4xx/5xx answer is a response (the span is ERROR
// for >= 400, per the client convention).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tracekit/http/message.h"
#include "tracekit/http/tracing.h"
#include "tracekit/result.h"
#include "tracekit/version.h"

namespace tracekit::http {

// TLS for https:// URLs (ignored for http://). The files are read once per Client, at its first
// https request; a file that cannot be used makes every https request fail with the reason.
struct ClientTlsOptions {
  // Verify the server: a chain to a trusted CA, and a certificate issued for the URL's host (a
  // DNS name, or an IP address SAN for an IP literal). false accepts any certificate: for tests
  // and development only.
  bool verify_peer = true;
  // PEM file of the CA certificates to trust instead of the system's default store.
  std::string ca_file;
  // Mutual TLS: this client's certificate (chain) and private key, PEM files, both or neither.
  std::string client_certificate_file;
  std::string client_key_file;
};

struct ClientOptions {
  // Includes name resolution and, for https, the TLS handshake.
  std::chrono::milliseconds connect_timeout{5000};
  // The whole call: connect, send, receive.
  std::chrono::milliseconds total_timeout{30000};
  size_t max_response_body_bytes = 64 * 1024 * 1024;
  // Idle connections kept per host:port for reuse, and in all; past the total the one idle
  // longest is closed.
  size_t max_idle_connections_per_host = 8;
  size_t max_idle_connections = 64;
  // An idle connection older than this is closed instead of reused (servers close theirs after
  // a few seconds to minutes; a connection the server has closed is never reused either).
  std::chrono::milliseconds idle_connection_timeout{30000};
  // Start CLIENT spans and inject headers. Off: a plain client (e.g. an exporter's own calls).
  bool tracing = true;
  std::optional<Semconv> semconv;  // nullopt: OTEL_SEMCONV_STABILITY_OPT_IN
  Tracer* tracer = nullptr;        // null: tracekit::get_tracer("tracekit.http")
  // Query parameters whose values the span's URL (http.url / url.full) shows as "REDACTED",
  // or the whole query left out; the URL never has credentials or a fragment.
  std::vector<std::string> redacted_query_params = default_redacted_query_params();
  bool omit_query = false;
  std::string user_agent = "tracekit-http/" TRACEKIT_VERSION_STRING;
  ClientTlsOptions tls;
};

struct ClientResponse {
  int status = 0;
  beast_http::fields headers;
  std::string body;
  std::optional<std::string_view> header(std::string_view name) const;
};

// Per-call overrides.
struct RequestOptions {
  std::optional<std::chrono::milliseconds> total_timeout;
};

// Coroutine client bound to one executor: its connections live on that executor, so call it
// from coroutines running there. In a handler: `auto ex = co_await this_coro::executor;
// Client c(ex);` (per request or per connection). For one client shared by many threads, use
// BlockingClient.
// GCC 12 destroys the default-argument temporary of an aggregate with a std::string/std::vector
// member twice when the call shares a full-expression with co_await (`Client c(co_await
// this_coro::executor)` was a double free), so options come through overloads, not `= {}`.
class Client {
 public:
  explicit Client(boost::asio::any_io_executor executor);
  Client(boost::asio::any_io_executor executor, ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // `url` is "http[s]://host[:port]/path?query". The span's parent is Context::current() at the
  // call. `headers` are sent as given (Host, Content-Length, User-Agent are added).
  boost::asio::awaitable<Result<ClientResponse>> request(std::string method, std::string url,
                                                         std::string body = {},
                                                         HeaderList headers = {},
                                                         RequestOptions options = {});
  // Closes idle pooled connections.
  void close_idle();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// The same call for threads that block. Thread-safe: many threads may call request() at once;
// connections are pooled across them. Owns one I/O thread.
class BlockingClient {
 public:
  BlockingClient();
  explicit BlockingClient(ClientOptions options);
  ~BlockingClient();
  BlockingClient(const BlockingClient&) = delete;
  BlockingClient& operator=(const BlockingClient&) = delete;

  // The span's parent is Context::current() of the calling thread.
  Result<ClientResponse> request(std::string method, std::string url, std::string body = {},
                                 HeaderList headers = {}, RequestOptions options = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Splits "http[s]://host[:port]/path?query"; an error says what is wrong (scheme, host, port).
struct ParsedUrl {
  std::string scheme = "http";  // "http" or "https", lower case
  std::string host;             // IPv6 literals without the brackets
  uint16_t port = 80;           // the scheme's default (80, 443) when the URL has none
  std::string target = "/";     // path and query

  bool tls() const { return scheme == "https"; }
  // "host[:port]" as the Host header carries it: the port only when it is not the scheme's
  // default, IPv6 literals in brackets.
  std::string authority() const;
};
Result<ParsedUrl> parse_url(std::string_view url);

}  // namespace tracekit::http
