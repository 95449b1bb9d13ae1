// SPDX-License-Identifier: Apache-2.0
// One log record as the collector stores and serves it: ids as lower-case hex (empty when the
// record has none), times in nanoseconds since the Unix epoch, the body as text (a string body
// as is, any other AnyValue as its OTLP/JSON), attributes, scope and resource as OTLP/JSON text.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shared_json.h"

namespace tracekit::collector {

struct StoredLog {
  std::string trace_id;  // 32 hex digits, or empty
  std::string span_id;   // 16 hex digits, or empty
  int64_t time_ns = 0;   // time_unix_nano, or the observed time when that is 0
  int64_t observed_ns = 0;
  int severity_number = 0;  // OTLP SeverityNumber, 0 unspecified .. 24 FATAL4
  std::string severity_text;
  std::string body;
  std::string event_name;
  uint32_t flags = 0;
  std::string service;         // the resource's service.name
  std::string correlation_id;  // the "correlation_id" attribute, when it is a string
  std::string attributes_json = "[]";
  // Shared by the records of one resource and scope of a request (shared_json.h).
  SharedJson scope_json;     // "{}" until set
  SharedJson resource_json;  // "{}" until set
  uint32_t dropped_attributes = 0;
  // Set when read from the store: the row, and the resource and scope rows the record uses
  // (a LogPage holds their JSON once; resource_json and scope_json are then left empty).
  int64_t id = 0, resource_id = 0, scope_id = 0;
};

// What a decoded logs export request holds: the records we keep and how many we refused.
struct DecodedLogs {
  std::vector<StoredLog> logs;
  int64_t rejected = 0;
  std::string rejected_reason;
  size_t repaired_values = 0;
};

// The bytes a record holds in memory, for the write queue's byte bound; its resource and scope,
// shared with other records, are not counted here (SharedJsonBytes counts each once).
uint64_t log_memory_bytes(const StoredLog& log);

}  // namespace tracekit::collector
