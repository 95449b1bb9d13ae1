// SPDX-License-Identifier: Apache-2.0
// The small service scripts/load.sh drives with wrk: GET /hello answers a JSON greeting.
//   tracekit-http-load-server [--tracing] [--io-threads N]
// With --tracing, tracing is configured from the environment (OTEL_TRACING_ENABLED,
// OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_TRACES_SAMPLER, ...) and the tracing middleware is added.
// Prints "port <n>" once listening; SIGTERM stops it gracefully, flushes tracing and prints
// the tracer's counters to stderr.
#include <cstdio>
#include <cstring>
#include <string>

#include "tracekit/http/http.h"
#include "tracekit/tracekit.h"

int main(int argc, char** argv) {
  bool tracing = false;
  unsigned io_threads = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--tracing") == 0) {
      tracing = true;
    } else if (std::strcmp(argv[i], "--io-threads") == 0 && i + 1 < argc) {
      io_threads = static_cast<unsigned>(std::stoul(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: %s [--tracing] [--io-threads N]\n", argv[0]);
      return 2;
    }
  }
  if (tracing) {
    auto configured = tracekit::configure_tracing();
    if (!configured) {
      std::fprintf(stderr, "tracing: %s\n", configured.error().message.c_str());
      return 1;
    }
  }
  tracekit::http::Server server(tracekit::http::ServerOptions{.io_threads = io_threads});
  if (tracing) server.use(tracekit::http::tracing_middleware());
  server.route("GET", "/hello",
               [](tracekit::http::Request&) -> boost::asio::awaitable<tracekit::http::Response> {
                 co_return tracekit::http::Response::json(200, "{\"message\":\"hello\"}");
               });
  if (auto r = server.start(); !r) {
    std::fprintf(stderr, "%s\n", r.error().message.c_str());
    return 1;
  }
  std::printf("port %u\n", server.port());
  std::fflush(stdout);
  const int rc = server.run_until_signal();
  if (tracing) {
    tracekit::shutdown_tracing(std::chrono::seconds(5));
    if (auto provider = tracekit::global_tracer_provider()) {
      const auto s = provider->stats();
      std::fprintf(stderr, "spans_ended %llu dropped %llu\n",
                   static_cast<unsigned long long>(s.spans_ended),
                   static_cast<unsigned long long>(s.spans_dropped_queue_full));
    }
  }
  return rc;
}
