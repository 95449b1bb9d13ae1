// SPDX-License-Identifier: Apache-2.0
// The server: accept loop, one coroutine per connection (on its own strand, with a
// ContextExecutor so request contexts are re-entered on every resume), the middleware chain and
// its terminal step (handler, blocking handler on the pool, 404, 405, 413, static file), and
// graceful stop.
#include "tracekit/http/server.h"

#include <pthread.h>

#include <array>
#include <atomic>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <condition_variable>
#include <csignal>
#include <ctime>
#include <exception>
#include <filesystem>
#include <future>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "context_executor.h"
#include "request_framing.h"
#include "response_head.h"
#include "router.h"
#include "static_files.h"
#include "tracekit/diagnostics.h"
#include "tracekit/ids.h"
#include "tracekit/log/logger.h"
#include "tracing_middleware.h"

namespace tracekit::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using Strand = asio::strand<asio::io_context::executor_type>;
using ConnExecutor = detail::ContextExecutor<Strand>;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
// How long, and how much, a connection closed over an unread request body keeps reading (and
// discarding) so that its last response is not lost to a reset.
constexpr std::chrono::seconds kLingerTime{2};
constexpr size_t kLingerBytes = 8 * 1024 * 1024;

// How a request ends once the middleware chain has run.
enum class Terminal : uint8_t {
  kRoute,
  kNotFound,
  kMethodNotAllowed,
  kTooLarge,
  kBodiesBusy,
  kStatic
};

namespace {

int64_t steady_now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

const log::Logger& server_log() {
  static const log::Logger logger("tracekit.http.server");
  return logger;
}

// X-Correlation-ID values we accept as they are: short, and nothing that could break a log line
// or a header.
bool sane_correlation_id(std::string_view v) noexcept {
  if (v.empty() || v.size() > 128) return false;
  for (char c : v) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

std::string uuid_v4() {
  uint64_t hi = random_u64();
  uint64_t lo = random_u64();
  hi = (hi & ~uint64_t{0xF000}) | 0x4000;                      // version 4
  lo = (lo & ~(uint64_t{0xC} << 60)) | (uint64_t{0x8} << 60);  // variant 10xx
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  size_t pos = 0;
  auto put = [&](uint64_t v, int nibbles) {
    for (int i = nibbles - 1; i >= 0; --i) {
      if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
      out[pos++] = kHex[(v >> (4 * i)) & 0xF];
    }
  };
  put(hi, 16);
  put(lo, 16);
  return out;
}

// The Date header (RFC 9110 IMF-fixdate), formatted at most once a second per thread.
std::string_view http_date() {
  thread_local std::time_t cached_at = 0;
  thread_local char buf[40];
  thread_local size_t len = 0;
  const std::time_t now = std::time(nullptr);
  if (now != cached_at) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    len = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached_at = now;
  }
  return {buf, len};
}

}  // namespace

struct Server::Impl {
  struct Conn {
    Conn(const Strand& s, std::shared_ptr<detail::RequestSlot> sl)
        : strand(s), stream(tcp::socket(s)), slot(std::move(sl)) {}
    Strand strand;
    beast::tcp_stream stream;
    std::shared_ptr<detail::RequestSlot> slot;
    bool idle = false;  // waiting for the next request (strand only)
    // When this connection began waiting on its client for a request (its first byte or the
    // rest of its header), or to close, in steady-clock nanoseconds; 0 otherwise (a body being
    // received, a request handled or answered). Written on the strand; read by admit() to pick
    // a connection to evict.
    std::atomic<int64_t> waiting_since{0};
    bool eviction_pending = false;  // guarded by Impl::mu
    bool evicted = false;           // strand only: a read that completed meanwhile is dropped
    uint64_t id = 0;                // set by admit() under mu
    std::string remote_address, local_address;
    uint16_t remote_port = 0, local_port = 0;
    std::string response_head;  // reused for every response's status line and fields
  };

  ServerOptions options;
  detail::Router router;
  std::vector<Middleware> middleware;
  std::filesystem::path static_root;

  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  tcp::acceptor acceptor{io};
  std::optional<asio::thread_pool> workers;
  std::vector<std::thread> io_threads;
  std::unique_ptr<asio::signal_set> signals;
  uint16_t bound_port = 0;

  std::atomic<bool> started{false};
  std::atomic<bool> stopping{false};
  bool stopped = false;
  bool stop_result = true;
  std::mutex stop_mu;  // serializes stop()

  std::mutex mu;  // guards conns, stop_requested; with `changed`
  std::condition_variable changed;
  std::unordered_map<uint64_t, std::weak_ptr<Conn>> conns;
  // Open connections by remote IP (kept only when max_connections_per_client is set).
  std::unordered_map<std::string, std::vector<uint64_t>> conns_by_client;
  uint64_t next_conn_id = 0;
  bool stop_requested = false;

  std::atomic<uint64_t> accepted{0}, requests{0}, in_flight{0}, refused{0}, evicted{0},
      bodies_refused{0};
  // Bytes of request bodies reserved by requests being read or handled (max_body_bytes_in_flight).
  std::atomic<size_t> body_bytes_reserved{0};

  // A request's share of max_body_bytes_in_flight, held until its response is written.
  struct BodyReservation {
    std::atomic<size_t>* pool = nullptr;
    size_t bytes = 0;
    BodyReservation() = default;
    BodyReservation(const BodyReservation&) = delete;
    BodyReservation& operator=(const BodyReservation&) = delete;
    ~BodyReservation() {
      if (pool) pool->fetch_sub(bytes, std::memory_order_acq_rel);
    }
  };
  // Reserves room for a body of `bytes` (its Content-Length, or the limit when it comes in
  // chunks); false when that would pass the budget. A body as large as the whole budget can
  // still be read, alone.
  bool reserve_body(size_t bytes, BodyReservation& r) noexcept {
    const size_t budget = options.max_body_bytes_in_flight;
    if (budget == 0 || bytes == 0) return true;
    bytes = std::min(bytes, budget);
    size_t reserved = body_bytes_reserved.load(std::memory_order_relaxed);
    do {
      if (bytes > budget - reserved) return false;
    } while (!body_bytes_reserved.compare_exchange_weak(reserved, reserved + bytes,
                                                        std::memory_order_acq_rel));
    r.pool = &body_bytes_reserved;
    r.bytes = bytes;
    return true;
  }
  std::atomic<int> blocking_running{0};  // blocking handlers executing on the workers now

