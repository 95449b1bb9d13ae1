// SPDX-License-Identifier: Apache-2.0
#include "export_loop.h"

#include <algorithm>

#include "peer_text.h"
#include "tracekit/diagnostics.h"
#include "tracekit/ids.h"

namespace tracekit::otlp::detail {

ExportLoop::ExportLoop(OtlpConfig config, ExporterOptions options,
                       std::unique_ptr<Transport> transport, std::string noun)
    : config_(std::move(config)),
      options_(options),
      transport_(std::move(transport)),
      noun_(std::move(noun)) {}

Result<std::unique_ptr<Transport>> make_transport(const OtlpConfig& config,
                                                  const ExporterOptions& options, Signal signal) {
  return config.protocol == OtlpProtocol::kGrpc ? make_grpc_transport(config, options, signal)
                                                : make_http_transport(config, options);
}

void ExportLoop::note_partial_success(const PartialSuccess& ps) {
  if (ps.rejected_spans <= 0 && ps.error_message.empty()) return;
  if (ps.rejected_spans > 0) unreported_rejected_ += static_cast<uint64_t>(ps.rejected_spans);
  ++unreported_warnings_;
  if (!ps.error_message.empty()) last_partial_message_ = ps.error_message;
  const auto now = Clock::now();
  if (last_warning_ != Clock::time_point{} && now - last_warning_ < options_.warning_interval) {
    return;
  }
  try {
    report_diagnostic(
        DiagnosticLevel::kWarning,
        "OTLP receiver reported a partial success " + std::to_string(unreported_warnings_) +
            " time(s) since the last report, " + std::to_string(unreported_rejected_) + " " +
            noun_ + " rejected; message: " +
            (last_partial_message_.empty() ? "(none)" : last_partial_message_));
  } catch (...) {
  }
  last_warning_ = now;
  unreported_rejected_ = 0;
  unreported_warnings_ = 0;
}

// Sleeps until `until` or shutdown; false if shut down.
bool ExportLoop::sleep_until(Clock::time_point until) {
  std::unique_lock lock(mutex_);
  cv_.wait_until(lock, until, [&] { return shut_down_.load(std::memory_order_acquire); });
  return !shut_down_.load(std::memory_order_acquire);
}

std::chrono::nanoseconds ExportLoop::jittered(std::chrono::nanoseconds backoff) const {
  const double jitter = std::clamp(options_.retry.jitter, 0.0, 1.0);
  const double u = static_cast<double>(random_u64() >> 11) * 0x1.0p-53;  // [0, 1)
  const double factor = 1.0 - jitter * u;
  return std::chrono::nanoseconds(
      static_cast<int64_t>(static_cast<double>(backoff.count()) * factor));
}

ExportResult ExportLoop::run(const Payload& payload, size_t items, Deadline deadline) {
  const auto timeout_deadline = Clock::now() + config_.timeout;
  if (timeout_deadline < deadline) deadline = timeout_deadline;

  body_.clear();
  size_t unpacked_size;
  try {
    unpacked_size = transport_->encode(payload, body_);
  } catch (...) {
    return ExportResult::failure("OTLP export: out of memory while encoding " +
                                 std::to_string(items) + " " + noun_);
  }
  if (unpacked_size > options_.max_request_bytes && items > 1) {
    return run_in_halves(payload, items, deadline);
  }

  const RetryPolicy& policy = options_.retry;
  std::chrono::nanoseconds backoff = policy.initial_backoff;
  const std::chrono::nanoseconds max_backoff = policy.max_backoff;
  for (int attempt = 1;; ++attempt) {
    if (shut_down_.load(std::memory_order_acquire)) {
      return ExportResult::failure("OTLP exporter is shut down");
    }
    if (Clock::now() >= deadline) {
      return ExportResult::failure("OTLP export: the deadline passed before the request was sent");
    }
    attempts_.fetch_add(1, std::memory_order_relaxed);
    if (attempt > 1) retries_.fetch_add(1, std::memory_order_relaxed);
    detail::Attempt a = transport_->send(body_, deadline);
    // What the receiver wrote goes to stderr and into stats: one line, bounded.
    a.error = detail::peer_text(a.error, 512);
    a.partial.error_message = detail::peer_text(a.partial.error_message, 256);
    // A receiver cannot refuse more than it was sent.
    a.partial.rejected_spans =
        std::min(a.partial.rejected_spans, static_cast<decltype(a.partial.rejected_spans)>(items));
    if (a.kind == detail::Attempt::Kind::kOk) {
      bytes_sent_.fetch_add(body_.size(), std::memory_order_relaxed);
      exported_.fetch_add(items, std::memory_order_relaxed);
      ExportResult r = ExportResult::success();
      if (a.partial.rejected_spans > 0) {
        r.rejected_spans = static_cast<uint64_t>(a.partial.rejected_spans);
        rejected_.fetch_add(r.rejected_spans, std::memory_order_relaxed);
        r.error = "OTLP partial success: " + std::to_string(a.partial.rejected_spans) + " " +
                  noun_ + " rejected" +
                  (a.partial.error_message.empty() ? "" : ": " + a.partial.error_message);
      }
      note_partial_success(a.partial);
      return r;
    }
    if (a.kind == detail::Attempt::Kind::kPermanent) {
      return ExportResult::failure("OTLP export failed (not retryable): " + a.error);
    }
    if (attempt >= policy.max_attempts) {
      return ExportResult::failure("OTLP export failed after " + std::to_string(attempt) +
                                   " attempt(s): " + a.error);
    }
    std::chrono::nanoseconds delay;
    if (a.server_delay.count() >= 0) {
      // The server's word wins; later retries back off from there.
      delay = a.server_delay;
      backoff = std::max(backoff, std::min(a.server_delay, max_backoff));
    } else {
      delay = jittered(backoff);
    }
    backoff =
        std::min(std::chrono::nanoseconds(static_cast<int64_t>(
                     static_cast<double>(backoff.count()) * std::max(1.0, policy.multiplier))),
                 max_backoff);
    const auto now = Clock::now();
    if (delay >= deadline - now) {
      return ExportResult::failure(
          "OTLP export failed after " + std::to_string(attempt) +
          " attempt(s), no time left to retry within the timeout: " + a.error);
    }
    if (!sleep_until(now + std::chrono::duration_cast<Clock::duration>(delay))) {
      return ExportResult::failure("OTLP exporter is shut down");
    }
  }
}

// A receiver refuses a request past its size limit whole, so a batch too large for one request
// goes in halves (each halved again while still too large), within the batch's deadline. The
// outcome is the batch's: items of a part that failed count as rejected when another part
// arrived, and the batch fails only when no part arrived.
ExportResult ExportLoop::run_in_halves(const Payload& payload, size_t items, Deadline deadline) {
  const size_t half = items / 2;
  const size_t counts[2] = {half, items - half};
  ExportResult parts[2];
  parts[0] = run(*payload.part(0, half), counts[0], deadline);
  parts[1] = run(*payload.part(half, items), counts[1], deadline);
  if (!parts[0].ok() && !parts[1].ok()) return parts[0];
  ExportResult r = ExportResult::success();
  for (int i = 0; i < 2; ++i) {
    r.rejected_spans += parts[i].ok() ? parts[i].rejected_spans : counts[i];
    if (r.error.empty() && !parts[i].error.empty()) {
      r.error = parts[i].ok() ? parts[i].error
                              : std::to_string(counts[i]) + " " + noun_ + " of a batch sent in " +
                                    "parts were lost: " + parts[i].error;
    }
  }
  return r;
}

ExportResult ExportLoop::export_batch(const Payload& payload, size_t items,
                                      Deadline deadline) noexcept {
  if (items == 0) return ExportResult::success();
  {
    std::lock_guard lock(mutex_);
    if (shut_down_.load(std::memory_order_acquire)) {
      return ExportResult::failure("OTLP exporter is shut down");
    }
    in_flight_ = true;
  }
  exports_.fetch_add(1, std::memory_order_relaxed);
  ExportResult r;
  try {
    r = run(payload, items, deadline);
  } catch (...) {
    r = ExportResult::failure("OTLP export: unexpected error");
  }
  if (!r.ok()) failed_exports_.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard lock(mutex_);
    in_flight_ = false;
  }
  cv_.notify_all();
  return r;
}

bool ExportLoop::shutdown(std::chrono::milliseconds timeout) noexcept {
  std::unique_lock lock(mutex_);
  shut_down_.store(true, std::memory_order_release);
  transport_->cancel();
  cv_.notify_all();
  return cv_.wait_for(lock, timeout, [&] { return !in_flight_; });
}

ExporterStats ExportLoop::stats() const noexcept {
  ExporterStats st;
  st.exports = exports_.load(std::memory_order_relaxed);
  st.attempts = attempts_.load(std::memory_order_relaxed);
  st.retries = retries_.load(std::memory_order_relaxed);
  st.failed_exports = failed_exports_.load(std::memory_order_relaxed);
  st.rejected_spans = rejected_.load(std::memory_order_relaxed);
  st.bytes_sent = bytes_sent_.load(std::memory_order_relaxed);
  st.spans_exported = exported_.load(std::memory_order_relaxed);
  return st;
}

}  // namespace tracekit::otlp::detail
