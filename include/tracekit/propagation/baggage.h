// SPDX-License-Identifier: Apache-2.0
// W3C Baggage: the baggage header.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "tracekit/baggage.h"
#include "tracekit/propagation/propagator.h"

namespace tracekit::propagation {

struct BaggageLimits {
  size_t max_members = 180;  // the header grammar's limit (list-member 0*179(...))
  size_t max_bytes = 8192;   // the size every platform must propagate
};

// Parses baggage header values (several fields are joined). Keys must be RFC 7230 tokens and
// values baggage-octets with valid percent-encoding; an invalid member is skipped and the rest
// kept. Members past the limits are dropped.
Baggage parse_baggage(std::span<const std::string_view> fields, const BaggageLimits& limits = {});
Baggage parse_baggage(std::string_view header, const BaggageLimits& limits = {});

// The header value, values percent-encoded; members that do not fit the limits are left out.
std::string format_baggage(const Baggage& baggage, const BaggageLimits& limits = {});

class BaggagePropagator final : public TextMapPropagator {
 public:
  explicit BaggagePropagator(BaggageLimits limits = {}) : limits_(limits) {}
  Context extract(const TextMapGetter& carrier, const Context& context) const noexcept override;
  void inject(TextMapSetter& carrier, const Context& context) const noexcept override;
  std::vector<std::string> fields() const override { return {"baggage"}; }

 private:
  BaggageLimits limits_;
};

}  // namespace tracekit::propagation
