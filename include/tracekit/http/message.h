// SPDX-License-Identifier: Apache-2.0
// Requests and responses as handlers see them. Both wrap Boost.Beast messages; the accessors
// cover what handlers need, and beast() gives the underlying message for anything else.
#pragma once

#include <array>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tracekit/context.h"
#include "tracekit/propagation/text_map.h"

namespace tracekit::http {

namespace beast_http = boost::beast::http;

// Header lists for outgoing requests: (name, value) pairs, sent in order.
using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Percent-decodes `text` ('+' stays '+'); nullopt when an escape is malformed.
std::optional<std::string> percent_decode(std::string_view text);

class Request {
 public:
  Request() = default;
  explicit Request(beast_http::request<beast_http::string_body> message);

  // "GET", "POST", … as received (methods are case-sensitive, RFC 9110).
  std::string_view method() const noexcept { return message_.method_string(); }
  // The request target as received: path plus "?query".
  std::string_view target() const noexcept { return message_.target(); }
  // The path part of the target, still percent-encoded ("/tools/a%20b").
  std::string_view path() const noexcept { return target().substr(0, path_size_); }
  // The query string without '?', still encoded; empty when there is none.
  std::string_view query() const noexcept {
    return path_size_ < target().size() ? target().substr(path_size_ + 1) : std::string_view();
  }
  // The first value of query parameter `name`, percent-decoded ('+' becomes a space).
  std::optional<std::string> query_param(std::string_view name) const;

  // The first value of a header; names compare case-insensitively.
  std::optional<std::string_view> header(std::string_view name) const;
  const beast_http::fields& headers() const noexcept { return message_.base(); }
  const std::string& body() const noexcept { return message_.body(); }
  // "host[:port]" from the Host header (empty when absent).
  std::string_view host() const;

  // The value matched by "{name}" in the route pattern, percent-decoded; empty when the pattern
  // has no such parameter.
  std::string_view param(std::string_view name) const noexcept;
  const std::vector<std::pair<std::string, std::string>>& params() const noexcept {
    return params_;
  }
  // The matched route pattern ("/tools/{id}"); empty when no route matched (404, 405, static).
  const std::string& route() const noexcept { return route_; }

  // The request's correlation id: the incoming X-Correlation-ID when it is sane (1–128 chars of
  // [A-Za-z0-9._:-]), else a fresh UUIDv4. Echoed in the response's X-Correlation-ID.
  const std::string& correlation_id() const noexcept { return correlation_id_; }
  // The request's trace context: the SERVER span once the tracing middleware ran, else empty.
  // It is also Context::current() while handler code runs.
  const Context& context() const noexcept { return *context_; }
  void set_context(Context context);

  // The peer's IP address as text.
  const std::string& remote_address() const noexcept { return remote_address_; }
  uint16_t remote_port() const noexcept { return remote_port_; }
  // The server's own address and port for this connection.
  const std::string& local_address() const noexcept { return local_address_; }
  uint16_t local_port() const noexcept { return local_port_; }

  const beast_http::request<beast_http::string_body>& beast() const noexcept { return message_; }
  beast_http::request<beast_http::string_body>& beast() noexcept { return message_; }

  // Set by the server (public for tests and custom front ends).
  void set_route(std::string pattern, std::vector<std::pair<std::string, std::string>> params);
  void set_correlation_id(std::string id) { correlation_id_ = std::move(id); }
  void set_peer(std::string remote, uint16_t remote_port, std::string local, uint16_t local_port);
  // Shared with the executor that re-enters this request's context around handler code.
  const std::shared_ptr<Context>& shared_context() const noexcept { return context_; }

 private:
  beast_http::request<beast_http::string_body> message_;
  size_t path_size_ = 0;  // the target's length up to '?' (offsets survive moves of message_)
  std::string route_;
  std::vector<std::pair<std::string, std::string>> params_;
  std::string correlation_id_;
  std::shared_ptr<Context> context_ = std::make_shared<Context>();
  std::string remote_address_;
  std::string local_address_;
  uint16_t remote_port_ = 0;
  uint16_t local_port_ = 0;
};

class Response {
 public:
  Response() = default;
  explicit Response(int status) : status_(status) {}

