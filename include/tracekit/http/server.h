// SPDX-License-Identifier: Apache-2.0
// An HTTP/1.1 server on Boost.Beast with C++20 coroutines: a router with "{param}" patterns, a
// middleware chain, coroutine handlers on the I/O threads and blocking handlers on a worker
// pool, size limits, timeouts, keep-alive, static files and graceful shutdown.
//
//   tracekit::http::Server server({.port = 8080});
//   server.use(tracekit::http::access_log_middleware());
//   server.use(tracekit::http::tracing_middleware());
//   server.route("GET", "/tools/{id}", [](tracekit::http::Request& req)
//                    -> boost::asio::awaitable<tracekit::http::Response> {
//     co_return tracekit::http::Response::json(200, "{\"id\":\"" + std::string(req.param("id")) +
//     "\"}");
//   });
//   server.route("POST", "/runs", [](tracekit::http::Request& req) {   // blocking: worker pool
//     return tracekit::http::Response::text(201, run_tool(req.body()));
//   });
//   server.start();                       // or server.run_until_signal();
//
// Routing happens before the middleware chain, so middleware sees Request::route(). Requests
// that match no route reach the middleware chain too and end in a 404 (or 405 with an Allow
// header when the path matches under another method). Middleware runs on the request's header:
// the body is read when the request reaches its handler, so a middleware can refuse a request
// before its body is sent (Next::read_body reads it earlier for middleware that needs it).
//
// The request's context (Request::context(), set by the tracing middleware) and correlation id
// are current -- Context::current() and log::current_correlation_id() -- whenever handler code
// runs: at its start, after every co_await, and on the worker thread of a blocking handler.
// They never leak into another request.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "tracekit/http/message.h"
#include "tracekit/result.h"

namespace tracekit::http {

// A handler that runs on an I/O thread and may co_await (other requests proceed meanwhile).
using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;
// A handler that blocks (database, files, CPU): it runs on the worker pool.
using BlockingHandler = std::function<Response(Request&)>;

class Server;
struct MiddlewareChain;

// The rest of the chain, as seen by one middleware: co_await next(request) runs the remaining
// middleware and the handler and gives the response. Cheap to copy; valid during the request.
class Next {
 public:
  boost::asio::awaitable<Response> operator()(Request& request) const;
  // The server reads a request's body only when the request reaches its handler, so that a
  // middleware can refuse it (no token, too busy) before the body is received. A middleware
  // that needs the body before calling next() reads it with this; when it could not be read
  // (over the size limit, malformed, late, the client gone) the answer to give comes back.
  boost::asio::awaitable<std::optional<Response>> read_body(Request& request) const;

  Next(const MiddlewareChain* chain, size_t index) noexcept : chain_(chain), index_(index) {}

 private:
  const MiddlewareChain* chain_;
  size_t index_;
};

// Middleware wraps everything after it: inspect or change the request, co_await next(request),
// inspect or change the response. An exception thrown out of a middleware or handler becomes a
// 500 with a JSON error body; the connection stays usable.
using Middleware = std::function<boost::asio::awaitable<Response>(Request&, Next)>;

struct RouteOptions {
  // Overrides ServerOptions::max_body_bytes for this route (0 = the server's limit). The body
  // limit is checked against Content-Length before the body is read, and while reading chunks.
  size_t max_body_bytes = 0;
};

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0 = an ephemeral port; see Server::port() after start()
  unsigned io_threads = 1;
  unsigned worker_threads = 4;          // for blocking handlers
  size_t max_body_bytes = 1024 * 1024;  // larger bodies get 413
  size_t max_header_bytes = 16 * 1024;  // request line + headers; larger gets 431
  size_t max_connections = 10000;       // further connections are closed at once
  // Bytes of request bodies read or being handled at once, across all connections: a body is
  // read whole into memory, so without this bound a client could hold max_body_bytes on each of
  // max_connections connections. A request whose announced Content-Length (or, sent in chunks,
  // its body limit) would pass the bound gets 503 with Retry-After, through the middleware,
  // and its connection closes with the body unread (counted in Stats::bodies_refused). 0: no
  // bound.
  size_t max_body_bytes_in_flight = 64 * 1024 * 1024;
  // Open connections per client IP address, so one client cannot take every connection. A new
  // connection from a client at the limit evicts that client's connection that has waited
  // longest for a request (idle, or in the middle of its header; Stats::connections_evicted),
  // so idle connections cannot lock out the client, or every local client, which all share
  // 127.0.0.1. Connections receiving a body or handling a request are never evicted; when all
  // of them are, the new one is closed at once (Stats::connections_refused). 0: no limit.
  size_t max_connections_per_client = 256;
  // The whole request header must arrive within this time of the first byte (or of the end of
  // the previous request on a kept-alive connection): slowloris protection. The connection is
  // closed when it passes.
  std::chrono::milliseconds header_timeout{10000};
  // The body must arrive within this time once the header is complete (else the connection is
  // closed).
  std::chrono::milliseconds body_timeout{30000};
  // A kept-alive connection with no request in progress is closed after this time.
  std::chrono::milliseconds idle_timeout{60000};
  // Writing a response must finish within this time (slow readers): a client that stops reading
  // is cut this long after the response began. The kernel's socket buffers take the last part
  // of a response (a few MiB on Linux) without the client reading it, so a response that fits
  // in them counts as written at once, and the connection is then idle (idle_timeout).
  std::chrono::milliseconds write_timeout{30000};
  // Static files: when set, GET/HEAD under static_prefix serve files below static_dir, with a
  // Content-Type from the extension. Paths that escape static_dir get 404.
  std::string static_dir;
  std::string static_prefix = "/static";
  // Value of the Server response header; empty sends none.
  std::string server_name = "tracekit";
  // Read X-Correlation-ID (when sane) or make a UUIDv4, and echo it in the response.
  bool correlation_ids = true;
};

