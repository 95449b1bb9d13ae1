// SPDX-License-Identifier: Apache-2.0
// Every environment variable tracekit-collector reads, in the one registry
// (tracekit/config_registry.h); each also has a flag, which wins (options.cc). To add one: add an
// entry here and a setting in options.cc, and run `scripts/check_config.py --write`.
#pragma once

#include "tracekit/config_registry.h"

namespace tracekit::collector {

using enum tracekit::config::VariableType;

// clang-format off
inline constexpr config::Variable kOptionVariables[] = {
  {"TRACEKIT_COLLECTOR_GRPC_LISTEN", kAddress, "`127.0.0.1:4317`", "`--grpc-listen`: OTLP/gRPC", "collector", "collector"},
  {"TRACEKIT_COLLECTOR_HTTP_LISTEN", kAddress, "`127.0.0.1:4318`", "`--http-listen`: OTLP/HTTP, `POST /v1/traces`", "collector", "collector"},
  {"TRACEKIT_COLLECTOR_UI_LISTEN", kAddress, "`127.0.0.1:16686`", "`--ui-listen`: viewer and JSON API", "collector", "collector"},
  {"TRACEKIT_COLLECTOR_DATA", kFile, "`./tracekit-collector.db`", "`--data`: the SQLite file", "collector", "collector"},
  {"TRACEKIT_COLLECTOR_RETENTION_AGE", kDuration, "`72h`", "`--retention-age`: delete spans that arrived longer ago; `0` keeps them", "collector", "collector"},
  {"TRACEKIT_COLLECTOR_RETENTION_INTERVAL", kDuration, "`30s`", "`--retention-interval`: how often retention runs", "collector", "collector"},
  {"TRACEKIT_COLLECTOR_RETENTION_SIZE", kSize, "`1GiB`", "`--retention-size`: keep live data under this; `0` = no limit", "collector", "collector"},
  {"TRACEKIT_COLLECTOR_MAX_REQUEST_SIZE", kSize, "`16MiB`", "`--max-request-size`: largest request, compressed and after gunzip", "collector", "collector"},
  {"TRACEKIT_COLLECTOR_ACK", kChoice, "`commit`", "`--ack`: answer an export once committed (`commit`) or queued (`queue`)", "collector", "collector"},
  {"TRACEKIT_COLLECTOR_MAX_QUEUE_SIZE", kSize, "`64MiB`", "`--max-queue-size`: spans received and not yet written", "collector", "collector"},
  {"TRACEKIT_COLLECTOR_QUERY_TIMEOUT", kDuration, "`5s`", "`--query-timeout`: time budget of one API query; `0` = none", "collector", "collector"},
  {"TRACEKIT_COLLECTOR_MAX_ATTRIBUTE_LENGTH", kSize, "`32KiB`", "`--max-attribute-length`: longer values are truncated; `0` = no limit", "collector", "collector"},
  {"TRACEKIT_COLLECTOR_MAX_ATTRIBUTES", kInteger, "`128`", "`--max-attributes`: attributes kept per span, event, link, resource and scope", "collector", "collector"},
  {"TRACEKIT_COLLECTOR_TRACE_PAGE_SPANS", kInteger, "`10000`", "`--trace-page-spans`: spans in one page of `/api/traces/{id}`", "collector", "collector"},
  {"TRACEKIT_COLLECTOR_MAX_EVENTS", kInteger, "`128`", "`--max-events`: events kept per span", "collector", "collector"},
  {"TRACEKIT_COLLECTOR_MAX_LINKS", kInteger, "`128`", "`--max-links`: links kept per span", "collector", "collector"},
  {"TRACEKIT_COLLECTOR_ALLOWED_HOSTS", kList, "none", "`--allowed-hosts`: extra `Host` values the viewer and API answer", "collector", "collector"},
  {"TRACEKIT_COLLECTOR_API_TOKEN", kText, "none", "`--api-token`: bearer token for the viewer and `/api`", "collector", "collector"},
  {"TRACEKIT_COLLECTOR_INGEST_TOKEN", kText, "none", "`--ingest-token`: bearer token for OTLP/HTTP and OTLP/gRPC", "collector", "collector"},
};
// clang-format on

consteval const config::Variable& option_variable(std::string_view name) {
  return config::find_variable(kOptionVariables, name);
}

}  // namespace tracekit::collector
