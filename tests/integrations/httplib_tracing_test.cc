// SPDX-License-Identifier: Apache-2.0
// The cpp-httplib adapter on a real cpp-httplib server: parent/child across the hop (tracekit's
// traced client calls it), attributes, status rules, a throwing handler, excluded paths, an
// invalid traceparent, and the X-Trace-ID / X-Span-ID headers.
#include <httplib.h>

#include <mutex>
#include <thread>

#include "http_test_support.h"
#include "tracekit/httplib/tracing.h"

namespace tracekit::httplib {
namespace {

using namespace std::chrono_literals;
using http::testing::attr_int;
using http::testing::attr_str;
using http::testing::span_store;
using http::testing::wait_for_span;

class HttplibTracingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    span_store()->clear();
    Tracing tracing(http::TracingOptions{.semconv = http::Semconv::kDuplicate});
    server_.Get(
        R"(/tools/(\w+))", tracing.traced("/tools/{id}", [this](const ::httplib::Request& req,
                                                                ::httplib::Response& res) {
          std::lock_guard lock(mu_);  // the server's thread writes, the test's reads
          seen_span_ = Context::current().span_context().span_id().to_hex();
          get_tracer("handler").start_span("handler.work").end();
          res.set_content("{\"id\":\"" + std::string(req.matches[1]) + "\"}", "application/json");
        }));
    server_.Get("/missing",
                tracing.traced("/missing", [](const auto&, auto& res) { res.status = 404; }));
    server_.Get("/throw", tracing.traced("/throw", [](const auto&, auto&) {
      throw std::runtime_error("tool exploded");
    }));
    server_.Get("/healthz", tracing.traced("/healthz", [](const auto&, auto& res) {
      res.set_content("ok", "text/plain");
    }));
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    ASSERT_TRUE(testing_wait([this] { return server_.is_running(); }, 10s));
  }
  void TearDown() override {
    client_.reset();  // its kept-alive connection would hold a server thread until its timeout
    server_.stop();
    thread_.join();
  }
  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }

  ::httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::string seen_span_;
  std::unique_ptr<http::BlockingClient> client_ = std::make_unique<http::BlockingClient>();
};

TEST_F(HttplibTracingTest, TracedCallIsOneTreeWithAttributesAndIds) {
  SpanContext caller;
  Result<http::ClientResponse> r = Error{"not called"};
  {
    auto scoped = get_tracer("test").start_as_current_span("caller");
    caller = current_span().context();
    r = client_->request("GET", url("/tools/abc?token=secret"));
  }
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  const std::string trace = caller.trace_id().to_hex();
  EXPECT_EQ(r->header("x-trace-id").value_or(""), trace);
  auto server = wait_for_span("GET /tools/{id}", trace);
  ASSERT_TRUE(server);
  EXPECT_EQ(server->kind(), SpanKind::kServer);
  EXPECT_EQ(r->header("x-span-id").value_or(""), server->context().span_id().to_hex());
  {
    std::lock_guard lock(mu_);
    EXPECT_EQ(seen_span_, server->context().span_id().to_hex());
  }
  auto client = wait_for_span("GET", trace);
  ASSERT_TRUE(client);
  EXPECT_EQ(server->parent_span_id(), client->context().span_id());
  EXPECT_EQ(client->parent_span_id(), caller.span_id());
  auto work = wait_for_span("handler.work", trace);
  ASSERT_TRUE(work);
  EXPECT_EQ(work->parent_span_id(), server->context().span_id());

  EXPECT_EQ(attr_str(*server, "http.method"), "GET");
  EXPECT_EQ(attr_str(*server, "http.route"), "/tools/{id}");
  EXPECT_EQ(attr_str(*server, "http.url"),
            "http://127.0.0.1:" + std::to_string(port_) + "/tools/abc?token=REDACTED");
  EXPECT_EQ(attr_int(*server, "http.status_code"), 200);
  EXPECT_EQ(attr_int(*server, "http.response.status_code"), 200);
  EXPECT_EQ(attr_str(*server, "url.path"), "/tools/abc");
  EXPECT_EQ(attr_int(*server, "server.port"), port_);
  EXPECT_EQ(attr_str(*server, "client.address"), "127.0.0.1");
  EXPECT_EQ(attr_str(*server, "network.protocol.version"), "1.1");
  EXPECT_EQ(server->status_code(), StatusCode::kUnset);
}

