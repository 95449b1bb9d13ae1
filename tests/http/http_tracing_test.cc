// SPDX-License-Identifier: Apache-2.0
// The tracing middleware on real sockets: span names, attributes, statuses, response headers,
// excluded paths, propagation in and out, context in handlers, log correlation, semconv.
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <fstream>

#include "http_test_support.h"

namespace tracekit::http {
namespace {

using namespace std::chrono_literals;
using testing::attr;
using testing::attr_int;
using testing::attr_str;
using testing::LogCapture;
using testing::RawConnection;
using testing::str;
using testing::wait_for_span;
using Awaitable = boost::asio::awaitable<Response>;

struct Seen {
  std::string before, after, worker, log_trace;
};

// Run twice: the tracing middleware after the access log (called as a coroutine, like any
// middleware), and first (outermost: the server runs its steps itself, tracing_middleware.h).
class TracingTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    testing::span_store()->clear();
    start(TracingOptions{});
  }
  void start(TracingOptions tracing) {
    server_.reset();
    server_ = std::make_unique<Server>(ServerOptions{.max_body_bytes = 100});
    if (GetParam()) {
      server_->use(tracing_middleware(std::move(tracing)));
      server_->use(access_log_middleware());
    } else {
      server_->use(access_log_middleware());
      server_->use(tracing_middleware(std::move(tracing)));
    }
    server_->route("GET", "/tools/{id}", [](Request& r) -> Awaitable {
      co_return Response::json(200, "{\"id\":\"" + std::string(r.param("id")) + "\"}");
    });
    server_->route("POST", "/tools/{id}",
                   [](Request&) -> Awaitable { co_return Response::text(201, "made"); });
    server_->route("GET", "/bad",
                   [](Request&) -> Awaitable { co_return Response::error(422, "unprocessable"); });
    server_->route("GET", "/throw", [](Request&) -> Awaitable {
      throw std::runtime_error("tool exploded");
      co_return Response();
    });
    server_->route("GET", "/healthz",
                   [](Request&) -> Awaitable { co_return Response::text(200, "ok"); });
    server_->route("GET", "/context", [this](Request& r) -> Awaitable {
      // The request's span is current at the start, after a co_await, and in a child span.
      seen_.before = Context::current().span_context().span_id().to_hex();
      boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, 5ms);
      co_await t.async_wait(boost::asio::use_awaitable);
      seen_.after = Context::current().span_context().span_id().to_hex();
      log::Logger("handler").info("handled", {{"id", 1}});
      auto child = get_tracer("test").start_as_current_span("child");
      co_return Response::text(200, r.context().span_context().span_id().to_hex());
    });
    server_->route("GET", "/blocking", [this](Request& r) {
      seen_.worker = Context::current().span_context().span_id().to_hex();
      return Response::text(200, r.context().span_context().span_id().to_hex());
    });
    // A handler that sets the ids' headers itself: the middleware's replace them.
    server_->route("GET", "/own-ids", [](Request&) -> Awaitable {
      Response r = Response::text(200, "own");
      r.set_header("X-Trace-ID", "handler-trace").set_header("x-span-id", "handler-span");
      co_return r;
    });
    // Responses Beast's serializer writes: a file, and a handler's own Transfer-Encoding (on a
    // 204: any other status gets a Content-Length in its place).
    server_->route("GET", "/file", [this](Request&) -> Awaitable {
      co_return Response(200).set_file(file_.string());
    });
    server_->route("GET", "/chunked", [](Request&) -> Awaitable {
      Response r(204);
      r.set_header("Transfer-Encoding", "chunked");
      co_return r;
    });
    ASSERT_TRUE(server_->start().ok());
  }
  void TearDown() override { std::filesystem::remove(file_); }
  // The values of every `name` field in a raw response (lower-case names).
  static std::vector<std::string> field_values(const std::string& raw, std::string_view name) {
    std::vector<std::string> out;
    const std::string lower = RawConnection::lower(raw);
    const std::string key = "\r\n" + std::string(name) + ": ";
    for (size_t at = lower.find(key); at != std::string::npos; at = lower.find(key, at + 1)) {
      const size_t start = at + key.size();
      out.push_back(raw.substr(start, raw.find("\r\n", start) - start));
    }
    return out;
  }
  std::string url(std::string_view p) const { return server_->base_url() + std::string(p); }
  Result<ClientResponse> call(std::string method, std::string_view path, HeaderList h = {},
                              std::string body = {}) {
    return plain_.request(std::move(method), url(path), std::move(body), std::move(h));
  }
  // The server span of a response, by its X-Trace-ID.
  SpanDataPtr server_span(const ClientResponse& r, std::string_view name) {
    auto trace = std::string(r.header("x-trace-id").value_or(""));
    EXPECT_EQ(trace.size(), 32u);
    auto s = wait_for_span(name, trace);
    EXPECT_TRUE(s) << "no span " << name;
    if (s) {
      EXPECT_EQ(s->context().span_id().to_hex(), r.header("x-span-id").value_or(""));
    }
    return s;
  }

  Seen seen_;
  std::filesystem::path file_ = [] {
    auto p = std::filesystem::temp_directory_path() /
             ("tracekit_tracing_file_" + std::to_string(::getpid()));
    std::ofstream(p) << "file body";
    return p;
  }();
  std::unique_ptr<Server> server_;
  BlockingClient plain_{ClientOptions{.tracing = false}};
};

