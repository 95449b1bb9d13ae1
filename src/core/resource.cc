// SPDX-License-Identifier: Apache-2.0
#include "tracekit/resource.h"

#include "percent.h"
#include "tracekit/semconv.h"
#include "tracekit/version.h"

namespace tracekit {

Resource Resource::sdk_default() {
  OwnedAttributes attrs;
  attrs.set(semconv::service::kName, "unknown_service");
  attrs.set(semconv::telemetry::kSdkName, "tracekit");
  attrs.set(semconv::telemetry::kSdkLanguage, "cpp");
  attrs.set(semconv::telemetry::kSdkVersion, kVersion);
  return Resource(std::move(attrs));
}

std::string_view Resource::get_string(std::string_view key) const noexcept {
  const AttributeValue* v = attributes_.get(key);
  if (!v || v->type() != AttributeType::kString) return {};
  return v->as_string();
}

Resource Resource::merge(const Resource& updating) const {
  OwnedAttributes merged = attributes_;
  for (const auto& kv : updating.attributes_.items())
    merged.set(kv.key, kv.value);
  // The schema URL: the updating one when set, else ours (the spec leaves a conflict to us).
  std::string schema = updating.schema_url_.empty() ? schema_url_ : updating.schema_url_;
  return Resource(std::move(merged), std::move(schema));
}

Result<OwnedAttributes> parse_resource_attributes(std::string_view text) {
  OwnedAttributes out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = detail::trim(text.substr(pos, comma - pos));
    pos = comma + 1;
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return Error{"OTEL_RESOURCE_ATTRIBUTES: \"" + std::string(item) +
                   "\" is not key=value (expected key1=value1,key2=value2)"};
    }
    std::string_view key = detail::trim(item.substr(0, eq));
    std::string_view raw_value = detail::trim(item.substr(eq + 1));
    if (key.empty()) {
      return Error{"OTEL_RESOURCE_ATTRIBUTES: \"" + std::string(item) + "\" has an empty key"};
    }
    auto value = detail::percent_decode(raw_value);
    if (!value) {
      return Error{"OTEL_RESOURCE_ATTRIBUTES: the value of \"" + std::string(key) +
                   "\" has a bad percent-encoding (\"" + std::string(raw_value) + "\")"};
    }
    auto decoded_key = detail::percent_decode(key);
    if (!decoded_key) {
      return Error{"OTEL_RESOURCE_ATTRIBUTES: the key \"" + std::string(key) +
                   "\" has a bad percent-encoding"};
    }
    out.set(*decoded_key, *value);
  }
  return out;
}

}  // namespace tracekit
