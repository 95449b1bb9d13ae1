// tracekit::core alone: a provider with the in-memory exporter, a parent and a child span
// linked through the current context, traceparent injection, and the version macros.
#include <map>
#include <memory>
#include <string>

#include "check.h"
#include "tracekit/exporters/memory.h"
#include "tracekit/propagation/propagator.h"
#include "tracekit/propagation/w3c.h"
#include "tracekit/span_processor.h"
#include "tracekit/tracer_provider.h"
#include "tracekit/version.h"

#if !defined(TRACEKIT_VERSION_MAJOR) || TRACEKIT_VERSION < TRACEKIT_VERSION_AT_LEAST(0, 1, 0)
#error "tracekit/version.h gives no usable version"
#endif

int main() {
  auto exporter = std::make_unique<tracekit::InMemorySpanExporter>();
  auto store = exporter->store();
  tracekit::TracerProviderOptions options;
  options.processors.push_back(
      std::make_unique<tracekit::SimpleSpanProcessor>(std::move(exporter)));
  auto provider = std::make_shared<tracekit::TracerProvider>(std::move(options));
  tracekit::set_global_tracer_provider(provider);

  tracekit::propagation::set_global_propagator(
      std::make_unique<tracekit::propagation::TraceContextPropagator>());
  std::map<std::string, std::string> headers;
  {
    auto parent = tracekit::get_tracer("consumer").start_as_current_span("parent");
    auto child =
        tracekit::get_tracer("consumer").start_span("child", {.kind = tracekit::SpanKind::kClient});
    tracekit::propagation::inject(headers);
    child.end();
  }
  CONSUMER_CHECK(provider->shutdown());
  CONSUMER_CHECK(store->size() == 2);
  CONSUMER_CHECK(store->find("parent") != nullptr && store->find("child") != nullptr);
  CONSUMER_CHECK(store->find("child")->parent_span_id() ==
                 store->find("parent")->context().span_id());
  CONSUMER_CHECK(headers.count("traceparent") == 1);
  CONSUMER_CHECK(std::string(tracekit::kVersion) == TRACEKIT_VERSION_STRING);
  std::printf("core: ok (tracekit %s)\n", TRACEKIT_VERSION_STRING);
  return 0;
}
