// SPDX-License-Identifier: Apache-2.0
#include "tracekit/propagation/propagator.h"

#include <atomic>
#include <mutex>

#include "tracekit/propagation/baggage.h"
#include "tracekit/propagation/w3c.h"

namespace tracekit::propagation {

Context CompositePropagator::extract(const TextMapGetter& carrier,
                                     const Context& context) const noexcept {
  if (parts_.empty()) return context;
  Context result = parts_.front()->extract(carrier, context);
  for (size_t i = 1; i < parts_.size(); ++i)
    result = parts_[i]->extract(carrier, result);
  return result;
}

void CompositePropagator::inject(TextMapSetter& carrier, const Context& context) const noexcept {
  for (const auto& p : parts_)
    p->inject(carrier, context);
}

std::vector<std::string> CompositePropagator::fields() const {
  std::vector<std::string> out;
  for (const auto& p : parts_) {
    for (auto& f : p->fields())
      out.push_back(std::move(f));
  }
  return out;
}

std::string_view to_string(Kind kind) noexcept {
  return kind == Kind::kBaggage ? "baggage" : "tracecontext";
}

std::unique_ptr<TextMapPropagator> make(std::span<const Kind> kinds) {
  std::vector<std::unique_ptr<TextMapPropagator>> parts;
  bool have_tracecontext = false, have_baggage = false;
  for (Kind kind : kinds) {
    if (kind == Kind::kTraceContext && !have_tracecontext) {
      parts.push_back(std::make_unique<TraceContextPropagator>());
      have_tracecontext = true;
    } else if (kind == Kind::kBaggage && !have_baggage) {
      parts.push_back(std::make_unique<BaggagePropagator>());
      have_baggage = true;
    }
  }
  return std::make_unique<CompositePropagator>(std::move(parts));
}

Result<std::unique_ptr<TextMapPropagator>> from_names(std::span<const std::string> names) {
  std::vector<Kind> kinds;
  for (const auto& name : names) {
    if (name == "tracecontext") {
      kinds.push_back(Kind::kTraceContext);
    } else if (name == "baggage") {
      kinds.push_back(Kind::kBaggage);
    } else if (name != "none") {
      // "none" contributes nothing; alone it means no propagation at all.
      return Error{"OTEL_PROPAGATORS: \"" + name +
                   "\" is not supported: use tracecontext, baggage or none"};
    }
  }
  return make(kinds);
}

namespace {
struct Registry {
  std::mutex mutex;
  std::vector<std::unique_ptr<TextMapPropagator>> all;  // never freed: references stay valid
  std::atomic<const TextMapPropagator*> current{nullptr};
};
Registry& registry() {
  static Registry* r = [] {
    auto* reg = new Registry();
    std::vector<std::string> defaults = {"tracecontext", "baggage"};
    auto p = from_names(defaults);
    reg->all.push_back(std::move(*p));
    reg->current.store(reg->all.back().get());
    return reg;
  }();
  return *r;
}
}  // namespace

const TextMapPropagator& global_propagator() noexcept {
  return *registry().current.load(std::memory_order_acquire);
}

void set_global_propagator(std::unique_ptr<TextMapPropagator> propagator) {
  if (!propagator) return;
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.all.push_back(std::move(propagator));
  r.current.store(r.all.back().get(), std::memory_order_release);
}

}  // namespace tracekit::propagation
