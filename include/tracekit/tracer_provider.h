// SPDX-License-Identifier: Apache-2.0
// The TracerProvider owns the SDK's state: resource, sampler, limits, processors. Tracers and the
// spans they start refer to it, so it must outlive them (the global provider always does).
#pragma once

#include <chrono>
#include <memory>
#include <string_view>
#include <vector>

#include "tracekit/resource.h"
#include "tracekit/sampler.h"
#include "tracekit/span_limits.h"
#include "tracekit/span_processor.h"
#include "tracekit/stats.h"
#include "tracekit/tracer.h"

namespace tracekit {

struct TracerProviderOptions {
  Resource resource = Resource::sdk_default();
  std::unique_ptr<Sampler> sampler;  // default parentbased_always_on
  SpanLimits limits;
  std::vector<std::unique_ptr<SpanProcessor>> processors;
};

class TracerProvider {
 public:
  explicit TracerProvider(TracerProviderOptions options);
  // Shuts down (bounded by 30 s) if not shut down yet.
  ~TracerProvider();
  TracerProvider(const TracerProvider&) = delete;
  TracerProvider& operator=(const TracerProvider&) = delete;

  // The same (name, version, schema_url) gives the same tracer.
  Tracer& get_tracer(std::string_view name, std::string_view version = {},
                     std::string_view schema_url = {});

  bool force_flush(std::chrono::milliseconds timeout = std::chrono::seconds(30)) noexcept;
  // Flushes and stops every processor within `timeout`; afterwards spans do not record. The
  // first call does the work; later calls return false at once.
  bool shutdown(std::chrono::milliseconds timeout = std::chrono::seconds(30)) noexcept;

  TracerStats stats() const noexcept;
  const Resource& resource() const noexcept;
  const Sampler& sampler() const noexcept;
  const SpanLimits& limits() const noexcept;

 private:
  friend struct detail::TracerAccess;
  std::unique_ptr<detail::ProviderState> state_;
};

// The process-wide provider. Until one is set, tracers from get_tracer() are a no-op that costs
// next to nothing (spans carry their parent's context through, so propagation still works).
// Tracers taken before set_global_tracer_provider start recording once it is called.
void set_global_tracer_provider(std::shared_ptr<TracerProvider> provider);
std::shared_ptr<TracerProvider> global_tracer_provider() noexcept;
Tracer& get_tracer(std::string_view name, std::string_view version = {});

}  // namespace tracekit