  explicit Impl(ServerOptions o)
      : options(std::move(o)), io(static_cast<int>(std::max(1u, options.io_threads))) {}

  using RequestParser = beast::http::request_parser<beast::http::string_body>;
  // Where a request goes (see route_request).
  struct Routing {
    detail::RouteMatch match;
    Terminal terminal = Terminal::kNotFound;
    size_t body_limit = 0;
    bool must_close = false;  // the body is left unread: the connection ends after the answer
  };
  // A request body not read yet: the server reads it when the request reaches its handler (or a
  // middleware asks for it), so that middleware can refuse a request before its body arrives.
  struct PendingBody {
    PendingBody(Conn& c, beast::flat_buffer& b, RequestParser& p, Routing& r)
        : conn(c), buffer(b), parser(p), routing(r) {}
    Conn& conn;
    beast::flat_buffer& buffer;
    RequestParser& parser;
    Routing& routing;
    enum class State : uint8_t { kPending, kReading, kDone } state = State::kPending;
    std::optional<Response> failure;  // the answer when reading it failed
  };

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> session(std::shared_ptr<Conn> conn, uint64_t id);
  Routing route_request(const RequestParser& parser) const;
  enum class BodyRead : uint8_t { kRead, kTooLarge, kMalformed, kLate, kGone };
  asio::awaitable<std::pair<BodyRead, std::string>> read_body(Conn& conn,
                                                              beast::flat_buffer& buffer,
                                                              RequestParser& parser,
                                                              size_t body_limit,
                                                              bool expects_continue);
  asio::awaitable<std::optional<Response>> take_body(const MiddlewareChain& chain, Request& req);
  static Response body_too_large(size_t limit) {
    return Response::error(413, "request body larger than " + std::to_string(limit) + " bytes");
  }
  Response bodies_busy() const {
    Response r = Response::error(503, "too many request bodies are being read at once (over " +
                                          std::to_string(options.max_body_bytes_in_flight) +
                                          " bytes); retry later");
    r.set_header("Retry-After", "1");
    return r;
  }
  asio::awaitable<void> refuse_header(Conn& conn, beast::error_code ec);
  Request make_request(RequestParser& parser, const Conn& conn, Routing& routing,
                       bool body_pending) const;
  Response handler_failed(const Request& req, const std::string& failure) const;
  void unsafe_fields_dropped(const Request& req, size_t count) const;
  asio::awaitable<void> close_connection(Conn& conn, bool body_left_unread);
  void forget_connection(const Conn& conn, uint64_t id);
  std::shared_ptr<Conn> longest_waiting(const std::vector<uint64_t>& ids);
  void evict_for(const std::shared_ptr<Conn>& victim, std::shared_ptr<Conn> conn, uint64_t id);
  void start_session(const std::shared_ptr<Conn>& conn, uint64_t id);
  bool admit(const std::shared_ptr<Conn>& conn);
  asio::awaitable<void> write_response(Conn& conn, const Request& req, Response& resp,
                                       bool keep_alive);
  asio::awaitable<void> write_early_error(Conn& conn, int status, std::string_view message);
  asio::awaitable<Response> run_terminal(const MiddlewareChain& chain, Request& req);
  Response terminal_response(const MiddlewareChain& chain, const Request& req) const;
  asio::awaitable<Response> run_blocking(const detail::Route& route, Request& req);

  void request_done() {
    if (in_flight.fetch_sub(1, std::memory_order_acq_rel) == 1 && stopping.load()) {
      std::lock_guard lock(mu);
      changed.notify_all();
    }
  }
  // Runs `f(conn)` on each open connection's strand.
  template <class F>
  void for_each_conn(F f) {
    std::lock_guard lock(mu);
    for (auto& [id, weak] : conns) {
      if (auto c = weak.lock()) asio::post(c->strand, [c, f] { f(*c); });
    }
  }
};

struct MiddlewareChain {
  const std::vector<Middleware>& middleware;
  Server::Impl& server;
  const detail::RouteMatch& match;
  Terminal terminal;
  size_t body_limit;
  Server::Impl::PendingBody* body;  // the request's body while it is still to be read; else null
};

boost::asio::awaitable<Response> Next::operator()(Request& request) const {
  if (index_ < chain_->middleware.size()) {
    return chain_->middleware[index_](request, Next(chain_, index_ + 1));
  }
  return chain_->server.run_terminal(*chain_, request);
}

boost::asio::awaitable<std::optional<Response>> Next::read_body(Request& request) const {
  return chain_->server.take_body(*chain_, request);
}

// Reads the pending body into the request, once. On success the connection may be kept alive;
// otherwise the answer to give comes back, and the connection closes after it. A request whose
// body was refused unread (over the limit, or past the body budget) gets that refusal.
asio::awaitable<std::optional<Response>> Server::Impl::take_body(const MiddlewareChain& chain,
                                                                 Request& req) {
  PendingBody* body = chain.body;
  if (body == nullptr) {
    if (chain.terminal == Terminal::kTooLarge) co_return body_too_large(chain.body_limit);
    if (chain.terminal == Terminal::kBodiesBusy) co_return bodies_busy();
    co_return std::nullopt;
  }
  using State = PendingBody::State;
  if (body->state == State::kDone) co_return body->failure;
  if (body->state == State::kReading) {
    // Asked again while the first read is under way (a middleware that spawned work of its own
    // on the request): no second reader on the same bytes.
    co_return Response::error(500, "the request body is being read already");
  }
  body->state = State::kReading;
  struct MarkDone {
    PendingBody& body;
    ~MarkDone() { body.state = State::kDone; }
  } mark_done{*body};
  const auto expect = req.header("expect");
  const bool expects_continue = expect && beast::iequals(*expect, "100-continue");
  auto [outcome, detail] = co_await read_body(body->conn, body->buffer, body->parser,
                                              chain.body_limit, expects_continue);
  switch (outcome) {
    case BodyRead::kRead:
      req.beast().body() = std::move(body->parser.get().body());
      body->routing.must_close = false;
      co_return std::nullopt;
    case BodyRead::kTooLarge:
      body->failure = body_too_large(chain.body_limit);
      break;
    case BodyRead::kMalformed:
      body->failure = Response::error(400, "malformed request body: " + detail);
      break;
    case BodyRead::kLate:
      body->failure =
          Response::error(408, "the request body did not arrive within " +
                                   std::to_string(options.body_timeout.count()) + " ms");
      break;
    case BodyRead::kGone:
      body->failure = Response::error(400, "the request body ended early");
      break;
  }
  co_return body->failure;
}

