// SPDX-License-Identifier: Apache-2.0
// The web viewer's files (apps/collector/web), compiled into the binary.
#pragma once

#include <span>
#include <string_view>

#include "response.h"

namespace tracekit::collector {

struct EmbeddedFile {
  std::string_view path;  // "/index.html"
  std::string_view content;
};

std::span<const EmbeddedFile> embedded_web_files();

// GET of a viewer path: "/" and "/trace/<id>" give index.html (the page reads the id from the
// address), "/app.js" and "/style.css" themselves; anything else is 404. Responses carry a
// Content-Security-Policy that allows only the viewer's own script and styles.
Response handle_web(std::string_view path);

}  // namespace tracekit::collector
