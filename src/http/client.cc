// SPDX-License-Identifier: Apache-2.0
// The traced HTTP/1.1 client: CLIENT span, header injection, pooled keep-alive connections over
// TCP or TLS, connect and total timeouts, errors as values.
#include "tracekit/http/client.h"

#include <pthread.h>
#include <sys/socket.h>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>
#include <cerrno>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <variant>

#include "field_syntax.h"
#include "semconv.h"
#include "tracekit/propagation/propagator.h"
#include "tracekit/semconv.h"
#include "tracekit/tracer.h"
#include "tracekit/tracer_provider.h"

namespace tracekit::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bh = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

std::optional<std::string_view> ClientResponse::header(std::string_view name) const {
  auto it = headers.find(beast::string_view(name.data(), name.size()));
  if (it == headers.end()) return std::nullopt;
  return std::string_view(it->value().data(), it->value().size());
}

namespace {

// Schemes are case-insensitive (RFC 3986, section 3.1).
bool starts_with_scheme(std::string_view url, std::string_view prefix) {
  if (url.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(url[i])) != prefix[i]) return false;
  }
  return true;
}

bool is_ip_literal(const std::string& host) {
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// "host:port" for messages, IPv6 literals in brackets.
std::string host_port(const ParsedUrl& u) {
  const bool ipv6 = u.host.find(':') != std::string::npos;
  return (ipv6 ? "[" + u.host + "]" : u.host) + ":" + std::to_string(u.port);
}

std::string reason(const beast::error_code& ec) {
  return ec == beast::error::timeout ? std::string("timed out") : ec.message();
}

}  // namespace

std::string ParsedUrl::authority() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  std::string out = ipv6 ? "[" + host + "]" : host;
  if (port != (tls() ? 443 : 80)) out += ":" + std::to_string(port);
  return out;
}