asio::awaitable<Response> Server::Impl::run_terminal(const MiddlewareChain& chain, Request& req) {
  if (auto failure = co_await take_body(chain, req)) co_return std::move(*failure);
  if (chain.terminal != Terminal::kRoute) co_return terminal_response(chain, req);
  const detail::Route& route = *chain.match.route;
  if (route.blocking_handler) co_return co_await run_blocking(route, req);
  // The handler starts with the request's context current, as the middleware left it: the
  // connection's executor follows the request slot, which points at the Request's context
  // object (context_executor.h). It used to resume once more through the executor for that, a
  // post per traced request.
  co_return co_await route.handler(req);
}

// A plain function, not part of run_terminal: a coroutine's frame keeps a slot for every
// Response its branches make, and once run_terminal's frame passed 1,032 bytes (glibc's
// per-thread cache holds no larger blocks; Asio recycles none above 1,020) every request paid
// an allocation that also consolidated malloc's fastbins.
Response Server::Impl::terminal_response(const MiddlewareChain& chain, const Request& req) const {
  switch (chain.terminal) {
    case Terminal::kNotFound:
      return Response::error(404, "no route for " + std::string(req.path()));
    case Terminal::kMethodNotAllowed: {
      Response r = Response::error(405, "method " + std::string(req.method()) +
                                            " not allowed for " + std::string(req.path()));
      r.set_header("Allow", chain.match.allow);
      return r;
    }
    // These two have been answered by take_body already (as a middleware's read_body would be).
    case Terminal::kTooLarge:
      return body_too_large(chain.body_limit);
    case Terminal::kBodiesBusy:
      return bodies_busy();
    case Terminal::kStatic: {
      std::string_view rest = req.path().substr(options.static_prefix.size());
      return detail::serve_static(static_root, req.method(), rest);
    }
    case Terminal::kRoute:
      break;
  }
  return Response::error(500, "internal server error");  // not reached: routes have handlers
}

asio::awaitable<Response> Server::Impl::run_blocking(const detail::Route& route, Request& req) {
  // The handler runs on a worker with the request's context and correlation id current; the
  // connection's coroutine waits without holding an I/O thread.
  //
  // A handler's exception is caught on the worker and handed over as a value, then rethrown
  // here, so middleware catches the handler's own type. Letting it escape the worker's coroutine
  // instead leaves asio's copy of it on the worker, released after the I/O thread has caught
  // and read it: safe (libstdc++ counts exception references atomically), but that counting is
  // invisible to ThreadSanitizer, which then reports the worker's delete as a race.
  struct Outcome {
    Response response;
    std::exception_ptr failure;
  };
  Outcome outcome = co_await asio::co_spawn(
      workers->get_executor(),
      [this, &route, &req]() -> asio::awaitable<Outcome> {
        blocking_running.fetch_add(1);
        struct Done {
          std::atomic<int>& running;
          ~Done() { running.fetch_sub(1); }
        } done{blocking_running};
        Scope scope(req.context());
        log::CorrelationScope correlation(req.correlation_id());
        Outcome out;
        try {
          out.response = route.blocking_handler(req);
        } catch (...) {
          out.failure = std::current_exception();
        }
        co_return out;
      },
      asio::use_awaitable);
  if (outcome.failure) std::rethrow_exception(std::move(outcome.failure));
  co_return std::move(outcome.response);
}

asio::awaitable<void> Server::Impl::write_early_error(Conn& conn, int status,
                                                      std::string_view message) {
  Response r = Response::error(status, message);
  beast::http::response<beast::http::string_body> res{static_cast<beast::http::status>(status), 11};
  res.set(beast::http::field::content_type, "application/json");
  // No middleware sees a request refused this early (the request guard adds the full set of
  // security headers to everything else): never sniffed as a page, never cached.
  res.set("X-Content-Type-Options", "nosniff");
  res.set(beast::http::field::cache_control, "no-store");
  if (!options.server_name.empty()) res.set(beast::http::field::server, options.server_name);
  res.keep_alive(false);
  res.body() = std::move(r.body());
  res.prepare_payload();
  conn.stream.expires_after(std::chrono::seconds(2));
  co_await beast::http::async_write(conn.stream, res, kTuple);
}

namespace {
// The trace ids travel beside the fields (Response::set_trace_ids). Plain functions, not part of
// write_response: its coroutine frame keeps every local, and a frame larger than what Asio
// recycles per thread costs a malloc per request.

// For the responses Beast's serializer writes (files, chunked bodies): made fields.
template <class Message>
void add_trace_fields(const Response& resp, Message& res) {
  std::array<char, 48> text;
  detail::ExtraField ids[2];
  const size_t n = resp.trace_id_fields(text, ids);
  for (size_t i = 0; i < n; ++i) {
    res.set(beast::string_view(ids[i].first.data(), ids[i].first.size()),
            beast::string_view(ids[i].second.data(), ids[i].second.size()));
  }
}

// The head the server writes itself, with the trace ids after the fields.
size_t render_head(const Response& resp, const beast::http::response_header<>& head,
                   std::string& out) {
  std::array<char, 48> text;
  detail::ExtraField ids[2];
  const size_t n = resp.trace_id_fields(text, ids);
  return detail::render_response_head(head, out, std::span<const detail::ExtraField>(ids, n));
}
}  // namespace

