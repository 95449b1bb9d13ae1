// SPDX-License-Identifier: Apache-2.0
// What a TracerProvider shares with its tracers and their spans.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "sharded_counter.h"
#include "static_text.h"
#include "tracekit/tracer_provider.h"

namespace tracekit::detail {

class SpanRecord;

class ProviderState {
 public:
  explicit ProviderState(TracerProviderOptions options);

  // Takes the caller's reference to `record` and hands the span to every processor.
  void on_end(SpanRecord* record) noexcept;

  Resource resource;
  std::unique_ptr<Sampler> sampler;
  SpanLimits limits;
  StaticText static_text;  // text spans keep a view of instead of a copy
  std::vector<std::unique_ptr<SpanProcessor>> processors;
  bool any_on_start = false;
  std::atomic<bool> shut_down{false};
  std::atomic<bool> shut_down_cleanly{true};  // false when a processor's shutdown timed out

  ShardedCounter spans_started;
  ShardedCounter spans_ended;
  ShardedCounter spans_dropped_after_shutdown;

  std::mutex tracers_mutex;
  std::vector<std::unique_ptr<Tracer>> tracers;
};

}  // namespace tracekit::detail