Result<ParsedUrl> parse_url(std::string_view url) {
  const std::string quoted = "URL '" + std::string(url) + "': ";
  ParsedUrl p;
  std::string_view rest;
  if (starts_with_scheme(url, "http://")) {
    rest = url.substr(7);
  } else if (starts_with_scheme(url, "https://")) {
    p.scheme = "https";
    p.port = 443;
    rest = url.substr(8);
  } else {
    return Error{quoted + "must start with http:// or https://"};
  }
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

namespace {

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One connection, plain or TLS. Beast's read and write are templates over the stream, so the
// exchange is written once (exchange() below) and std::visit picks the stream; only connecting
// and closing know which kind it is.
struct Connection {
  std::variant<beast::tcp_stream, TlsStream> stream;

  explicit Connection(beast::tcp_stream s)
      : stream(std::in_place_type<beast::tcp_stream>, std::move(s)) {}
  Connection(beast::tcp_stream s, asio::ssl::context& tls)
      : stream(std::in_place_type<TlsStream>, std::move(s), tls) {}

  std::chrono::steady_clock::time_point idle_since;

  // The TCP layer under any TLS: its expiry bounds every operation, TLS records included.
  beast::tcp_stream& tcp() {
    return std::visit([](auto& s) -> beast::tcp_stream& { return beast::get_lowest_layer(s); },
                      stream);
  }
  // Closes without a TLS close_notify: the server sees a truncated stream, which HTTP/1.1 with
  // Content-Length or chunking makes harmless, and nothing here can wait on a slow peer.
  void close() {
    beast::error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp().close();
  }
  // Whether an idle connection can no longer carry a request: the server has closed it (end of
  // stream), sent something unasked (a 408, a TLS alert), or the socket has failed. A peek
  // that would block means it is still open and silent.
  bool unusable() {
    char byte = 0;
    const ssize_t n = ::recv(tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
  }
};

// RFC 9110 §9.2.2: a request the server may have processed is sent again only when repeating it
// changes nothing.
bool idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE" ||
         method == "PUT" || method == "DELETE";
}

// The client side of TLS for one Client, built from ClientTlsOptions. The error_code overloads
// of asio::ssl::context keep OpenSSL's reason without exceptions.
Result<std::shared_ptr<asio::ssl::context>> make_tls_context(const ClientTlsOptions& o) {
  auto failed = [](const std::string& what, const beast::error_code& ec) {
    return Error{"TLS setup failed: " + what + ": " + ec.message()};
  };
  std::shared_ptr<asio::ssl::context> ctx;
  try {
    ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  } catch (const std::exception& e) {  // SSL_CTX_new failed (out of memory)
    return Error{std::string("TLS setup failed: ") + e.what()};
  }
  // Asio's tls_client allows TLS 1.0; 1.0 and 1.1 are deprecated (RFC 8996).
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  beast::error_code ec;
  ctx->set_verify_mode(o.verify_peer ? asio::ssl::verify_peer : asio::ssl::verify_none, ec);
  if (!o.ca_file.empty()) {
    ctx->load_verify_file(o.ca_file, ec);
    if (ec) return failed("cannot load the CA file '" + o.ca_file + "'", ec);
  } else if (o.verify_peer) {
    ctx->set_default_verify_paths(ec);
    if (ec) return failed("cannot load the system's CA certificates", ec);
  }
  if (o.client_certificate_file.empty() != o.client_key_file.empty()) {
    return Error{
        "TLS setup failed: a client certificate needs its key and a key its certificate "
        "(ClientTlsOptions client_certificate_file and client_key_file)"};
  }
  if (!o.client_certificate_file.empty()) {
    ctx->use_certificate_chain_file(o.client_certificate_file, ec);
    if (ec) {
      return failed("cannot load the client certificate '" + o.client_certificate_file + "'", ec);
    }
    // OpenSSL also checks here that the key belongs to the certificate.
    ctx->use_private_key_file(o.client_key_file, asio::ssl::context::pem, ec);
    if (ec) return failed("cannot load the client key '" + o.client_key_file + "'", ec);
  }
  return ctx;
}

// Tells OpenSSL which server this is: SNI for a host name (RFC 6066 allows no IP literals there)
// and the name or address the certificate must carry. OpenSSL checks the name itself
// (SSL_set1_host, X509_VERIFY_PARAM_set1_ip_asc) rather than through asio's
// host_name_verification callback: that callback checks IP SANs too, but when it refuses,
// OpenSSL can only report "unspecified certificate verification error"; this way the error
// says "hostname mismatch" or "IP address mismatch".
Result<void> name_the_server(TlsStream& tls, const std::string& host, bool verify) {
  SSL* ssl = tls.native_handle();
  const bool ip = is_ip_literal(host);
  if (!ip && SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) {
    return Error{"'" + host + "' cannot be sent as the server name (SNI)"};
  }
  if (!verify) return {};
  int ok;
  if (ip) {
    ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
  } else {
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    ok = SSL_set1_host(ssl, host.c_str());
  }
  if (ok != 1) return Error{"cannot check certificates for '" + host + "'"};
  return {};
}

// Why a handshake failed: OpenSSL's reason ("certificate verify failed") and, when the server's
// certificate was refused, the verifier's ("unable to get local issuer certificate", "hostname
// mismatch", "certificate has expired").
std::string handshake_failure(TlsStream& tls, const beast::error_code& ec) {
  std::string why = reason(ec);
  const long verify = SSL_get_verify_result(tls.native_handle());
  if (verify != X509_V_OK) why += std::string(": ") + X509_verify_cert_error_string(verify);
  return why;
}

// What one write-and-read on a connection gave.
struct Exchange {
  beast::error_code ec;
  bool in_write = false;   // the failure was in sending the request
  bool got_bytes = false;  // some of a response arrived before the failure
  bh::response<bh::string_body> response;
  bool reusable = false;  // keep-alive, and nothing after the response
};

// Sends `req` and reads the answer on either kind of stream; the deadline is already set on the
// TCP layer.
template <class Stream>
asio::awaitable<Exchange> exchange(Stream& stream, bh::request<bh::string_body>& req, bool head,
                                   size_t body_limit) {
  Exchange out;
  auto [wec, wn] = co_await bh::async_write(stream, req, kTuple);
  if (wec) {
    out.in_write = true;
    out.ec = wec;
    co_return out;
  }
  beast::flat_buffer buffer;
  bh::response_parser<bh::string_body> parser;
  parser.body_limit(body_limit);
  parser.header_limit(64 * 1024);
  if (head) parser.skip(true);  // a HEAD answer has a Content-Length but no body
  auto [rec, rn] = co_await bh::async_read(stream, buffer, parser, kTuple);
  if (rec) {
    out.ec = rec;
    out.got_bytes = buffer.size() != 0 || parser.got_some();
    co_return out;
  }
  out.response = parser.release();
  out.reusable = out.response.keep_alive() && buffer.size() == 0;
  co_return out;
}

}  // namespace

struct Client::Impl {
  asio::any_io_executor executor;
  ClientOptions options;
  Tracer* tracer;
  bool old_names;
  bool stable_names;

  std::mutex mu;  // guards tls and idle
  // Built at the first https request (an http-only client never reads a CA store), then used
  // by every TLS connection of this client; a setup error is kept and returned each time.
  std::optional<Result<std::shared_ptr<asio::ssl::context>>> tls;
  // Keyed by scheme://host:port: http and https connections to one host never mix. Each list is
  // oldest first; a host without idle connections has no entry.
  std::unordered_map<std::string, std::vector<std::unique_ptr<Connection>>> idle;
  size_t idle_count = 0;

  Impl(asio::any_io_executor ex, ClientOptions o) : executor(std::move(ex)), options(std::move(o)) {
    const Semconv sc = options.semconv ? *options.semconv : semconv_from_env();
    old_names = sc != Semconv::kStable;
    stable_names = sc != Semconv::kOld;
    tracer = options.tracer ? options.tracer : &get_tracer("tracekit.http");
  }

  Result<std::shared_ptr<asio::ssl::context>> tls_context() {
    std::lock_guard lock(mu);
    if (!tls) tls.emplace(make_tls_context(options.tls));
    return *tls;
  }

  // The most recently used idle connection to `key` that can still carry a request; the
  // expired and the unusable ones met on the way are closed.
  std::unique_ptr<Connection> take_idle(const std::string& key) {
    std::lock_guard lock(mu);
    auto it = idle.find(key);
    if (it == idle.end()) return nullptr;
    const auto oldest_allowed = std::chrono::steady_clock::now() - options.idle_connection_timeout;
    std::unique_ptr<Connection> found;
    while (!found && !it->second.empty()) {
      std::unique_ptr<Connection> c = std::move(it->second.back());
      it->second.pop_back();
      --idle_count;
      if (c->idle_since < oldest_allowed || c->unusable()) {
        c->close();
      } else {
        found = std::move(c);
      }
    }
    if (it->second.empty()) idle.erase(it);
    return found;
  }
  void give_back(const std::string& key, std::unique_ptr<Connection> c) {
    std::lock_guard lock(mu);
    const auto now = std::chrono::steady_clock::now();
    close_idle_before(now - options.idle_connection_timeout);
    const auto here = idle.find(key);
    const size_t kept_here = here == idle.end() ? 0 : here->second.size();
    if (kept_here >= options.max_idle_connections_per_host || options.max_idle_connections == 0) {
      c->close();
      return;
    }
    if (idle_count >= options.max_idle_connections) close_longest_idle();
    c->idle_since = now;
    idle[key].push_back(std::move(c));
    ++idle_count;
  }
  // Under mu.
  void close_idle_before(std::chrono::steady_clock::time_point limit) {
    for (auto it = idle.begin(); it != idle.end();) {
      auto& v = it->second;
      size_t expired = 0;
      while (expired < v.size() && v[expired]->idle_since < limit)
        v[expired++]->close();
      v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(expired));
      idle_count -= expired;
      it = v.empty() ? idle.erase(it) : std::next(it);
    }
  }
  // Under mu; idle_count > 0.
  void close_longest_idle() {
    auto oldest = idle.end();
    for (auto it = idle.begin(); it != idle.end(); ++it) {
      if (it->second.empty()) continue;  // (none is kept empty; defensive)
      if (oldest == idle.end() ||
          it->second.front()->idle_since < oldest->second.front()->idle_since)
        oldest = it;
    }
    if (oldest == idle.end()) return;
    oldest->second.front()->close();
    oldest->second.erase(oldest->second.begin());
    --idle_count;
    if (oldest->second.empty()) idle.erase(oldest);
  }

  asio::awaitable<Result<ClientResponse>> run(std::shared_ptr<Impl> self, Context parent,
                                              std::string method, std::string url, std::string body,
                                              HeaderList headers, RequestOptions ropts);
  asio::awaitable<Result<std::unique_ptr<Connection>>> connect(
      const ParsedUrl& u, asio::ssl::context* tls_ctx,
      std::chrono::steady_clock::time_point deadline, std::string& peer_ip);
};

