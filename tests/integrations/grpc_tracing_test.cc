// SPDX-License-Identifier: Apache-2.0
// The gRPC interceptors on a real grpc++ server and client over loopback: parent/child across the
// hop, attributes, status for OK and each error class, an exception, deadline exceeded,
// cancellation, a streaming call, an invalid incoming traceparent, the callback API, and 1,000
// concurrent RPCs without context leaking between them.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "http_test_support.h"
#include "tracekit/examples/v1/echo.grpc.pb.h"
#include "tracekit/grpc/interceptors.h"
#include "tracekit/grpc/metadata.h"

namespace tracekit::grpc {
namespace {

using namespace std::chrono_literals;
using http::testing::attr_int;
using http::testing::attr_str;
using http::testing::span_store;
using http::testing::wait_for_span;
using tracekit::examples::v1::Echo;
using tracekit::examples::v1::EchoReply;
using tracekit::examples::v1::EchoRequest;

constexpr std::string_view kSay = "tracekit.examples.v1.Echo/Say";
constexpr std::string_view kCount = "tracekit.examples.v1.Echo/Count";

void fill_ids(EchoReply* reply) {
  const SpanContext& sc = Context::current().span_context();
  reply->set_trace_id(sc.trace_id().to_hex());
  reply->set_span_id(sc.span_id().to_hex());
}

// Waits up to `ms` for the call to be cancelled (deadline or client), in small steps.
void wait_or_cancelled(::grpc::ServerContext* ctx, int ms) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < until && !ctx->IsCancelled()) {
    std::this_thread::sleep_for(2ms);
  }
}

class SyncEcho final : public Echo::Service {
 public:
  // Calls that reached the waiting branch: a test cancels only once the server has its call.
  std::atomic<int> waiting_calls{0};

 private:
  ::grpc::Status Say(::grpc::ServerContext* ctx, const EchoRequest* req,
                     EchoReply* reply) override {
    if (req->text() == "throw") throw std::runtime_error("handler exploded");
    if (req->text() == "sleep") {
      std::this_thread::sleep_for(std::chrono::milliseconds(req->delay_ms()));  // never looks
    } else if (req->delay_ms() > 0) {
      waiting_calls.fetch_add(1);
      wait_or_cancelled(ctx, req->delay_ms());
    }
    fill_ids(reply);
    reply->set_text(req->text());
    // A span of the handler's own joins the trace.
    get_tracer("handler").start_span("handler.work").end();
    return ::grpc::Status(static_cast<::grpc::StatusCode>(req->status_code()), "as asked");
  }
  ::grpc::Status Count(::grpc::ServerContext*, const EchoRequest* req,
                       ::grpc::ServerWriter<EchoReply>* writer) override {
    for (int i = 0; i < req->count(); ++i) {
      EchoReply r;
      fill_ids(&r);
      r.set_text(std::to_string(i));
      writer->Write(r);
    }
    return ::grpc::Status::OK;
  }
};

class CallbackEcho final : public Echo::CallbackService {
  ::grpc::ServerUnaryReactor* Say(::grpc::CallbackServerContext* ctx, const EchoRequest* req,
                                  EchoReply* reply) override {
    fill_ids(reply);
    reply->set_text(req->text());
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(::grpc::Status::OK);
    return reactor;
  }
};

struct RunningServer {
  std::unique_ptr<::grpc::Server> server;
  int port = 0;
};

RunningServer start_server(::grpc::Service* service, bool traced = true) {
  RunningServer out;
  ::grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", ::grpc::InsecureServerCredentials(), &out.port);
  builder.RegisterService(service);
  if (traced) add_server_interceptors(builder, {.address = "127.0.0.1"});
  out.server = builder.BuildAndStart();
  return out;
}

class GrpcTracingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    span_store()->clear();
    srv_ = start_server(&service_);
    ASSERT_TRUE(srv_.server);
    target_ = "127.0.0.1:" + std::to_string(srv_.port);
    stub_ = Echo::NewStub(create_channel(target_, ::grpc::InsecureChannelCredentials()));
  }
  void TearDown() override { srv_.server->Shutdown(std::chrono::system_clock::now() + 2s); }

  ::grpc::Status say(EchoRequest req, EchoReply* reply, std::chrono::milliseconds deadline = 10s) {
    ::grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + deadline);
    return stub_->Say(&ctx, req, reply);
  }
  // One call that succeeds, so that the connection exists: a call with a short deadline must
  // reach the server (under ThreadSanitizer connecting alone can take longer than the deadline).
  void connect() {
    EchoReply reply;
    ASSERT_TRUE(say(request("connect"), &reply).ok());
  }
  static EchoRequest request(std::string text, int status = 0, int delay_ms = 0) {
    EchoRequest r;
    r.set_text(std::move(text));
    r.set_status_code(status);
    r.set_delay_ms(delay_ms);
    return r;
  }

  SyncEcho service_;
  RunningServer srv_;
  std::string target_;
  std::unique_ptr<Echo::Stub> stub_;
};

SpanDataPtr span_of_kind(std::string_view name, const std::string& trace, SpanKind kind) {
  SpanDataPtr found;
  testing_wait(
      [&] {
        for (auto& s : span_store()->spans()) {
          if (s->name() == name && s->kind() == kind && s->context().trace_id().to_hex() == trace) {
            found = s;
            return true;
          }
        }
        return false;
      },
      10s);
  return found;
}

TEST_F(GrpcTracingTest, UnaryCallIsOneTreeAcrossTheHop) {
  EchoReply reply;
  SpanContext caller;
  {
    auto scoped = get_tracer("test").start_as_current_span("caller");
    caller = current_span().context();
    ASSERT_TRUE(say(request("hi"), &reply).ok());
  }
  const std::string trace = caller.trace_id().to_hex();
  auto client = span_of_kind(kSay, trace, SpanKind::kClient);
  auto server = span_of_kind(kSay, trace, SpanKind::kServer);
  ASSERT_TRUE(client && server);
  EXPECT_EQ(client->parent_span_id(), caller.span_id());
  EXPECT_EQ(server->parent_span_id(), client->context().span_id());
  // The server span was current in the handler, and the handler's own span is its child.
  EXPECT_EQ(reply.trace_id(), trace);
  EXPECT_EQ(reply.span_id(), server->context().span_id().to_hex());
  auto work = span_of_kind("handler.work", trace, SpanKind::kInternal);
  ASSERT_TRUE(work);
  EXPECT_EQ(work->parent_span_id(), server->context().span_id());

  for (const auto& s : {client, server}) {
    EXPECT_EQ(attr_str(*s, "rpc.system"), "grpc");
    EXPECT_EQ(attr_str(*s, "rpc.service"), "tracekit.examples.v1.Echo");
    EXPECT_EQ(attr_str(*s, "rpc.method"), "Say");
    EXPECT_EQ(attr_int(*s, "rpc.grpc.status_code"), 0);
    EXPECT_EQ(attr_str(*s, "server.address"), "127.0.0.1");
    EXPECT_EQ(s->status_code(), StatusCode::kUnset);
  }
  EXPECT_EQ(attr_int(*client, "server.port"), srv_.port);
}

// server.address and server.port come from the target the options name (the channel here goes
// to the loopback server whatever they say): a resolver's authority is not the server, a socket
// has no port, and a scheme of another resolver names no server at all.
TEST_F(GrpcTracingTest, TheServerIsNamedFromEachFormOfTarget) {
  struct Case {
    std::string target;
    std::string address;  // empty: no server.address attribute
    int64_t port;         // 0: no server.port attribute
  };
  for (const Case& c :
       {Case{"dns://8.8.8.8/svc.internal:50051", "svc.internal", 50051},
        Case{"dns:///svc.internal:7000", "svc.internal", 7000},
        Case{"dns:svc.internal", "svc.internal", 443}, Case{"ipv6:[::1]:9000", "::1", 9000},
        Case{"unix:///tmp/echo.sock", "/tmp/echo.sock", 0},
        Case{"unix:relative.sock", "relative.sock", 0}, Case{"xds:///echo-service", "", 0}}) {
    SCOPED_TRACE(c.target);
    auto stub = Echo::NewStub(create_channel(target_, ::grpc::InsecureChannelCredentials(), {},
                                             ClientTracingOptions{.target = c.target}));
    auto scoped = get_tracer("test").start_as_current_span("caller");
    const std::string trace = current_span().context().trace_id().to_hex();
    ::grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    EchoReply reply;
    ASSERT_TRUE(stub->Say(&ctx, request("hi"), &reply).ok());
    auto client = span_of_kind(kSay, trace, SpanKind::kClient);
    ASSERT_TRUE(client);
    const auto& attrs = client->attributes();
    const auto has = [&](std::string_view key) {
      return std::any_of(attrs.begin(), attrs.end(),
                         [&](const KeyValue& kv) { return kv.key == key; });
    };
    if (c.address.empty()) {
      EXPECT_FALSE(has("server.address"));
    } else {
      EXPECT_EQ(attr_str(*client, "server.address"), c.address);
    }
    if (c.port == 0) {
      EXPECT_FALSE(has("server.port"));
    } else {
      EXPECT_EQ(attr_int(*client, "server.port"), c.port);
    }
  }
}

