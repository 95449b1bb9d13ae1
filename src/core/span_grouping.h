// SPDX-License-Identifier: Apache-2.0
// Groups a batch of spans by resource, then by instrumentation scope, keeping first-seen order:
// the nesting of OTLP's ResourceSpans / ScopeSpans.
#pragma once

#include <span>
#include <vector>

#include "tracekit/resource.h"
#include "tracekit/span_data.h"

namespace tracekit::detail {

struct ScopeGroup {
  const InstrumentationScope* scope;
  std::vector<const SpanData*> spans;
};
struct ResourceGroup {
  const Resource* resource;
  std::vector<ScopeGroup> scopes;
};

inline std::vector<ResourceGroup> group_spans(std::span<const SpanDataPtr> spans) {
  std::vector<ResourceGroup> groups;
  for (const auto& span : spans) {
    const Resource* resource = &span->resource();
    const InstrumentationScope* scope = &span->scope();
    ResourceGroup* rg = nullptr;
    for (auto& g : groups) {
      if (g.resource == resource) rg = &g;
    }
    if (!rg) rg = &groups.emplace_back(ResourceGroup{resource, {}});
    ScopeGroup* sg = nullptr;
    for (auto& g : rg->scopes) {
      if (g.scope == scope) sg = &g;
    }
    if (!sg) sg = &rg->scopes.emplace_back(ScopeGroup{scope, {}});
    sg->spans.push_back(span.get());
  }
  return groups;
}

}  // namespace tracekit::detail
