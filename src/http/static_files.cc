// SPDX-License-Identifier: Apache-2.0
#include "static_files.h"

#include <algorithm>
#include <array>
#include <system_error>

namespace tracekit::http::detail {

std::string_view content_type_for(std::string_view filename) noexcept {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 20> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".ico", "image/x-icon"},
      {".webp", "image/webp"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".wasm", "application/wasm"},
      {".xml", "application/xml"},
      {".pdf", "application/pdf"},
  }};
  const size_t dot = filename.rfind('.');
  if (dot == std::string_view::npos) return "application/octet-stream";
  const std::string_view ext = filename.substr(dot);
  for (const auto& [e, type] : kTypes) {
    if (e.size() != ext.size()) continue;
    bool same = true;
    for (size_t i = 0; i < e.size() && same; ++i) {
      char c = ext[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
      same = c == e[i];
    }
    if (same) return type;
  }
  return "application/octet-stream";
}

Response serve_static(const std::filesystem::path& root, std::string_view method,
                      std::string_view encoded_path) {
  namespace fs = std::filesystem;
  if (method != "GET" && method != "HEAD") {
    Response r = Response::error(405, "static files accept GET and HEAD");
    r.set_header("Allow", "GET, HEAD");
    return r;
  }
  auto decoded = percent_decode(encoded_path);
  if (!decoded) return Response::error(400, "malformed percent-escape in path");
  const std::string& rel = *decoded;
  // Refuse anything that could name a path outside root before touching the file system:
  // NUL, backslashes, and "." / ".." segments (also when they came in encoded).
  if (rel.find('\0') != std::string::npos || rel.find('\\') != std::string::npos) {
    return Response::error(404, "not found");
  }
  size_t start = 0;
  while (start <= rel.size()) {
    const size_t slash = rel.find('/', start);
    const std::string_view seg =
        std::string_view(rel).substr(start, slash == std::string::npos ? rel.npos : slash - start);
    if (seg == "." || seg == "..") return Response::error(404, "not found");
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  std::string_view trimmed = rel;
  while (trimmed.starts_with('/'))
    trimmed.remove_prefix(1);
  std::error_code ec;
  fs::path candidate = root / fs::path(std::string(trimmed));
  if (fs::is_directory(candidate, ec)) candidate /= "index.html";
  // Symlinks may still point outside: compare the resolved path with the root.
  const fs::path resolved = fs::canonical(candidate, ec);
  if (ec || !fs::is_regular_file(resolved, ec)) return Response::error(404, "not found");
  auto [root_end, resolved_it] =
      std::mismatch(root.begin(), root.end(), resolved.begin(), resolved.end());
  if (root_end != root.end()) return Response::error(404, "not found");
  Response r(200);
  r.set_header("Content-Type", content_type_for(resolved.filename().string()));
  r.set_file(resolved.string());
  return r;
}

}  // namespace tracekit::http::detail