TEST_F(GrpcTracingTest, ErrorClassesFollowTheConventions) {
  struct Case {
    ::grpc::StatusCode code;
    bool server_error;
  };
  for (Case c :
       {Case{::grpc::StatusCode::NOT_FOUND, false},
        Case{::grpc::StatusCode::INVALID_ARGUMENT, false}, Case{::grpc::StatusCode::INTERNAL, true},
        Case{::grpc::StatusCode::UNAVAILABLE, true}}) {
    SCOPED_TRACE(static_cast<int>(c.code));
    span_store()->clear();
    auto scoped = get_tracer("test").start_as_current_span("caller");
    const std::string trace = current_span().context().trace_id().to_hex();
    EchoReply reply;
    EXPECT_EQ(say(request("x", c.code), &reply).error_code(), c.code);
    auto client = span_of_kind(kSay, trace, SpanKind::kClient);
    auto server = span_of_kind(kSay, trace, SpanKind::kServer);
    ASSERT_TRUE(client && server);
    EXPECT_EQ(attr_int(*client, "rpc.grpc.status_code"), static_cast<int>(c.code));
    EXPECT_EQ(attr_int(*server, "rpc.grpc.status_code"), static_cast<int>(c.code));
    EXPECT_EQ(client->status_code(), StatusCode::kError);  // clients: every non-OK code
    EXPECT_EQ(client->status_description(), "as asked");
    EXPECT_EQ(server->status_code(), c.server_error ? StatusCode::kError : StatusCode::kUnset);
  }
}

TEST_F(GrpcTracingTest, HandlerExceptionIsRecorded) {
  auto scoped = get_tracer("test").start_as_current_span("caller");
  const std::string trace = current_span().context().trace_id().to_hex();
  EchoReply reply;
  EXPECT_EQ(say(request("throw"), &reply).error_code(), ::grpc::StatusCode::UNKNOWN);
  auto server = span_of_kind(kSay, trace, SpanKind::kServer);
  ASSERT_TRUE(server);
  EXPECT_EQ(server->status_code(), StatusCode::kError);
  EXPECT_EQ(attr_int(*server, "rpc.grpc.status_code"), 2);
  bool exception_event = false;
  for (const auto& e : server->events())
    exception_event |= e.name == "exception";
  EXPECT_TRUE(exception_event);
}

TEST_F(GrpcTracingTest, DeadlineExceededIsRecordedOnBothSides) {
  connect();  // outside the trace: its spans are not the ones looked for
  auto scoped = get_tracer("test").start_as_current_span("caller");
  const std::string trace = current_span().context().trace_id().to_hex();
  EchoReply reply;
  // A deadline of 1 s: the server tells the deadline's cancellation from the client's by the time
  // left (a tenth of it), and a loaded machine delays the client's headers by tens of ms.
  EXPECT_EQ(say(request("slow", 0, 5000), &reply, 1s).error_code(),
            ::grpc::StatusCode::DEADLINE_EXCEEDED);
  auto client = span_of_kind(kSay, trace, SpanKind::kClient);
  auto server = span_of_kind(kSay, trace, SpanKind::kServer);
  ASSERT_TRUE(client && server);
  EXPECT_EQ(attr_int(*client, "rpc.grpc.status_code"), 4);
  EXPECT_EQ(client->status_code(), StatusCode::kError);
  EXPECT_EQ(attr_int(*server, "rpc.grpc.status_code"), 4);
  EXPECT_EQ(server->status_code(), StatusCode::kError);
}