TEST_P(TracingTest, OkSpanNameAttributesAndHeaders) {
  auto r = call("GET", "/tools/42?token=secret&x=1");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  auto s = server_span(*r, "GET /tools/{id}");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->kind(), SpanKind::kServer);
  EXPECT_EQ(attr_str(*s, "http.method"), "GET");
  EXPECT_EQ(attr_str(*s, "http.route"), "/tools/{id}");
  EXPECT_EQ(attr_str(*s, "http.url"),
            "http://127.0.0.1:" + std::to_string(server_->port()) + "/tools/42?token=REDACTED&x=1");
  EXPECT_EQ(attr_int(*s, "http.status_code"), 200);
  EXPECT_EQ(s->status_code(), StatusCode::kUnset);
  EXPECT_FALSE(s->parent_span_id().is_valid());
  EXPECT_FALSE(attr(*s, "http.request.method"));
}

// The ids travel beside the response's fields (Response::set_trace_ids): each response carries
// exactly one of each, the span's, however the server writes it and whatever the handler set.
TEST_P(TracingTest, EveryResponseKindCarriesOneTraceIdAndOneSpanId) {
  const std::pair<const char*, const char*> cases[] = {{"/tools/7", "GET /tools/{id}"},
                                                       {"/own-ids", "GET /own-ids"},
                                                       {"/file", "GET /file"},
                                                       {"/chunked", "GET /chunked"},
                                                       {"/bad", "GET /bad"}};
  for (const auto& [path, name] : cases) {
    RawConnection c(server_->port());
    ASSERT_TRUE(c.send("GET " + std::string(path) + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    const std::string raw = c.read_response(/*header_only=*/true);
    const auto traces = field_values(raw, "x-trace-id");
    const auto spans = field_values(raw, "x-span-id");
    ASSERT_EQ(traces.size(), 1u) << path << "\n" << raw;
    ASSERT_EQ(spans.size(), 1u) << path << "\n" << raw;
    EXPECT_EQ(traces[0].size(), 32u) << path;
    EXPECT_EQ(spans[0].size(), 16u) << path;
    auto s = wait_for_span(name, traces[0]);
    ASSERT_TRUE(s) << path;
    EXPECT_EQ(s->context().span_id().to_hex(), spans[0]) << path;
  }
}

TEST(ResponseTraceIds, KeptBesideTheFieldsAndReplacedBySetHeader) {
  const auto trace = *TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736");
  const auto span = *SpanId::from_hex("00f067aa0ba902b7");
  Response r = Response::text(200, "x");
  r.set_trace_ids(SpanContext(trace, span, TraceFlags(TraceFlags::kSampled), false));
  EXPECT_EQ(r.headers().count("X-Trace-ID"), 0u);
  EXPECT_FALSE(r.header("x-trace-id"));
  std::array<char, 48> text;
  std::pair<std::string_view, std::string_view> fields[2];
  ASSERT_EQ(r.trace_id_fields(text, fields), 2u);
  EXPECT_EQ(fields[0].first, "X-Trace-ID");
  EXPECT_EQ(fields[0].second, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(fields[1].first, "X-Span-ID");
  EXPECT_EQ(fields[1].second, "00f067aa0ba902b7");
  // Copies and moves keep them (a response passes through middleware by value).
  Response copy = r;
  Response moved = std::move(copy);
  ASSERT_EQ(moved.trace_id_fields(text, fields), 2u);
  EXPECT_EQ(fields[1].second, "00f067aa0ba902b7");
  // A later set_header of one name replaces that one only.
  r.set_header("X-Span-ID", "mine");
  EXPECT_EQ(r.header("x-span-id").value_or(""), "mine");
  ASSERT_EQ(r.trace_id_fields(text, fields), 1u);
  EXPECT_EQ(fields[0].second, "4bf92f3577b34da6a3ce929d0e0e4736");
  // An invalid context removes them.
  r.set_trace_ids(SpanContext());
  EXPECT_EQ(r.trace_id_fields(text, fields), 0u);
}

// A file response's path survives copies and moves (it is held by pointer).
TEST(ResponseFile, PathIsCopiedAndMoved) {
  Response r = Response(200).set_file("/srv/static/a.css");
  Response copy = r;
  EXPECT_EQ(copy.file_path(), "/srv/static/a.css");
  EXPECT_EQ(r.file_path(), "/srv/static/a.css");
  Response moved = std::move(copy);
  EXPECT_EQ(moved.file_path(), "/srv/static/a.css");
  EXPECT_TRUE(Response(200).file_path().empty());
}

// A Response stays the size it had before the trace ids (see Response::set_trace_ids).
TEST(ResponseSize, TheTraceIdsAddNothing) {
  EXPECT_LE(sizeof(Response),
            sizeof(int) * 2 + sizeof(beast_http::fields) + sizeof(std::string) * 2);
}

// The scheme a proxy in front reports, whatever the case of the header's name.
TEST_P(TracingTest, ForwardedProtoSetsTheUrlsScheme) {
  auto r = call("GET", "/tools/5", {{"x-FORWARDED-proto", "https"}, {"User-Agent", "ua/2"}});
  ASSERT_TRUE(r.ok());
  auto s = server_span(*r, "GET /tools/{id}");
  ASSERT_TRUE(s);
  EXPECT_EQ(attr_str(*s, "http.url"),
            "https://127.0.0.1:" + std::to_string(server_->port()) + "/tools/5");
  // Any other value is no scheme: the server's own stays.
  auto plain = call("GET", "/tools/6", {{"X-Forwarded-Proto", "gopher"}});
  ASSERT_TRUE(plain.ok());
  auto p = server_span(*plain, "GET /tools/{id}");
  ASSERT_TRUE(p);
  EXPECT_EQ(attr_str(*p, "http.url"),
            "http://127.0.0.1:" + std::to_string(server_->port()) + "/tools/6");
}

TEST_P(TracingTest, ErrorStatusesFor404_405_413_422) {
  struct Case {
    std::string method, path, name;
    int status;
  } cases[] = {{"GET", "/nope", "GET", 404},
               {"DELETE", "/tools/1", "DELETE", 405},
               {"POST", "/tools/1", "POST /tools/{id}", 413},
               {"GET", "/bad", "GET /bad", 422}};
  for (const auto& c : cases) {
    auto r = call(c.method, c.path, {}, c.status == 413 ? std::string(500, 'x') : std::string());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, c.status);
    auto s = server_span(*r, c.name);
    ASSERT_TRUE(s) << c.path;
    EXPECT_EQ(attr_int(*s, "http.status_code"), c.status);
    EXPECT_EQ(s->status_code(), StatusCode::kError) << c.path;
    EXPECT_EQ(attr(*s, "http.route").has_value(), c.status != 404 && c.status != 405) << c.path;
  }
}

TEST_P(TracingTest, ThresholdIsConfigurable) {
  start(TracingOptions{.error_status_threshold = 500});
  auto r = call("GET", "/bad");
  ASSERT_TRUE(r.ok());
  auto s = server_span(*r, "GET /bad");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->status_code(), StatusCode::kUnset);
}

TEST_P(TracingTest, ExceptionIsRecordedAndAnswered500WithHeaders) {
  LogCapture logs;
  auto r = call("GET", "/throw");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 500);
  auto s = server_span(*r, "GET /throw");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->status_code(), StatusCode::kError);
  EXPECT_EQ(s->status_description(), "tool exploded");
  EXPECT_EQ(attr_int(*s, "http.status_code"), 500);
  ASSERT_EQ(s->events().size(), 1u);
  EXPECT_EQ(s->events()[0].name, "exception");
  auto errors = logs.events("http.handler_exception");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(str(errors[0], "trace_id"), r->header("x-trace-id").value_or(""));
  EXPECT_EQ(str(errors[0], "error"), "tool exploded");
}