// Resolves, connects and, for https, completes the TLS handshake, all within connect_timeout
// (and the call's deadline). The error names the step that failed.
asio::awaitable<Result<std::unique_ptr<Connection>>> Client::Impl::connect(
    const ParsedUrl& u, asio::ssl::context* tls_ctx, std::chrono::steady_clock::time_point deadline,
    std::string& peer_ip) {
  const auto connect_deadline =
      std::min(deadline, std::chrono::steady_clock::now() + options.connect_timeout);
  const std::string where = host_port(u);
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
      co_return Error{
          ErrorCode::kUnavailable,
          "resolve " + where + " failed: " +
              reason(rec == asio::error::operation_aborted ? beast::error::timeout : rec)};
    }
    for (const auto& r : results)
      endpoints.push_back(r.endpoint());
  }
  beast::tcp_stream stream(executor);
  stream.expires_at(connect_deadline);
  auto [cec, ep] = co_await stream.async_connect(endpoints, kTuple);
  if (cec) co_return Error{ErrorCode::kUnavailable, "connect " + where + " failed: " + reason(cec)};
  peer_ip = ep.address().to_string();
  stream.socket().set_option(tcp::no_delay(true), ec);
  if (!tls_ctx) co_return std::make_unique<Connection>(std::move(stream));

  auto conn = std::make_unique<Connection>(std::move(stream), *tls_ctx);
  auto& tls_stream = std::get<TlsStream>(conn->stream);
  if (auto named = name_the_server(tls_stream, u.host, options.tls.verify_peer); !named) {
    co_return Error{"TLS handshake with " + where + " failed: " + named.error().message};
  }
  // The TCP layer still expires at connect_deadline: a server that never answers the handshake
  // times out like one that never accepts.
  auto [hec] = co_await tls_stream.async_handshake(asio::ssl::stream_base::client, kTuple);
  if (hec) {
    co_return Error{ErrorCode::kUnavailable, "TLS handshake with " + where +
                                                 " failed: " + handshake_failure(tls_stream, hec)};
  }
  co_return conn;
}