asio::awaitable<void> Server::Impl::write_response(Conn& conn, const Request& req, Response& resp,
                                                   bool keep_alive) {
  namespace bh = beast::http;
  const bool head = req.method() == "HEAD";
  int status = resp.status();
  if (status < 100 || status > 599) status = 500;
  auto finish_header = [&](auto& res) {
    res.result(static_cast<unsigned>(status));
    res.version(req.beast().version());
    if (!options.server_name.empty() && res.find(bh::field::server) == res.end()) {
      res.set(bh::field::server, options.server_name);
    }
    if (res.find(bh::field::date) == res.end()) res.set(bh::field::date, http_date());
    res.keep_alive(keep_alive);
  };
  conn.stream.expires_after(options.write_timeout);
  if (!resp.file_path().empty()) {
    if (size_t n = detail::erase_unsafe_fields(resp.headers())) unsafe_fields_dropped(req, n);
    beast::error_code ec;
    bh::file_body::value_type file;
    file.open(resp.file_path().c_str(), beast::file_mode::scan, ec);
    if (!ec) {
      const uint64_t size = file.size();
      if (head) {
        bh::response<bh::empty_body> res(std::piecewise_construct, std::make_tuple(),
                                         std::make_tuple(std::move(resp.headers())));
        finish_header(res);
        add_trace_fields(resp, res);
        res.content_length(size);
        co_await bh::async_write(conn.stream, res, kTuple);
      } else {
        bh::response<bh::file_body> res(std::piecewise_construct, std::make_tuple(std::move(file)),
                                        std::make_tuple(std::move(resp.headers())));
        finish_header(res);
        add_trace_fields(resp, res);
        res.content_length(size);
        co_await bh::async_write(conn.stream, res, kTuple);
      }
      co_return;
    }
    resp = Response::error(404, "not found");
    status = 404;
  }
  bh::response<bh::string_body> res(std::piecewise_construct,
                                    std::make_tuple(std::move(resp.body())),
                                    std::make_tuple(std::move(resp.headers())));
  finish_header(res);
  const bool no_body = status == 204 || status == 304 || status < 200;
  if (no_body) {
    res.body().clear();
    res.erase(bh::field::content_length);
  } else {
    res.prepare_payload();
    // A response to HEAD announces the length of what GET would send, and sends no body.
    if (head) res.body().clear();
  }
  if (res.chunked()) {  // a handler's own Transfer-Encoding: Beast frames the body
    if (size_t n = detail::erase_unsafe_fields(res.base())) unsafe_fields_dropped(req, n);
    add_trace_fields(resp, res);
    co_await bh::async_write(conn.stream, res, kTuple);
    co_return;
  }
  if (size_t n = render_head(resp, res.base(), conn.response_head)) {
    unsafe_fields_dropped(req, n);
  }
  const std::array<asio::const_buffer, 2> wire{asio::buffer(conn.response_head),
                                               asio::buffer(res.body())};
  co_await asio::async_write(conn.stream, wire, kTuple);
}

// A handler or middleware set a header Beast would have sent as it is: the response goes out
// without it, and the server's log says so (the handler is the one to fix).
void Server::Impl::unsafe_fields_dropped(const Request& req, size_t count) const {
  Scope scope(req.context());
  log::CorrelationScope correlation(req.correlation_id());
  server_log().error("http.unsafe_response_header",
                     {{"method", req.method()},
                      {"path", req.path()},
                      {"dropped", static_cast<int64_t>(count)},
                      {"reason", "a field name that is not a token, or CR, LF or NUL in a value"}});
}

// Where a request goes once its header is in: the route (or static files), how it ends if no
// handler runs, and the body limit that applies to it.
Server::Impl::Routing Server::Impl::route_request(
    const beast::http::request_parser<beast::http::string_body>& parser) const {
  const auto& header = parser.get();
  const std::string_view target = header.target();
  const std::string_view path = target.substr(0, target.find('?'));
  Routing r;
  r.body_limit = options.max_body_bytes;
  if (!static_root.empty() && path.starts_with(options.static_prefix) &&
      (path.size() == options.static_prefix.size() || path[options.static_prefix.size()] == '/')) {
    r.terminal = Terminal::kStatic;
  } else {
    r.match = router.match(header.method_string(), path);
    r.terminal = r.match.kind == detail::RouteMatch::Kind::kFound ? Terminal::kRoute
                 : r.match.kind == detail::RouteMatch::Kind::kMethodNotAllowed
                     ? Terminal::kMethodNotAllowed
                     : Terminal::kNotFound;
  }
  if (r.match.route && r.match.route->options.max_body_bytes) {
    r.body_limit = r.match.route->options.max_body_bytes;
  }
  // An announced length over the limit: the request still goes through the middleware (traced,
  // logged) as a 413, and the connection closes since its body is left unread.
  if (parser.content_length() && *parser.content_length() > r.body_limit) {
    r.terminal = Terminal::kTooLarge;
    r.must_close = true;
  }
  return r;
}

// Reads the body of a request whose header is in (answering `Expect: 100-continue` first),
// into the parser.
asio::awaitable<std::pair<Server::Impl::BodyRead, std::string>> Server::Impl::read_body(
    Conn& conn, beast::flat_buffer& buffer, RequestParser& parser, size_t body_limit,
    bool expects_continue) {
  namespace bh = beast::http;
  parser.body_limit(body_limit);
  if (expects_continue) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    conn.stream.expires_after(options.write_timeout);
    auto [wec, wn] = co_await asio::async_write(
        conn.stream, asio::buffer(kContinue.data(), kContinue.size()), kTuple);
    if (wec) co_return std::pair{BodyRead::kGone, std::string()};
  }
  conn.stream.expires_after(options.body_timeout);
  auto [bec, bn] = co_await bh::async_read(conn.stream, buffer, parser, kTuple);
  if (!bec) co_return std::pair{BodyRead::kRead, std::string()};
  if (bec == bh::error::body_limit) co_return std::pair{BodyRead::kTooLarge, std::string()};
  if (bec == beast::error::timeout) co_return std::pair{BodyRead::kLate, std::string()};
  if (bec == bh::error::partial_message || bec == asio::error::eof ||
      bec == asio::error::connection_reset || bec == asio::error::operation_aborted ||
      bec == asio::error::bad_descriptor) {
    co_return std::pair{BodyRead::kGone, std::string()};
  }
  co_return std::pair{BodyRead::kMalformed, bec.message()};
}

