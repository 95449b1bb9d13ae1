// SPDX-License-Identifier: Apache-2.0
#include "web_assets.h"

namespace tracekit::collector {

namespace {

std::string_view content_type_of(std::string_view path) {
  if (path.ends_with(".html")) return "text/html; charset=utf-8";
  if (path.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (path.ends_with(".css")) return "text/css; charset=utf-8";
  if (path.ends_with(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

}  // namespace

Response handle_web(std::string_view path) {
  // The viewer's pages are one document; app.js shows the one the path names.
  if (path == "/" || path.starts_with("/trace/") || path == "/search" || path == "/logs" ||
      path == "/dependencies" || path == "/operations" || path.starts_with("/compare/")) {
    path = "/index.html";
  }
  if (path == "/favicon.ico") path = "/favicon.svg";  // browsers that ask before reading <link>
  for (const EmbeddedFile& f : embedded_web_files()) {
    if (f.path != path) continue;
    Response r;
    r.content_type = content_type_of(path);
    r.body = f.content;
    // Defence in depth: even if span data ever reached the DOM as markup, no inline script
    // would run.
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'none'; script-src 'self'; style-src 'self'; "
                           "connect-src 'self'; img-src 'self' data:; base-uri 'none'; "
                           "form-action 'self'; frame-ancestors 'none'");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("Cache-Control", "no-cache");
    return r;
  }
  Response r;
  r.status = 404;
  r.content_type = "text/plain; charset=utf-8";
  r.body = "not found\n";
  return r;
}

}  // namespace tracekit::collector
