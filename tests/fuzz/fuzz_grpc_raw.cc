// SPDX-License-Identifier: Apache-2.0
// The gRPC raw-bytes path, without a server: a request message as gRPC hands it over (a
// ByteBuffer of one or more slices; the first input byte picks how many) read by the
// collector's receiver (decode_export_message) and by the load test's span counter
// (bench/otlp_span_count.h, reading the slices in place). The receiver must decode the slices
// exactly as it decodes the joined bytes; where libprotobuf parses the message (and it holds no
// groups where the counter walks), the counter must succeed with the same number of spans.
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/unknown_field_set.h>
#include <grpc/grpc.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/proto_buffer_reader.h>
#include <grpcpp/support/status.h>

#include <vector>

#include "collector_checks.h"
#include "grpc_receiver.h"
#include "otlp_span_count.h"

namespace {

bool has_group(const google::protobuf::Message& m) {
  const auto& unknown = m.GetReflection()->GetUnknownFields(m);
  for (int i = 0; i < unknown.field_count(); ++i) {
    if (unknown.field(i).type() == google::protobuf::UnknownField::TYPE_GROUP) return true;
  }
  return false;
}

// Groups where count_spans walks (the request, its ResourceSpans and ScopeSpans): it refuses
// them, as OTLP has none; libprotobuf keeps them as unknown fields.
bool has_walked_group(const tracekit::collector::otlpv1::ExportTraceServiceRequest& request) {
  if (has_group(request)) return true;
  for (const auto& rs : request.resource_spans()) {
    if (has_group(rs)) return true;
    for (const auto& ss : rs.scope_spans()) {
      if (has_group(ss)) return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  grpc_init();
  google::protobuf::SetLogHandler(nullptr);  // libprotobuf logs every message it refuses
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t pieces = data[0] % 4 + 1;
  const std::string_view body = tracekit::fuzz::as_text(data + 1, size - 1);
  std::vector<grpc::Slice> slices;
  for (size_t i = 0; i < pieces; ++i) {
    const size_t from = body.size() * i / pieces, to = body.size() * (i + 1) / pieces;
    slices.emplace_back(body.data() + from, to - from);
  }
  grpc::ByteBuffer message(slices.data(), slices.size());

  tracekit::collector::IngestLimits limits;
  tracekit::collector::DecodedSpans decoded;
  const grpc::Status status = tracekit::collector::decode_export_message(message, limits, decoded);
  // An uncompressed message decodes as its joined bytes do (a compressed one is inflated first).
  if (!tracekit::collector::looks_compressed(body)) {
    auto joined = tracekit::collector::decode_protobuf(body, limits.span_limits);
    FUZZ_CHECK(status.ok() == joined.ok());
    if (status.ok()) tracekit::fuzz::check_same(decoded, *joined);
  }

  grpc::ByteBuffer copy(message);  // what otlp_sink does: references, no copy of the bytes
  grpc::ProtoBufferReader reader(&copy);
  google::protobuf::io::CodedInputStream in(&reader);
  size_t counted = 0;
  const bool counted_ok = tracekit::bench::count_spans(in, 0, counted);
  tracekit::collector::otlpv1::ExportTraceServiceRequest request;
  if (request.ParseFromArray(body.data(), static_cast<int>(body.size())) &&
      !has_walked_group(request)) {
    FUZZ_CHECK(counted_ok);
    FUZZ_CHECK(counted == tracekit::fuzz::span_count(request));
  }
  return 0;
}
