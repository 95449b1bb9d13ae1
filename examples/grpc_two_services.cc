// SPDX-License-Identifier: Apache-2.0
// The gRPC example: a client calls the "orders" gRPC service, whose handler calls the
// "inventory" HTTP service (examples/httplib_service.cc) with libcurl. With each process
// exporting to the embedded collector, the call is one trace tree across three services:
//
//   storefront  checkout (INTERNAL) -> tracekit.examples.v1.Echo/Say (CLIENT)
//   orders        tracekit.examples.v1.Echo/Say (SERVER) -> GET (CLIENT, libcurl)
//   inventory       GET /items/{id} (SERVER, cpp-httplib) -> inventory.lookup
//
//   tracekit-example-grpc server PORT_FILE INVENTORY_URL   serves until SIGTERM/SIGINT
//   tracekit-example-grpc client TARGET                    one call; prints "trace_id <hex>"
// scripts/grpc_example.sh runs all three with the collector and checks the tree.
#include <curl/curl.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>

#include "tracekit/curl/curl.h"
#include "tracekit/examples/v1/echo.grpc.pb.h"
#include "tracekit/grpc/interceptors.h"
#include "tracekit/tracekit.h"

namespace {

using tracekit::examples::v1::Echo;
using tracekit::examples::v1::EchoReply;
using tracekit::examples::v1::EchoRequest;

size_t append_body(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

class Orders final : public Echo::Service {
 public:
  explicit Orders(std::string inventory_url) : inventory_url_(std::move(inventory_url)) {}

  // The SERVER span is current here, so the libcurl call below is its child.
  grpc::Status Say(grpc::ServerContext*, const EchoRequest* req, EchoReply* reply) override {
    CURL* easy = curl_easy_init();
    if (!easy) return grpc::Status(grpc::StatusCode::INTERNAL, "curl_easy_init failed");
    std::string body;
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, append_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 5000L);
    CURLcode rc;
    long status;
    {
      tracekit::curl::TracedEasy call(easy);
      call.set_request("GET", inventory_url_ + "/items/" + req->text());
      rc = call.perform();
      status = call.response_code();
    }
    curl_easy_cleanup(easy);
    if (rc != CURLE_OK || status != 200) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "inventory did not answer");
    }
    reply->set_text(body);
    return grpc::Status::OK;
  }

 private:
  std::string inventory_url_;
};

std::mutex g_mu;
std::condition_variable g_cv;
std::atomic<bool> g_stop{false};
extern "C" void request_stop(int) {
  g_stop = true;
}  // polled below: no locking in a handler

int serve(const char* port_file, std::string inventory_url) {
  Orders service(std::move(inventory_url));
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  tracekit::grpc::add_server_interceptors(builder, {.address = "127.0.0.1"});
  auto server = builder.BuildAndStart();
  if (!server) {
    std::fprintf(stderr, "orders: the gRPC server did not start\n");
    return 1;
  }
  std::ofstream(port_file) << port << "\n";
  std::printf("orders listening on 127.0.0.1:%d\n", port);
  std::fflush(stdout);
  std::signal(SIGTERM, request_stop);
  std::signal(SIGINT, request_stop);
  std::unique_lock lock(g_mu);
  while (!g_stop)
    g_cv.wait_for(lock, std::chrono::milliseconds(100));
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  return 0;
}

int call(const std::string& target) {
  auto stub =
      Echo::NewStub(tracekit::grpc::create_channel(target, grpc::InsecureChannelCredentials()));
  auto checkout = tracekit::get_tracer("storefront").start_as_current_span("checkout");
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  EchoRequest req;
  req.set_text("7");
  EchoReply reply;
  const grpc::Status status = stub->Say(&ctx, req, &reply);
  std::printf("trace_id %s\n", tracekit::current_span().context().trace_id().to_hex().c_str());
  if (!status.ok()) {
    std::fprintf(stderr, "call failed: %s\n", status.error_message().c_str());
    return 1;
  }
  std::printf("reply %s\n", reply.text().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string role = argc > 1 ? argv[1] : "";
  if (!((role == "server" && argc == 4) || (role == "client" && argc == 3))) {
    std::fprintf(stderr, "usage: %s server PORT_FILE INVENTORY_URL | client TARGET\n",
                 argc > 0 ? argv[0] : "tracekit-example-grpc");
    return 2;
  }
  if (auto configured = tracekit::configure_tracing(); !configured) {
    std::fprintf(stderr, "tracing set-up failed: %s\n", configured.error().message.c_str());
    return 2;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const int rc = role == "server" ? serve(argv[2], argv[3]) : call(argv[2]);
  tracekit::shutdown_tracing();
  curl_global_cleanup();
  return rc;
}
