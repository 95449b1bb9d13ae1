// SPDX-License-Identifier: Apache-2.0
// The collector's settings, from command-line flags and TRACEKIT_COLLECTOR_* environment
// variables (a flag wins over its variable). Every bad value is an error naming the flag or
// variable, the value, and what it takes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tracekit/result.h"

namespace tracekit::collector {

struct ListenAddress {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string to_string() const;  // host:port, IPv6 hosts in brackets
};

struct CollectorOptions {
  ListenAddress grpc{"127.0.0.1", 4317};
  ListenAddress http{"127.0.0.1", 4318};
  ListenAddress ui{"127.0.0.1", 16686};
  std::string data_path = "tracekit-collector.db";
  std::chrono::seconds retention_age{std::chrono::hours(72)};  // 0: keep forever
  uint64_t retention_bytes = 1ull << 30;                       // 0: no limit
  std::chrono::milliseconds retention_interval{std::chrono::seconds(30)};
  uint64_t max_request_bytes = 16u << 20;
  // Answer an export once its spans are committed (true), or once they are queued.
  bool ack_after_commit = true;
  uint64_t max_queue_bytes = 64ull << 20;  // spans received and not yet written
  std::chrono::milliseconds query_timeout{std::chrono::seconds(5)};  // 0: none
  uint64_t trace_page_spans = 10'000;  // spans in one page of /api/traces/{id}
  // Span limits (OpenTelemetry's meanings; truncated and counted as dropped, not refused).
  uint64_t max_attribute_length = 32 * 1024;  // bytes of a string or bytes value; 0: no limit
  uint64_t max_attributes = 128;  // per span, event and link, and elements of an array value
  uint64_t max_events = 128;      // per span
  uint64_t max_links = 128;       // per span
  // Host values the viewer/API answers besides localhost, 127.0.0.1, [::1] and the address
  // connected to (each with its port): "name", "name:port", "*" (docs/collector.md).
  std::vector<std::string> allowed_hosts;
  std::string api_token;     // viewer and /api; empty: none
  std::string ingest_token;  // OTLP/HTTP and OTLP/gRPC; empty: none
  bool help = false;
};

// `environment` is injected (main reads the registry, tests pass a map); nullptr means "not set".
Result<CollectorOptions> parse_options(const std::vector<std::string>& args,
                                       const std::function<const char*(const char*)>& environment);

// The --help text.
std::string usage();

// "10MB", "1.5GiB", "512KiB", "1000" (bytes) into bytes.
bool parse_size(std::string_view text, uint64_t& out);

}  // namespace tracekit::collector