// Answers a header Beast refused: 431 past the size limit, 400 when malformed; a client that
// left or timed out (slowloris: Beast's stream has closed the socket already) just sees the
// connection end.
asio::awaitable<void> Server::Impl::refuse_header(Conn& conn, beast::error_code ec) {
  namespace bh = beast::http;
  if (ec == bh::error::header_limit) {
    co_await write_early_error(
        conn, 431,
        "request header larger than " + std::to_string(options.max_header_bytes) + " bytes");
  } else if (ec != bh::error::end_of_stream && ec != asio::error::eof &&
             ec != asio::error::connection_reset && ec != asio::error::operation_aborted &&
             ec != asio::error::bad_descriptor && ec != beast::error::timeout) {
    co_await write_early_error(conn, 400, "malformed request: " + ec.message());
  }
}

// The request handed to the middleware: peer addresses, the matched route, the correlation id.
Request Server::Impl::make_request(RequestParser& parser, const Conn& conn, Routing& routing,
                                   bool body_pending) const {
  // A body still to be read stays with the parser (take_body moves it in); the header moves out.
  Request req =
      body_pending
          ? Request(beast::http::request<beast::http::string_body>(std::move(parser.get().base())))
          : Request(parser.release());
  req.set_peer(conn.remote_address, conn.remote_port, conn.local_address, conn.local_port);
  // A matched route names the request even when it ends in 413.
  if (routing.match.kind == detail::RouteMatch::Kind::kFound) {
    req.set_route(routing.match.route->pattern, std::move(routing.match.params));
  }
  if (options.correlation_ids) {
    auto incoming = req.header("x-correlation-id");
    req.set_correlation_id(incoming && sane_correlation_id(*incoming) ? std::string(*incoming)
                                                                      : uuid_v4());
  }
  return req;
}

// What a client gets when the middleware chain or a handler threw: the failure is logged with
// the request's trace and correlation ids, and the answer says nothing about it.
Response Server::Impl::handler_failed(const Request& req, const std::string& failure) const {
  Scope scope(req.context());
  log::CorrelationScope correlation(req.correlation_id());
  server_log().error("http.handler_exception",
                     {{"method", req.method()}, {"path", req.path()}, {"error", failure}});
  return Response::error(500, "internal server error");
}

