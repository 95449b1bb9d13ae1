// SPDX-License-Identifier: Apache-2.0
// The start-up summary of the effective configuration: one line for the log at info, and one line
// per setting with its origin for debug.
#include <string>
#include <vector>

#include "tracekit/config.h"

namespace tracekit {

namespace {
template <class Kinds>
std::string joined(const Kinds& kinds) {
  std::string out;
  for (const auto& k : kinds) {
    if (!out.empty()) out += ',';
    out += to_string(k);
  }
  return out.empty() ? "none" : out;
}
}  // namespace

std::string summary_line(const Config& config) {
  std::string out = config.enabled ? "tracing on" : "tracing off";
  out += ": service.name=" +
         (config.service_name.empty() ? default_service_name() : config.service_name);
  out += ", propagators=" + joined(config.propagators);
  if (!config.enabled) return out;
  out += ", sampler=" + std::string(samplers::to_string(config.sampler.kind));
  if (config.sampler.kind == samplers::Kind::kTraceIdRatio ||
      config.sampler.kind == samplers::Kind::kParentBasedTraceIdRatio) {
    out += "(" + std::to_string(config.sampler.ratio) + ")";
  }
  out += ", exporters=";
  std::string exporters;
  for (ExporterKind kind : config.exporters) {
    if (!exporters.empty()) exporters += ',';
    exporters += to_string(kind);
    if (kind == ExporterKind::kOtlp) {
      exporters +=
          "(" + std::string(to_string(config.otlp.protocol)) + " " + config.otlp.endpoint + ")";
    } else if (!config.console_path.empty()) {
      exporters += "(" + config.console_path + ")";
    }
  }
  out += exporters.empty() ? "none" : exporters;
  return out;
}

std::vector<std::string> summary_details(const Config& config) {
  std::vector<std::string> out;
  out.reserve(config.origins.size() + 1);
  for (const ConfigOrigin& o : config.origins) {
    out.emplace_back(o.setting + "=\"" + o.value + "\" (from " + o.origin + ")");
  }
  out.emplace_back("every other setting: its default (docs/configuration.md)");
  return out;
}

}  // namespace tracekit