asio::awaitable<Result<ClientResponse>> Client::Impl::run(std::shared_ptr<Impl> self,
                                                          Context parent, std::string method,
                                                          std::string url, std::string body,
                                                          HeaderList headers,
                                                          RequestOptions ropts) {
  auto parsed = parse_url(url);
  if (!parsed) co_return parsed.error();
  const ParsedUrl& u = *parsed;
  const std::string where = host_port(u);
  const std::string pool_key = u.scheme + "://" + where;

  Span span;
  if (options.tracing) {
    const std::string_view known_method = detail::known_method(method);
    const bool known = !known_method.empty();
    const std::string_view method_text = known ? known_method : std::string_view(method);
    // Never credentials, and the configured query values redacted, as on the server side.
    const std::string shown_url =
        detail::redacted_absolute_url(url, {options.redacted_query_params, options.omit_query});
    std::array<KeyValue, 8> attrs{};
    size_t n = 0;
    if (old_names) {
      attrs[n++] = {semconv::legacy::kHttpMethod, method_text};
      attrs[n++] = {semconv::legacy::kHttpUrl, shown_url};
      attrs[n++] = {semconv::legacy::kNetPeerName, u.host};
      attrs[n++] = {semconv::legacy::kNetPeerPort, static_cast<int64_t>(u.port)};
    }
    if (stable_names) {
      attrs[n++] = {semconv::http::kRequestMethod,
                    known ? known_method : semconv::http::kOtherMethod};
      attrs[n++] = {semconv::url::kFull, shown_url};
      attrs[n++] = {semconv::server::kAddress, u.host};
      attrs[n++] = {semconv::server::kPort, static_cast<int64_t>(u.port)};
    }
    SpanOptions so;
    so.kind = SpanKind::kClient;
    so.parent = Parent(parent);
    so.attributes = std::span<const KeyValue>(attrs.data(), n);
    span = tracer->start_span(stable_names && !known ? std::string_view("HTTP") : method_text, so);
  }
  auto fail = [&](std::string message) -> Result<ClientResponse> {
    span.set_status(StatusCode::kError, message);
    if (stable_names) span.set_attribute(semconv::error::kType, "request_failed");
    span.end();
    return Error{ErrorCode::kUnavailable, std::move(message)};
  };

  std::shared_ptr<asio::ssl::context> tls_ctx;
  if (u.tls()) {
    auto ctx = tls_context();
    if (!ctx) co_return fail(ctx.error().message);
    tls_ctx = std::move(*ctx);
  }

  bh::request<bh::string_body> req;
  req.method_string(method);
  req.target(u.target);
  req.version(11);
  req.set(bh::field::host, u.authority());
  // Beast sends a method and fields as they are: CR or LF in one would end the request line or
  // header early and let the rest pose as more headers or a second request (request splitting).
  if (!detail::is_token(method)) co_return fail("invalid method '" + method + "'");
  for (auto& [name, value] : headers) {
    if (!detail::is_token(name) || !detail::is_safe_field_value(value)) {
      co_return fail("invalid header '" + name +
                     "': a name must be a token and a value must not hold CR, LF or NUL");
    }
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
    // The span's context alone (what inject writes): no reference to its record to count.
    propagation::global_propagator().inject(setter, parent.with_span_context(span.context()));
  }
  req.body() = std::move(body);
  if (!req.body().empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    req.prepare_payload();
  }
  req.keep_alive(true);

  const auto timeout = ropts.total_timeout.value_or(options.total_timeout);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string peer_ip;
  // A pooled connection may have been closed by the server while idle (take_idle() leaves out
  // those already seen closed); such a failure, before any byte of a response arrived, is
  // retried once on a fresh connection, but only for an idempotent method: the server may have
  // read the request and acted on it before closing (a POST to run a script, run twice).
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<Connection> conn = attempt == 0 ? take_idle(pool_key) : nullptr;
    const bool reused = conn != nullptr;
    if (!conn) {
      auto connected = co_await connect(u, tls_ctx.get(), deadline, peer_ip);
      if (!connected) co_return fail(connected.error().message);
      conn = std::move(*connected);
    } else {
      beast::error_code ec;
      auto ep = conn->tcp().socket().remote_endpoint(ec);
      if (!ec) peer_ip = ep.address().to_string();
    }
    conn->tcp().expires_at(deadline);
    Exchange ex = co_await std::visit(
        [&](auto& stream) {
          return exchange(stream, req, method == "HEAD", options.max_response_body_bytes);
        },
        conn->stream);
    if (ex.ec) {
      const bool stale =
          reused && !ex.got_bytes && ex.ec != beast::error::timeout && idempotent(method);
      if (stale) continue;
      if (ex.in_write) {
        co_return fail("sending to " + where + " failed: " + reason(ex.ec));
      }
      std::string what = ex.ec == beast::error::timeout
                             ? "timed out after " + std::to_string(timeout.count()) + " ms"
                         : ex.ec == bh::error::body_limit
                             ? "response body larger than " +
                                   std::to_string(options.max_response_body_bytes) + " bytes"
                             : ex.ec.message();
      co_return fail("reading the response from " + where + " failed: " + what);
    }
    ClientResponse out;
    out.status = static_cast<int>(ex.response.result_int());
    out.body = std::move(ex.response.body());
    out.headers = std::move(ex.response.base());
    if (ex.reusable) {
      give_back(pool_key, std::move(conn));
    } else {
      conn->close();
    }
    if (old_names)
      span.set_attribute(semconv::legacy::kHttpStatusCode, static_cast<int64_t>(out.status));
    if (stable_names) {
      span.set_attribute(semconv::http::kResponseStatusCode, static_cast<int64_t>(out.status));
      if (!peer_ip.empty()) span.set_attribute(semconv::network::kPeerAddress, peer_ip);
      if (out.status >= 400) span.set_attribute(semconv::error::kType, std::to_string(out.status));
    }
    if (out.status >= 400) span.set_status(StatusCode::kError);
    span.end();
    (void)self;
    co_return out;
  }
  co_return fail("connection to " + where + " closed before a response");
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
    thread = std::thread([this] {
      ::pthread_setname_np(::pthread_self(), "tk-http-client");
      io.run();
    });
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
