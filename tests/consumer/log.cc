// tracekit::log: a JSON line written inside a span carries that span's trace_id.
#include <memory>
#include <string>

#include "check.h"
#include "tracekit/exporters/memory.h"
#include "tracekit/log/logger.h"
#include "tracekit/span_processor.h"
#include "tracekit/tracer_provider.h"

int main() {
  tracekit::TracerProviderOptions options;
  options.processors.push_back(std::make_unique<tracekit::SimpleSpanProcessor>(
      std::make_unique<tracekit::InMemorySpanExporter>()));
  tracekit::set_global_tracer_provider(
      std::make_shared<tracekit::TracerProvider>(std::move(options)));

  auto sink = std::make_shared<tracekit::log::MemorySink>();
  tracekit::log::set_sink(sink);
  std::string trace_id;
  {
    auto span = tracekit::get_tracer("consumer").start_as_current_span("logged");
    trace_id = span.context().trace_id().to_hex();
    tracekit::log::Logger("consumer").info("consumer.event", {{"answer", 42}});
  }
  const auto lines = sink->lines();
  CONSUMER_CHECK(lines.size() == 1);
  CONSUMER_CHECK(lines[0].find("\"event\":\"consumer.event\"") != std::string::npos);
  CONSUMER_CHECK(lines[0].find("\"trace_id\":\"" + trace_id + "\"") != std::string::npos);
  std::printf("log: ok\n");
  return 0;
}
