// SPDX-License-Identifier: Apache-2.0
// The traced libcurl wrapper against tracekit's own traced server: the CLIENT span and its
// attributes, parent/child across the hop through the injected headers, status rules, a
// transfer that fails, credentials kept out of the URL; and curl_slist as a carrier.
#include "tracekit/curl/curl.h"

#include <algorithm>
#include <map>

#include "http_test_support.h"
#include "tracekit/propagation/propagator.h"

namespace tracekit::curl {
namespace {

using namespace std::chrono_literals;
using http::testing::attr_int;
using http::testing::attr_str;
using http::testing::span_store;
using http::testing::wait_for_span;
using Awaitable = boost::asio::awaitable<http::Response>;

class CurlTracingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    span_store()->clear();
    server_ = std::make_unique<http::Server>(http::ServerOptions{});
    server_->use(http::tracing_middleware());
    server_->route("GET", "/items/{id}", [](http::Request& r) -> Awaitable {
      co_return http::Response::text(200, std::string(r.header("traceparent").value_or("")));
    });
    server_->route("GET", "/propagated", [](http::Request& r) -> Awaitable {
      std::string out;
      for (const char* h : {"traceparent", "tracestate", "baggage"})
        out += std::string(h) + "=" + std::string(r.header(h).value_or("")) + "\n";
      co_return http::Response::text(200, out);
    });
    server_->route("DELETE", "/items/{id}", [](http::Request&) -> Awaitable {
      co_return http::Response::error(503, "busy");
    });
    ASSERT_TRUE(server_->start().ok());
    easy_ = curl_easy_init();
    ASSERT_TRUE(easy_);
    curl_easy_setopt(
        easy_, CURLOPT_WRITEFUNCTION, +[](char* p, size_t s, size_t n, void* out) {
          static_cast<std::string*>(out)->append(p, s * n);
          return s * n;
        });
    curl_easy_setopt(easy_, CURLOPT_WRITEDATA, &body_);
    curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, 10000L);
  }
  void TearDown() override { curl_easy_cleanup(easy_); }

  std::unique_ptr<http::Server> server_;
  CURL* easy_ = nullptr;
  std::string body_;
};

TEST_F(CurlTracingTest, ClientSpanIsTheParentOfTheServerSpan) {
  TracedEasy call(easy_, TracedEasyOptions{.semconv = http::Semconv::kDuplicate});
  const std::string port = std::to_string(server_->port());
  call.set_request("GET", "http://user:pw@127.0.0.1:" + port + "/items/7?x=1#frag");
  call.add_header("Accept", "text/plain");
  call.add_header("traceparent", "00-11111111111111111111111111111111-2222222222222222-01");
  SpanContext caller;
  CURLcode rc;
  {
    auto scoped = get_tracer("test").start_as_current_span("caller");
    caller = current_span().context();
    rc = call.perform();
  }
  ASSERT_EQ(rc, CURLE_OK) << curl_easy_strerror(rc);
  EXPECT_EQ(call.response_code(), 200);
  const std::string trace = caller.trace_id().to_hex();
  // The stale traceparent was replaced, not sent twice.
  EXPECT_NE(body_.find(trace), std::string::npos) << body_;
  auto client = wait_for_span("GET", trace);
  auto server = wait_for_span("GET /items/{id}", trace);
  ASSERT_TRUE(client && server);
  EXPECT_EQ(client->kind(), SpanKind::kClient);
  EXPECT_EQ(client->parent_span_id(), caller.span_id());
  EXPECT_EQ(server->parent_span_id(), client->context().span_id());
  const std::string clean = "http://127.0.0.1:" + port + "/items/7?x=1";
  EXPECT_EQ(attr_str(*client, "http.url"), clean);
  EXPECT_EQ(attr_str(*client, "url.full"), clean);
  EXPECT_EQ(attr_str(*client, "http.method"), "GET");
  EXPECT_EQ(attr_str(*client, "server.address"), "127.0.0.1");
  EXPECT_EQ(attr_int(*client, "server.port"), server_->port());
  EXPECT_EQ(attr_int(*client, "http.status_code"), 200);
  EXPECT_EQ(attr_int(*client, "http.response.status_code"), 200);
  EXPECT_EQ(attr_str(*client, "network.peer.address"), "127.0.0.1");
  EXPECT_EQ(client->status_code(), StatusCode::kUnset);
  int traceparents = 0;
  for (const curl_slist* p = call.headers(); p; p = p->next) {
    traceparents += std::string_view(p->data).starts_with("traceparent:");
  }
  EXPECT_EQ(traceparents, 1);
}

