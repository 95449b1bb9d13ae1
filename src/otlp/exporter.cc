#include "tracekit/otlp/exporter.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>

#include "tracekit/diagnostics.h"
#include "tracekit/ids.h"
#include "tracekit/version.h"
#include "transport.h"

namespace tracekit::otlp {

using Clock = std::chrono::steady_clock;

namespace detail {

Result<std::string> read_file(const std::string& path, std::string_view variable) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error{std::string(variable) + "=\"" + path + "\" names a file that cannot be read"};
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in.good() && !in.eof()) {
    return Error{std::string(variable) + "=\"" + path + "\": reading the file failed"};
  }
  return ss.str();
}

std::string user_agent() {
  return std::string("OTel-OTLP-Exporter-Cpp/") + kVersion + " tracekit";
}

}  // namespace detail

struct OtlpExporter::State {
  State(OtlpConfig c, ExporterOptions o, std::unique_ptr<detail::Transport> t)
      : config(std::move(c)), options(o), transport(std::move(t)) {}

  const OtlpConfig config;
  const ExporterOptions options;
  std::unique_ptr<detail::Transport> transport;

  std::atomic<bool> shut_down{false};
  std::mutex mutex;
  std::condition_variable cv;  // retry sleeps and shutdown's wait for an export in flight
  bool in_flight = false;      // guarded by mutex

  std::string body;  // reused between exports (worker thread only)

  std::atomic<uint64_t> exports{0}, attempts{0}, retries{0}, failed_exports{0}, rejected_spans{0},
      bytes_sent{0}, spans_exported{0};

  // Rate-limited partial-success warnings (export thread only).
  Clock::time_point last_warning{};
  uint64_t unreported_rejected = 0;
  uint64_t unreported_warnings = 0;
  std::string last_partial_message;

  void note_partial_success(const PartialSuccess& ps) {
    if (ps.rejected_spans <= 0 && ps.error_message.empty()) return;
    if (ps.rejected_spans > 0) unreported_rejected += static_cast<uint64_t>(ps.rejected_spans);
    ++unreported_warnings;
    if (!ps.error_message.empty()) last_partial_message = ps.error_message;
    const auto now = Clock::now();
    if (last_warning != Clock::time_point{} && now - last_warning < options.warning_interval) {
      return;
    }
    try {
      report_diagnostic(DiagnosticLevel::kWarning,
                        "OTLP receiver reported a partial success " +
                            std::to_string(unreported_warnings) +
                            " time(s) since the last report, " +
                            std::to_string(unreported_rejected) + " span(s) rejected; message: " +
                            (last_partial_message.empty() ? "(none)" : last_partial_message));
    } catch (...) {
    }
    last_warning = now;
    unreported_rejected = 0;
    unreported_warnings = 0;
  }

  // Sleeps until `until` or shutdown; false if shut down.
  bool sleep_until(Clock::time_point until) {
    std::unique_lock lock(mutex);
    cv.wait_until(lock, until, [&] { return shut_down.load(std::memory_order_acquire); });
    return !shut_down.load(std::memory_order_acquire);
  }

  std::chrono::nanoseconds jittered(std::chrono::nanoseconds backoff) const {
    const double jitter = std::clamp(options.retry.jitter, 0.0, 1.0);
    const double u = static_cast<double>(random_u64() >> 11) * 0x1.0p-53;  // [0, 1)
    const double factor = 1.0 - jitter * u;
    return std::chrono::nanoseconds(
        static_cast<int64_t>(static_cast<double>(backoff.count()) * factor));
  }

  ExportResult run(std::span<const SpanDataPtr> spans, Deadline deadline);
};

