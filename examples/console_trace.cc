// SPDX-License-Identifier: Apache-2.0
// A small trace, printed by the console exporter as OTLP/JSON lines: the seed's shapes (a SERVER
// span for "POST /tools/{id}/run", the business span `execute_tool_version`, and a runner span
// with the three events of a run), configured the way a service would be, from the environment.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>

#include "tracekit/tracekit.h"

int main() {
  // The example always traces to the console; everything else comes from the environment.
  setenv("OTEL_TRACING_ENABLED", "true", 0);
  setenv("OTEL_TRACES_EXPORTER", "console", 0);
  setenv("OTEL_SERVICE_NAME", "skriptoteket-example", 0);
  // The program's own values, handed over explicitly (the library reads no SERVICE_VERSION).
  tracekit::ConfigOptions options;
  options.service_version = tracekit::ProgramValue{"0.1.0", "example default"};
  options.deployment_environment = tracekit::ProgramValue{"development", "example default"};
  if (auto configured = tracekit::configure_tracing(options); !configured) {
    std::fprintf(stderr, "tracing set-up failed: %s\n", configured.error().message.c_str());
    return 2;
  }

  tracekit::Tracer& tracer = tracekit::get_tracer("tracekit.example", "0.1.0");
  {
    // What the HTTP middleware does for an incoming request with a traceparent header.
    std::map<std::string, std::string> headers = {
        {"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}};
    tracekit::Context incoming = tracekit::propagation::extract(headers);
    auto request = tracer.start_as_current_span(
        "POST /tools/{id}/run", {.kind = tracekit::SpanKind::kServer, .parent = incoming});
    request.set_attribute("http.method", "POST");
    request.set_attribute("http.route", "/tools/{id}/run");
    request.set_attribute("http.url", "http://localhost:8080/tools/42/run");
    {
      auto execute = tracer.start_as_current_span("execute_tool_version");
      execute.set_attribute("tool.id", "7f1c1c1e-2b1a-4d5e-9d3e-1a2b3c4d5e6f");
      execute.set_attribute("version.id", "0c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f");
      {
        auto runner = tracer.start_as_current_span("sandbox_runner.execute");
        runner.add_event("workdir_created", {{"path", "/tmp/run-1"}});
        runner.add_event("process_started", {{"pid", 4242}});
        runner.add_event("process_finished", {{"exit_code", 0}, {"timed_out", false}});
      }
      execute.set_attribute("run.id", "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d");
      execute.set_attribute("run.status", "succeeded");
    }
    try {
      throw std::runtime_error("a handled failure, recorded for the example");
    } catch (const std::exception& e) {
      request.record_exception(e);
    }
    request.set_attribute("http.status_code", 200);
  }
  tracekit::shutdown_tracing();
  return 0;
}