// One connection: requests read, answered and written in turn until the client leaves, a
// request asks to close, a timeout passes or the server stops.
asio::awaitable<void> Server::Impl::session(std::shared_ptr<Conn> conn, uint64_t id) {
  namespace bh = beast::http;
  beast::flat_buffer buffer;
  bool first = true;
  bool body_left_unread = false;
  // The request's, when the server runs the tracing middleware itself: emplaced and reset, not
  // assigned (two ServerSpan move-assignments were ~200 instructions a traced request).
  std::optional<ServerSpan> server_span;
  try {
    for (;;) {
      if (stopping.load(std::memory_order_acquire)) break;
      conn->waiting_since.store(steady_now_ns(), std::memory_order_relaxed);
      // Wait for the first byte of the next request: a fresh connection gets header_timeout, a
      // kept-alive one idle_timeout. stop() closes connections that wait here.
      if (buffer.size() == 0) {
        conn->stream.expires_after(first ? options.header_timeout : options.idle_timeout);
        conn->idle = true;
        auto [ec, n] = co_await conn->stream.async_read_some(buffer.prepare(4096), kTuple);
        conn->idle = false;
        if (ec || conn->evicted) break;
        buffer.commit(n);
      }
      first = false;

      RequestParser parser;
      parser.header_limit(static_cast<uint32_t>(
          std::min<size_t>(options.max_header_bytes, std::numeric_limits<uint32_t>::max())));
      // The body limit is ours to apply once the route is known (Beast would otherwise reject
      // a large Content-Length while parsing the header).
      parser.body_limit(std::numeric_limits<uint64_t>::max());
      conn->stream.expires_after(options.header_timeout);
      // Read up to the end of the header ourselves first: the raw bytes show what the parser
      // would silently accept (obsolete line folding, a bare CR). A header past the size limit
      // is left to the parser, which answers 431.
      std::optional<detail::FramingProblem> problem;
      bool header_lost = false;  // the client left or timed out before the header was in
      for (size_t scanned = 0;;) {
        const std::string_view bytes(static_cast<const char*>(buffer.data().data()), buffer.size());
        const size_t end = detail::find_header_end(bytes, scanned);
        if (end != std::string_view::npos) {
          problem = detail::check_raw_header(bytes.substr(0, end));
          break;
        }
        if (bytes.size() > options.max_header_bytes) break;
        scanned = bytes.size() < 2 ? 0 : bytes.size() - 2;
        auto [rec, rn] = co_await conn->stream.async_read_some(buffer.prepare(4096), kTuple);
        if (rec || conn->evicted) {
          header_lost = true;
          break;
        }
        buffer.commit(rn);
      }
      if (header_lost) break;
      if (!problem) {
        auto [hec, hn] = co_await bh::async_read_header(conn->stream, buffer, parser, kTuple);
        if (conn->evicted) break;
        if (hec) {
          conn->waiting_since.store(0, std::memory_order_relaxed);
          co_await refuse_header(*conn, hec);
          break;
        }
        // Framing RFC 9112 forbids: answered and closed before any body is read, so the bytes
        // after this header are never taken for a request.
        problem = detail::check_framing(parser.get());
      }
      if (problem) {
        conn->waiting_since.store(0, std::memory_order_relaxed);
        co_await write_early_error(*conn, problem->status, problem->message);
        body_left_unread = true;
        break;
      }

      in_flight.fetch_add(1, std::memory_order_acq_rel);
      requests.fetch_add(1, std::memory_order_relaxed);
      struct InFlight {
        Impl* self;
        ~InFlight() { self->request_done(); }
      } in_flight_guard{this};

      Routing routing = route_request(parser);
      BodyReservation body_reservation;
      std::optional<PendingBody> pending_body;
      if (!routing.must_close && !parser.is_done()) {
        // Bodies are read whole into memory: without a bound across connections, a client could
        // hold max_body_bytes on each of thousands of them. Past the bound the request still
        // goes through the middleware (traced, logged) as a 503, and the connection closes with
        // its body unread. Within it, the body is read only when the request reaches its
        // handler, so a middleware that refuses the request (no token, too many runs) does so
        // before its body is received; the connection then closes too.
        const size_t wanted = parser.content_length()
                                  ? static_cast<size_t>(*parser.content_length())
                                  : routing.body_limit;
        if (!reserve_body(wanted, body_reservation)) {
          bodies_refused.fetch_add(1, std::memory_order_relaxed);
          routing.terminal = Terminal::kBodiesBusy;
        } else {
          pending_body.emplace(*conn, buffer, parser, routing);
        }
        routing.must_close = true;  // until the body is read
      }
      conn->waiting_since.store(0, std::memory_order_relaxed);
      Request req = make_request(parser, *conn, routing, pending_body.has_value());
      // From here on, every resume of this coroutine re-enters the request's context; the
      // correlation id is visible at once (it is read live).
      conn->slot->set(req.shared_context());
      conn->slot->correlation_id = req.correlation_id();

      MiddlewareChain chain{middleware,         *this,
                            routing.match,      routing.terminal,
                            routing.body_limit, pending_body ? &*pending_body : nullptr};
      // The tracing middleware, when it is the outermost, runs here rather than as a coroutine
      // of its own (tracing_middleware.h says why): the same steps as its operator().
      const detail::TracingMiddleware* outer_tracing =
          middleware.empty() ? nullptr : middleware.front().target<detail::TracingMiddleware>();
      if (outer_tracing && !outer_tracing->tracing->traces(req.path())) outer_tracing = nullptr;
      Response resp;
      std::string failure;
      try {
        if (outer_tracing)
          server_span.emplace(detail::start_server_span(*outer_tracing->tracing, req));
        resp = co_await Next(&chain, outer_tracing ? 1 : 0)(req);
        if (outer_tracing) detail::finish_server_span(*server_span, resp);
      } catch (const std::exception& e) {
        if (server_span) detail::fail_server_span(*server_span, &e);
        failure = e.what();
        if (outer_tracing && failure.empty()) failure = "exception";
      } catch (...) {
        if (server_span) detail::fail_server_span(*server_span, nullptr);
        failure = "unknown exception";
      }
      if (!failure.empty()) {
        resp = server_span ? detail::failed_response(*server_span, req, failure)
                           : handler_failed(req, failure);
      }
      server_span.reset();
      if (options.correlation_ids) resp.set_header("X-Correlation-ID", req.correlation_id());

      const bool keep_alive = req.beast().keep_alive() && !routing.must_close &&
                              !stopping.load(std::memory_order_acquire);
      auto write = write_response(*conn, req, resp, keep_alive);
      bool write_failed = false;
      try {
        co_await std::move(write);
      } catch (...) {
        write_failed = true;
      }
      conn->slot->clear();
      conn->slot->correlation_id.clear();
      body_left_unread = routing.must_close;
      if (write_failed || !keep_alive) break;
    }
  } catch (...) {
    // A connection's failure (reset, timeout while writing) ends that connection only.
  }
  co_await close_connection(*conn, body_left_unread);
  forget_connection(*conn, id);
}

// Ends a connection: its request's context let go, our side shut, and the socket closed.
asio::awaitable<void> Server::Impl::close_connection(Conn& conn, bool body_left_unread) {
  conn.slot->clear();
  conn.slot->correlation_id.clear();
  beast::error_code ignored;
  conn.stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  if (body_left_unread) {
    // Closing a socket with unread data makes the kernel send a reset, which can destroy the
    // 413 we just sent before the client reads it (a client still writing its body sees a
    // broken connection instead). Read and discard what the client still sends, bounded in
    // bytes and time, until it closes its side.
    std::array<char, 16 * 1024> sink;
    size_t drained = 0;
    conn.stream.expires_after(kLingerTime);
    conn.idle = true;  // stop() closes it like a connection between requests
    conn.waiting_since.store(steady_now_ns(), std::memory_order_relaxed);
    while (drained < kLingerBytes && !stopping.load(std::memory_order_acquire)) {
      auto [ec, n] = co_await conn.stream.async_read_some(asio::buffer(sink), kTuple);
      if (ec) break;
      drained += n;
    }
  }
  conn.stream.socket().close(ignored);
}

// Drops a closed connection from the open set and its client's count.
void Server::Impl::forget_connection(const Conn& conn, uint64_t id) {
  {
    std::lock_guard lock(mu);
    conns.erase(id);
    if (auto it = conns_by_client.find(conn.remote_address); it != conns_by_client.end()) {
      std::erase(it->second, id);
      if (it->second.empty()) conns_by_client.erase(it);
    }
  }
  changed.notify_all();
}

asio::awaitable<void> Server::Impl::accept_loop() {
  for (;;) {
    Strand strand = asio::make_strand(io);
    auto conn = std::make_shared<Conn>(strand, std::make_shared<detail::RequestSlot>());
    auto [ec] = co_await acceptor.async_accept(conn->stream.socket(), kTuple);
    if (ec) {
      if (stopping.load() || !acceptor.is_open()) co_return;
      // Out of file descriptors and the like: breathe, then accept again.
      asio::steady_timer t(io, std::chrono::milliseconds(20));
      co_await t.async_wait(kTuple);
      continue;
    }
    accepted.fetch_add(1, std::memory_order_relaxed);
    beast::error_code e1, e2;
    auto remote = conn->stream.socket().remote_endpoint(e1);
    auto local = conn->stream.socket().local_endpoint(e2);
    if (!e1) {
      conn->remote_address = remote.address().to_string();
      conn->remote_port = remote.port();
    }
    if (!e2) {
      conn->local_address = local.address().to_string();
      conn->local_port = local.port();
    }
    if (!admit(conn)) {
      refused.fetch_add(1, std::memory_order_relaxed);
      beast::error_code ignored;
      conn->stream.socket().close(ignored);
    }
  }
}

