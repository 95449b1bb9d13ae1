// HTTP/1.1 on Boost.Beast with C++20 coroutines: keep-alive, a body limit checked before the
// body is read, a time limit on every read and write, one I/O thread per core (at most 2).
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>
#include <vector>

#include "http_frontend.h"

// GCC 12 reports -Wmismatched-new-delete on coroutine frames it allocates itself (a false
// positive, fixed in GCC 13); nothing else in this file is affected.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace tracekit::collector {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using asio::ip::tcp;
using namespace std::chrono_literals;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

class BeastFrontend final : public HttpFrontend {
 public:
  BeastFrontend(size_t max_body_bytes, HttpHandler handler)
      : max_body_(max_body_bytes), handler_(std::move(handler)), acceptor_(io_) {}

  ~BeastFrontend() override {
    asio::post(io_, [this] {
      beast::error_code ec;
      acceptor_.close(ec);
    });
    // Give requests in flight a moment, then stop whatever is left.
    const auto until = std::chrono::steady_clock::now() + 2s;
    while (active_.load() > 0 && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(5ms);
    }
    io_.stop();
    for (auto& t : threads_)
      t.join();
  }

  Result<void> listen(const ListenAddress& address) {
    beast::error_code ec;
    const auto ip = asio::ip::make_address(address.host, ec);
    if (ec) return Error{"\"" + address.host + "\" is not an IP address"};
    const tcp::endpoint endpoint(ip, address.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Error{"cannot listen on " + address.to_string() + ": " + ec.message()};
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, accept_loop(), asio::detached);
    const unsigned n = std::min(2u, std::max(1u, std::thread::hardware_concurrency()));
    for (unsigned i = 0; i < n; ++i)
      threads_.emplace_back([this] { io_.run(); });
    return {};
  }

  int port() const override { return port_; }

 private:
  asio::awaitable<void> accept_loop() {
    while (acceptor_.is_open()) {
      auto [ec, socket] = co_await acceptor_.async_accept(kAsTuple);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
        continue;  // e.g. too many open files: keep accepting
      }
      asio::co_spawn(acceptor_.get_executor(), session(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> session(tcp::socket socket) {
    ++active_;
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    while (true) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(max_body_);
      parser.header_limit(16 * 1024);
      stream.expires_after(30s);
      auto [ec, bytes] = co_await bhttp::async_read(stream, buffer, parser, kAsTuple);
      (void)bytes;
      Response response;
      bool keep_alive = false, head = false;
      if (ec == bhttp::error::body_limit) {
        response = {413, "text/plain; charset=utf-8",
                    "the body is larger than " + std::to_string(max_body_) + " bytes\n"};
      } else if (ec == bhttp::error::header_limit) {
        response = {431, "text/plain; charset=utf-8", "the request header is too large\n"};
      } else if (ec) {
        break;  // closed, timed out, or not HTTP
      } else {
        const auto& req = parser.get();
        HttpRequestView view;
        view.method = req.method_string();
        view.target = req.target();
        view.path = view.target.substr(0, view.target.find('?'));
        view.content_type = req[bhttp::field::content_type];
        view.content_encoding = req[bhttp::field::content_encoding];
        view.body = req.body();
        response = handler_(view);
        keep_alive = req.keep_alive();
        head = req.method() == bhttp::verb::head;
      }
      bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(response.status), 11};
      res.set(bhttp::field::server, "tracekit-collector");
      res.set(bhttp::field::content_type, response.content_type);
      for (const auto& [name, value] : response.headers)
        res.set(name, value);
      res.body() = std::move(response.body);
      res.keep_alive(keep_alive);
      res.prepare_payload();
      if (head) res.body().clear();  // HEAD: the GET's headers, Content-Length included
      stream.expires_after(30s);
      auto [wec, written] = co_await bhttp::async_write(stream, res, kAsTuple);
      (void)written;
      if (wec || !keep_alive) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    --active_;
  }

  size_t max_body_;
  HttpHandler handler_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
  std::atomic<int> active_{0};
  int port_ = 0;
};

}  // namespace

Result<std::unique_ptr<HttpFrontend>> start_http_frontend(const ListenAddress& address,
                                                          size_t max_body_bytes,
                                                          HttpHandler handler) {
  auto frontend = std::make_unique<BeastFrontend>(max_body_bytes, std::move(handler));
  if (auto r = frontend->listen(address); !r) return r.error();
  return std::unique_ptr<HttpFrontend>(std::move(frontend));
}

}  // namespace tracekit::collector
