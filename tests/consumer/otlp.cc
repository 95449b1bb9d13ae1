// tracekit::otlp: one span sent over OTLP/HTTP (protobuf) and over OTLP/gRPC to the endpoints
// given on the command line (scripts/consumer_test.sh starts the installed tracekit-collector);
// both exports must be acknowledged.
#include <chrono>
#include <memory>
#include <string>

#include "check.h"
#include "tracekit/exporters/memory.h"
#include "tracekit/otlp/exporter.h"
#include "tracekit/span_processor.h"
#include "tracekit/tracer_provider.h"

int main(int argc, char** argv) {
  CONSUMER_CHECK(argc == 3);  // http://127.0.0.1:<http port>/v1/traces http://127.0.0.1:<grpc port>
  auto exporter = std::make_unique<tracekit::InMemorySpanExporter>();
  auto store = exporter->store();
  tracekit::TracerProviderOptions options;
  options.processors.push_back(
      std::make_unique<tracekit::SimpleSpanProcessor>(std::move(exporter)));
  auto provider = std::make_shared<tracekit::TracerProvider>(std::move(options));
  provider->get_tracer("consumer").start_span("exported").end();
  CONSUMER_CHECK(provider->shutdown());
  const auto spans = store->spans();
  CONSUMER_CHECK(spans.size() == 1);

  for (auto [protocol, endpoint] : {std::pair{tracekit::OtlpProtocol::kHttpProtobuf, argv[1]},
                                    std::pair{tracekit::OtlpProtocol::kGrpc, argv[2]}}) {
    tracekit::OtlpConfig config;
    config.protocol = protocol;
    config.endpoint = endpoint;
    config.insecure = true;
    config.timeout = std::chrono::seconds(5);
    auto otlp = tracekit::otlp::OtlpExporter::create(config);
    CONSUMER_CHECK(static_cast<bool>(otlp));
    auto result =
        (*otlp)->export_spans(spans, std::chrono::steady_clock::now() + std::chrono::seconds(10));
    if (!result.ok())
      std::fprintf(stderr, "export to %s failed: %s\n", endpoint, result.error.c_str());
    CONSUMER_CHECK(result.ok());
    (*otlp)->shutdown(std::chrono::seconds(1));
  }
  std::printf("otlp: ok\n");
  return 0;
}