// Takes a new connection into the open set, or says no. A client at max_connections_per_client
// gets room by evicting its connection that has waited longest for a request (its first byte or
// the rest of its header): a client that holds its connections idle cannot lock itself, or
// every other local client that shares its address, out. Connections receiving a body or
// handling a request are never evicted; while all of them are, the newcomer is refused.
bool Server::Impl::admit(const std::shared_ptr<Conn>& conn) {
  uint64_t id;
  std::shared_ptr<Conn> victim;
  {
    std::lock_guard lock(mu);
    if (conns.size() >= options.max_connections) return false;
    if (options.max_connections_per_client != 0) {
      auto& from_client = conns_by_client[conn->remote_address];
      if (from_client.size() >= options.max_connections_per_client) {
        victim = longest_waiting(from_client);
        if (!victim) return false;
        victim->eviction_pending = true;
      }
      id = next_conn_id++;
      from_client.push_back(id);
    } else {
      id = next_conn_id++;
    }
    conn->id = id;
    conns.emplace(id, conn);
  }
  if (victim) {
    evict_for(victim, conn, id);
  } else {
    start_session(conn, id);
  }
  return true;
}

// Of a client's connections, the one waiting on it the longest and not yet chosen for eviction;
// null when every one has a request being handled. Called under mu.
std::shared_ptr<Server::Impl::Conn> Server::Impl::longest_waiting(
    const std::vector<uint64_t>& ids) {
  std::shared_ptr<Conn> oldest;
  int64_t oldest_since = std::numeric_limits<int64_t>::max();
  for (uint64_t id : ids) {
    auto it = conns.find(id);
    if (it == conns.end()) continue;
    auto c = it->second.lock();
    if (!c || c->eviction_pending) continue;
    const int64_t since = c->waiting_since.load(std::memory_order_relaxed);
    if (since != 0 && since < oldest_since) {
      oldest = std::move(c);
      oldest_since = since;
    }
  }
  return oldest;
}

// Closes `victim` on its strand if it is still waiting for a request, and starts `conn` in its
// place; `conn` also starts if the victim has ended meanwhile, and is refused if a request
// arrived on the victim. A read the victim completed just before is dropped unhandled
// (Conn::evicted), so a request is never run whose answer cannot be sent.
void Server::Impl::evict_for(const std::shared_ptr<Conn>& victim, std::shared_ptr<Conn> conn,
                             uint64_t id) {
  asio::post(victim->strand, [this, victim, conn = std::move(conn), id] {
    const bool still_waiting = victim->waiting_since.load(std::memory_order_relaxed) != 0;
    bool victim_open;
    {
      std::lock_guard lock(mu);
      victim->eviction_pending = false;
      victim_open = conns.contains(victim->id);
    }
    beast::error_code ignored;
    if (!victim_open) {
      start_session(conn, id);
    } else if (still_waiting) {
      victim->evicted = true;
      victim->stream.socket().close(ignored);
      evicted.fetch_add(1, std::memory_order_relaxed);
      start_session(conn, id);
    } else {
      refused.fetch_add(1, std::memory_order_relaxed);
      conn->stream.socket().close(ignored);
      forget_connection(*conn, id);
    }
  });
}

void Server::Impl::start_session(const std::shared_ptr<Conn>& conn, uint64_t id) {
  beast::error_code ignored;
  conn->stream.socket().set_option(tcp::no_delay(true), ignored);
  ConnExecutor ex(conn->strand, conn->slot);
  asio::co_spawn(ex, session(conn, id), asio::detached);
}

Server::Server() : Server(ServerOptions{}) {}

Server::Server(ServerOptions options) : impl_(std::make_shared<Impl>(std::move(options))) {}

Server::~Server() {
  stop(std::chrono::milliseconds(2000));
}

void Server::use(Middleware middleware) {
  impl_->middleware.push_back(std::move(middleware));
}

void Server::add_route(std::string_view method, std::string_view pattern, Handler handler,
                       RouteOptions options) {
  detail::Route r;
  r.method = std::string(method);
  r.pattern = std::string(pattern);
  r.handler = std::move(handler);
  r.options = options;
  impl_->router.add(std::move(r));
}

void Server::add_blocking_route(std::string_view method, std::string_view pattern,
                                BlockingHandler handler, RouteOptions options) {
  detail::Route r;
  r.method = std::string(method);
  r.pattern = std::string(pattern);
  r.blocking_handler = std::move(handler);
  r.options = options;
  impl_->router.add(std::move(r));
}

Result<void> Server::start() {
  Impl& s = *impl_;
  if (s.started.load()) return Error{ErrorCode::kConflict, "server already started"};
  if (!s.router.first_error().empty()) return Error{s.router.first_error()};
  if (!s.options.static_dir.empty()) {
    std::error_code ec;
    s.static_root = std::filesystem::canonical(s.options.static_dir, ec);
    if (ec || !std::filesystem::is_directory(s.static_root)) {
      return Error{"static_dir '" + s.options.static_dir + "' is not a directory"};
    }
    if (s.options.static_prefix.empty() || s.options.static_prefix[0] != '/' ||
        s.options.static_prefix.back() == '/') {
      return Error{"static_prefix '" + s.options.static_prefix +
                   "' must start with '/' and not end with one"};
    }
  }
  beast::error_code ec;
  const auto address = asio::ip::make_address(s.options.address, ec);
  if (ec) return Error{"bind address '" + s.options.address + "' is not an IP address"};
  const tcp::endpoint endpoint(address, s.options.port);
  const std::string where = s.options.address + ":" + std::to_string(s.options.port);
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (ec) return Error{ErrorCode::kUnavailable, "cannot bind " + where + ": " + ec.message()};
  s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Error{ErrorCode::kUnavailable, "cannot listen on " + where + ": " + ec.message()};
  s.bound_port = s.acceptor.local_endpoint().port();
  s.workers.emplace(std::max(1u, s.options.worker_threads));
  s.work.emplace(s.io.get_executor());
  asio::co_spawn(s.io, s.accept_loop(), asio::detached);
  s.started.store(true);
  for (unsigned i = 0; i < std::max(1u, s.options.io_threads); ++i) {
    s.io_threads.emplace_back([&s] {
      ::pthread_setname_np(::pthread_self(), "tk-http-io");  // for top -H, perf, load.sh
      s.io.run();
    });
  }
  return {};
}

