// SPDX-License-Identifier: Apache-2.0
// tracekit-collector: see options.cc (usage) and docs/collector.md.
#include <malloc.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "collector.h"
#include "options.h"
#include "options_variables.h"

int main(int argc, char** argv) {
  using namespace tracekit::collector;
  std::vector<std::string> args(argv + 1, argv + argc);
  // The collector's registered variables that are set (options_variables.h).
  std::map<std::string, std::string, std::less<>> environment;
  for (const auto& variable : kOptionVariables) {
    if (auto value = tracekit::config::read_env(variable))
      environment.emplace(variable.name, *value);
  }
  auto options = parse_options(args, [&environment](const char* name) -> const char* {
    auto it = environment.find(std::string_view(name));
    return it == environment.end() ? nullptr : it->second.c_str();
  });
  if (!options) {
    std::fprintf(stderr, "tracekit-collector: %s\n", options.error().message.c_str());
    return 2;
  }
  if (options->help) {
    std::fputs(usage().c_str(), stdout);
    return 0;
  }
  // Large buffers (request bodies, inflated messages, query pages) always get their own mapping,
  // which free() gives back at once: glibc otherwise raises this threshold after the first
  // large free, and the memory of a burst of large requests (or of refused gzip bombs) stays
  // with the process.
  mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
  // Block SIGINT/SIGTERM in every thread (the servers' threads inherit the mask); main waits
  // for them with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // Writing to a closed stdout (a parent that stopped reading) must not kill the collector.
  signal(SIGPIPE, SIG_IGN);

  auto collector = Collector::start(*options);
  if (!collector) {
    std::fprintf(stderr, "tracekit-collector: %s\n", collector.error().message.c_str());
    return 1;
  }
  Collector& c = **collector;
  const std::string& ui_host =
      options->ui.host == "0.0.0.0" ? std::string("127.0.0.1") : options->ui.host;
  std::printf(
      "tracekit-collector: OTLP/gRPC on %s:%d, OTLP/HTTP on http://%s:%d/v1/traces, data in %s\n",
      options->grpc.host.c_str(), c.grpc_port(), options->http.host.c_str(), c.http_port(),
      options->data_path.c_str());
  std::printf("tracekit-collector: viewer on http://%s:%d/\n", ui_host.c_str(), c.ui_port());
  std::printf("ready grpc=%d http=%d ui=%d\n", c.grpc_port(), c.http_port(), c.ui_port());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&signals, &sig);
  std::printf("tracekit-collector: stopping (signal %d)\n", sig);
  std::fflush(stdout);
  collector->reset();
  return 0;
}
