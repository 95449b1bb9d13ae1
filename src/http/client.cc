// Stub (the API commit); the implementation follows.
#include "tracekit/http/client.h"

namespace tracekit::http {

struct Client::Impl {};
struct BlockingClient::Impl {};

std::optional<std::string_view> ClientResponse::header(std::string_view name) const {
  auto it = headers.find(boost::beast::string_view(name.data(), name.size()));
  if (it == headers.end()) return std::nullopt;
  return std::string_view(it->value().data(), it->value().size());
}

Client::Client(boost::asio::any_io_executor, ClientOptions) : impl_(std::make_shared<Impl>()) {}
Client::~Client() = default;
boost::asio::awaitable<Result<ClientResponse>> Client::request(std::string, std::string,
                                                               std::string, HeaderList,
                                                               RequestOptions) {
  co_return Error{"not implemented"};
}
void Client::close_idle() {}

BlockingClient::BlockingClient(ClientOptions) : impl_(std::make_unique<Impl>()) {}
BlockingClient::~BlockingClient() = default;
Result<ClientResponse> BlockingClient::request(std::string, std::string, std::string, HeaderList,
                                               RequestOptions) {
  return Error{"not implemented"};
}

Result<ParsedUrl> parse_url(std::string_view) {
  return Error{"not implemented"};
}

}  // namespace tracekit::http