TEST_F(CurlTracingTest, ErrorStatusAndFailedTransfer) {
  TracedEasy call(easy_);
  call.set_request("DELETE", "http://127.0.0.1:" + std::to_string(server_->port()) + "/items/7");
  auto scoped = get_tracer("test").start_as_current_span("caller");
  const std::string trace = current_span().context().trace_id().to_hex();
  ASSERT_EQ(call.perform(), CURLE_OK);
  EXPECT_EQ(call.response_code(), 503);
  auto s503 = wait_for_span("DELETE", trace);
  ASSERT_TRUE(s503);
  EXPECT_EQ(s503->status_code(), StatusCode::kError);
  EXPECT_EQ(attr_int(*s503, "http.status_code"), 503);

  // Nothing listens on port 1 of 127.0.0.1: the transfer fails, the span says why.
  call.set_request("GET", "http://127.0.0.1:1/");
  EXPECT_NE(call.perform(), CURLE_OK);
  SpanDataPtr failed;
  ASSERT_TRUE(testing_wait(
      [&] {
        for (auto& s : span_store()->spans())
          if (s->name() == "GET" && attr_int(*s, "net.peer.port") == 1) failed = s;
        return failed != nullptr;
      },
      10s));
  EXPECT_EQ(failed->status_code(), StatusCode::kError);
  EXPECT_FALSE(failed->status_description().empty());
}

// libcurl sends methods and header lines as given: CR LF in either would end the request and
// smuggle a second one to the server. The wrapper refuses them and sends nothing.
TEST_F(CurlTracingTest, HeadersOrMethodsThatWouldSplitTheRequestAreRefusedUnsent) {
  const std::string url = "http://127.0.0.1:" + std::to_string(server_->port()) + "/items/7";
  const auto before = server_->stats().requests;
  {
    TracedEasy call(easy_);
    call.set_request("GET", url);
    call.add_header("X-Id", "1\r\n\r\nDELETE /items/8 HTTP/1.1\r\nHost: x");
    EXPECT_EQ(call.perform(), CURLE_BAD_FUNCTION_ARGUMENT);
    EXPECT_NE(call.refused().find("invalid header 'X-Id'"), std::string::npos) << call.refused();
  }
  {
    TracedEasy call(easy_);
    call.set_request("PUT /smuggled HTTP/1.1\r\nX-M: 1\r\nY:", url);
    EXPECT_EQ(call.perform(), CURLE_BAD_FUNCTION_ARGUMENT);
    EXPECT_NE(call.refused().find("invalid method"), std::string::npos) << call.refused();
  }
  {
    TracedEasy call(easy_);
    call.set_request("GET", url);
    call.add_header("X-Id: 1\r\nX-Other", "2");
    EXPECT_EQ(call.perform(), CURLE_BAD_FUNCTION_ARGUMENT);
  }
  EXPECT_EQ(server_->stats().requests, before) << "nothing reached the server";
  TracedEasy fine(easy_);
  fine.set_request("GET", url);
  fine.add_header("X-Id", "1");
  EXPECT_EQ(fine.perform(), CURLE_OK);
  EXPECT_EQ(fine.response_code(), 200);
}

