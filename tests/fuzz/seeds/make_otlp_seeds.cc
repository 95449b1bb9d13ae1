// SPDX-License-Identifier: Apache-2.0
// Writes the OTLP seeds of tests/fuzz/corpus/ with the project's own encoders: real spans from a
// TracerProvider (every attribute type, events, a link, a parent, an error status, two services)
// encoded by tracekit::otlp::encode_request (protobuf) and tracekit::otlp_json (JSON), and the
// answers a receiver gives (google.rpc.Status with RetryInfo, partial success) serialized with
// libprotobuf's generated classes. Not part of any build; from the repository root, after a
// release build:
//   g++ -std=c++20 -O1 -Iinclude -Ibuild/release/generated/include \
//     -Ibuild/release/src/otlp/gen tests/fuzz/seeds/make_otlp_seeds.cc \
//     build/release/src/otlp/libtracekit_otlp.a build/release/src/otlp/libtracekit_otlp_proto.a \
//     build/release/src/core/libtracekit_core.a -lgrpc++ -lprotobuf -lz -lcurl -o /tmp/make_seeds
//   /tmp/make_seeds tests/fuzz/corpus
#include <filesystem>
#include <fstream>

#include "google/rpc/retry_info.pb.h"
#include "google/rpc/status.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "tracekit/exporters/memory.h"
#include "tracekit/otlp/encoder.h"
#include "tracekit/otlp_json.h"
#include "tracekit/span_processor.h"
#include "tracekit/tracer_provider.h"

using namespace tracekit;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& dir, const std::string& name, std::string_view bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

// The spans' protobuf and JSON encodings (encoded while their provider lives: spans refer to it).
std::pair<std::string, std::string> encoded_spans(const std::string& service, int variant) {
  auto store = std::make_shared<InMemorySpanStore>();
  TracerProviderOptions o;
  OwnedAttributes attrs;
  attrs.set("service.name", AttributeValue(std::string_view(service)));
  attrs.set("service.version", AttributeValue(std::string_view("1.4.2")));
  o.resource = Resource::sdk_default().merge(Resource(std::move(attrs)));
  o.processors.push_back(
      std::make_unique<SimpleSpanProcessor>(std::make_unique<InMemorySpanExporter>(store)));
  TracerProvider provider(std::move(o));
  Tracer& tracer = provider.get_tracer("skriptoteket.web", "0.1.0");
  if (variant == 0) {
    Span root = tracer.start_span("GET /tools/{id}", {.kind = SpanKind::kServer});
    root.set_attribute("http.method", "GET");
    root.set_attribute("http.route", "/tools/{id}");
    root.set_attribute("http.status_code", int64_t{200});
  } else {
    Span root = tracer.start_span("POST /tools/{id}/versions/{version_id}/run",
                                  {.kind = SpanKind::kServer});
    root.set_attribute("http.method", "POST");
    root.set_attribute("http.status_code", int64_t{500});
    root.set_attribute("sampled.ratio", 0.25);
    root.set_attribute("retry", true);
    std::vector<int64_t> codes = {1, 2, 3};
    root.set_attribute("codes", codes);
    root.add_event("process_started", {{"pid", int64_t{4242}}});
    root.set_status(StatusCode::kError, "script exited with status 1");
    Span child = tracer.start_span("execute_tool_version", {.parent = root.context()});
    child.set_attribute("tool.id", "7f1c1c1e-2b1a-4d5e-9d3e-1a2b3c4d5e6f");
    child.add_link(root.context(), {{"link.kind", "follows"}});
  }
  std::string proto, json;
  otlp::encode_request(store->spans(), proto);
  otlp_json::encode_request(store->spans(), json);
  return {proto, json};
}

}  // namespace

int main(int argc, char** argv) {
  const fs::path out = argc > 1 ? argv[1] : "tests/fuzz/corpus";
  for (int variant : {0, 1}) {
    const auto [proto, json] =
        encoded_spans(variant ? "skriptoteket-web" : "skriptoteket-runner", variant);
    const std::string name = variant ? "run_error" : "get_tool";
    write(out / "fuzz_otlp_protobuf", name, proto);
    write(out / "fuzz_otlp_json", name, json);
    write(out / "fuzz_grpc_raw", name, std::string(1, static_cast<char>(variant * 2)) + proto);
  }

  google::rpc::Status status;
  status.set_code(14);  // UNAVAILABLE
  status.set_message("the collector's write queue is full; retry later");
  google::rpc::RetryInfo retry;
  retry.mutable_retry_delay()->set_seconds(2);
  retry.mutable_retry_delay()->set_nanos(500000000);
  status.add_details()->PackFrom(retry);
  write(out / "fuzz_otlp_response", "status_retry",
        std::string(1, '\0') + status.SerializeAsString());
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse response;
  response.mutable_partial_success()->set_rejected_spans(2);
  response.mutable_partial_success()->set_error_message(
      "2 span(s) refused: trace_id is not 16 bytes");
  write(out / "fuzz_otlp_response", "partial_success",
        std::string(1, '\1') + response.SerializeAsString());
  write(out / "fuzz_otlp_response", "partial_success_json",
        std::string(1, '\2') +
            R"({"partialSuccess":{"rejectedSpans":"2","errorMessage":"2 span(s) refused"}})");
  write(out / "fuzz_otlp_response", "empty_json", std::string(1, '\2') + "{}");
  return 0;
}
