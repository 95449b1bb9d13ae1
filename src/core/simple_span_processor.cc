// SPDX-License-Identifier: Apache-2.0
#include <atomic>
#include <mutex>

#include "tracekit/span_processor.h"

namespace tracekit {

struct SimpleSpanProcessor::State {
  std::unique_ptr<SpanExporter> exporter;
  std::chrono::milliseconds export_timeout;
  std::mutex mutex;  // exporters are called one at a time
  std::atomic<bool> shut_down{false};
  std::atomic<uint64_t> exported{0}, failed_spans{0}, failures{0}, calls{0}, rejected{0};
};

SimpleSpanProcessor::SimpleSpanProcessor(std::unique_ptr<SpanExporter> exporter,
                                         std::chrono::milliseconds export_timeout)
    : state_(new State{std::move(exporter), export_timeout}) {}

SimpleSpanProcessor::~SimpleSpanProcessor() {
  shutdown(state_->export_timeout);
}

void SimpleSpanProcessor::on_end(SpanDataPtr span) noexcept {
  if (!span->context().is_sampled()) return;
  std::lock_guard lock(state_->mutex);
  if (state_->shut_down.load()) {
    state_->failed_spans.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  auto result =
      state_->exporter->export_spans(std::span<const SpanDataPtr>(&span, 1),
                                     std::chrono::steady_clock::now() + state_->export_timeout);
  state_->calls.fetch_add(1, std::memory_order_relaxed);
  if (result.ok()) {
    state_->exported.fetch_add(1 - std::min<uint64_t>(1, result.rejected_spans),
                               std::memory_order_relaxed);
    state_->rejected.fetch_add(std::min<uint64_t>(1, result.rejected_spans),
                               std::memory_order_relaxed);
  } else {
    state_->failures.fetch_add(1, std::memory_order_relaxed);
    state_->failed_spans.fetch_add(1, std::memory_order_relaxed);
  }
}

bool SimpleSpanProcessor::force_flush(std::chrono::milliseconds timeout) noexcept {
  std::lock_guard lock(state_->mutex);
  return state_->exporter->force_flush(timeout);
}

bool SimpleSpanProcessor::shutdown(std::chrono::milliseconds timeout) noexcept {
  if (state_->shut_down.exchange(true)) return true;
  std::lock_guard lock(state_->mutex);
  return state_->exporter->shutdown(timeout);
}

void SimpleSpanProcessor::add_stats(TracerStats& s) const noexcept {
  s.spans_exported += state_->exported.load(std::memory_order_relaxed);
  s.spans_dropped_export_failed += state_->failed_spans.load(std::memory_order_relaxed);
  s.spans_rejected += state_->rejected.load(std::memory_order_relaxed);
  s.spans_dropped += state_->failed_spans.load(std::memory_order_relaxed) +
                     state_->rejected.load(std::memory_order_relaxed);
  s.export_failures += state_->failures.load(std::memory_order_relaxed);
  s.export_calls += state_->calls.load(std::memory_order_relaxed);
}

}  // namespace tracekit