  // `json_text` must already be JSON; sets Content-Type: application/json.
  static Response json(int status, std::string json_text);
  static Response text(int status, std::string body,
                       std::string_view content_type = "text/plain; charset=utf-8");
  // {"error":"<message>","status":<status>} with the message JSON-escaped.
  static Response error(int status, std::string_view message);
  static Response empty(int status = 204) { return Response(status); }

  int status() const noexcept { return status_; }
  Response& set_status(int status) noexcept {
    status_ = status;
    return *this;
  }
  const std::string& body() const noexcept { return body_; }
  std::string& body() noexcept { return body_; }
  Response& set_body(std::string body, std::string_view content_type = {});

  // Replaces any value of the header. The server leaves out of the response, and logs
  // (`http.unsafe_response_header`), a header whose name is not a token or whose value holds
  // CR, LF or NUL: sent, it would split the response.
  Response& set_header(std::string_view name, std::string_view value);
  // A header field (not the trace ids below); names compare case-insensitively.
  std::optional<std::string_view> header(std::string_view name) const;
  // The header fields, without the trace ids below.
  const beast_http::fields& headers() const noexcept { return headers_; }
  beast_http::fields& headers() noexcept { return headers_; }

  // X-Trace-ID and X-Span-ID (32 and 16 lower-case hex digits) of `span`, as the tracing
  // middleware gives every traced response; an invalid context removes them. They are kept
  // beside the header fields, as the ids themselves: as two Beast fields they cost the I/O
  // thread ~1,400 instructions a request (two allocations, the lookups, the checks any field
  // gets before it is sent), a fifth of all that tracing added to a request. The server sends
  // them after the fields (a field of the same name is not sent); set_header() with either name
  // replaces that one; headers() and header() do not see them: trace_id_fields() gives them.
  // (Kept in 24 bytes of what was padding, so that a Response, which every coroutine frame on a
  // request's path holds, stays its size: 48 more bytes pushed frames past what glibc's and
  // Asio's allocators recycle.)
  Response& set_trace_ids(const SpanContext& span) noexcept;
  // The trace ids set, as header fields: writes their values into `text` and 0, 1 or 2
  // (name, value) pairs viewing it into `out`, and returns how many.
  size_t trace_id_fields(std::array<char, 48>& text,
                         std::pair<std::string_view, std::string_view> (&out)[2]) const noexcept;

  // Serve the file at this path as the body (static files): streamed, not loaded into body().
  const std::string& file_path() const noexcept;
  Response& set_file(std::string path);

 private:
  // A file response's path, held by pointer: few responses are files, and this keeps the
  // Response small (see set_trace_ids).
  class FilePath {
   public:
    FilePath() = default;
    FilePath(const FilePath& o)
        : path_(o.path_ ? std::make_unique<std::string>(*o.path_) : nullptr) {}
    FilePath& operator=(const FilePath& o) {
      if (this != &o) path_ = o.path_ ? std::make_unique<std::string>(*o.path_) : nullptr;
      return *this;
    }
    FilePath(FilePath&&) noexcept = default;
    FilePath& operator=(FilePath&&) noexcept = default;
    std::unique_ptr<std::string> path_;
  };
  static constexpr uint8_t kTraceIdSet = 1, kSpanIdSet = 2;
  int status_ = 200;
  uint8_t trace_ids_set_ = 0;  // kTraceIdSet | kSpanIdSet
  TraceId trace_id_{};
  SpanId span_id_{};
  beast_http::fields headers_;
  std::string body_;
  FilePath file_path_;
};

// Propagation carriers over Beast header fields (names compare case-insensitively).
class FieldsGetter final : public propagation::TextMapGetter {
 public:
  explicit FieldsGetter(const beast_http::fields& fields) noexcept : fields_(fields) {}
  size_t get_all(std::string_view key, std::span<std::string_view> out) const noexcept override;

 private:
  const beast_http::fields& fields_;
};

class FieldsSetter final : public propagation::TextMapSetter {
 public:
  explicit FieldsSetter(beast_http::fields& fields) noexcept : fields_(fields) {}
  void set(std::string_view key, std::string_view value) noexcept override;

 private:
  beast_http::fields& fields_;
};

}  // namespace tracekit::http
