// SPDX-License-Identifier: Apache-2.0
#include "tracekit/sampler.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace tracekit::samplers {
namespace {

class AlwaysOn final : public Sampler {
 public:
  SamplingResult should_sample(const SamplingParameters&) const noexcept override {
    return {SamplingDecision::kRecordAndSample};
  }
  std::string description() const override { return "AlwaysOnSampler"; }
};

class AlwaysOff final : public Sampler {
 public:
  SamplingResult should_sample(const SamplingParameters&) const noexcept override {
    return {SamplingDecision::kDrop};
  }
  std::string description() const override { return "AlwaysOffSampler"; }
};

// Sampled when the trace id's right-most 7 bytes (56 random bits under W3C Level 2), read as an
// integer R, fall below ratio * 2^56: the same answer in every service for the same trace.
class TraceIdRatio final : public Sampler {
 public:
  explicit TraceIdRatio(double ratio) : ratio_(ratio) {
    constexpr double kTwo56 = 72057594037927936.0;
    threshold_ = ratio >= 1.0 ? (uint64_t{1} << 56) : static_cast<uint64_t>(ratio * kTwo56);
  }
  SamplingResult should_sample(const SamplingParameters& p) const noexcept override {
    const uint8_t* b = p.trace_id.data();
    uint64_t r = 0;
    for (int i = 9; i < 16; ++i)
      r = (r << 8) | b[i];
    return {r < threshold_ ? SamplingDecision::kRecordAndSample : SamplingDecision::kDrop};
  }
  std::string description() const override {
    char buf[64];
    std::snprintf(buf, sizeof buf, "TraceIdRatioBased{%g}", ratio_);
    return buf;
  }

 private:
  double ratio_;
  uint64_t threshold_;
};

class ParentBased final : public Sampler {
 public:
  ParentBased(std::unique_ptr<Sampler> root, ParentBasedOptions o)
      : root_(std::move(root)),
        remote_sampled_(o.remote_parent_sampled ? std::move(o.remote_parent_sampled) : always_on()),
        remote_not_sampled_(o.remote_parent_not_sampled ? std::move(o.remote_parent_not_sampled)
                                                        : always_off()),
        local_sampled_(o.local_parent_sampled ? std::move(o.local_parent_sampled) : always_on()),
        local_not_sampled_(o.local_parent_not_sampled ? std::move(o.local_parent_not_sampled)
                                                      : always_off()) {}

  SamplingResult should_sample(const SamplingParameters& p) const noexcept override {
    if (!p.parent.is_valid()) return root_->should_sample(p);
    const Sampler* s;
    if (p.parent.is_remote()) {
      s = p.parent.is_sampled() ? remote_sampled_.get() : remote_not_sampled_.get();
    } else {
      s = p.parent.is_sampled() ? local_sampled_.get() : local_not_sampled_.get();
    }
    return s->should_sample(p);
  }
  std::string description() const override {
    return "ParentBased{root:" + root_->description() +
           ",remoteParentSampled:" + remote_sampled_->description() +
           ",remoteParentNotSampled:" + remote_not_sampled_->description() +
           ",localParentSampled:" + local_sampled_->description() +
           ",localParentNotSampled:" + local_not_sampled_->description() + "}";
  }

 private:
  std::unique_ptr<Sampler> root_, remote_sampled_, remote_not_sampled_, local_sampled_,
      local_not_sampled_;
};

Result<double> parse_ratio(std::string_view arg) {
  if (arg.empty()) return 1.0;
  double value = 0;
  auto [ptr, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), value);
  if (ec != std::errc() || ptr != arg.data() + arg.size() || !std::isfinite(value) || value < 0 ||
      value > 1) {
    return Error{"OTEL_TRACES_SAMPLER_ARG=\"" + std::string(arg) +
                 "\" is not a sampling ratio: use a number from 0 to 1, such as 0.25"};
  }
  return value;
}

}  // namespace

std::unique_ptr<Sampler> always_on() {
  return std::make_unique<AlwaysOn>();
}
std::unique_ptr<Sampler> always_off() {
  return std::make_unique<AlwaysOff>();
}
std::unique_ptr<Sampler> trace_id_ratio(double ratio) {
  if (!(ratio >= 0)) ratio = 0;  // also catches NaN
  if (ratio > 1) ratio = 1;
  return std::make_unique<TraceIdRatio>(ratio);
}
std::unique_ptr<Sampler> parent_based(std::unique_ptr<Sampler> root, ParentBasedOptions options) {
  return std::make_unique<ParentBased>(std::move(root), std::move(options));
}

std::string_view to_string(Kind kind) noexcept {
  switch (kind) {
    case Kind::kAlwaysOn:
      return "always_on";
    case Kind::kAlwaysOff:
      return "always_off";
    case Kind::kTraceIdRatio:
      return "traceidratio";
    case Kind::kParentBasedAlwaysOn:
      return "parentbased_always_on";
    case Kind::kParentBasedAlwaysOff:
      return "parentbased_always_off";
    case Kind::kParentBasedTraceIdRatio:
      return "parentbased_traceidratio";
  }
  return "parentbased_always_on";
}

Result<Choice> parse(std::string_view name, std::string_view arg) {
  std::string lower(name);
  for (auto& c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (Kind kind :
       {Kind::kAlwaysOn, Kind::kAlwaysOff, Kind::kTraceIdRatio, Kind::kParentBasedAlwaysOn,
        Kind::kParentBasedAlwaysOff, Kind::kParentBasedTraceIdRatio}) {
    if (lower != to_string(kind)) continue;
    Choice choice{kind, 1.0};
    if (kind == Kind::kTraceIdRatio || kind == Kind::kParentBasedTraceIdRatio) {
      auto ratio = parse_ratio(arg);
      if (!ratio) return ratio.error();
      choice.ratio = *ratio;
    }
    return choice;
  }
  return Error{"OTEL_TRACES_SAMPLER=\"" + std::string(name) +
               "\" is not a known sampler: use always_on, always_off, traceidratio, "
               "parentbased_always_on, parentbased_always_off or parentbased_traceidratio"};
}

std::unique_ptr<Sampler> make(const Choice& choice) {
  switch (choice.kind) {
    case Kind::kAlwaysOn:
      return always_on();
    case Kind::kAlwaysOff:
      return always_off();
    case Kind::kTraceIdRatio:
      return trace_id_ratio(choice.ratio);
    case Kind::kParentBasedAlwaysOn:
      return parent_based(always_on());
    case Kind::kParentBasedAlwaysOff:
      return parent_based(always_off());
    case Kind::kParentBasedTraceIdRatio:
      return parent_based(trace_id_ratio(choice.ratio));
  }
  return parent_based(always_on());
}

Result<std::unique_ptr<Sampler>> from_name(std::string_view name, std::string_view arg) {
  auto choice = parse(name, arg);
  if (!choice) return choice.error();
  return make(*choice);
}

}  // namespace tracekit::samplers
