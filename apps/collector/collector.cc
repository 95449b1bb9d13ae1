#include "collector.h"

#include "grpc_receiver.h"
#include "otlp_ingest.h"
#include "query_api.h"
#include "tracekit/http/server.h"
#include "web_assets.h"

namespace tracekit::collector {

namespace {

http::Response to_http(Response r) {
  http::Response out(r.status);
  out.set_body(std::move(r.body), r.content_type);
  for (const auto& [name, value] : r.headers)
    out.set_header(name, value);
  return out;
}

http::ServerOptions server_options(const ListenAddress& address, size_t max_body_bytes) {
  http::ServerOptions o;
  o.address = address.host;
  o.port = address.port;
  o.max_body_bytes = max_body_bytes;
  o.server_name = "tracekit-collector";
  o.correlation_ids = false;
  return o;
}

}  // namespace

struct Collector::Impl {
  std::unique_ptr<SpanStore> store;
  std::unique_ptr<GrpcReceiver> grpc;
  std::unique_ptr<http::Server> otlp_http;
  std::unique_ptr<http::Server> ui;
  IngestLimits limits;
};

Result<std::unique_ptr<Collector>> Collector::start(const CollectorOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->limits.max_body_bytes = options.max_request_bytes;
  StoreOptions so;
  so.path = options.data_path;
  so.max_age = options.retention_age;
  so.max_bytes = options.retention_bytes;
  so.retention_interval = options.retention_interval;
  auto store = SpanStore::open(so);
  if (!store) return store.error();
  impl->store = std::move(*store);
  SpanStore& st = *impl->store;

  auto grpc = GrpcReceiver::start(options.grpc.to_string(), st, impl->limits);
  if (!grpc) return grpc.error();
  impl->grpc = std::move(*grpc);

  // OTLP/HTTP: the body limit is checked by the server before reading (413), and again after
  // gunzip by the handler.
  impl->otlp_http =
      std::make_unique<http::Server>(server_options(options.http, options.max_request_bytes));
  const IngestLimits limits = impl->limits;
  impl->otlp_http->route("POST", "/v1/traces", [&st, limits](http::Request& req) {
    return to_http(handle_otlp_http(req.header("Content-Type").value_or(""),
                                    req.header("Content-Encoding").value_or(""), req.body(), st,
                                    limits));
  });
  if (auto r = impl->otlp_http->start(); !r) {
    return Error{"OTLP/HTTP on " + options.http.to_string() + ": " + r.error().message};
  }

  impl->ui = std::make_unique<http::Server>(server_options(options.ui, 64 * 1024));
  impl->ui->route("GET", "/api/{rest...}",
                  [&st](http::Request& req) { return to_http(handle_api(req.target(), st)); });
  impl->ui->route("GET", "/{rest...}",
                  [](http::Request& req) { return to_http(handle_web(req.path())); });
  impl->ui->route("GET", "/", [](http::Request& req) { return to_http(handle_web(req.path())); });
  if (auto r = impl->ui->start(); !r) {
    return Error{"viewer on " + options.ui.to_string() + ": " + r.error().message};
  }
  return std::unique_ptr<Collector>(new Collector(std::move(impl)));
}

Collector::Collector(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Collector::~Collector() {
  if (impl_->ui) impl_->ui->stop(std::chrono::seconds(2));
  if (impl_->otlp_http) impl_->otlp_http->stop(std::chrono::seconds(2));
  impl_->grpc.reset();
  impl_->store.reset();
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
