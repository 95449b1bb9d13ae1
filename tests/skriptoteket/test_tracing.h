// SPDX-License-Identifier: Apache-2.0
// A tracer provider that keeps every ended span in memory, and helpers to read spans.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "tracekit/tracekit.h"

namespace skriptoteket::testing {

struct MemoryTracing {
  std::shared_ptr<tracekit::InMemorySpanStore> spans =
      std::make_shared<tracekit::InMemorySpanStore>();
  std::unique_ptr<tracekit::TracerProvider> provider;

  MemoryTracing() {
    tracekit::TracerProviderOptions options;
    options.processors.push_back(std::make_unique<tracekit::SimpleSpanProcessor>(
        std::make_unique<tracekit::InMemorySpanExporter>(spans)));
    provider = std::make_unique<tracekit::TracerProvider>(std::move(options));
  }
  tracekit::Tracer& tracer() { return provider->get_tracer("skriptoteket.test"); }
};

inline std::string string_attribute(const tracekit::SpanData& span, std::string_view key) {
  const auto* v = span.attribute(key);
  return v && v->type() == tracekit::AttributeType::kString ? std::string(v->as_string())
                                                            : std::string();
}

// A fresh directory under the system's temporary directory, removed with the object.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "skriptoteket-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace skriptoteket::testing
