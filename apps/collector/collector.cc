// SPDX-License-Identifier: Apache-2.0
#include "collector.h"

#include "grpc_receiver.h"
#include "http_frontend.h"
#include "otlp_ingest.h"
#include "query_api.h"
#include "response_gzip.h"
#include "web_assets.h"

namespace tracekit::collector {

namespace {

Response method_not_allowed(std::string_view allow) {
  Response r{405, "application/json", "{\"error\":\"method not allowed\"}"};
  r.headers.emplace_back("Allow", std::string(allow));
  return r;
}

// OTLP/HTTP: POST /v1/traces and /v1/logs only.
Response handle_otlp_request(const HttpRequestView& req, SpanStore& store,
                             const IngestLimits& limits) {
  const bool logs = req.path == "/v1/logs";
  if (req.path != "/v1/traces" && !logs) {
    return {404, "application/json",
            "{\"error\":\"not found; OTLP/HTTP traces go to POST /v1/traces, logs to POST "
            "/v1/logs\"}"};
  }
  if (req.method != "POST") return method_not_allowed("POST");
  if (req.body_too_large) {
    return otlp_http_error(
        413, "the body is larger than " + std::to_string(limits.max_body_bytes) + " bytes",
        is_json_media_type(req.content_type));
  }
  if (logs) {
    return handle_otlp_logs_http(req.content_type, req.content_encoding, req.body, store, limits);
  }
  return handle_otlp_http(req.content_type, req.content_encoding, req.body, store, limits);
}

// The viewer: /api/... is the JSON API, everything else the embedded files.
Response handle_ui_request(const HttpRequestView& req, SpanStore& store, const ApiLimits& api) {
  if (req.body_too_large) {
    return {413, "application/json", "{\"error\":\"request body too large\"}"};
  }
  if (req.method != "GET" && req.method != "HEAD") return method_not_allowed("GET, HEAD");
  Response r =
      req.path.starts_with("/api/") ? handle_api(req.target, store, api) : handle_web(req.path);
  maybe_gzip(r, req.accept_encoding);
  return r;
}

}  // namespace

struct Collector::Impl {
  std::unique_ptr<SpanStore> store;
  std::unique_ptr<GrpcReceiver> grpc;
  std::unique_ptr<HttpFrontend> otlp_http;
  std::unique_ptr<HttpFrontend> ui;
};

Result<std::unique_ptr<Collector>> Collector::start(const CollectorOptions& options) {
  auto impl = std::make_unique<Impl>();
  IngestLimits limits;
  limits.max_body_bytes = options.max_request_bytes;
  limits.ack_after_commit = options.ack_after_commit;
  limits.span_limits = {.max_attribute_length = options.max_attribute_length,
                        .max_attributes = options.max_attributes,
                        .max_events = options.max_events,
                        .max_links = options.max_links};
  StoreOptions so;
  so.max_queued_bytes = options.max_queue_bytes;
  // A request of more records than the queue ever takes at once could never be stored: it is
  // refused as too large (413, not retried) rather than as a full queue (503, retried forever).
  limits.span_limits.max_request_records = so.max_queued_spans;
  so.query_budget = options.query_timeout;
  so.path = options.data_path;
  so.max_age = options.retention_age;
  so.max_bytes = options.retention_bytes;
  so.retention_interval = options.retention_interval;
  auto store = SpanStore::open(so);
  if (!store) return store.error();
  impl->store = std::move(*store);
  SpanStore& st = *impl->store;

  auto grpc = GrpcReceiver::start(options.grpc.to_string(), st, limits, options.ingest_token);
  if (!grpc) return grpc.error();
  impl->grpc = std::move(*grpc);

  // The body limit is checked by the server before reading (413), and after gunzip again.
  // Exporters may know the collector under any name, so its Host is not checked; a browser's
  // Origin is (cross-site pages must not post spans).
  FrontendGuard ingest_guard{
      .allowed_hosts = options.allowed_hosts, .check_host = false, .token = options.ingest_token};
  auto otlp = start_http_frontend(
      options.http, options.max_request_bytes, ingest_guard,
      [&st, limits](const HttpRequestView& req) { return handle_otlp_request(req, st, limits); });
  if (!otlp) return Error{"OTLP/HTTP: " + otlp.error().message};
  impl->otlp_http = std::move(*otlp);

  // Stored traces must not be readable through a rebound DNS name: Host is checked.
  FrontendGuard ui_guard{.allowed_hosts = options.allowed_hosts,
                         .check_host = true,
                         .token = options.api_token,
                         .browser_login = true};
  ApiLimits api;
  api.trace_page_spans = options.trace_page_spans;
  auto ui = start_http_frontend(
      options.ui, 64 * 1024, ui_guard,
      [&st, api](const HttpRequestView& req) { return handle_ui_request(req, st, api); });
  if (!ui) return Error{"viewer: " + ui.error().message};
  impl->ui = std::move(*ui);
  return std::unique_ptr<Collector>(new Collector(std::move(impl)));
}

Collector::Collector(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Collector::~Collector() {
  impl_->ui.reset();
  impl_->otlp_http.reset();
  impl_->grpc.reset();
  impl_->store.reset();  // writes what is still queued
}

int Collector::grpc_port() const {
  return impl_->grpc->port();
}
int Collector::http_port() const {
  return impl_->otlp_http->port();
}
int Collector::ui_port() const {
  return impl_->ui->port();
}
SpanStore& Collector::store() {
  return *impl_->store;
}

}  // namespace tracekit::collector
