// Shared by the OTLP integration tests: a known set of spans covering every field OTLP carries,
// a checker that compares a decoded request with the span records field by field, OTLP/JSON to
// protobuf conversion, gunzip, and test certificates made with the openssl command.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "tracekit/tracekit.h"

namespace tracekit::testing {

namespace otlpv1 = opentelemetry::proto::collector::trace::v1;
namespace tracev1 = opentelemetry::proto::trace::v1;
namespace commonv1 = opentelemetry::proto::common::v1;

// Spans made through the public API with fixed times: server, client, consumer (remote parent
// with tracestate), producer in a second scope, links, events, error status, dropped counts,
// attributes of every type (arrays and non-ASCII text included). The provider owns the scopes
// and resource the records point to, so it lives as long as the spans.
struct KnownSpans {
  std::shared_ptr<InMemorySpanStore> store;
  std::unique_ptr<TracerProvider> provider;
  std::vector<SpanDataPtr> spans;
};
KnownSpans make_known_spans();

// Checks every field of every span in `request` against the records (gtest expectations).
// Returns the number of spans found.
size_t expect_request_matches(const otlpv1::ExportTraceServiceRequest& request,
                              std::span<const SpanDataPtr> spans);

// OTLP/JSON to the protobuf message: hex ids become bytes; every other rule (lowerCamelCase keys,
// enums as numbers, 64-bit integers as strings) is checked by protobuf's own JSON parser, which
// rejects unknown keys. Returns an error text, empty on success.
std::string json_to_request(std::string_view json, otlpv1::ExportTraceServiceRequest* out);

// Counts spans in a request.
size_t count_spans(const otlpv1::ExportTraceServiceRequest& request);

// gzip or zlib data to plain bytes; false if it is not valid.
bool gunzip(std::string_view in, std::string& out);

// A fresh directory under the system temp dir, removed with the object.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::string file(std::string_view name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// A CA, a server certificate for localhost / 127.0.0.1 and a client certificate signed by it,
// and a second CA that signed nothing we use (the "wrong" trust anchor). EC P-256 keys.
struct TestCertificates {
  std::string ca_cert, ca_key;
  std::string server_cert, server_key;
  std::string client_cert, client_key;
  std::string other_ca_cert;
  bool ok = false;
  std::string error;
};
TestCertificates make_certificates(const TempDir& dir);

std::string read_text(const std::string& path);

}  // namespace tracekit::testing
