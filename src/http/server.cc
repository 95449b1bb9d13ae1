// Stub (the API commit); the implementation follows.
#include "tracekit/http/server.h"

namespace tracekit::http {

struct MiddlewareChain {};
struct Server::Impl {
  ServerOptions options;
};

boost::asio::awaitable<Response> Next::operator()(Request&) const {
  co_return Response::error(501, "not implemented");
}

Server::Server(ServerOptions options) : impl_(std::make_shared<Impl>()) {
  impl_->options = std::move(options);
}
Server::~Server() = default;
void Server::use(Middleware) {}
void Server::add_route(std::string_view, std::string_view, Handler, RouteOptions) {}
void Server::add_blocking_route(std::string_view, std::string_view, BlockingHandler, RouteOptions) {
}
Result<void> Server::start() {
  return Error{"not implemented"};
}
uint16_t Server::port() const noexcept {
  return 0;
}
std::string Server::base_url() const {
  return {};
}
bool Server::running() const noexcept {
  return false;
}
bool Server::stop(std::chrono::milliseconds) {
  return true;
}
int Server::run_until_signal(std::chrono::milliseconds) {
  return 1;
}
boost::asio::any_io_executor Server::executor() {
  return {};
}
const ServerOptions& Server::options() const noexcept {
  return impl_->options;
}
Server::Stats Server::stats() const noexcept {
  return {};
}

}  // namespace tracekit::http