// A handler that never asks whether its call is cancelled and returns after the deadline: the
// status it sends never reaches the client, and the server span says DEADLINE_EXCEEDED.
TEST_F(GrpcTracingTest, DeadlinePassedInAHandlerThatNeverLooksIsRecorded) {
  connect();  // outside the trace: its spans are not the ones looked for
  auto scoped = get_tracer("test").start_as_current_span("caller");
  const std::string trace = current_span().context().trace_id().to_hex();
  EchoReply reply;
  // A deadline of 1 s against a 2.4 s handler: a loaded machine may take hundreds of ms to
  // deliver the call, and with a shorter deadline the handler might never run.
  EXPECT_EQ(say(request("sleep", 0, 2400), &reply, 1s).error_code(),
            ::grpc::StatusCode::DEADLINE_EXCEEDED);
  auto server = span_of_kind(kSay, trace, SpanKind::kServer);
  ASSERT_TRUE(server);
  EXPECT_EQ(attr_int(*server, "rpc.grpc.status_code"), 4);
  EXPECT_EQ(server->status_code(), StatusCode::kError);
}

TEST_F(GrpcTracingTest, CancellationIsRecordedAndIsNoServerError) {
  connect();  // outside the trace: its spans are not the ones looked for
  auto scoped = get_tracer("test").start_as_current_span("caller");
  const std::string trace = current_span().context().trace_id().to_hex();
  ::grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 10s);
  // Cancelled once the server runs the call: cancelled earlier (a slow machine, ThreadSanitizer)
  // the call never reaches the server and there is no server span to look at.
  std::thread canceller([&] {
    testing_wait([&] { return service_.waiting_calls.load() > 0; }, 10s);
    ctx.TryCancel();
  });
  EchoReply reply;
  const auto status = stub_->Say(&ctx, request("slow", 0, 5000), &reply);
  canceller.join();
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::CANCELLED);
  auto client = span_of_kind(kSay, trace, SpanKind::kClient);
  auto server = span_of_kind(kSay, trace, SpanKind::kServer);
  ASSERT_TRUE(client && server);
  EXPECT_EQ(attr_int(*client, "rpc.grpc.status_code"), 1);
  EXPECT_EQ(client->status_code(), StatusCode::kError);
  EXPECT_EQ(attr_int(*server, "rpc.grpc.status_code"), 1);
  EXPECT_EQ(server->status_code(), StatusCode::kUnset);
}

TEST_F(GrpcTracingTest, StreamingCallIsOneSpanEachSide) {
  auto scoped = get_tracer("test").start_as_current_span("caller");
  const std::string trace = current_span().context().trace_id().to_hex();
  ::grpc::ClientContext ctx;
  EchoRequest req;
  req.set_count(3);
  auto reader = stub_->Count(&ctx, req);
  EchoReply r;
  int n = 0;
  std::string server_span_id;
  while (reader->Read(&r)) {
    ++n;
    server_span_id = r.span_id();
  }
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(n, 3);
  auto server = span_of_kind(kCount, trace, SpanKind::kServer);
  ASSERT_TRUE(server);
  EXPECT_EQ(server_span_id, server->context().span_id().to_hex());
  int client_spans = 0, server_spans = 0;
  for (auto& s : span_store()->spans()) {
    if (s->name() != kCount) continue;
    client_spans += s->kind() == SpanKind::kClient;
    server_spans += s->kind() == SpanKind::kServer;
  }
  EXPECT_EQ(client_spans, 1);
  EXPECT_EQ(server_spans, 1);
}

TEST_F(GrpcTracingTest, InvalidTraceparentStartsANewTrace) {
  // A plain channel (no client interceptor) sending a malformed traceparent by hand.
  auto plain = Echo::NewStub(::grpc::CreateChannel(target_, ::grpc::InsecureChannelCredentials()));
  ::grpc::ClientContext ctx;
  ctx.AddMetadata("traceparent", "00-not-a-trace-id-at-all-01");
  EchoReply reply;
  ASSERT_TRUE(plain->Say(&ctx, request("x"), &reply).ok());
  auto server = span_of_kind(kSay, reply.trace_id(), SpanKind::kServer);
  ASSERT_TRUE(server);
  EXPECT_FALSE(server->parent_span_id().is_valid());
  EXPECT_EQ(reply.trace_id().size(), 32u);
}

