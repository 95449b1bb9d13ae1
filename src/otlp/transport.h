// SPDX-License-Identifier: Apache-2.0
// The transports under OtlpExporter: one request out, one outcome back. The exporter owns the
// retry loop; a transport only says whether a failure may be retried and what delay the server
// asked for.
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>

#include "byte_buffer.h"
#include "tracekit/config.h"
#include "tracekit/exporter.h"
#include "tracekit/otlp/encoder.h"
#include "tracekit/otlp/exporter.h"
#include "tracekit/result.h"

namespace tracekit::otlp::detail {

// Which OTLP service a transport talks to: the gRPC method, and the path the HTTP endpoint ends
// in (OtlpConfig::endpoint already has it).
enum class Signal : uint8_t { kTraces, kLogs };

// The request for one batch, written in the encoding the transport asks for: spans and log
// records travel over the same transports.
class Payload {
 public:
  virtual ~Payload() = default;
  virtual void write_protobuf(ByteBuffer& out) const = 0;
  virtual void write_json(std::string& out) const = 0;
  // The items [begin, end) of this batch, as a batch of their own (to send a large one in parts).
  virtual std::unique_ptr<Payload> part(size_t begin, size_t end) const = 0;
};

struct Attempt {
  enum class Kind : uint8_t { kOk, kRetryable, kPermanent };
  Kind kind = Kind::kOk;
  std::string error;                          // what went wrong, for failures
  std::chrono::nanoseconds server_delay{-1};  // RetryInfo / Retry-After; negative when absent
  PartialSuccess partial;                     // for kOk

  static Attempt ok() { return {}; }
  static Attempt retryable(std::string why,
                           std::chrono::nanoseconds delay = std::chrono::nanoseconds(-1)) {
    return {Kind::kRetryable, std::move(why), delay, {}};
  }
  static Attempt permanent(std::string why) {
    return {Kind::kPermanent, std::move(why), std::chrono::nanoseconds(-1), {}};
  }
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Writes the request body for a batch (compressed where the transport does that itself) and
  // returns its size before compression. May throw std::bad_alloc; the exporter catches it.
  virtual size_t encode(const Payload& payload, ByteBuffer& body) = 0;
  // Sends one request and returns by `deadline`. The transport may hold on to the body's bytes
  // (ByteBuffer::lend) after it returns.
  virtual Attempt send(const ByteBuffer& body, Deadline deadline) noexcept = 0;
  // From any thread: a send() in flight returns soon, and later ones return at once.
  virtual void cancel() noexcept = 0;
};

Result<std::unique_ptr<Transport>> make_grpc_transport(const OtlpConfig& config,
                                                       const ExporterOptions& options,
                                                       Signal signal);
// The HTTP endpoint already names the signal's path (/v1/traces, /v1/logs).
Result<std::unique_ptr<Transport>> make_http_transport(const OtlpConfig& config,
                                                       const ExporterOptions& options);

// Reads a whole file (certificates, keys); the error names the variable that gave the path.
Result<std::string> read_file(const std::string& path, std::string_view variable);

// gzip (RFC 1952) of `in`, appended to `out`; false on a zlib error.
bool gzip_compress(std::string_view in, ByteBuffer& out, int level);

// The product token OTLP exporters send as User-Agent.
std::string user_agent();

}  // namespace tracekit::otlp::detail