ExportResult OtlpExporter::State::run(std::span<const SpanDataPtr> spans, Deadline deadline) {
  const auto timeout_deadline = Clock::now() + config.timeout;
  if (timeout_deadline < deadline) deadline = timeout_deadline;

  body.clear();
  try {
    transport->encode(spans, body);
  } catch (...) {
    return ExportResult::failure("OTLP export: out of memory while encoding " +
                                 std::to_string(spans.size()) + " spans");
  }

  const RetryPolicy& policy = options.retry;
  std::chrono::nanoseconds backoff = policy.initial_backoff;
  const std::chrono::nanoseconds max_backoff = policy.max_backoff;
  for (int attempt = 1;; ++attempt) {
    if (shut_down.load(std::memory_order_acquire)) {
      return ExportResult::failure("OTLP exporter is shut down");
    }
    if (Clock::now() >= deadline) {
      return ExportResult::failure("OTLP export: the deadline passed before the request was sent");
    }
    attempts.fetch_add(1, std::memory_order_relaxed);
    if (attempt > 1) retries.fetch_add(1, std::memory_order_relaxed);
    detail::Attempt a = transport->send(body, deadline);
    if (a.kind == detail::Attempt::Kind::kOk) {
      bytes_sent.fetch_add(body.size(), std::memory_order_relaxed);
      spans_exported.fetch_add(spans.size(), std::memory_order_relaxed);
      ExportResult r = ExportResult::success();
      if (a.partial.rejected_spans > 0) {
        r.rejected_spans = static_cast<uint64_t>(a.partial.rejected_spans);
        rejected_spans.fetch_add(r.rejected_spans, std::memory_order_relaxed);
        r.error = "OTLP partial success: " + std::to_string(a.partial.rejected_spans) +
                  " span(s) rejected" +
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

OtlpExporter::OtlpExporter(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}

OtlpExporter::~OtlpExporter() {
  shutdown(std::chrono::milliseconds(0));
}

Result<std::unique_ptr<OtlpExporter>> OtlpExporter::create(const OtlpConfig& config,
                                                           const ExporterOptions& options) {
  try {
    Result<std::unique_ptr<detail::Transport>> transport =
        config.protocol == OtlpProtocol::kGrpc ? detail::make_grpc_transport(config, options)
                                               : detail::make_http_transport(config, options);
    if (!transport) return transport.error();
    return std::unique_ptr<OtlpExporter>(
        new OtlpExporter(std::make_unique<State>(config, options, std::move(*transport))));
  } catch (const std::exception& e) {
    return Error{std::string("OTLP exporter: ") + e.what()};
  }
}

Result<std::unique_ptr<SpanExporter>> make_exporter(const OtlpConfig& config,
                                                    const ExporterOptions& options) {
  auto e = OtlpExporter::create(config, options);
  if (!e) return e.error();
  return std::unique_ptr<SpanExporter>(std::move(*e));
}

ExportResult OtlpExporter::export_spans(std::span<const SpanDataPtr> spans,
                                        Deadline deadline) noexcept {
  State& s = *state_;
  if (spans.empty()) return ExportResult::success();
  {
    std::lock_guard lock(s.mutex);
    if (s.shut_down.load(std::memory_order_acquire)) {
      return ExportResult::failure("OTLP exporter is shut down");
    }
    s.in_flight = true;
  }
  s.exports.fetch_add(1, std::memory_order_relaxed);
  ExportResult r;
  try {
    r = s.run(spans, deadline);
  } catch (...) {
    r = ExportResult::failure("OTLP export: unexpected error");
  }
  if (!r.ok()) s.failed_exports.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard lock(s.mutex);
    s.in_flight = false;
  }
  s.cv.notify_all();
  return r;
}

bool OtlpExporter::shutdown(std::chrono::milliseconds timeout) noexcept {
  State& s = *state_;
  std::unique_lock lock(s.mutex);
  s.shut_down.store(true, std::memory_order_release);
  s.transport->cancel();
  s.cv.notify_all();
  return s.cv.wait_for(lock, timeout, [&] { return !s.in_flight; });
}

ExporterStats OtlpExporter::stats() const noexcept {
  const State& s = *state_;
  ExporterStats st;
  st.exports = s.exports.load(std::memory_order_relaxed);
  st.attempts = s.attempts.load(std::memory_order_relaxed);
  st.retries = s.retries.load(std::memory_order_relaxed);
  st.failed_exports = s.failed_exports.load(std::memory_order_relaxed);
  st.rejected_spans = s.rejected_spans.load(std::memory_order_relaxed);
  st.bytes_sent = s.bytes_sent.load(std::memory_order_relaxed);
  st.spans_exported = s.spans_exported.load(std::memory_order_relaxed);
  return st;
}

const OtlpConfig& OtlpExporter::config() const noexcept {
  return state_->config;
}

}  // namespace tracekit::otlp
