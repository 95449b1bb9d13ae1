// SPDX-License-Identifier: Apache-2.0
// 1,000 requests in flight at once, each handler co_awaiting and logging: every server span has
// the right parent, every child span the right server span, every log line the right trace id
// and correlation id. The core's current context is thread-local; this proves the server's
// re-entry keeps requests apart across co_await (and, under TSan in CI, without races).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>

#include "http_test_support.h"

namespace tracekit::http {
namespace {

using namespace std::chrono_literals;
using testing::LogCapture;
using testing::str;
using Awaitable = boost::asio::awaitable<Response>;

constexpr int kRequests = 1000;

TEST(Concurrency, ThousandConcurrentRequestsKeepTheirContexts) {
  testing::span_store()->clear();
  LogCapture logs;
  std::atomic<int> arrived{0};
  std::atomic<int> max_seen{0};

  Server server(ServerOptions{.io_threads = 2,
                              .max_connections = 4 * kRequests,
                              .max_connections_per_client = 4 * kRequests});
  server.use(tracing_middleware());
  server.route("GET", "/work/{n}", [&](Request& r) -> Awaitable {
    const int now = ++arrived;
    int prev = max_seen.load();
    while (now > prev && !max_seen.compare_exchange_weak(prev, now)) {
    }
    auto ex = co_await boost::asio::this_coro::executor;
    // Wait until every request has arrived (bounded), so all of them are in flight together
    // and their handlers interleave on the I/O threads.
    const auto give_up = std::chrono::steady_clock::now() + 30s;
    while (arrived.load() < kRequests && std::chrono::steady_clock::now() < give_up) {
      boost::asio::steady_timer t(ex, 2ms);
      co_await t.async_wait(boost::asio::use_awaitable);
    }
    log::Logger("work").info("handled", {{"n", r.param("n")}});
    auto child = get_tracer("test").start_span("child");
    boost::asio::steady_timer t(ex, 1ms);
    co_await t.async_wait(boost::asio::use_awaitable);
    log::Logger("work").info("after", {{"n", r.param("n")}});
    co_return Response::text(200, std::string(r.param("n")));
  });
  ASSERT_TRUE(server.start().ok());

  // The callers: one coroutine per request, each under its own root span.
  struct Call {
    std::string trace_id, root_span_id, x_trace_id, x_span_id, body, error;
    int status = 0;
  };
  std::vector<Call> calls(kRequests);
  boost::asio::io_context io;
  Client client(io.get_executor(), ClientOptions{.total_timeout = 50s});
  auto& tracer = get_tracer("test");
  std::atomic<int> done{0};
  for (int i = 0; i < kRequests; ++i) {
    boost::asio::co_spawn(
        io,
        [&, i]() -> boost::asio::awaitable<void> {
          Span root = tracer.start_span("root", SpanOptions{.parent = Parent::root()});
          calls[i].trace_id = root.context().trace_id().to_hex();
          calls[i].root_span_id = root.context().span_id().to_hex();
          const std::string url = server.base_url() + "/work/" + std::to_string(i);
          HeaderList headers{{"X-Correlation-ID", "corr-" + std::to_string(i)}};
          boost::asio::awaitable<Result<ClientResponse>> pending = [&] {
            Scope scope(Context().with_span(root));
            return client.request("GET", url, {}, headers);
          }();
          Result<ClientResponse> r = co_await std::move(pending);
          if (r) {
            calls[i].status = r->status;
            calls[i].body = r->body;
            calls[i].x_trace_id = std::string(r->header("x-trace-id").value_or(""));
            calls[i].x_span_id = std::string(r->header("x-span-id").value_or(""));
          } else {
            calls[i].error = r.error().message;
          }
          root.end();
          ++done;
        },
        boost::asio::detached);
  }
  io.run();
  ASSERT_EQ(done.load(), kRequests);
  EXPECT_EQ(max_seen.load(), kRequests) << "requests were not all in flight together";

  // Index what was exported and logged.
  ASSERT_TRUE(tracekit::testing_wait(
      [&] { return testing::span_store()->size() >= static_cast<size_t>(4 * kRequests); }));
  std::map<std::string, SpanDataPtr> server_by_id, client_by_id;
  std::map<std::string, std::vector<SpanDataPtr>> children_by_parent;
  for (auto& s : testing::span_store()->spans()) {
    if (s->name() == "GET /work/{n}") server_by_id[s->context().span_id().to_hex()] = s;
    if (s->name() == "GET") client_by_id[s->context().span_id().to_hex()] = s;
    if (s->name() == "child") children_by_parent[s->parent_span_id().to_hex()].push_back(s);
  }
  std::map<std::string, std::vector<boost::json::object>> logs_by_n;
  for (auto& line : logs.lines()) {
    if (str(line, "logger") == "work") logs_by_n[str(line, "n")].push_back(line);
  }

  int checked = 0;
  for (int i = 0; i < kRequests; ++i) {
    const Call& c = calls[i];
    SCOPED_TRACE("request " + std::to_string(i));
    ASSERT_TRUE(c.error.empty()) << c.error;
    ASSERT_EQ(c.status, 200);
    ASSERT_EQ(c.body, std::to_string(i));
    ASSERT_EQ(c.x_trace_id, c.trace_id);
    auto server_span = server_by_id.at(c.x_span_id);
    ASSERT_EQ(server_span->context().trace_id().to_hex(), c.trace_id);
    auto client_span = client_by_id.at(server_span->parent_span_id().to_hex());
    ASSERT_EQ(client_span->parent_span_id().to_hex(), c.root_span_id);
    auto& children = children_by_parent[c.x_span_id];
    ASSERT_EQ(children.size(), 1u);
    ASSERT_EQ(children[0]->context().trace_id().to_hex(), c.trace_id);
    auto& lines = logs_by_n[std::to_string(i)];
    ASSERT_EQ(lines.size(), 2u);
    for (auto& l : lines) {
      ASSERT_EQ(str(l, "trace_id"), c.trace_id);
      ASSERT_EQ(str(l, "span_id"), c.x_span_id);
      ASSERT_EQ(str(l, "correlation_id"), "corr-" + std::to_string(i));
    }
    ++checked;
  }
  EXPECT_EQ(checked, kRequests);
}

}  // namespace
}  // namespace tracekit::http
