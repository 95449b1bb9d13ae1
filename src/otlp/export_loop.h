// SPDX-License-Identifier: Apache-2.0
// The part of an OTLP exporter that does not depend on what it sends: the retry loop with
// backoff, the export timeout, counters, rate-limited partial-success warnings and cancellation,
// around one transport. The span exporter and the log exporter each own one.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "transport.h"

namespace tracekit::otlp::detail {

class ExportLoop {
 public:
  // `noun` names the items in messages: "spans", "log records".
  ExportLoop(OtlpConfig config, ExporterOptions options, std::unique_ptr<Transport> transport,
             std::string noun);

  // Encodes and sends one batch of `items` items, retrying by the OTLP rules until `deadline`
  // or the configured timeout. From one thread at a time.
  ExportResult export_batch(const Payload& payload, size_t items, Deadline deadline) noexcept;
  // Cancels an export in flight and makes later exports fail at once; from any thread. Waits up
  // to `timeout` for an export in flight to return.
  bool shutdown(std::chrono::milliseconds timeout) noexcept;
  ExporterStats stats() const noexcept;
  const OtlpConfig& config() const noexcept { return config_; }

 private:
  using Clock = std::chrono::steady_clock;
  ExportResult run(const Payload& payload, size_t items, Deadline deadline);
  ExportResult run_in_halves(const Payload& payload, size_t items, Deadline deadline);
  void note_partial_success(const PartialSuccess& ps);
  bool sleep_until(Clock::time_point until);
  std::chrono::nanoseconds jittered(std::chrono::nanoseconds backoff) const;

  const OtlpConfig config_;
  const ExporterOptions options_;
  std::unique_ptr<Transport> transport_;
  const std::string noun_;

  std::atomic<bool> shut_down_{false};
  std::mutex mutex_;
  std::condition_variable cv_;  // retry sleeps and shutdown's wait for an export in flight
  bool in_flight_ = false;      // guarded by mutex_

  ByteBuffer body_;  // reused between exports (export thread only)

  std::atomic<uint64_t> exports_{0}, attempts_{0}, retries_{0}, failed_exports_{0}, rejected_{0},
      bytes_sent_{0}, exported_{0};

  // Rate-limited partial-success warnings (export thread only).
  Clock::time_point last_warning_{};
  uint64_t unreported_rejected_ = 0;
  uint64_t unreported_warnings_ = 0;
  std::string last_partial_message_;
};

// Builds the transport the config's protocol names.
Result<std::unique_ptr<Transport>> make_transport(const OtlpConfig& config,
                                                  const ExporterOptions& options, Signal signal);

}  // namespace tracekit::otlp::detail
