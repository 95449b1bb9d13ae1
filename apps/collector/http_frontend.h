// SPDX-License-Identifier: Apache-2.0
// The collector's HTTP listeners (OTLP/HTTP on 4318, viewer and API on 16686) behind one small
// interface: a handler from request to Response, whatever server library carries it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "options.h"
#include "response.h"
#include "tracekit/result.h"

namespace tracekit::collector {

struct HttpRequestView {
  std::string_view method;
  std::string_view target;  // path and query, percent-encoded
  std::string_view path;    // target up to '?'
  std::string_view content_type;
  std::string_view content_encoding;
  std::string_view accept_encoding;
  std::string_view body;
  // The server refused the body (over the size limit, 413) without reading it; `body` is empty.
  // The handler answers such a request with the error body its protocol wants.
  bool body_too_large = false;
};

// What a listener lets through (tracekit::http::request_guard): Host allow-list, Origin on
// state-changing requests, optional bearer token. See docs/collector.md.
struct FrontendGuard {
  // Beyond localhost, 127.0.0.1, [::1] and the address connected to, with the port connected to.
  std::vector<std::string> allowed_hosts;
  // false: any Host (OTLP exporters may use any name for the collector); Origin is still checked.
  bool check_host = true;
  std::string token;  // empty: none required
  // A browser may log in with ?token=<token> (a cookie); for the viewer.
  bool browser_login = false;
};

// Runs on the server's threads; must not throw.
using HttpHandler = std::function<Response(const HttpRequestView&)>;

class HttpFrontend {
 public:
  virtual ~HttpFrontend() = default;  // stops: in-flight requests get a short grace period
  virtual int port() const = 0;
};

// Bodies over `max_body_bytes` get 413 before they are read; the handler still sees the request
// (with body_too_large set) to shape the error body.
Result<std::unique_ptr<HttpFrontend>> start_http_frontend(const ListenAddress& address,
                                                          size_t max_body_bytes,
                                                          const FrontendGuard& guard,
                                                          HttpHandler handler);

}  // namespace tracekit::collector