uint16_t Server::port() const noexcept {
  return impl_->bound_port;
}

std::string Server::base_url() const {
  const std::string& a = impl_->options.address;
  const bool v6 = a.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + a + "]" : a) + ":" + std::to_string(impl_->bound_port);
}

bool Server::running() const noexcept {
  return impl_->started.load() && !impl_->stopping.load();
}

bool Server::stop(std::chrono::milliseconds timeout) {
  Impl& s = *impl_;
  std::lock_guard stop_lock(s.stop_mu);
  if (!s.started.load() || s.stopped) return s.stop_result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  {
    std::lock_guard lock(s.mu);
    s.stop_requested = true;
  }
  s.changed.notify_all();
  s.stopping.store(true, std::memory_order_release);
  // 1. Stop accepting; close connections that wait for a request.
  asio::post(s.io, [&s] {
    beast::error_code ignored;
    s.acceptor.close(ignored);
    if (s.signals) s.signals->cancel(ignored);
  });
  s.for_each_conn([](Impl::Conn& c) {
    beast::error_code ignored;
    if (c.idle) c.stream.socket().close(ignored);
  });
  // 2. Let in-flight requests finish and answer.
  bool clean;
  {
    std::unique_lock lock(s.mu);
    clean = s.changed.wait_until(lock, deadline, [&] { return s.in_flight.load() == 0; });
  }
  // 3. Close whatever is left, and wait (briefly) for the sessions to end.
  s.for_each_conn([](Impl::Conn& c) {
    beast::error_code ignored;
    c.stream.socket().close(ignored);
  });
  {
    std::unique_lock lock(s.mu);
    const auto grace =
        std::max(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(200));
    s.changed.wait_until(lock, grace, [&] { return s.conns.empty(); });
  }
  s.work.reset();
  // Handlers that still wait on something would keep run() going: stop the loop for them.
  if (!clean) s.io.stop();
  // Otherwise run() returns once the closed connections' last handlers ran; bound that too.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (!s.io.stopped() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  s.io.stop();
  for (auto& t : s.io_threads) {
    if (t.joinable()) t.join();
  }
  s.io_threads.clear();
  if (s.workers) {
    s.workers->stop();
    if (s.blocking_running.load() == 0) {
      s.workers->join();
    } else {
      // A blocking handler is still running past the deadline and may never return; joining its
      // thread here would turn a bounded stop into a hang. Its request, route and completion
      // live in this Impl, so a detached reaper keeps the Impl alive until the last such
      // handler returns, then joins the workers and lets the Impl go.
      std::thread([impl = impl_] {
        while (impl->blocking_running.load() > 0)
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        impl->workers->join();
      }).detach();
      report_diagnostic(DiagnosticLevel::kWarning,
                        "http server stop: " + std::to_string(s.blocking_running.load()) +
                            " blocking handler(s) still running after the deadline; their "
                            "threads are left behind");
    }
  }
  s.stopped = true;
  s.stop_result = clean;
  return clean;
}

void Server::catch_signals() {
  Impl& s = *impl_;
  auto arm = [&s] {
    if (s.signals) return;
    s.signals = std::make_unique<asio::signal_set>(s.io, SIGINT, SIGTERM);
    s.signals->async_wait([&s](const beast::error_code& ec, int signal) {
      if (ec) return;
      server_log().info("http.signal", {{"signal", signal}});
      {
        std::lock_guard lock(s.mu);
        s.stop_requested = true;
      }
      s.changed.notify_all();
    });
  };
  if (!s.started.load()) {
    arm();  // no I/O thread runs yet, so none touches the signal set while it is made
    return;
  }
  // The signal set is made and armed on the I/O thread (Asio objects are not thread-safe).
  std::promise<void> armed;
  asio::post(s.io, [&arm, &armed] {
    arm();
    armed.set_value();
  });
  armed.get_future().wait();
}

int Server::run_until_signal(std::chrono::milliseconds grace) {
  Impl& s = *impl_;
  if (!s.started.load()) {
    auto r = start();
    if (!r) {
      server_log().error("http.start_failed", {{"error", r.error().message}});
      return 1;
    }
  }
  catch_signals();
  {
    std::unique_lock lock(s.mu);
    s.changed.wait(lock, [&] { return s.stop_requested; });
  }
  return stop(grace) ? 0 : 1;
}

boost::asio::any_io_executor Server::executor() {
  return impl_->io.get_executor();
}

const ServerOptions& Server::options() const noexcept {
  return impl_->options;
}

Server::Stats Server::stats() const noexcept {
  Stats st;
  st.connections_accepted = impl_->accepted.load();
  st.requests = impl_->requests.load();
  st.requests_in_flight = impl_->in_flight.load();
  st.connections_refused = impl_->refused.load();
  st.connections_evicted = impl_->evicted.load();
  st.bodies_refused = impl_->bodies_refused.load();
  st.body_bytes_reserved = impl_->body_bytes_reserved.load();
  std::lock_guard lock(impl_->mu);
  st.connections_open = impl_->conns.size();
  for (const auto& [id, weak] : impl_->conns) {
    if (auto c = weak.lock(); c && c->waiting_since.load(std::memory_order_relaxed) != 0)
      ++st.connections_waiting;
  }
  return st;
}

}  // namespace tracekit::http
