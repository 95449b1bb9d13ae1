// SPDX-License-Identifier: Apache-2.0
// The collector's HTTP listeners on tracekit::http::Server (Boost.Beast with coroutines): every
// method and path goes to one blocking handler on the server's worker pool (SQLite reads block).
#include "http_frontend.h"
#include "tracekit/http/request_guard.h"
#include "tracekit/http/server.h"

namespace tracekit::collector {

namespace {

class TracekitFrontend final : public HttpFrontend {
 public:
  TracekitFrontend(const ListenAddress& address, size_t max_body_bytes, const FrontendGuard& guard,
                   HttpHandler handler)
      : server_(options(address, max_body_bytes)), handler_(std::move(handler)) {
    auto handle = [this](http::Request& req) { return serve(req); };
    // Outermost: a refused request reaches nothing else. Bodies are not JSON-only here (OTLP
    // takes protobuf; the viewer takes no bodies at all).
    http::RequestGuardOptions g;
    g.allowed_hosts = guard.allowed_hosts;
    g.check_host = guard.check_host;
    g.require_json = false;
    g.token = guard.token;
    // A name of its own: cookies ignore ports, and Skriptoteket runs on the same host.
    g.token_cookie = guard.browser_login ? "tracekit_collector_session" : "";
    server_.use(http::request_guard(std::move(g)));
    // The server answers an oversized body itself (413, before reading it); the handler gives
    // that answer the body its protocol wants (OTLP: a google.rpc.Status). The server's 413
    // comes with the body dropped; a 413 for a body that was read is the handler's own (a
    // request too large to decode) and keeps its message.
    server_.use(
        [this](http::Request& req, http::Next next) -> boost::asio::awaitable<http::Response> {
          http::Response r = co_await next(req);
          if (r.status() == 413 && req.body().empty()) co_return serve(req, true);
          co_return r;
        });
    server_.route("*", "/", handle);
    server_.route("*", "/{path...}", handle);
  }
  ~TracekitFrontend() override { server_.stop(std::chrono::seconds(2)); }

  Result<void> start() { return server_.start(); }
  int port() const override { return server_.port(); }

 private:
  static http::ServerOptions options(const ListenAddress& address, size_t max_body_bytes) {
    http::ServerOptions o;
    o.address = address.host;
    o.port = address.port;
    o.max_body_bytes = max_body_bytes;
    o.io_threads = 1;
    o.worker_threads = 8;  // requests block: OTLP until its commit, the API on SQLite reads
    o.server_name = "tracekit-collector";
    o.correlation_ids = false;
    return o;
  }

  http::Response serve(http::Request& req, bool body_too_large = false) {
    HttpRequestView view;
    view.method = req.method();
    view.target = req.target();
    view.path = req.path();
    view.content_type = req.header("Content-Type").value_or("");
    view.content_encoding = req.header("Content-Encoding").value_or("");
    view.accept_encoding = req.header("Accept-Encoding").value_or("");
    view.body = body_too_large ? std::string_view() : req.body();
    view.body_too_large = body_too_large;
    Response r = handler_(view);
    http::Response out(r.status);
    out.set_body(std::move(r.body), r.content_type);
    for (const auto& [name, value] : r.headers)
      out.set_header(name, value);
    return out;
  }

  http::Server server_;
  HttpHandler handler_;
};

}  // namespace

Result<std::unique_ptr<HttpFrontend>> start_http_frontend(const ListenAddress& address,
                                                          size_t max_body_bytes,
                                                          const FrontendGuard& guard,
                                                          HttpHandler handler) {
  auto frontend =
      std::make_unique<TracekitFrontend>(address, max_body_bytes, guard, std::move(handler));
  if (auto r = frontend->start(); !r) {
    return Error{"cannot listen on " + address.to_string() + ": " + r.error().message};
  }
  return std::unique_ptr<HttpFrontend>(std::move(frontend));
}

}  // namespace tracekit::collector