TEST_F(HttplibTracingTest, ErrorStatusAndThrowingHandler) {
  auto missing = client_->request("GET", url("/missing"));
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
  auto s404 =
      wait_for_span("GET /missing", std::string(missing->header("x-trace-id").value_or("")));
  ASSERT_TRUE(s404);
  EXPECT_EQ(s404->status_code(), StatusCode::kError);
  EXPECT_EQ(attr_str(*s404, "error.type"), "404");

  auto thrown = client_->request("GET", url("/throw"));
  ASSERT_TRUE(thrown.ok());
  EXPECT_EQ(thrown->status, 500);
  auto s500 = wait_for_span("GET /throw", std::string(thrown->header("x-trace-id").value_or("")));
  ASSERT_TRUE(s500);
  EXPECT_EQ(s500->status_code(), StatusCode::kError);
  EXPECT_EQ(s500->status_description(), "tool exploded");
  ASSERT_FALSE(s500->events().empty());
  EXPECT_EQ(s500->events()[0].name, "exception");
  EXPECT_EQ(attr_int(*s500, "http.status_code"), 500);
}

TEST_F(HttplibTracingTest, ExcludedPathHasNoSpanAndNoIds) {
  auto r = client_->request("GET", url("/healthz"));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->header("x-trace-id"));
  std::this_thread::sleep_for(50ms);
  for (auto& s : span_store()->spans())
    EXPECT_NE(s->kind(), SpanKind::kServer) << s->name();
}

TEST_F(HttplibTracingTest, InvalidTraceparentStartsANewTrace) {
  ::httplib::Client plain("127.0.0.1", port_);
  auto r = plain.Get("/tools/x",
                     {{"traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"}});
  ASSERT_TRUE(r);
  const std::string trace = r->get_header_value("X-Trace-ID");
  ASSERT_EQ(trace.size(), 32u);
  EXPECT_NE(trace, "00000000000000000000000000000000");
  auto server = wait_for_span("GET /tools/{id}", trace);
  ASSERT_TRUE(server);
  EXPECT_FALSE(server->parent_span_id().is_valid());
}

// Hostile header shapes, on a raw socket: names in any case, a repeated header (the first one
// counts, as cpp-httplib's own find() gives it), a Host smuggling a path and a secret query, and
// an X-Forwarded-Proto that is neither http nor https.
TEST_F(HttplibTracingTest, HeaderCaseRepeatsAndSmuggledHostAreHandled) {
  http::testing::RawConnection c(static_cast<uint16_t>(port_));
  ASSERT_TRUE(c.connected());
  c.send(
      "GET /tools/h HTTP/1.1\r\n"
      "hOsT: evil.example:8443/x?password=hunter2\r\n"
      "user-agent: first-agent\r\n"
      "User-Agent: second-agent\r\n"
      "x-forwarded-proto: javascript\r\n"
      "Connection: close\r\n\r\n");
  const std::string response = c.read_response();
  ASSERT_EQ(http::testing::status_of(response), 200) << response;
  const size_t at = response.find("X-Trace-ID: ");
  ASSERT_NE(at, std::string::npos) << response;
  const std::string trace = response.substr(at + 12, 32);
  auto server = wait_for_span("GET /tools/{id}", trace);
  ASSERT_TRUE(server);
  // The authority ends at the '/', so neither the path nor the password reaches the URL.
  EXPECT_EQ(attr_str(*server, "http.url"), "http://evil.example:8443/tools/h");
  EXPECT_EQ(attr_str(*server, "url.full"), "http://evil.example:8443/tools/h");
  EXPECT_EQ(attr_str(*server, "server.address"), "evil.example");
  EXPECT_EQ(attr_int(*server, "server.port"), 8443);
  EXPECT_EQ(attr_str(*server, "url.scheme"), "http");
  EXPECT_EQ(attr_str(*server, "user_agent.original"), "first-agent");
  for (const KeyValue& kv : server->attributes()) {
    if (kv.value.type() == AttributeType::kString) {
      EXPECT_EQ(kv.value.as_string().find("hunter2"), std::string_view::npos) << kv.key;
    }
  }

  // Without a port the whole header used to become server.address, query and secret included.
  http::testing::RawConnection d(static_cast<uint16_t>(port_));
  ASSERT_TRUE(d.connected());
  d.send(
      "GET /tools/i HTTP/1.1\r\nHost: leak.example/?password=hunter3\r\n"
      "Connection: close\r\n\r\n");
  const std::string second = d.read_response();
  const size_t at2 = second.find("X-Trace-ID: ");
  ASSERT_NE(at2, std::string::npos) << second;
  auto leaked = wait_for_span("GET /tools/{id}", second.substr(at2 + 12, 32));
  ASSERT_TRUE(leaked);
  EXPECT_EQ(attr_str(*leaked, "server.address"), "leak.example");
  EXPECT_EQ(attr_int(*leaked, "server.port"), 80);
  for (const KeyValue& kv : leaked->attributes()) {
    if (kv.value.type() == AttributeType::kString) {
      EXPECT_EQ(kv.value.as_string().find("hunter3"), std::string_view::npos) << kv.key;
    }
  }
}

}  // namespace
}  // namespace tracekit::httplib