TEST_P(TracingTest, ExcludedPathsAreNotTraced) {
  auto r = call("GET", "/healthz");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_FALSE(r->header("x-trace-id"));
  EXPECT_FALSE(r->header("x-span-id"));
  EXPECT_FALSE(r->header("x-correlation-id")->empty());
  std::this_thread::sleep_for(20ms);
  EXPECT_TRUE(testing::spans_named("GET /healthz").empty());
}

TEST_P(TracingTest, IncomingTraceparentIsContinued) {
  const std::string trace = "0af7651916cd43dd8448eb211c80319c";
  auto r =
      call("GET", "/tools/1",
           {{"traceparent", "00-" + trace + "-b7ad6b7169203331-01"}, {"tracestate", "vendor=abc"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->header("x-trace-id").value_or(""), trace);
  auto s = server_span(*r, "GET /tools/{id}");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->parent_span_id().to_hex(), "b7ad6b7169203331");
  EXPECT_TRUE(s->has_remote_parent());
  EXPECT_EQ(s->context().trace_state().get("vendor").value_or(""), "abc");
}

// The server skips extraction for a request without the propagator's headers
// (global_extraction_fields): a name in another case is still one of them.
TEST_P(TracingTest, TraceparentInAnyCaseIsContinued) {
  const std::string trace = "0af7651916cd43dd8448eb211c80319c";
  auto r = call("GET", "/tools/1", {{"TraceParent", "00-" + trace + "-b7ad6b7169203331-01"}});
  ASSERT_TRUE(r.ok());
  auto s = server_span(*r, "GET /tools/{id}");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->context().trace_id().to_hex(), trace);
  EXPECT_EQ(s->parent_span_id().to_hex(), "b7ad6b7169203331");
}

