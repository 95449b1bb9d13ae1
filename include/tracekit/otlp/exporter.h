// SPDX-License-Identifier: Apache-2.0
// OTLP span exporters: gRPC (grpc++) and HTTP with protobuf or JSON bodies (libcurl), with the
// OTLP specification's retry rules, TLS / mutual TLS and gzip. Pick one from an OtlpConfig (which
// Config::from_env() fills from the OTEL_EXPORTER_OTLP_* variables) with make_exporter().
//
// Every export honours the deadline it is given and the configured timeout, whichever comes
// first, retries included; shutdown() cancels an export in flight. Nothing here throws.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "tracekit/config.h"
#include "tracekit/exporter.h"
#include "tracekit/result.h"

namespace tracekit::otlp {

// Exponential backoff with jitter between attempts (OTLP specification, "Retrying"). A delay
// the server asks for (gRPC RetryInfo, HTTP Retry-After) replaces the computed one. No retry
// starts that could not finish before the export's deadline.
struct RetryPolicy {
  int max_attempts = 5;  // the first try included; 1 turns retries off
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{5000};
  double multiplier = 1.5;
  // Each delay is drawn uniformly from [(1 - jitter) * backoff, backoff].
  double jitter = 0.5;
};

struct ExporterOptions {
  RetryPolicy retry;
  int gzip_level = 1;  // zlib level for OTLP/HTTP bodies when compression is gzip
  // A batch whose request would be larger than this (before compression) is sent in parts,
  // halved until each fits: receivers refuse a request past their limit whole, and gRPC servers,
  // the OpenTelemetry Collector's included, take 4 MiB by default. A single item larger than
  // this is still sent.
  size_t max_request_bytes = 4u << 20;
  // Partial-success and retry warnings are reported at most once per interval.
  std::chrono::milliseconds warning_interval{10000};
};

// What an exporter did, for tests and diagnostics.
struct ExporterStats {
  uint64_t exports = 0;         // export_spans calls
  uint64_t attempts = 0;        // requests sent (first tries and retries)
  uint64_t retries = 0;         // attempts after a retryable failure
  uint64_t failed_exports = 0;  // export_spans calls that failed
  uint64_t rejected_spans = 0;  // partial_success.rejected_spans, summed
  uint64_t bytes_sent = 0;      // request bodies, after compression
  uint64_t spans_exported = 0;  // spans in successful exports (rejected ones included)
};

// Builds the exporter OtlpConfig::protocol names. Errors name the setting that is wrong (a
// certificate that cannot be read, a header gRPC cannot carry, an endpoint that is no URL).
Result<std::unique_ptr<SpanExporter>> make_exporter(const OtlpConfig& config,
                                                    const ExporterOptions& options = {});

// The OTLP exporter: encoding, the retry loop, counters and cancellation around one transport
// (gRPC or HTTP). make_exporter() returns one of these.
class OtlpExporter final : public SpanExporter {
 public:
  static Result<std::unique_ptr<OtlpExporter>> create(const OtlpConfig& config,
                                                      const ExporterOptions& options = {});
  ~OtlpExporter() override;
  OtlpExporter(const OtlpExporter&) = delete;
  OtlpExporter& operator=(const OtlpExporter&) = delete;

  ExportResult export_spans(std::span<const SpanDataPtr> spans,
                            Deadline deadline) noexcept override;
  // Cancels an export in flight and makes later exports fail at once. Safe to call from any
  // thread; waits up to `timeout` for an export in flight to return.
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;
  // shutdown() without the wait.
  void cancel() noexcept override;
  ExporterStats stats() const noexcept;
  const OtlpConfig& config() const noexcept;

  struct State;

 private:
  explicit OtlpExporter(std::unique_ptr<State> state) noexcept;
  std::unique_ptr<State> state_;
};

}  // namespace tracekit::otlp
