// SPDX-License-Identifier: Apache-2.0
// Static files below a directory, with content types and no way out of it.
#pragma once

#include <filesystem>
#include <string_view>

#include "tracekit/http/message.h"

namespace tracekit::http::detail {

// The Content-Type for a file name's extension (application/octet-stream when unknown).
std::string_view content_type_for(std::string_view filename) noexcept;

// A response for `encoded_path` (the URL path below the static prefix, still percent-encoded)
// under `root` (canonical): the file (streamed by the server), 404 when it does not exist, is a
// directory without index.html, or would be outside `root` ("..", encoded slashes, symlinks out),
// 400 for malformed escapes, 405 for methods other than GET and HEAD.
Response serve_static(const std::filesystem::path& root, std::string_view method,
                      std::string_view encoded_path);

}  // namespace tracekit::http::detail