class Server {
 public:
  // (Overloads rather than a default argument: see the GCC 12 note in client.h.)
  Server();
  explicit Server(ServerOptions options);
  ~Server();  // stops (with a short grace period) if still running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Adds a middleware; the first added is the outermost. Call before start().
  void use(Middleware middleware);

  // Adds a route. `pattern` is a path of literal segments and "{name}" segments ("/tools/{id}",
  // "/runs/{run}/logs"); a final "{name...}" matches the rest of the path. Literal segments win
  // over parameters. `method` is "GET", "POST", … ("*" matches any). Call before start().
  // `handler` is either a coroutine handler, awaitable<Response>(Request&), which runs on the
  // I/O threads, or a blocking one, Response(Request&), which runs on the worker pool.
  template <class F>
  void route(std::string_view method, std::string_view pattern, F&& handler,
             RouteOptions options = {}) {
    if constexpr (std::is_invocable_r_v<boost::asio::awaitable<Response>, F&, Request&>) {
      add_route(method, pattern, Handler(std::forward<F>(handler)), options);
    } else {
      static_assert(std::is_invocable_r_v<Response, F&, Request&>,
                    "a handler is awaitable<Response>(Request&) or Response(Request&)");
      add_blocking_route(method, pattern, BlockingHandler(std::forward<F>(handler)), options);
    }
  }
  void add_route(std::string_view method, std::string_view pattern, Handler handler,
                 RouteOptions options = {});
  void add_blocking_route(std::string_view method, std::string_view pattern,
                          BlockingHandler handler, RouteOptions options = {});

  // Binds, listens and starts the I/O and worker threads; returns at once. An error says what
  // failed (address in use, bad address, bad route pattern).
  Result<void> start();
  // The bound port (after start()).
  uint16_t port() const noexcept;
  // "http://127.0.0.1:<port>".
  std::string base_url() const;
  bool running() const noexcept;

  // Graceful stop: stops accepting, lets in-flight requests finish and their responses be sent
  // (new requests on kept-alive connections get Connection: close), then closes the remaining
  // connections and joins the threads. Returns false when requests were still running at the
  // deadline (they are abandoned: their connections are closed). Safe to call more than once.
  bool stop(std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

  // start() if needed, then blocks until SIGTERM or SIGINT (or stop() from another thread),
  // then stop(grace). Returns 0 after a clean stop, 1 when start failed or requests were
  // abandoned. The caller then flushes tracing: tracekit::shutdown_tracing(timeout).
  int run_until_signal(std::chrono::milliseconds grace = std::chrono::milliseconds(10000));
  // Takes SIGTERM and SIGINT from now on, for run_until_signal() to act on. Called before
  // start(), no signal is lost between the moment the service answers (a port file written, a
  // supervisor's readiness probe) and the one run_until_signal() is reached; without it, such a
  // signal ends the process by its default action. Call it from the thread that calls start().
  void catch_signals();

  // The I/O executor, for clients and timers used from handlers.
  boost::asio::any_io_executor executor();
  const ServerOptions& options() const noexcept;

  // Counters, for tests and /metrics.
  struct Stats {
    uint64_t connections_accepted = 0;
    uint64_t connections_open = 0;
    // Of those, the ones waiting for a request (its first byte, or the rest of its header): the
    // ones a newer connection of their client may evict.
    uint64_t connections_waiting = 0;
    uint64_t requests = 0;
    uint64_t requests_in_flight = 0;
    // Closed at once: over max_connections, or over max_connections_per_client.
    uint64_t connections_refused = 0;
    // Closed to make room for a newer connection from the same client, while waiting on it.
    uint64_t connections_evicted = 0;
    // Requests answered 503 unread: their bodies would have passed max_body_bytes_in_flight.
    uint64_t bodies_refused = 0;
    uint64_t body_bytes_reserved = 0;  // by requests being read or handled now
  };
  Stats stats() const noexcept;

 private:
  struct Impl;
  friend struct MiddlewareChain;
  std::shared_ptr<Impl> impl_;
};

}  // namespace tracekit::http
