// SPDX-License-Identifier: Apache-2.0
// The entity that produces telemetry: service.name, service.version, deployment.environment,
// telemetry.sdk.*, and whatever OTEL_RESOURCE_ATTRIBUTES adds.
#pragma once

#include <string>
#include <string_view>

#include "tracekit/attributes.h"
#include "tracekit/result.h"

namespace tracekit {

class Resource {
 public:
  Resource() = default;
  explicit Resource(OwnedAttributes attributes, std::string schema_url = {})
      : attributes_(std::move(attributes)), schema_url_(std::move(schema_url)) {}

  // telemetry.sdk.name=tracekit, telemetry.sdk.language=cpp, telemetry.sdk.version, and
  // service.name=unknown_service (the specification's fallback).
  static Resource sdk_default();

  const OwnedAttributes& attributes() const noexcept { return attributes_; }
  const std::string& schema_url() const noexcept { return schema_url_; }
  // A string attribute, or empty.
  std::string_view get_string(std::string_view key) const noexcept;

  // The union of both; where a key is in both, `updating`'s value wins.
  Resource merge(const Resource& updating) const;

 private:
  OwnedAttributes attributes_;
  std::string schema_url_;
};

// Parses OTEL_RESOURCE_ATTRIBUTES: "key1=value1,key2=value2", values percent-decoded, spaces
// around keys and values trimmed. An invalid entry is an error naming it.
Result<OwnedAttributes> parse_resource_attributes(std::string_view text);

}  // namespace tracekit