// An application's propagator that reads a header it does not list: the server must not skip
// extraction for it.
class UnlistedHeaderPropagator final : public propagation::TextMapPropagator {
 public:
  Context extract(const propagation::TextMapGetter& carrier,
                  const Context& context) const noexcept override {
    std::string_view v[1];
    if (carrier.get_all("x-app-traceparent", v) != 1) return context;
    auto parent = propagation::parse_traceparent(v[0]);
    return parent ? context.with_span_context(*parent) : context;
  }
  void inject(propagation::TextMapSetter&, const Context&) const noexcept override {}
  std::vector<std::string> fields() const override { return {}; }
};

TEST_P(TracingTest, ApplicationPropagatorReadingUnlistedHeadersIsAsked) {
  propagation::set_global_propagator(std::make_unique<UnlistedHeaderPropagator>());
  const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  auto r = call("GET", "/tools/1", {{"X-App-Traceparent", "00-" + trace + "-00f067aa0ba902b7-01"}});
  auto tracekits = propagation::from_names(std::vector<std::string>{"tracecontext", "baggage"});
  propagation::set_global_propagator(std::move(*tracekits));
  ASSERT_TRUE(r.ok());
  auto s = server_span(*r, "GET /tools/{id}");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->context().trace_id().to_hex(), trace);
  EXPECT_EQ(s->parent_span_id().to_hex(), "00f067aa0ba902b7");
}

