// SPDX-License-Identifier: Apache-2.0
#include "tracekit/exporters/memory.h"

namespace tracekit {

std::vector<SpanDataPtr> InMemorySpanStore::spans() const {
  std::lock_guard lock(mutex_);
  return spans_;
}

size_t InMemorySpanStore::size() const {
  std::lock_guard lock(mutex_);
  return spans_.size();
}

SpanDataPtr InMemorySpanStore::find(std::string_view name) const {
  std::lock_guard lock(mutex_);
  for (const auto& s : spans_) {
    if (s->name() == name) return s;
  }
  return nullptr;
}

void InMemorySpanStore::clear() {
  std::lock_guard lock(mutex_);
  spans_.clear();
}

void InMemorySpanStore::add(std::span<const SpanDataPtr> spans) {
  std::lock_guard lock(mutex_);
  spans_.insert(spans_.end(), spans.begin(), spans.end());
}

ExportResult InMemorySpanExporter::export_spans(std::span<const SpanDataPtr> spans,
                                                Deadline) noexcept {
  if (shut_down_) return ExportResult::failure("exporter is shut down");
  try {
    store_->add(spans);
  } catch (...) {
    return ExportResult::failure("out of memory");
  }
  return ExportResult::success();
}

bool InMemorySpanExporter::shutdown(std::chrono::milliseconds) noexcept {
  shut_down_ = true;
  return true;
}

}  // namespace tracekit
