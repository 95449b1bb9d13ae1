// SPDX-License-Identifier: Apache-2.0
// OpenTelemetry semantic-convention names that tracekit's instrumentation writes, as constants:
// one spelling for the HTTP middleware and client, the libcurl and gRPC integrations, the
// resource and the apps, and for a user's own instrumentation of the same things.
//
//   span.set_attribute(tracekit::semconv::http::kResponseStatusCode, int64_t{200});
//
// The stable names follow the OpenTelemetry semantic conventions 1.26 (HTTP, URL, server,
// client, network, RPC, error, exception, service, telemetry). `legacy` holds the pre-1.20 HTTP
// names, still written when OTEL_SEMCONV_STABILITY_OPT_IN asks for them (`http/dup`, or unset
// with the old default). A check (scripts/check_semconv.py, a CTest test) fails the build when
// one of these names appears as a string literal in src/ or apps/ outside this header.
#pragma once

#include <string_view>

namespace tracekit::semconv {

namespace http {
inline constexpr std::string_view kRequestMethod = "http.request.method";
inline constexpr std::string_view kRequestMethodOriginal = "http.request.method_original";
inline constexpr std::string_view kResponseStatusCode = "http.response.status_code";
inline constexpr std::string_view kRoute = "http.route";
// The value of http.request.method for a method outside the well-known set.
inline constexpr std::string_view kOtherMethod = "_OTHER";
}  // namespace http

namespace url {
inline constexpr std::string_view kFull = "url.full";
inline constexpr std::string_view kPath = "url.path";
inline constexpr std::string_view kQuery = "url.query";
inline constexpr std::string_view kScheme = "url.scheme";
}  // namespace url

namespace server {
inline constexpr std::string_view kAddress = "server.address";
inline constexpr std::string_view kPort = "server.port";
}  // namespace server

namespace client {
inline constexpr std::string_view kAddress = "client.address";
}  // namespace client

namespace network {
inline constexpr std::string_view kPeerAddress = "network.peer.address";
inline constexpr std::string_view kProtocolVersion = "network.protocol.version";
}  // namespace network

namespace user_agent {
inline constexpr std::string_view kOriginal = "user_agent.original";
}  // namespace user_agent

namespace rpc {
inline constexpr std::string_view kSystem = "rpc.system";
inline constexpr std::string_view kService = "rpc.service";
inline constexpr std::string_view kMethod = "rpc.method";
inline constexpr std::string_view kGrpcStatusCode = "rpc.grpc.status_code";
inline constexpr std::string_view kSystemGrpc = "grpc";  // the value of rpc.system for gRPC
}  // namespace rpc

namespace db {
inline constexpr std::string_view kSystem = "db.system";
inline constexpr std::string_view kName = "db.name";
inline constexpr std::string_view kOperation = "db.operation";
inline constexpr std::string_view kStatement = "db.statement";
inline constexpr std::string_view kSqlTable = "db.sql.table";
}  // namespace db

namespace error {
inline constexpr std::string_view kType = "error.type";
}  // namespace error

namespace exception {
inline constexpr std::string_view kType = "exception.type";
inline constexpr std::string_view kMessage = "exception.message";
inline constexpr std::string_view kEventName = "exception";  // the span event's name
}  // namespace exception

namespace service {
inline constexpr std::string_view kName = "service.name";
inline constexpr std::string_view kVersion = "service.version";
inline constexpr std::string_view kNamespace = "service.namespace";
inline constexpr std::string_view kInstanceId = "service.instance.id";
}  // namespace service

namespace deployment {
// The name before semantic conventions 1.27 (deployment.environment.name), which tracekit
// still writes: the one Jaeger, Tempo and most collectors' processors look for today.
inline constexpr std::string_view kEnvironment = "deployment.environment";
}  // namespace deployment

namespace telemetry {
inline constexpr std::string_view kSdkName = "telemetry.sdk.name";
inline constexpr std::string_view kSdkLanguage = "telemetry.sdk.language";
inline constexpr std::string_view kSdkVersion = "telemetry.sdk.version";
}  // namespace telemetry

// The HTTP names before semantic conventions 1.20 (OTEL_SEMCONV_STABILITY_OPT_IN).
namespace legacy {
inline constexpr std::string_view kHttpMethod = "http.method";
inline constexpr std::string_view kHttpUrl = "http.url";
inline constexpr std::string_view kHttpStatusCode = "http.status_code";
inline constexpr std::string_view kNetPeerName = "net.peer.name";
inline constexpr std::string_view kNetPeerPort = "net.peer.port";
}  // namespace legacy

}  // namespace tracekit::semconv
