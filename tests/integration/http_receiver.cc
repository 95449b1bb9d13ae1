#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>

#include "receivers.h"

namespace tracekit::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

struct HttpReceiver::Impl {
  Options options;
  asio::io_context ioc{1};
  asio::ssl::context ssl{asio::ssl::context::tls_server};
  tcp::acceptor acceptor{ioc};
  std::thread thread;

  mutable std::mutex mutex;
  mutable std::condition_variable changed;
  std::deque<HttpReply> script;
  std::vector<HttpReceived> received;
  size_t accepted = 0;
  size_t calls = 0;
  size_t connections = 0;

  HttpReply next() {
    std::lock_guard lock(mutex);
    ++calls;
    if (script.empty()) return {};
    HttpReply r = script.front();
    script.pop_front();
    return r;
  }

  // Decodes, records, and builds the answer.
  http::response<http::string_body> handle(const http::request<http::string_body>& req,
                                           const HttpReply& reply) {
    HttpReceived rec;
    rec.method = std::string(req.method_string());
    rec.target = std::string(req.target());
    for (const auto& f : req) {
      std::string name(f.name_string());
      for (auto& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      rec.headers[name] = std::string(f.value());
    }
    rec.raw_body = req.body();
    auto header = [&](const char* name) {
      auto it = rec.headers.find(name);
      return it == rec.headers.end() ? std::string() : it->second;
    };
    if (header("content-encoding") == "gzip") {
      if (!gunzip(rec.raw_body, rec.body)) rec.decode_error = "bad gzip body";
    } else {
      rec.body = rec.raw_body;
    }
    const bool json = header("content-type").starts_with("application/json");
    const bool logs = rec.target.ends_with("/v1/logs");
    if (rec.decode_error.empty() && logs) {
      if (json) {
        rec.decode_error = json_to_request(rec.body, &rec.logs);
      } else if (!rec.logs.ParseFromString(rec.body)) {
        rec.decode_error = "not a protobuf ExportLogsServiceRequest";
      }
    } else if (rec.decode_error.empty()) {
      if (json) {
        rec.decode_error = json_to_request(rec.body, &rec.request);
      } else if (!rec.request.ParseFromString(rec.body)) {
        rec.decode_error = "not a protobuf ExportTraceServiceRequest";
      }
    }
    rec.status = rec.decode_error.empty() ? reply.status : 400;

    http::response<http::string_body> res{static_cast<http::status>(rec.status), req.version()};
    res.set(http::field::content_type, !reply.content_type.empty() ? reply.content_type
                                       : json                      ? "application/json"
                                                                   : "application/x-protobuf");
    if (!reply.retry_after.empty()) res.set(http::field::retry_after, reply.retry_after);
    if (!reply.body.empty()) {
      res.body() = reply.body;
    } else if (rec.status == 200) {
      if (json) {
        res.body() = reply.rejected || !reply.partial_message.empty()
                         ? "{\"partialSuccess\":{\"rejectedSpans\":\"" +
                               std::to_string(reply.rejected) + "\",\"errorMessage\":\"" +
                               reply.partial_message + "\"}}"
                         : "{}";
      } else {
        otlpv1::ExportTraceServiceResponse r;
        if (reply.rejected || !reply.partial_message.empty()) {
          r.mutable_partial_success()->set_rejected_spans(reply.rejected);
          r.mutable_partial_success()->set_error_message(reply.partial_message);
        }
        res.body() = r.SerializeAsString();
      }
    } else if (rec.status == 400) {
      res.body() = rec.decode_error;
      res.set(http::field::content_type, "text/plain");
    }
    res.keep_alive(req.keep_alive());
    res.prepare_payload();

    const size_t n = !rec.decode_error.empty() ? 0
                     : logs                    ? count_log_records(rec.logs)
                                               : count_spans(rec.request);
    {
      std::lock_guard lock(mutex);
      if (rec.status == 200) accepted += n - static_cast<size_t>(reply.rejected);
      if (options.keep_requests) received.push_back(std::move(rec));
    }
    changed.notify_all();
    return res;
  }

  template <class Stream>
  asio::awaitable<void> serve(Stream& stream) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(64 * 1024 * 1024);
      auto [ec, n] = co_await http::async_read(stream, buffer, parser, kTuple);
      if (ec) co_return;
      const HttpReply reply = next();
      if (reply.delay.count() > 0) {
        asio::steady_timer timer(co_await asio::this_coro::executor, reply.delay);
        co_await timer.async_wait(kTuple);
      }
      auto res = handle(parser.get(), reply);
      const bool keep_alive = res.keep_alive();
      auto [wec, wn] = co_await http::async_write(stream, res, kTuple);
      if (wec || !keep_alive) co_return;
    }
  }

  asio::awaitable<void> session(tcp::socket socket) {
    if (options.tls) {
      asio::ssl::stream<tcp::socket> stream(std::move(socket), ssl);
      auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kTuple);
      if (ec) co_return;  // e.g. the client refused our certificate, or sent none for mTLS
      co_await serve(stream);
      co_await stream.async_shutdown(kTuple);
    } else {
      co_await serve(socket);
      boost::system::error_code ignored;
      socket.shutdown(tcp::socket::shutdown_both, ignored);
    }
  }

  asio::awaitable<void> listen() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kTuple);
      if (ec) co_return;
      {
        std::lock_guard lock(mutex);
        ++connections;
      }
      asio::co_spawn(ioc, session(std::move(socket)), asio::detached);
    }
  }
};

HttpReceiver::HttpReceiver() : HttpReceiver(Options{}) {}

HttpReceiver::HttpReceiver(Options options) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.options = options;
  if (options.tls) {
    s.ssl.use_certificate_chain_file(options.files.cert);
    s.ssl.use_private_key_file(options.files.key, asio::ssl::context::pem);
    if (!options.files.client_ca.empty()) {
      s.ssl.load_verify_file(options.files.client_ca);
      s.ssl.set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
    }
  }
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  s.acceptor.open(ep.protocol());
  s.acceptor.set_option(tcp::acceptor::reuse_address(true));
  s.acceptor.bind(ep);
  s.acceptor.listen();
  port_ = s.acceptor.local_endpoint().port();
  asio::co_spawn(s.ioc, s.listen(), asio::detached);
  s.thread = std::thread([&s] { s.ioc.run(); });
}

HttpReceiver::~HttpReceiver() {
  impl_->ioc.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::string HttpReceiver::url() const {
  return std::string(impl_->options.tls ? "https" : "http") +
         "://127.0.0.1:" + std::to_string(port_) + "/v1/traces";
}

std::string HttpReceiver::logs_url() const {
  return std::string(impl_->options.tls ? "https" : "http") +
         "://127.0.0.1:" + std::to_string(port_) + "/v1/logs";
}

void HttpReceiver::script(std::vector<HttpReply> replies) {
  std::lock_guard lock(impl_->mutex);
  impl_->script.assign(replies.begin(), replies.end());
}

std::vector<HttpReceived> HttpReceiver::received() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->received;
}

size_t HttpReceiver::spans_accepted() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->accepted;
}

size_t HttpReceiver::calls() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->calls;
}

size_t HttpReceiver::connections() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->connections;
}

bool HttpReceiver::wait_for_spans(size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->changed.wait_for(lock, timeout, [&] { return impl_->accepted >= n; });
}

}  // namespace tracekit::testing