TEST_F(GrpcTracingTest, ClientContextCarrierWithoutInterceptors) {
  auto plain = Echo::NewStub(::grpc::CreateChannel(target_, ::grpc::InsecureChannelCredentials()));
  auto scoped = get_tracer("test").start_as_current_span("by-hand");
  ::grpc::ClientContext ctx;
  propagation::inject(ctx);
  EchoReply reply;
  ASSERT_TRUE(plain->Say(&ctx, request("x"), &reply).ok());
  EXPECT_EQ(reply.trace_id(), current_span().context().trace_id().to_hex());
}

TEST(GrpcCallbackApi, ServerSpanIsCurrentInTheMethod) {
  span_store()->clear();
  CallbackEcho service;
  auto srv = start_server(&service);
  ASSERT_TRUE(srv.server);
  auto stub = Echo::NewStub(create_channel("127.0.0.1:" + std::to_string(srv.port),
                                           ::grpc::InsecureChannelCredentials()));
  auto scoped = get_tracer("test").start_as_current_span("caller");
  const std::string trace = current_span().context().trace_id().to_hex();
  ::grpc::ClientContext ctx;
  EchoReply reply;
  ASSERT_TRUE(stub->Say(&ctx, EchoRequest(), &reply).ok());
  auto server = span_of_kind(kSay, trace, SpanKind::kServer);
  ASSERT_TRUE(server);
  EXPECT_EQ(reply.span_id(), server->context().span_id().to_hex());
  srv.server->Shutdown(std::chrono::system_clock::now() + 2s);
}

// Tracing off (a provider that samples nothing): the calls behave the same and nothing is
// recorded on either side.
TEST(GrpcTracingOff, CallsWorkAndRecordNothing) {
  span_store()->clear();
  TracerProviderOptions o;
  o.sampler = samplers::always_off();
  TracerProvider off(std::move(o));
  SyncEcho service;
  RunningServer srv;
  ::grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", ::grpc::InsecureServerCredentials(), &srv.port);
  builder.RegisterService(&service);
  add_server_interceptors(builder, {.tracer = &off.get_tracer("off")});
  srv.server = builder.BuildAndStart();
  ASSERT_TRUE(srv.server);
  auto stub = Echo::NewStub(create_channel("127.0.0.1:" + std::to_string(srv.port),
                                           ::grpc::InsecureChannelCredentials(), {},
                                           {.tracer = &off.get_tracer("off")}));
  for (int code : {0, 5}) {
    ::grpc::ClientContext ctx;
    EchoRequest req;
    req.set_text("quiet");
    req.set_status_code(code);
    EchoReply reply;
    EXPECT_EQ(stub->Say(&ctx, req, &reply).error_code(), static_cast<::grpc::StatusCode>(code));
  }
  srv.server->Shutdown(std::chrono::system_clock::now() + 2s);
  for (auto& s : span_store()->spans())
    EXPECT_NE(s->name(), kSay);
}

// 1,000 RPCs in flight at once from the callback client API, each started under its own parent
// span: every handler must see its own caller's trace, never another's.
TEST_F(GrpcTracingTest, ConcurrentCallsDoNotShareContext) {
  constexpr int kCalls = 1000;
  struct Call {
    ::grpc::ClientContext ctx;
    EchoRequest req;
    EchoReply reply;
    std::string expected_trace;
    ::grpc::Status status;
  };
  std::vector<std::unique_ptr<Call>> calls(kCalls);
  std::mutex mu;
  std::condition_variable cv;
  int done = 0;
  for (int i = 0; i < kCalls; ++i) {
    auto& c = calls[i] = std::make_unique<Call>();
    c->ctx.set_deadline(std::chrono::system_clock::now() + 60s);
    c->req.set_text(std::to_string(i));
    auto parent = get_tracer("test").start_span("parent");
    c->expected_trace = parent.context().trace_id().to_hex();
    Scope scope(parent);
    stub_->async()->Say(&c->ctx, &c->req, &c->reply, [&, call = c.get()](::grpc::Status s) {
      std::lock_guard lock(mu);
      call->status = std::move(s);
      ++done;
      cv.notify_one();
    });
    parent.end();
  }
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 120s, [&] { return done == kCalls; }));
  }
  int wrong = 0;
  for (auto& c : calls) {
    ASSERT_TRUE(c->status.ok()) << c->status.error_message();
    wrong += c->reply.trace_id() != c->expected_trace;
  }
  EXPECT_EQ(wrong, 0);
}

}  // namespace
}  // namespace tracekit::grpc