// A wrapper reused for another request sends that request's context only: the first one's
// tracestate and baggage (a user id, a session) must not reach the next server.
TEST_F(CurlTracingTest, AReusedWrapperSendsOnlyTheContextOfEachRequest) {
  const std::string url = "http://127.0.0.1:" + std::to_string(server_->port()) + "/propagated";
  const std::map<std::string, std::string> incoming = {
      {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
      {"tracestate", "vendor=opaque-a"},
      {"baggage", "user.id=alice,session=s3cr3t"}};
  const Context alice = propagation::extract(incoming, Context());
  TracedEasy call(easy_);
  call.set_request("GET", url);
  call.add_header("Accept", "text/plain");
  ASSERT_EQ(call.perform(alice), CURLE_OK);
  EXPECT_NE(body_.find("tracestate=vendor=opaque-a\n"), std::string::npos) << body_;
  EXPECT_NE(body_.find("user.id=alice"), std::string::npos) << body_;
  EXPECT_NE(body_.find("4bf92f3577b34da6a3ce929d0e0e4736"), std::string::npos) << body_;

  body_.clear();
  ASSERT_EQ(call.perform(Context()), CURLE_OK);  // a request of no one's
  EXPECT_NE(body_.find("tracestate=\n"), std::string::npos) << body_;
  EXPECT_NE(body_.find("baggage=\n"), std::string::npos) << body_;
  EXPECT_EQ(body_.find("4bf92f3577b34da6a3ce929d0e0e4736"), std::string::npos) << body_;
  EXPECT_EQ(body_.find("s3cr3t"), std::string::npos) << body_;
  bool accept = false;
  for (const curl_slist* p = call.headers(); p; p = p->next)
    accept = accept || std::string_view(p->data) == "Accept: text/plain";
  EXPECT_TRUE(accept) << "the headers added stay";
}

// The span's URL as on the server side: secret query values redacted (OpenTelemetry's list and
// common ones), or the query left out; and the method libcurl sent (a POST without a body goes
// out as GET).
TEST_F(CurlTracingTest, TheSpanRedactsSecretsAndNamesTheMethodSent) {
  const std::string base = "http://127.0.0.1:" + std::to_string(server_->port()) + "/items/7";
  auto scoped = get_tracer("test").start_as_current_span("caller");
  const std::string trace = current_span().context().trace_id().to_hex();
  {
    TracedEasy call(easy_, TracedEasyOptions{.semconv = http::Semconv::kStable});
    call.set_request("GET", base + "?access_token=XYZ&X-Amz-Signature=abc&page=2");
    ASSERT_EQ(call.perform(), CURLE_OK);
  }
  {
    TracedEasy call(easy_,
                    TracedEasyOptions{.semconv = http::Semconv::kStable, .omit_query = true});
    call.set_request("GET", base + "?page=3");
    ASSERT_EQ(call.perform(), CURLE_OK);
  }
  {
    TracedEasy call(easy_);          // the old names
    call.set_request("POST", base);  // no body set: libcurl sends a GET
    ASSERT_EQ(call.perform(), CURLE_OK);
    EXPECT_EQ(call.response_code(), 200) << "the GET route answered";
  }
  std::vector<std::string> urls;
  ASSERT_TRUE(testing_wait([&] {
    urls.clear();
    for (auto& s : span_store()->spans()) {
      if (s->kind() != SpanKind::kClient || s->context().trace_id().to_hex() != trace) continue;
      urls.push_back(std::string(s->name()) + " " + attr_str(*s, "url.full") +
                     attr_str(*s, "http.url"));
    }
    return urls.size() == 3;
  }));
  std::sort(urls.begin(), urls.end());
  EXPECT_EQ(urls, (std::vector<std::string>{
                      "GET " + base,  // the query left out
                      "GET " + base,  // the POST that went out as GET
                      "GET " + base + "?access_token=REDACTED&X-Amz-Signature=REDACTED&page=2"}));
}

// A valid set_request() clears a refused method; clear_headers() a refused header.
TEST_F(CurlTracingTest, ARefusalEndsWithTheCallThatMendsIt) {
  const std::string url = "http://127.0.0.1:" + std::to_string(server_->port()) + "/items/7";
  TracedEasy call(easy_);
  call.set_request("GET /x HTTP/1.1\r\n", url);
  EXPECT_EQ(call.perform(), CURLE_BAD_FUNCTION_ARGUMENT);
  call.set_request("GET", url);
  EXPECT_EQ(call.perform(), CURLE_OK);
  call.add_header("X-Bad", "a\r\nb");
  EXPECT_EQ(call.perform(), CURLE_BAD_FUNCTION_ARGUMENT);
  call.clear_headers();
  EXPECT_TRUE(call.refused().empty());
  EXPECT_EQ(call.perform(), CURLE_OK);
}

TEST(CurlSlistCarrier, ExtractAndInject) {
  curl_slist* list = nullptr;
  list = curl_slist_append(list, "Accept: */*");
  list = curl_slist_append(
      list, "TraceParent:  00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 ");
  const Context incoming = propagation::extract(list, Context());
  ASSERT_TRUE(incoming.span_context().is_valid());
  EXPECT_EQ(incoming.span_context().trace_id().to_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  auto span = get_tracer("test").start_span("child", {.parent = Parent(incoming)});
  propagation::inject(list, incoming.with_span(span));
  int traceparents = 0;
  bool accept = false;
  for (const curl_slist* p = list; p; p = p->next) {
    const std::string_view line = p->data;
    if (propagation::iequals(line.substr(0, line.find(':')), "traceparent")) {
      ++traceparents;
      EXPECT_NE(line.find(span.context().span_id().to_hex()), std::string_view::npos);
    }
    accept |= line == "Accept: */*";
  }
  EXPECT_EQ(traceparents, 1);
  EXPECT_TRUE(accept);
  span.end();
  curl_slist_free_all(list);
}

}  // namespace
}  // namespace tracekit::curl