TEST_P(TracingTest, InvalidTraceparentStartsANewTrace) {
  const std::vector<std::string> bad_headers = {
      "00-00000000000000000000000000000000-b7ad6b7169203331-01",
      "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
      "zz-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",
      "garbage",
      std::string(600, 'a')};
  for (const std::string& bad : bad_headers) {
    auto r = call("GET", "/tools/1", {{"traceparent", bad}});
    ASSERT_TRUE(r.ok()) << bad;
    EXPECT_EQ(r->status, 200);
    auto s = server_span(*r, "GET /tools/{id}");
    ASSERT_TRUE(s);
    EXPECT_FALSE(s->parent_span_id().is_valid()) << bad;
    EXPECT_NE(s->context().trace_id().to_hex(), "0af7651916cd43dd8448eb211c80319c");
  }
}

TEST_P(TracingTest, SpanIsCurrentInHandlersAcrossAwaitAndOnWorkers) {
  LogCapture logs;
  auto r = call("GET", "/context", {{"X-Correlation-ID", "corr-1"}});
  ASSERT_TRUE(r.ok());
  const std::string span_id(r->header("x-span-id").value_or(""));
  EXPECT_EQ(r->body, span_id);
  EXPECT_EQ(seen_.before, span_id);
  EXPECT_EQ(seen_.after, span_id);
  auto child = wait_for_span("child", std::string(r->header("x-trace-id").value_or("")));
  ASSERT_TRUE(child);
  EXPECT_EQ(child->parent_span_id().to_hex(), span_id);
  auto handled = logs.events("handled");
  ASSERT_EQ(handled.size(), 1u);
  EXPECT_EQ(str(handled[0], "trace_id"), r->header("x-trace-id").value_or(""));
  EXPECT_EQ(str(handled[0], "span_id"), span_id);
  EXPECT_EQ(str(handled[0], "correlation_id"), "corr-1");
  // The access log line carries the same ids.
  auto access = logs.events("http.request");
  ASSERT_EQ(access.size(), 1u);
  EXPECT_EQ(str(access[0], "trace_id"), r->header("x-trace-id").value_or(""));
  EXPECT_EQ(str(access[0], "route"), "/context");
  EXPECT_EQ(access[0].at("status").as_int64(), 200);

  auto b = call("GET", "/blocking");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(seen_.worker, b->header("x-span-id").value_or(""));
}

TEST_P(TracingTest, ClientToServerIsOneTrace) {
  BlockingClient traced;
  auto root = get_tracer("test").start_as_current_span("root");
  auto r = traced.request("GET", url("/tools/5"), "", {{"baggage", "ignored=1"}});
  ASSERT_TRUE(r.ok());
  const std::string trace = root.context().trace_id().to_hex();
  EXPECT_EQ(r->header("x-trace-id").value_or(""), trace);
  auto client = wait_for_span("GET", trace);
  ASSERT_TRUE(client);
  EXPECT_EQ(client->kind(), SpanKind::kClient);
  EXPECT_EQ(client->parent_span_id(), root.context().span_id());
  EXPECT_EQ(attr_int(*client, "http.status_code"), 200);
  EXPECT_EQ(attr_str(*client, "http.url"), url("/tools/5"));
  auto server = wait_for_span("GET /tools/{id}", trace);
  ASSERT_TRUE(server);
  EXPECT_EQ(server->parent_span_id(), client->context().span_id());
}

TEST_P(TracingTest, StableSemconvAndDup) {
  start(TracingOptions{.semconv = Semconv::kStable});
  auto r = call("GET", "/tools/9?q=1", {{"User-Agent", "ua/1"}});
  ASSERT_TRUE(r.ok());
  auto s = server_span(*r, "GET /tools/{id}");
  ASSERT_TRUE(s);
  EXPECT_EQ(attr_str(*s, "http.request.method"), "GET");
  EXPECT_EQ(attr_int(*s, "http.response.status_code"), 200);
  EXPECT_EQ(attr_str(*s, "url.path"), "/tools/9");
  EXPECT_EQ(attr_str(*s, "url.query"), "q=1");
  EXPECT_EQ(attr_str(*s, "url.scheme"), "http");
  EXPECT_EQ(attr_str(*s, "server.address"), "127.0.0.1");
  EXPECT_EQ(attr_int(*s, "server.port"), server_->port());
  EXPECT_EQ(attr_str(*s, "user_agent.original"), "ua/1");
  EXPECT_EQ(attr_str(*s, "http.route"), "/tools/{id}");
  EXPECT_FALSE(attr(*s, "http.method"));
  EXPECT_FALSE(attr(*s, "http.status_code"));

  start(TracingOptions{.semconv = Semconv::kDuplicate});
  auto d = call("GET", "/tools/9");
  ASSERT_TRUE(d.ok());
  auto ds = server_span(*d, "GET /tools/{id}");
  ASSERT_TRUE(ds);
  EXPECT_EQ(attr_str(*ds, "http.method"), "GET");
  EXPECT_EQ(attr_str(*ds, "http.request.method"), "GET");
  EXPECT_EQ(attr_int(*ds, "http.status_code"), 200);
  EXPECT_EQ(attr_int(*ds, "http.response.status_code"), 200);
}

