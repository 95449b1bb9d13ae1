// The traced HTTP/1.1 client: CLIENT span, header injection, pooled keep-alive connections,
// connect and total timeouts, errors as values.
#include "tracekit/http/client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "semconv.h"
#include "tracekit/propagation/propagator.h"
#include "tracekit/tracer.h"
#include "tracekit/tracer_provider.h"

namespace tracekit::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

std::optional<std::string_view> ClientResponse::header(std::string_view name) const {
  auto it = headers.find(beast::string_view(name.data(), name.size()));
  if (it == headers.end()) return std::nullopt;
  return std::string_view(it->value().data(), it->value().size());
}

Result<ParsedUrl> parse_url(std::string_view url) {
  const std::string quoted = "URL '" + std::string(url) + "': ";
  if (url.starts_with("https://"))
    return Error{quoted + "https is not supported (plain http only)"};
  if (!url.starts_with("http://")) return Error{quoted + "must start with http://"};
  std::string_view rest = url.substr(7);
  const size_t slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  std::string_view target =
      slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (const size_t hash = target.find('#'); hash != std::string_view::npos) {
    target = target.substr(0, hash);
  }
  if (authority.find('@') != std::string_view::npos) {
    return Error{quoted + "credentials in the URL are not supported; send an Authorization header"};
  }
  ParsedUrl p;
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return Error{quoted + "unclosed '[' in the host"};
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Error{quoted + "junk after the IPv6 address"};
      port = after.substr(1);
    }
  } else if (const size_t colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return Error{quoted + "no host"};
  for (char c : host) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '/' || c == '\\') {
      return Error{quoted + "invalid character in the host"};
    }
  }
  if (!port.empty()) {
    uint32_t v = 0;
    if (port.size() > 5) return Error{quoted + "port out of range"};
    for (char c : port) {
      if (c < '0' || c > '9') return Error{quoted + "port is not a number"};
      v = v * 10 + static_cast<uint32_t>(c - '0');
    }
    if (v == 0 || v > 65535) return Error{quoted + "port out of range"};
    p.port = static_cast<uint16_t>(v);
  }
  p.host = std::string(host);
  if (target.empty()) {
    p.target = "/";
  } else if (target[0] == '?') {
    p.target = "/" + std::string(target);
  } else {
    p.target = std::string(target);
  }
  for (char c : p.target) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return Error{quoted + "the path contains spaces or control characters (percent-encode them)"};
    }
  }
  return p;
}

struct Client::Impl {
  asio::any_io_executor executor;
  ClientOptions options;
  Tracer* tracer;
  bool old_names;
  bool stable_names;

  std::mutex mu;  // guards idle
  std::unordered_map<std::string, std::vector<std::unique_ptr<beast::tcp_stream>>> idle;

  Impl(asio::any_io_executor ex, ClientOptions o) : executor(std::move(ex)), options(std::move(o)) {
    const Semconv sc = options.semconv ? *options.semconv : semconv_from_env();
    old_names = sc != Semconv::kStable;
    stable_names = sc != Semconv::kOld;
    tracer = options.tracer ? options.tracer : &get_tracer("tracekit.http");
  }

  std::unique_ptr<beast::tcp_stream> take_idle(const std::string& key) {
    std::lock_guard lock(mu);
    auto it = idle.find(key);
    if (it == idle.end() || it->second.empty()) return nullptr;
    auto s = std::move(it->second.back());
    it->second.pop_back();
    return s;
  }
  void give_back(const std::string& key, std::unique_ptr<beast::tcp_stream> s) {
    std::lock_guard lock(mu);
    auto& v = idle[key];
    if (v.size() < options.max_idle_connections_per_host) v.push_back(std::move(s));
  }

  struct Attempt {
    beast::error_code ec;
    std::string stage;  // "resolve", "connect", "write", "read"
    bool reused = false;
    bool got_bytes = false;
  };

  asio::awaitable<Result<ClientResponse>> run(std::shared_ptr<Impl> self, Context parent,
                                              std::string method, std::string url, std::string body,
                                              HeaderList headers, RequestOptions ropts);
  asio::awaitable<std::unique_ptr<beast::tcp_stream>> connect(
      const ParsedUrl& u, std::chrono::steady_clock::time_point deadline, Attempt& at,
      std::string& peer_ip);
};

