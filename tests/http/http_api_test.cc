// SPDX-License-Identifier: Apache-2.0
// The public API compiles as documented: both handler forms, middleware, client calls.
#include <gtest/gtest.h>

#include "tracekit/http/http.h"
#include "tracekit/log/logger.h"

namespace th = tracekit::http;

TEST(HttpApi, RouteAcceptsCoroutineAndBlockingHandlers) {
  th::Server server;
  server.route("GET", "/a/{id}", [](th::Request& r) -> boost::asio::awaitable<th::Response> {
    co_return th::Response::text(200, std::string(r.param("id")));
  });
  server.route("POST", "/b", [](th::Request& r) { return th::Response::json(201, r.body()); });
  server.use([](th::Request& r, th::Next next) -> boost::asio::awaitable<th::Response> {
    co_return co_await next(r);
  });
  SUCCEED();
}
