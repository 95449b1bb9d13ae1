// SPDX-License-Identifier: Apache-2.0
// The HTTP server's request handling up to the handler, without a socket: the raw bytes of a
// request through Beast's parser with the server's settings (src/http/server.cc: header limit,
// the body limit applied once the route is known), then what the server and middleware do with
// the parsed request: route matching (src/http/router.cc, the reference service's routes),
// static file resolution (src/http/static_files.cc, over a temporary root), query parameters
// and percent-decoding (src/http/message.cc), the traceparent/tracestate/baggage extraction,
// the Host split and the redacted URL for span attributes (src/http/semconv.cc). A matched
// route's parameters come back decoded from the path, a static file is never outside its root,
// and the span URL never carries userinfo or an unredacted secret query value.
#include <unistd.h>

#include <boost/beast/http/parser.hpp>
#include <filesystem>
#include <fstream>

#include "fuzz_check.h"
#include "router.h"
#include "semconv.h"
#include "static_files.h"
#include "tracekit/http/message.h"
#include "tracekit/http/tracing.h"
#include "tracekit/propagation/baggage.h"
#include "tracekit/propagation/w3c.h"

namespace bh = boost::beast::http;
namespace fs = std::filesystem;
using namespace tracekit::http;

namespace {

struct Fixture {
  detail::Router router;
  fs::path root;
  TracingOptions tracing;
  Fixture() {
    for (const char* pattern :
         {"/healthz", "/tools", "/tools/{id}", "/tools/{id}/versions",
          "/tools/{id}/versions/{version_id}", "/tools/{id}/versions/{version_id}/run",
          "/runs/{id}", "/api/traces/{trace_id}", "/files/{path...}"}) {
      for (const char* method : {"GET", "POST"}) {
        detail::Route r;
        r.method = method;
        r.pattern = pattern;
        r.segments = std::move(*detail::parse_pattern(pattern));
        r.blocking_handler = [](Request&) { return Response(200); };
        router.add(std::move(r));
      }
    }
    FUZZ_CHECK(router.first_error().empty());
    // A static root with a file, a subdirectory with index.html, and a symlink out of it.
    const fs::path base =
        fs::temp_directory_path() / ("tracekit-fuzz-http-" + std::to_string(::getpid()));
    fs::create_directories(base / "root" / "sub");
    std::ofstream(base / "root" / "app.js") << "x";
    std::ofstream(base / "root" / "sub" / "index.html") << "x";
    std::ofstream(base / "secret.txt") << "x";
    std::error_code ec;
    fs::create_symlink(base / "secret.txt", base / "root" / "link.txt", ec);
    root = fs::canonical(base / "root");
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

bool within(const fs::path& root, const fs::path& p) {
  auto [r, q] = std::mismatch(root.begin(), root.end(), p.begin(), p.end());
  return r == root.end();
}

void check_route(const Request& req) {
  const auto match = fixture().router.match(req.method(), req.path());
  if (match.kind != detail::RouteMatch::Kind::kFound) {
    if (match.kind == detail::RouteMatch::Kind::kMethodNotAllowed) FUZZ_CHECK(!match.allow.empty());
    return;
  }
  FUZZ_CHECK(match.route != nullptr);
  for (const auto& [name, value] : match.params) {
    FUZZ_CHECK(!name.empty());
    // A segment parameter is one path segment: a '/' in it must have come encoded.
    if (name != "path" && value.find('/') != std::string::npos) {
      FUZZ_CHECK(req.path().find("%2F") != std::string_view::npos ||
                 req.path().find("%2f") != std::string_view::npos);
    }
  }
}

void check_static(const Request& req) {
  std::string_view path = req.path();
  if (!path.starts_with("/static")) return;
  path.remove_prefix(7);
  const Response r = detail::serve_static(fixture().root, req.method(), path);
  if (r.status() != 200) return;
  FUZZ_CHECK(!r.file_path().empty());
  FUZZ_CHECK(within(fixture().root, fs::path(r.file_path())));
}

bool redacted_key(std::string_view key) {
  for (const auto& r : fixture().tracing.redacted_query_params) {
    if (key.size() == r.size() && std::equal(key.begin(), key.end(), r.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return true;
    }
  }
  return false;
}

void check_url(const Request& req) {
  const std::string url = redacted_url("http", req.host(), req.target(), fixture().tracing);
  const size_t authority = url.find("://");
  FUZZ_CHECK(authority != std::string::npos);
  const size_t q = url.find('?');
  if (q == std::string::npos) return;
  // Every query value whose name (decoded, as the application reads it) is a secret is
  // redacted.
  std::string_view query = std::string_view(url).substr(q + 1);
  while (true) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq));
    if (key && redacted_key(*key) && eq != std::string_view::npos) {
      FUZZ_CHECK(pair.substr(eq + 1) == "REDACTED");
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
}

void check_request(const Request& req) {
  FUZZ_CHECK(req.path().size() <= req.target().size());
  for (const char* name : {"limit", "service", "lookback", "attribute"}) {
    (void)req.query_param(name);
  }
  (void)percent_decode(req.path());
  check_route(req);
  check_static(req);
  check_url(req);
  const auto [host, port] = detail::split_host_port(req.host(), 80);
  FUZZ_CHECK(port >= 1);
  FUZZ_CHECK(host.size() <= req.host().size());
  FieldsGetter getter(req.headers());
  const tracekit::Context ctx = tracekit::propagation::TraceContextPropagator().extract(getter, {});
  if (ctx.span_context().is_valid()) FUZZ_CHECK(ctx.span_context().is_remote());
  (void)tracekit::propagation::BaggagePropagator().extract(getter, {});
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fixture();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bh::request_parser<bh::string_body> parser;
  parser.eager(true);
  parser.header_limit(16 * 1024);  // ServerOptions::max_header_bytes' order of magnitude
  parser.body_limit(64 * 1024);
  boost::system::error_code ec;
  size_t used = 0;
  const char* p = reinterpret_cast<const char*>(data);
  // Beast is fed as the socket would feed it: in pieces, consumed as far as it can.
  while (used < size && !parser.is_done()) {
    const size_t n = parser.put(boost::asio::buffer(p + used, size - used), ec);
    if (ec == bh::error::need_more) break;
    if (ec) return 0;
    if (n == 0) break;
    used += n;
  }
  if (!parser.is_header_done()) return 0;
  check_request(Request(parser.release()));
  return 0;
}
