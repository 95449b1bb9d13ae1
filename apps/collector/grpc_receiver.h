// OTLP/gRPC: the TraceService/Export and LogsService/Export methods on a grpc++ server. Messages
// arrive as raw bytes (the generated "raw callback" method), so a payload that is not an
// ExportTraceServiceRequest gets INVALID_ARGUMENT with a message, rather than gRPC's generic
// INTERNAL.
#pragma once

#include <memory>
#include <string>

#include "otlp_ingest.h"
#include "span_store.h"
#include "tracekit/result.h"

namespace grpc {
class ByteBuffer;
class Status;
}  // namespace grpc

namespace tracekit::collector {

// The Export call's reading of a raw request message (its slices, as gRPC received them), with
// no server: inflated within limits.max_body_bytes when compressed (RESOURCE_EXHAUSTED past
// it), then decoded into `out`, or INVALID_ARGUMENT with the reason the message is not an
// ExportTraceServiceRequest. Separate so that it can be fuzzed (tests/fuzz/fuzz_grpc_raw.cc).
grpc::Status decode_export_message(const grpc::ByteBuffer& request, const IngestLimits& limits,
                                   DecodedSpans& out);
// The message's bytes, inflated within limits.max_body_bytes when compressed: what both
// services (traces and logs) do before decoding.
grpc::Status read_export_message(const grpc::ByteBuffer& request, const IngestLimits& limits,
                                 std::string& bytes);
// Whether a message's first bytes are a gzip or zlib header (grpc++ does not say).
bool looks_compressed(std::string_view bytes);

class GrpcReceiver {
 public:
  // `address` is host:port; port 0 takes a free one (see port()). With a `token`, calls must
  // carry the metadata "authorization: Bearer <token>" (else UNAUTHENTICATED).
  static Result<std::unique_ptr<GrpcReceiver>> start(const std::string& address, SpanStore& store,
                                                     const IngestLimits& limits,
                                                     const std::string& token = {});
  ~GrpcReceiver();  // stops accepting and finishes the calls in flight
  int port() const;

  struct Impl;

 private:
  explicit GrpcReceiver(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tracekit::collector
