// An OTLP/gRPC receiver for load tests: accepts and counts spans (the test receiver from
// tests/integration, keeping nothing). Prints "endpoint <url>"; on SIGTERM/SIGINT prints
// "spans <n>" and exits.
#include <csignal>
#include <cstdio>

#include "receivers.h"

namespace {
volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) {
  g_stop = 1;
}
}  // namespace

int main() {
  tracekit::testing::GrpcReceiver receiver(
      tracekit::testing::GrpcReceiver::Options{.keep_requests = false});
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  std::printf("endpoint %s\n", receiver.endpoint().c_str());
  std::fflush(stdout);
  while (!g_stop) {
    struct timespec ts {
      0, 50 * 1000 * 1000
    };
    nanosleep(&ts, nullptr);
  }
  std::printf("spans %zu\n", receiver.spans_accepted());
  std::fflush(stdout);
  return 0;
}
