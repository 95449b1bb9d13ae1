// SPDX-License-Identifier: Apache-2.0
// A known set of log records covering every field tracekit's OTLP log export writes, and a
// checker for a decoded ExportLogsServiceRequest carrying them. Shared by the log exporter tests
// (our receivers) and the interop test (the official JS decoders).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "otlp_support.h"
#include "tracekit/log/record.h"

namespace tracekit::testing {

// The Resource the records are exported with: service.name "log-test", service.version "1.2.3".
Resource known_log_resource();

// Two loggers (two scopes): one record inside a span with a field of every kind and a
// correlation id, one outside any span with no fields.
std::vector<log::LogRecordPtr> make_known_log_records();

// Checks every field of `request` against make_known_log_records() and known_log_resource()
// (gtest expectations).
void expect_known_log_records(const logsv1::ExportLogsServiceRequest& request);

// A record's attributes by key.
std::map<std::string, commonv1::AnyValue> attributes_of(
    const opentelemetry::proto::logs::v1::LogRecord& record);

}  // namespace tracekit::testing