asio::awaitable<std::unique_ptr<beast::tcp_stream>> Client::Impl::connect(
    const ParsedUrl& u, std::chrono::steady_clock::time_point deadline, Attempt& at,
    std::string& peer_ip) {
  const auto connect_deadline =
      std::min(deadline, std::chrono::steady_clock::now() + options.connect_timeout);
  auto stream = std::make_unique<beast::tcp_stream>(executor);
  beast::error_code ec;
  const auto literal = asio::ip::make_address(u.host, ec);
  std::vector<tcp::endpoint> endpoints;
  if (!ec) {
    endpoints.emplace_back(literal, u.port);
  } else {
    // Name resolution has no timeout of its own: a timer cancels it.
    auto resolver = std::make_shared<tcp::resolver>(executor);
    asio::steady_timer timer(executor, connect_deadline);
    timer.async_wait([resolver](const beast::error_code& e) {
      if (!e) resolver->cancel();
    });
    auto [rec, results] = co_await resolver->async_resolve(u.host, std::to_string(u.port), kTuple);
    timer.cancel();
    if (rec) {
      at.ec = rec == asio::error::operation_aborted ? beast::error::timeout : rec;
      at.stage = "resolve";
      co_return nullptr;
    }
    for (const auto& r : results)
      endpoints.push_back(r.endpoint());
  }
  stream->expires_at(connect_deadline);
  auto [cec, ep] = co_await stream->async_connect(endpoints, kTuple);
  if (cec) {
    at.ec = cec;
    at.stage = "connect";
    co_return nullptr;
  }
  peer_ip = ep.address().to_string();
  stream->socket().set_option(tcp::no_delay(true), ec);
  co_return stream;
}

asio::awaitable<Result<ClientResponse>> Client::Impl::run(std::shared_ptr<Impl> self,
                                                          Context parent, std::string method,
                                                          std::string url, std::string body,
                                                          HeaderList headers,
                                                          RequestOptions ropts) {
  namespace bh = beast::http;
  auto parsed = parse_url(url);
  if (!parsed) co_return parsed.error();
  const ParsedUrl& u = *parsed;
  const std::string key = u.host + ":" + std::to_string(u.port);

  Span span;
  if (options.tracing) {
    const bool known = detail::is_known_method(method);
    std::array<KeyValue, 8> attrs{};
    size_t n = 0;
    if (old_names) {
      attrs[n++] = {"http.method", method};
      attrs[n++] = {"http.url", url};
      attrs[n++] = {"net.peer.name", u.host};
      attrs[n++] = {"net.peer.port", static_cast<int64_t>(u.port)};
    }
    if (stable_names) {
      attrs[n++] = {"http.request.method", known ? std::string_view(method) : "_OTHER"};
      attrs[n++] = {"url.full", url};
      attrs[n++] = {"server.address", u.host};
      attrs[n++] = {"server.port", static_cast<int64_t>(u.port)};
    }
    SpanOptions so;
    so.kind = SpanKind::kClient;
    so.parent = Parent(parent);
    so.attributes = std::span<const KeyValue>(attrs.data(), n);
    span = tracer->start_span(stable_names && !known ? std::string_view("HTTP") : method, so);
  }
  auto fail = [&](std::string message) -> Result<ClientResponse> {
    span.set_status(StatusCode::kError, message);
    if (stable_names) span.set_attribute("error.type", "request_failed");
    span.end();
    return Error{std::move(message)};
  };

  bh::request<bh::string_body> req;
  req.method_string(method);
  req.target(u.target);
  req.version(11);
  req.set(bh::field::host, u.port == 80 ? u.host : key);
  for (auto& [name, value] : headers) {
    try {
      req.insert(name, value);
    } catch (const std::exception&) {
      co_return fail("invalid header '" + name + "'");
    }
  }
  if (!options.user_agent.empty() && req.find(bh::field::user_agent) == req.end()) {
    req.set(bh::field::user_agent, options.user_agent);
  }
  if (options.tracing) {
    FieldsSetter setter(req.base());
    propagation::global_propagator().inject(setter, parent.with_span(span));
  }
  req.body() = std::move(body);
  if (!req.body().empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    req.prepare_payload();
  }
  req.keep_alive(true);

  const auto timeout = ropts.total_timeout.value_or(options.total_timeout);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string peer_ip;
  // A pooled connection may have been closed by the server while idle; such a failure (before
  // any byte of a response arrived) is retried once on a fresh connection.
  for (int attempt = 0; attempt < 2; ++attempt) {
    Attempt at;
    std::unique_ptr<beast::tcp_stream> stream = attempt == 0 ? take_idle(key) : nullptr;
    at.reused = stream != nullptr;
    if (!stream) {
      stream = co_await connect(u, deadline, at, peer_ip);
      if (!stream) {
        const std::string what = at.ec == beast::error::timeout ? "timed out" : at.ec.message();
        co_return fail(at.stage + " " + key + " failed: " + what);
      }
    } else {
      beast::error_code ec;
      auto ep = stream->socket().remote_endpoint(ec);
      if (!ec) peer_ip = ep.address().to_string();
    }
    stream->expires_at(deadline);
    auto [wec, wn] = co_await bh::async_write(*stream, req, kTuple);
    if (wec) {
      if (at.reused && wec != beast::error::timeout) continue;
      co_return fail("sending to " + key + " failed: " +
                     (wec == beast::error::timeout ? std::string("timed out") : wec.message()));
    }
    beast::flat_buffer buffer;
    bh::response_parser<bh::string_body> parser;
    parser.body_limit(options.max_response_body_bytes);
    parser.header_limit(64 * 1024);
    if (method == "HEAD") parser.skip(true);
    auto [rec, rn] = co_await bh::async_read(*stream, buffer, parser, kTuple);
    if (rec) {
      const bool nothing = buffer.size() == 0 && !parser.got_some();
      if (at.reused && nothing && rec != beast::error::timeout) continue;
      std::string what = rec == beast::error::timeout
                             ? "timed out after " + std::to_string(timeout.count()) + " ms"
                         : rec == bh::error::body_limit
                             ? "response body larger than " +
                                   std::to_string(options.max_response_body_bytes) + " bytes"
                             : rec.message();
      co_return fail("reading the response from " + key + " failed: " + what);
    }
    auto res = parser.release();
    ClientResponse out;
    out.status = static_cast<int>(res.result_int());
    const bool keep = res.keep_alive() && buffer.size() == 0;
    out.body = std::move(res.body());
    out.headers = std::move(res.base());
    if (keep) {
      give_back(key, std::move(stream));
    } else {
      beast::error_code ignored;
      stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
    }
    if (old_names) span.set_attribute("http.status_code", static_cast<int64_t>(out.status));
    if (stable_names) {
      span.set_attribute("http.response.status_code", static_cast<int64_t>(out.status));
      if (!peer_ip.empty()) span.set_attribute("network.peer.address", peer_ip);
      if (out.status >= 400) span.set_attribute("error.type", std::to_string(out.status));
    }
    if (out.status >= 400) span.set_status(StatusCode::kError);
    span.end();
    (void)self;
    co_return out;
  }
  co_return fail("connection to " + key + " closed before a response");
}