TEST(Semconv, ParsesOptIn) {
  EXPECT_EQ(parse_semconv(""), Semconv::kOld);
  EXPECT_EQ(parse_semconv("database"), Semconv::kOld);
  EXPECT_EQ(parse_semconv("http"), Semconv::kStable);
  EXPECT_EQ(parse_semconv("database, http"), Semconv::kStable);
  EXPECT_EQ(parse_semconv("http,http/dup"), Semconv::kDuplicate);
  EXPECT_EQ(parse_semconv("http/dup"), Semconv::kDuplicate);
  EXPECT_EQ(parse_semconv("https"), Semconv::kOld);
}

TEST(RedactedUrl, NoCredentialsAndRedactedQuery) {
  TracingOptions o;
  EXPECT_EQ(redacted_url("http", "user:pw@h:8080", "/a?b=1", o), "http://h:8080/a?b=1");
  EXPECT_EQ(redacted_url("http", "h", "http://u:p@other/x?sig=abc&Signature=d&k", o),
            "http://other/x?sig=REDACTED&Signature=REDACTED&k");
  EXPECT_EQ(redacted_url("http", "h", "/p?password=1#frag", o), "http://h/p?password=REDACTED");
  // A malformed Host ends at the first character an authority cannot hold.
  EXPECT_EQ(redacted_url("http", "h x@y/p?password=1", "/a", o), "http://h/a");
  EXPECT_EQ(redacted_url("http", "h/p?password=1", "/a?b=2", o), "http://h/a?b=2");
  for (const char* end : {"/", "?", "#", " ", "\t", "\r", "\n"}) {
    EXPECT_EQ(redacted_url("http", std::string("h:81") + end + "x?token=1", "/a", o),
              "http://h:81/a")
        << "ended by character " << static_cast<int>(end[0]);
  }
  EXPECT_EQ(redacted_url("http", "h.example-1:8080", "/a", o), "http://h.example-1:8080/a");
  // Userinfo ends at the last '@' of the authority; a '?' after the fragment starts no query.
  EXPECT_EQ(redacted_url("http", "a@b:c@h:1", "/a", o), "http://h:1/a");
  EXPECT_EQ(redacted_url("http", "h/x@y", "/a", o), "http://h/a");
  EXPECT_EQ(redacted_url("http", "h", "/p#f?password=1", o), "http://h/p");
  EXPECT_EQ(redacted_url("http", "h", "/p?a=1?b=2#f", o), "http://h/p?a=1?b=2");
  EXPECT_EQ(redacted_url("http", "", "", o), "http://");
  // Text before "://" that is no scheme does not make an absolute-form target.
  EXPECT_EQ(redacted_url("http", "h", "x/y?token=abc&u=http://z", o),
            "http://hx/y?token=REDACTED&u=http://z");
  // Keys are compared decoded; a key that cannot be decoded is redacted.
  EXPECT_EQ(redacted_url("http", "h", "/p?pass%77ord=1&%zz=2&ok%21=3", o),
            "http://h/p?pass%77ord=REDACTED&%zz=REDACTED&ok%21=3");
  o.omit_query = true;
  EXPECT_EQ(redacted_url("https", "h", "/p?a=1", o), "https://h/p");
}

INSTANTIATE_TEST_SUITE_P(Order, TracingTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "TracingFirst" : "AfterAccessLog";
                         });

}  // namespace
}  // namespace tracekit::http
