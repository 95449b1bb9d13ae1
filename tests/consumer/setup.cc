// tracekit::setup: configure_tracing() from the environment with the console exporter; the
// span's OTLP/JSON line reaches stdout on shutdown.
#include <cstdlib>

#include "check.h"
#include "tracekit/setup.h"
#include "tracekit/tracer_provider.h"

int main() {
  setenv("OTEL_TRACING_ENABLED", "true", 1);
  setenv("OTEL_TRACES_EXPORTER", "console", 1);
  auto configured = tracekit::configure_tracing();
  if (!configured)
    std::fprintf(stderr, "configure_tracing: %s\n", configured.error().message.c_str());
  CONSUMER_CHECK(static_cast<bool>(configured));
  tracekit::get_tracer("consumer").start_span("configured").end();
  CONSUMER_CHECK(tracekit::shutdown_tracing());
  std::printf("setup: ok\n");
  return 0;
}
