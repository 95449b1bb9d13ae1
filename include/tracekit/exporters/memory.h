// SPDX-License-Identifier: Apache-2.0
// Keeps exported spans in memory, for tests.
#pragma once

#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "tracekit/exporter.h"

namespace tracekit {

// Where an InMemorySpanExporter puts spans; tests keep a shared_ptr to it after handing the
// exporter to a processor.
class InMemorySpanStore {
 public:
  std::vector<SpanDataPtr> spans() const;
  size_t size() const;
  // The first span with this name, or null.
  SpanDataPtr find(std::string_view name) const;
  void clear();
  void add(std::span<const SpanDataPtr> spans);

 private:
  mutable std::mutex mutex_;
  std::vector<SpanDataPtr> spans_;
};

class InMemorySpanExporter final : public SpanExporter {
 public:
  InMemorySpanExporter() : store_(std::make_shared<InMemorySpanStore>()) {}
  explicit InMemorySpanExporter(std::shared_ptr<InMemorySpanStore> store)
      : store_(std::move(store)) {}

  const std::shared_ptr<InMemorySpanStore>& store() const noexcept { return store_; }
  ExportResult export_spans(std::span<const SpanDataPtr> spans,
                            Deadline deadline) noexcept override;
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;

 private:
  std::shared_ptr<InMemorySpanStore> store_;
  bool shut_down_ = false;
};

}  // namespace tracekit
