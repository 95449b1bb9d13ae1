// SPDX-License-Identifier: Apache-2.0
// Samplers decide, when a span starts, whether it records and whether it is sampled
// (exported and flagged so downstream services record it too).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "tracekit/attributes.h"
#include "tracekit/result.h"
#include "tracekit/span_context.h"
#include "tracekit/span_data.h"

namespace tracekit {

enum class SamplingDecision : uint8_t {
  kDrop,             // not recorded, not sampled
  kRecordOnly,       // recorded (processors see it) but not sampled (not exported)
  kRecordAndSample,  // recorded and sampled
};

struct SamplingResult {
  SamplingDecision decision = SamplingDecision::kDrop;
  // When set, the new span's tracestate (otherwise the parent's is kept).
  bool replace_trace_state = false;
  TraceState trace_state;
};

struct SamplingParameters {
  const SpanContext& parent;  // invalid for a root span
  const TraceId& trace_id;
  std::string_view name;
  SpanKind kind;
  std::span<const KeyValue> attributes;
};

class Sampler {
 public:
  virtual ~Sampler() = default;
  virtual SamplingResult should_sample(const SamplingParameters& params) const noexcept = 0;
  // Names the sampler and its settings, e.g. "ParentBased{root:TraceIdRatioBased{0.25},...}".
  virtual std::string description() const = 0;
};

namespace samplers {
std::unique_ptr<Sampler> always_on();
std::unique_ptr<Sampler> always_off();
// Samples a fraction of traces, decided from the trace id's random low 56 bits, so every
// service with the same ratio makes the same decision for a trace. ratio is clamped to [0, 1].
std::unique_ptr<Sampler> trace_id_ratio(double ratio);
// Follows the parent's sampled flag when there is a parent; `root` decides for new traces.
struct ParentBasedOptions {
  std::unique_ptr<Sampler> remote_parent_sampled;      // default always_on
  std::unique_ptr<Sampler> remote_parent_not_sampled;  // default always_off
  std::unique_ptr<Sampler> local_parent_sampled;       // default always_on
  std::unique_ptr<Sampler> local_parent_not_sampled;   // default always_off
};
std::unique_ptr<Sampler> parent_based(std::unique_ptr<Sampler> root,
                                      ParentBasedOptions options = {});

// The samplers OTEL_TRACES_SAMPLER names, as a value: what Config holds once parsed.
enum class Kind {
  kAlwaysOn,
  kAlwaysOff,
  kTraceIdRatio,
  kParentBasedAlwaysOn,
  kParentBasedAlwaysOff,
  kParentBasedTraceIdRatio,
};
struct Choice {
  Kind kind = Kind::kParentBasedAlwaysOn;
  double ratio = 1.0;  // the traceidratio samplers' ratio, 0 to 1
  bool operator==(const Choice&) const = default;
};
// The OTEL_TRACES_SAMPLER name of `kind` ("parentbased_always_on", ...).
std::string_view to_string(Kind kind) noexcept;

// OTEL_TRACES_SAMPLER values: always_on, always_off, traceidratio, parentbased_always_on,
// parentbased_always_off, parentbased_traceidratio (case-insensitive). `arg` is
// OTEL_TRACES_SAMPLER_ARG (the ratio; empty means 1.0). An error names the variable.
Result<Choice> parse(std::string_view name, std::string_view arg);
// The sampler `choice` describes; it cannot fail.
std::unique_ptr<Sampler> make(const Choice& choice);
// make(parse(name, arg)).
Result<std::unique_ptr<Sampler>> from_name(std::string_view name, std::string_view arg);
}  // namespace samplers

}  // namespace tracekit
