// tracekit::http: a server on a free loopback port with the tracing middleware, called by the
// traced blocking client inside a span: the server's span continues the client's trace, and
// the response names it in X-Trace-ID.
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>

#include "check.h"
#include "tracekit/exporters/memory.h"
#include "tracekit/http/http.h"
#include "tracekit/propagation/propagator.h"
#include "tracekit/propagation/w3c.h"
#include "tracekit/span_processor.h"
#include "tracekit/tracer_provider.h"

namespace th = tracekit::http;

int main() {
  auto exporter = std::make_unique<tracekit::InMemorySpanExporter>();
  auto store = exporter->store();
  tracekit::TracerProviderOptions options;
  options.processors.push_back(
      std::make_unique<tracekit::SimpleSpanProcessor>(std::move(exporter)));
  auto provider = std::make_shared<tracekit::TracerProvider>(std::move(options));
  tracekit::set_global_tracer_provider(provider);
  tracekit::propagation::set_global_propagator(
      std::make_unique<tracekit::propagation::TraceContextPropagator>());

  th::Server server(th::ServerOptions{.address = "127.0.0.1", .port = 0});
  server.use(th::tracing_middleware());
  server.route("GET", "/hello/{name}",
               [](th::Request& req) -> boost::asio::awaitable<th::Response> {
                 co_return th::Response::text(200, "hello " + std::string(req.param("name")));
               });
  CONSUMER_CHECK(server.start());

  std::string trace_id;
  {
    auto span = tracekit::get_tracer("consumer").start_as_current_span("call");
    trace_id = span.context().trace_id().to_hex();
    th::BlockingClient client;
    auto response = client.request("GET", server.base_url() + "/hello/consumer");
    CONSUMER_CHECK(static_cast<bool>(response));
    CONSUMER_CHECK(response->status == 200);
    CONSUMER_CHECK(response->body == "hello consumer");
    CONSUMER_CHECK(response->header("X-Trace-ID").value_or("") == trace_id);
  }
  CONSUMER_CHECK(server.stop());
  CONSUMER_CHECK(provider->shutdown());
  CONSUMER_CHECK(store->find("GET /hello/{name}") != nullptr);
  std::printf("http: ok (%zu spans)\n", store->size());
  return 0;
}
