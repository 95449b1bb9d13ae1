// Text-map propagators: read a Context out of incoming headers and write one into outgoing
// headers. The global propagator is what OTEL_PROPAGATORS selects (default tracecontext,baggage).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tracekit/context.h"
#include "tracekit/propagation/text_map.h"
#include "tracekit/result.h"

namespace tracekit::propagation {

class TextMapPropagator {
 public:
  virtual ~TextMapPropagator() = default;
  // Returns `context` with what the carrier holds added; invalid headers are ignored.
  virtual Context extract(const TextMapGetter& carrier, const Context& context) const noexcept = 0;
  virtual void inject(TextMapSetter& carrier, const Context& context) const noexcept = 0;
  // The header names this propagator reads and writes.
  virtual std::vector<std::string> fields() const = 0;
};

// Runs several propagators in order.
class CompositePropagator final : public TextMapPropagator {
 public:
  explicit CompositePropagator(std::vector<std::unique_ptr<TextMapPropagator>> parts)
      : parts_(std::move(parts)) {}
  Context extract(const TextMapGetter& carrier, const Context& context) const noexcept override;
  void inject(TextMapSetter& carrier, const Context& context) const noexcept override;
  std::vector<std::string> fields() const override;

 private:
  std::vector<std::unique_ptr<TextMapPropagator>> parts_;
};

// The propagators OTEL_PROPAGATORS names, as values: what Config holds once parsed.
enum class Kind { kTraceContext, kBaggage };
// The OTEL_PROPAGATORS name of `kind`.
std::string_view to_string(Kind kind) noexcept;
// One composite of `kinds` in order (a repeated kind counts once; none: no propagation).
std::unique_ptr<TextMapPropagator> make(std::span<const Kind> kinds);
// From OTEL_PROPAGATORS names: tracecontext, baggage, none ("none" alone means no propagation).
Result<std::unique_ptr<TextMapPropagator>> from_names(std::span<const std::string> names);

// The process-wide propagator. Replaced ones are kept alive, so a reference stays valid.
const TextMapPropagator& global_propagator() noexcept;
void set_global_propagator(std::unique_ptr<TextMapPropagator> propagator);

// Convenience: the global propagator on a std::map-like or pair-vector carrier.
template <class Carrier>
Context extract(const Carrier& carrier, const Context& context = Context::current()) {
  return global_propagator().extract(RangeGetter<Carrier>(carrier), context);
}
template <class Map>
void inject(Map& carrier, const Context& context = Context::current()) {
  MapSetter<Map> setter(carrier);
  global_propagator().inject(setter, context);
}
inline void inject(std::vector<std::pair<std::string, std::string>>& carrier,
                   const Context& context = Context::current()) {
  PairVectorSetter setter(carrier);
  global_propagator().inject(setter, context);
}

}  // namespace tracekit::propagation
