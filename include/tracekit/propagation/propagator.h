// SPDX-License-Identifier: Apache-2.0
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
  const std::vector<std::unique_ptr<TextMapPropagator>>& parts() const noexcept { return parts_; }

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
// The header names the global propagator reads (its fields(), lower case) when it is known to
// read no others: tracekit's own propagators, alone or composed. nullptr for any other, which may
// read headers it does not list (a prefix, say). A carrier that holds none of these names
// extracts nothing, so instrumentation that has walked a request's headers already can skip
// extraction for it (tracekit's HTTP server does: most requests at a service's edge carry no
// trace context).
const std::vector<std::string>* global_extraction_fields() noexcept;

// The global propagator on the header containers services have (see ReadableCarrier and
// WritableCarrier in text_map.h): std::map, std::unordered_map, std::multimap (cpp-httplib's
// Headers), a vector of string pairs, grpc++ metadata and ClientContext (include
// tracekit/grpc/metadata.h), curl_slist* (include tracekit/curl/curl.h). For anything else,
// write a TextMapGetter / TextMapSetter and call global_propagator() directly.
template <class Carrier>
Context extract(const Carrier& carrier, const Context& context = Context::current()) {
  static_assert(ReadableCarrier<Carrier>,
                "tracekit::propagation::extract: this type is not a header carrier. Pass a "
                "range of (name, value) text pairs (std::map, std::multimap, std::vector of "
                "pairs, grpc metadata), a type with a CarrierAdapter<T>::Getter (include "
                "tracekit/grpc/metadata.h or tracekit/curl/curl.h for theirs), or call "
                "global_propagator().extract() with a TextMapGetter of your own.");
  if constexpr (ReadableCarrier<Carrier>) {
    return global_propagator().extract(getter_for(carrier), context);
  } else {
    return context;
  }
}
template <class Carrier>
void inject(Carrier& carrier, const Context& context = Context::current()) {
  static_assert(WritableCarrier<Carrier>,
                "tracekit::propagation::inject: this type is not a writable header carrier. "
                "Pass a std::map / std::unordered_map / std::multimap of std::string, a "
                "std::vector<std::pair<std::string, std::string>>, a type with a "
                "CarrierAdapter<T>::Setter (include tracekit/grpc/metadata.h for "
                "grpc::ClientContext, tracekit/curl/curl.h for curl_slist*), or call "
                "global_propagator().inject() with a TextMapSetter of your own.");
  if constexpr (WritableCarrier<Carrier>) {
    auto setter = setter_for(carrier);
    global_propagator().inject(setter, context);
  }
}

}  // namespace tracekit::propagation
