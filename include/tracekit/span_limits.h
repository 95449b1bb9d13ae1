// SPDX-License-Identifier: Apache-2.0
// Limits on what one span keeps; what goes over is dropped and counted (OTEL_SPAN_*_LIMIT).
#pragma once

#include <cstdint>
#include <limits>

namespace tracekit {

struct SpanLimits {
  static constexpr uint32_t kUnlimited = std::numeric_limits<uint32_t>::max();
  uint32_t attribute_count = 128;                // OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT
  uint32_t attribute_value_length = kUnlimited;  // OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT
  uint32_t event_count = 128;                    // OTEL_SPAN_EVENT_COUNT_LIMIT
  uint32_t link_count = 128;                     // OTEL_SPAN_LINK_COUNT_LIMIT
  uint32_t attributes_per_event = 128;           // OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT
  uint32_t attributes_per_link = 128;            // OTEL_LINK_ATTRIBUTE_COUNT_LIMIT
};

}  // namespace tracekit