Client::Client(asio::any_io_executor executor) : Client(std::move(executor), ClientOptions{}) {}

Client::Client(asio::any_io_executor executor, ClientOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options))) {}

Client::~Client() = default;

asio::awaitable<Result<ClientResponse>> Client::request(std::string method, std::string url,
                                                        std::string body, HeaderList headers,
                                                        RequestOptions options) {
  // Not a coroutine itself: the parent is the context current at the call, before any
  // suspension.
  return impl_->run(impl_, Context::current(), std::move(method), std::move(url), std::move(body),
                    std::move(headers), options);
}

void Client::close_idle() {
  std::lock_guard lock(impl_->mu);
  impl_->idle.clear();
}

struct BlockingClient::Impl {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  Client client;
  std::thread thread;

  explicit Impl(ClientOptions o) : client(io.get_executor(), std::move(o)) {
    thread = std::thread([this] { io.run(); });
  }
  ~Impl() {
    work.reset();
    // Pooled connections hold the loop open: close them on the loop's thread, then stop.
    asio::post(io, [this] { client.close_idle(); });
    io.stop();
    thread.join();
  }
};

BlockingClient::BlockingClient() : BlockingClient(ClientOptions{}) {}

BlockingClient::BlockingClient(ClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

BlockingClient::~BlockingClient() = default;

Result<ClientResponse> BlockingClient::request(std::string method, std::string url,
                                               std::string body, HeaderList headers,
                                               RequestOptions options) {
  std::promise<Result<ClientResponse>> promise;
  auto future = promise.get_future();
  // The call is made here, on the caller's thread, so the span's parent is this thread's context.
  auto call = impl_->client.request(std::move(method), std::move(url), std::move(body),
                                    std::move(headers), options);
  asio::co_spawn(
      impl_->io,
      [&promise, call = std::move(call)]() mutable -> asio::awaitable<void> {
        // The caller waits on the promise: it is set whatever happens (bad_alloc included).
        std::optional<Result<ClientResponse>> result;
        try {
          result.emplace(co_await std::move(call));
        } catch (const std::exception& e) {
          result.emplace(Error{std::string("request failed: ") + e.what()});
        }
        promise.set_value(std::move(*result));
      },
      asio::detached);
  return future.get();
}

}  // namespace tracekit::http
