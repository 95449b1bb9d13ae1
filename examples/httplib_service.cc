// SPDX-License-Identifier: Apache-2.0
// A cpp-httplib service traced with tracekit's adapter (tracekit/httplib/tracing.h): the
// "inventory" service of the gRPC example, and the cpp-httplib recipe of the README.
//
//   tracekit-example-httplib [PORT_FILE]
// listens on 127.0.0.1 (port from INVENTORY_PORT, default 0 = any free one), writes the port to
// PORT_FILE when given, and serves GET /items/{id} (traced) and GET /healthz (excluded) until
// SIGTERM/SIGINT. Tracing is configured from the environment (OTEL_*, OTEL_SERVICE_NAME).
#include <httplib.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "tracekit/httplib/tracing.h"
#include "tracekit/tracekit.h"

namespace {
httplib::Server* g_server = nullptr;
extern "C" void stop_server(int) {
  if (g_server) g_server->stop();
}
}  // namespace

int main(int argc, char** argv) {
  if (auto configured = tracekit::configure_tracing(); !configured) {
    std::fprintf(stderr, "tracing set-up failed: %s\n", configured.error().message.c_str());
    return 2;
  }
  httplib::Server server;
  tracekit::httplib::Tracing tracing;  // TracingOptions{} as for tracekit's own middleware
  server.Get(R"(/items/(\w+))",
             tracing.traced("/items/{id}", [](const httplib::Request& req, httplib::Response& res) {
               // The request's SERVER span is current: this span is its child.
               auto lookup =
                   tracekit::get_tracer("inventory").start_as_current_span("inventory.lookup");
               lookup.set_attribute("item.id", std::string(req.matches[1]));
               res.set_content("{\"id\":\"" + std::string(req.matches[1]) + "\",\"stock\":3}",
                               "application/json");
             }));
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });

  const char* port_env = std::getenv("INVENTORY_PORT");
  const int wanted = port_env ? std::atoi(port_env) : 0;
  const int port = wanted > 0 && server.bind_to_port("127.0.0.1", wanted)
                       ? wanted
                       : (wanted > 0 ? -1 : server.bind_to_any_port("127.0.0.1"));
  if (port <= 0) {
    std::fprintf(stderr, "inventory: cannot listen on 127.0.0.1:%d\n", wanted);
    return 1;
  }
  if (argc > 1) std::ofstream(argv[1]) << port << "\n";
  std::printf("inventory listening on http://127.0.0.1:%d\n", port);
  std::fflush(stdout);
  g_server = &server;
  std::signal(SIGTERM, stop_server);
  std::signal(SIGINT, stop_server);
  server.listen_after_bind();
  tracekit::shutdown_tracing();
  return 0;
}
