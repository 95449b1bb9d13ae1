// SPDX-License-Identifier: Apache-2.0
// Groups a batch of spans by resource, then by instrumentation scope, keeping first-seen order:
// the nesting of OTLP's ResourceSpans / ScopeSpans.
#pragma once

#include <span>
#include <vector>

#include "prefetch.h"
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

// A span's scope decides its resource: both are set together, when a tracer (the scope's owner,
// one provider's) starts the span (SpanRecord::create), so a span whose scope is the previous
// span's has its resource too and the grouping reads only the scope, on the record's first cache
// line (span_data.h). The records were written on other cores: each is asked for a few spans
// ahead, so that the loads overlap rather than wait one after the other.
inline std::vector<ResourceGroup> group_spans(std::span<const SpanDataPtr> spans) {
  constexpr size_t kAhead = 8;
  std::vector<ResourceGroup> groups;
  const InstrumentationScope* last_scope = nullptr;
  size_t last_resource = 0, last_scope_index = 0;
  for (size_t i = 0; i < spans.size(); ++i) {
    if (i + kAhead < spans.size()) prefetch_for_read(spans[i + kAhead].get());
    const SpanData& span = *spans[i];
    const InstrumentationScope* scope = &span.scope();
    if (scope != last_scope || groups.empty()) {
      const Resource* resource = &span.resource();
      size_t r = 0;
      while (r < groups.size() && groups[r].resource != resource)
        ++r;
      if (r == groups.size()) groups.push_back(ResourceGroup{resource, {}});
      std::vector<ScopeGroup>& scopes = groups[r].scopes;
      size_t g = 0;
      while (g < scopes.size() && scopes[g].scope != scope)
        ++g;
      if (g == scopes.size()) scopes.push_back(ScopeGroup{scope, {}});
      last_scope = scope;
      last_resource = r;
      last_scope_index = g;
    }
    groups[last_resource].scopes[last_scope_index].spans.push_back(&span);
  }
  return groups;
}

}  // namespace tracekit::detail
