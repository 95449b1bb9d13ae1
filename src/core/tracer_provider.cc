// SPDX-License-Identifier: Apache-2.0
#include "tracekit/tracer_provider.h"

#include <cstdlib>
#include <mutex>

#include "provider_state.h"
#include "span_record.h"
#include "tracekit/diagnostics.h"

namespace tracekit {
namespace detail {

ProviderState::ProviderState(TracerProviderOptions options)
    : resource(std::move(options.resource)),
      sampler(options.sampler ? std::move(options.sampler)
                              : samplers::parent_based(samplers::always_on())),
      limits(options.limits),
      processors(std::move(options.processors)) {
  std::erase(processors, nullptr);
  for (const auto& p : processors)
    any_on_start = any_on_start || p->wants_on_start();
}

void ProviderState::on_end(SpanRecord* record) noexcept {
  spans_ended.add();
  SpanDataPtr span = SpanDataPtr::adopt(record);
  if (shut_down.load(std::memory_order_relaxed)) [[unlikely]] {
    if (record->context().is_sampled()) spans_dropped_after_shutdown.add();
    return;
  }
  if (processors.size() == 1) [[likely]] {
    processors.front()->on_end(std::move(span));
    return;
  }
  for (auto& p : processors)
    p->on_end(span);
}

// The only code that creates tracers, rebinds them and reads a provider's state.
struct TracerAccess {
  static std::unique_ptr<Tracer> make(InstrumentationScope scope, ProviderState* state) {
    return std::unique_ptr<Tracer>(new Tracer(std::move(scope), state));
  }
  static void rebind(Tracer& tracer, ProviderState* state) noexcept { tracer.rebind(state); }
  static ProviderState* state_of(const std::shared_ptr<TracerProvider>& provider) noexcept {
    return provider ? provider->state_.get() : nullptr;
  }
};

}  // namespace detail

TracerProvider::TracerProvider(TracerProviderOptions options)
    : state_(std::make_unique<detail::ProviderState>(std::move(options))) {}

TracerProvider::~TracerProvider() {
  shutdown(std::chrono::seconds(30));
}

Tracer& TracerProvider::get_tracer(std::string_view name, std::string_view version,
                                   std::string_view schema_url) {
  std::lock_guard lock(state_->tracers_mutex);
  for (auto& t : state_->tracers) {
    const auto& s = t->scope();
    if (s.name == name && s.version == version && s.schema_url == schema_url) return *t;
  }
  InstrumentationScope scope{std::string(name), std::string(version), std::string(schema_url), {}};
  state_->tracers.push_back(detail::TracerAccess::make(std::move(scope), state_.get()));
  return *state_->tracers.back();
}

bool TracerProvider::force_flush(std::chrono::milliseconds timeout) noexcept {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool ok = true;
  for (auto& p : state_->processors) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    ok = p->force_flush(std::max(left, std::chrono::milliseconds(0))) && ok;
  }
  return ok;
}

bool TracerProvider::shutdown(std::chrono::milliseconds timeout) noexcept {
  if (state_->shut_down.exchange(true)) return false;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool ok = true;
  for (auto& p : state_->processors) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    ok = p->shutdown(std::max(left, std::chrono::milliseconds(0))) && ok;
  }
  state_->shut_down_cleanly.store(ok);
  return ok;
}

TracerStats TracerProvider::stats() const noexcept {
  TracerStats s;
  s.spans_started = state_->spans_started.load();
  s.spans_ended = state_->spans_ended.load();
  for (const auto& p : state_->processors)
    p->add_stats(s);
  const uint64_t after_shutdown = state_->spans_dropped_after_shutdown.load();
  s.spans_dropped += after_shutdown;
  s.extract_rejected = propagation::rejection_counts();
  return s;
}

const Resource& TracerProvider::resource() const noexcept {
  return state_->resource;
}
const Sampler& TracerProvider::sampler() const noexcept {
  return *state_->sampler;
}
const SpanLimits& TracerProvider::limits() const noexcept {
  return state_->limits;
}

// The global provider. Providers that were ever global stay alive until the process ends (the
// registry is never destroyed), so spans started from them can never outlive their state.
namespace {
struct GlobalRegistry {
  std::mutex mutex;
  std::shared_ptr<TracerProvider> provider;
  std::vector<std::shared_ptr<TracerProvider>> retired;
  std::vector<std::unique_ptr<Tracer>> tracers;
  bool exit_hook_installed = false;
};

GlobalRegistry& registry() {
  static auto* r = new GlobalRegistry();
  return *r;
}

void flush_global_at_exit() {
  std::shared_ptr<TracerProvider> provider = global_tracer_provider();
  if (provider) provider->shutdown(std::chrono::seconds(5));
}
}  // namespace

void set_global_tracer_provider(std::shared_ptr<TracerProvider> provider) {
  GlobalRegistry& r = registry();
  std::lock_guard lock(r.mutex);
  if (r.provider) r.retired.push_back(r.provider);
  r.provider = std::move(provider);
  detail::ProviderState* state = detail::TracerAccess::state_of(r.provider);
  for (auto& t : r.tracers)
    detail::TracerAccess::rebind(*t, state);
  if (!r.exit_hook_installed) {
    r.exit_hook_installed = true;
    std::atexit(flush_global_at_exit);
  }
}

std::shared_ptr<TracerProvider> global_tracer_provider() noexcept {
  GlobalRegistry& r = registry();
  std::lock_guard lock(r.mutex);
  return r.provider;
}

Tracer& get_tracer(std::string_view name, std::string_view version) {
  GlobalRegistry& r = registry();
  std::lock_guard lock(r.mutex);
  for (auto& t : r.tracers) {
    if (t->scope().name == name && t->scope().version == version) return *t;
  }
  InstrumentationScope scope{std::string(name), std::string(version), {}, {}};
  r.tracers.push_back(
      detail::TracerAccess::make(std::move(scope), detail::TracerAccess::state_of(r.provider)));
  return *r.tracers.back();
}

}  // namespace tracekit
