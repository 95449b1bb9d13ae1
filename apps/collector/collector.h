// SPDX-License-Identifier: Apache-2.0
// The whole collector in one object: the span store, the OTLP/gRPC receiver, the OTLP/HTTP
// receiver and the viewer with its JSON API, each on its own listen address. main() runs one;
// the tests run one in-process or as a process.
#pragma once

#include <memory>

#include "options.h"
#include "span_store.h"
#include "tracekit/result.h"

namespace tracekit::collector {

class Collector {
 public:
  static Result<std::unique_ptr<Collector>> start(const CollectorOptions& options);
  ~Collector();  // stops the listeners, then writes what is queued

  // The ports actually bound (differs from the options when they asked for port 0).
  int grpc_port() const;
  int http_port() const;
  int ui_port() const;
  SpanStore& store();

  struct Impl;

 private:
  explicit Collector(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tracekit::collector
