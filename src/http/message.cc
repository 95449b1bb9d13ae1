// SPDX-License-Identifier: Apache-2.0
#include "tracekit/http/message.h"

#include "tracekit/log/logger.h"
#include "tracekit/propagation/text_map.h"

namespace tracekit::http {

namespace {
int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int hi = hex_value(text[i + 1]);
    const int lo = hex_value(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

Request::Request(beast_http::request<beast_http::string_body> message)
    : message_(std::move(message)) {
  const std::string_view t = message_.target();
  const size_t q = t.find('?');
  path_size_ = q == std::string_view::npos ? t.size() : q;
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  std::string_view rest = query();
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const size_t eq = pair.find('=');
    const std::string_view key = pair.substr(0, eq);
    auto decoded_key = percent_decode(key);
    if (!decoded_key || *decoded_key != name) continue;
    std::string value(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    for (char& c : value)
      if (c == '+') c = ' ';
    return percent_decode(value);
  }
  return std::nullopt;
}

std::optional<std::string_view> Request::header(std::string_view name) const {
  auto it = message_.find(boost::beast::string_view(name.data(), name.size()));
  if (it == message_.end()) return std::nullopt;
  return std::string_view(it->value().data(), it->value().size());
}

std::string_view Request::host() const {
  return header("host").value_or(std::string_view());
}

std::string_view Request::param(std::string_view name) const noexcept {
  for (const auto& [k, v] : params_)
    if (k == name) return v;
  return {};
}

void Request::set_context(Context context) {
  *context_ = std::move(context);
}

void Request::set_route(std::string pattern,
                        std::vector<std::pair<std::string, std::string>> params) {
  route_ = std::move(pattern);
  params_ = std::move(params);
}

void Request::set_peer(std::string remote, uint16_t remote_port, std::string local,
                       uint16_t local_port) {
  remote_address_ = std::move(remote);
  remote_port_ = remote_port;
  local_address_ = std::move(local);
  local_port_ = local_port;
}

Response Response::json(int status, std::string json_text) {
  Response r(status);
  r.set_body(std::move(json_text), "application/json");
  return r;
}

Response Response::text(int status, std::string body, std::string_view content_type) {
  Response r(status);
  r.set_body(std::move(body), content_type);
  return r;
}

Response Response::error(int status, std::string_view message) {
  std::string body = "{\"error\":\"";
  log::append_json_escaped(body, message);
  body += "\",\"status\":";
  body += std::to_string(status);
  body += '}';
  return json(status, std::move(body));
}

Response& Response::set_body(std::string body, std::string_view content_type) {
  body_ = std::move(body);
  if (!content_type.empty()) set_header("Content-Type", content_type);
  return *this;
}

namespace {
constexpr std::string_view kTraceIdName = "X-Trace-ID";
constexpr std::string_view kSpanIdName = "X-Span-ID";
}  // namespace

Response& Response::set_header(std::string_view name, std::string_view value) {
  if (trace_ids_set_ != 0) [[unlikely]] {
    if (propagation::iequals(name, kTraceIdName)) trace_ids_set_ &= ~kTraceIdSet;
    if (propagation::iequals(name, kSpanIdName)) trace_ids_set_ &= ~kSpanIdSet;
  }
  headers_.set(boost::beast::string_view(name.data(), name.size()),
               boost::beast::string_view(value.data(), value.size()));
  return *this;
}

Response& Response::set_trace_ids(const SpanContext& span) noexcept {
  if (!span.is_valid()) {
    trace_ids_set_ = 0;
    return *this;
  }
  trace_id_ = span.trace_id();
  span_id_ = span.span_id();
  trace_ids_set_ = kTraceIdSet | kSpanIdSet;
  return *this;
}

size_t Response::trace_id_fields(
    std::array<char, 48>& text,
    std::pair<std::string_view, std::string_view> (&out)[2]) const noexcept {
  size_t n = 0;
  if (trace_ids_set_ & kTraceIdSet) {
    trace_id_.write_hex(text.data());
    out[n++] = {kTraceIdName, {text.data(), 32}};
  }
  if (trace_ids_set_ & kSpanIdSet) {
    span_id_.write_hex(text.data() + 32);
    out[n++] = {kSpanIdName, {text.data() + 32, 16}};
  }
  return n;
}

const std::string& Response::file_path() const noexcept {
  static const std::string kNone;
  return file_path_.path_ ? *file_path_.path_ : kNone;
}

Response& Response::set_file(std::string path) {
  file_path_.path_ = std::make_unique<std::string>(std::move(path));
  return *this;
}

std::optional<std::string_view> Response::header(std::string_view name) const {
  auto it = headers_.find(boost::beast::string_view(name.data(), name.size()));
  if (it == headers_.end()) return std::nullopt;
  return std::string_view(it->value().data(), it->value().size());
}

size_t FieldsGetter::get_all(std::string_view key, std::span<std::string_view> out) const noexcept {
  size_t n = 0;
  auto range = fields_.equal_range(boost::beast::string_view(key.data(), key.size()));
  for (auto it = range.first; it != range.second; ++it) {
    if (n < out.size()) out[n] = std::string_view(it->value().data(), it->value().size());
    ++n;
  }
  return n;
}

void FieldsSetter::set(std::string_view key, std::string_view value) noexcept {
  try {
    fields_.set(boost::beast::string_view(key.data(), key.size()),
                boost::beast::string_view(value.data(), value.size()));
  } catch (...) {
    // Out of memory or an invalid header value: the header is left out.
  }
}

}  // namespace tracekit::http
