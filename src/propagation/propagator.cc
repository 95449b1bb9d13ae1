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
// What the registry publishes: a propagator, and the fields it reads when it reads no others.
struct Published {
  const TextMapPropagator* propagator = nullptr;
  std::vector<std::string> fields;
  bool exact = false;
};

// tracekit's own propagators read only the fields they list; a composite of them too. (Both
// classes are final, so a dynamic_cast cannot match an application's subclass.)
bool reads_only_its_fields(const TextMapPropagator& p) {
  if (dynamic_cast<const TraceContextPropagator*>(&p) || dynamic_cast<const BaggagePropagator*>(&p))
    return true;
  const auto* composite = dynamic_cast<const CompositePropagator*>(&p);
  if (!composite) return false;
  for (const auto& part : composite->parts()) {
    if (!part || !reads_only_its_fields(*part)) return false;
  }
  return true;
}

struct Registry {
  std::mutex mutex;
  // Never freed: references to a replaced propagator stay valid.
  std::vector<std::unique_ptr<TextMapPropagator>> all;
  std::vector<std::unique_ptr<Published>> published;
  std::atomic<const Published*> current{nullptr};

  // Called with the mutex held (or before the registry is shared).
  void publish(std::unique_ptr<TextMapPropagator> propagator) {
    auto entry = std::make_unique<Published>();
    entry->propagator = propagator.get();
    entry->exact = reads_only_its_fields(*propagator);
    if (entry->exact) {
      for (std::string& f : propagator->fields()) {
        for (char& c : f)
          if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        entry->fields.push_back(std::move(f));
      }
    }
    all.push_back(std::move(propagator));
    published.push_back(std::move(entry));
    current.store(published.back().get(), std::memory_order_release);
  }
};
Registry& registry() {
  static Registry* r = [] {
    auto* reg = new Registry();
    std::vector<std::string> defaults = {"tracecontext", "baggage"};
    auto p = from_names(defaults);
    reg->publish(std::move(*p));
    return reg;
  }();
  return *r;
}
}  // namespace

const TextMapPropagator& global_propagator() noexcept {
  return *registry().current.load(std::memory_order_acquire)->propagator;
}

const std::vector<std::string>* global_extraction_fields() noexcept {
  const Published* p = registry().current.load(std::memory_order_acquire);
  return p->exact ? &p->fields : nullptr;
}

void set_global_propagator(std::unique_ptr<TextMapPropagator> propagator) {
  if (!propagator) return;
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.publish(std::move(propagator));
}

}  // namespace tracekit::propagation
