// SPDX-License-Identifier: Apache-2.0
// Tracing for libcurl (target tracekit::curl): a traced wrapper around an easy handle, and
// curl_slist* as a propagation carrier.
//
//   CURL* easy = curl_easy_init();                  // yours: set any option on it
//   tracekit::curl::TracedEasy call(easy);
//   call.set_request("POST", "http://127.0.0.1:8081/run");
//   call.add_header("Content-Type", "application/json");
//   curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body.c_str());
//   CURLcode rc = call.perform();                   // CLIENT span, child of the current context
//   long status = call.response_code();
//
// perform() starts a CLIENT span with the same attributes and status rules as tracekit's own
// HTTP client (tracekit/http/client.h): named "{METHOD}" ("HTTP" for an unknown method under the
// stable names), http.method, http.url, net.peer.name, net.peer.port, http.status_code — or with
// OTEL_SEMCONV_STABILITY_OPT_IN=http http.request.method, url.full, server.address, server.port,
// http.response.status_code, network.peer.address, error.type; both with http/dup. A transfer
// that fails (CURLcode other than CURLE_OK) or a status >= 400 is ERROR. The URL attributes never
// carry credentials. traceparent / tracestate / baggage go into the request's header list
// through the global propagator, replacing any old values.
#pragma once

#include <curl/curl.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tracekit/context.h"
#include "tracekit/http/server_span.h"  // Semconv (framework-free)
#include "tracekit/propagation/text_map.h"

namespace tracekit {
class Tracer;
}

namespace tracekit::curl {

// Reads "Name: value" lines of a curl_slist (names compare without regard to case).
class SlistGetter final : public propagation::TextMapGetter {
 public:
  explicit SlistGetter(const curl_slist* list) noexcept : list_(list) {}
  size_t get_all(std::string_view key, std::span<std::string_view> out) const noexcept override;

 private:
  const curl_slist* list_;
};

// Writes "Name: value" lines: every old line of the name is removed, one new line appended.
class SlistSetter final : public propagation::TextMapSetter {
 public:
  explicit SlistSetter(curl_slist*& list) noexcept : list_(list) {}
  void set(std::string_view key, std::string_view value) noexcept override;

 private:
  curl_slist*& list_;
};

struct TracedEasyOptions {
  std::optional<http::Semconv> semconv;  // nullopt: OTEL_SEMCONV_STABILITY_OPT_IN
  Tracer* tracer = nullptr;              // null: tracekit::get_tracer("tracekit.curl")
  // Query parameters whose values the span's URL shows as "REDACTED", or the whole query left
  // out; the URL never has credentials or a fragment.
  std::vector<std::string> redacted_query_params = http::default_redacted_query_params();
  bool omit_query = false;
};

// Wraps an easy handle it does not own; owns the header list it hands to CURLOPT_HTTPHEADER.
// One wrapper per handle, used from one thread at a time (as libcurl requires of the handle).
class TracedEasy {
 public:
  explicit TracedEasy(CURL* easy);
  TracedEasy(CURL* easy, TracedEasyOptions options);
  ~TracedEasy();
  TracedEasy(const TracedEasy&) = delete;
  TracedEasy& operator=(const TracedEasy&) = delete;

  // The method and URL, set on the handle too (CURLOPT_URL; CURLOPT_CUSTOMREQUEST for methods
  // other than GET and POST, CURLOPT_NOBODY for HEAD). libcurl cannot tell them back before
  // the transfer, and the span needs them at its start. As with libcurl itself, a POST sends
  // a body only when one is set (CURLOPT_POSTFIELDS, or CURLOPT_POST with a read callback);
  // without one libcurl sends a GET, and the span then says GET (libcurl's effective method).
  void set_request(std::string method, std::string url);
  // Adds a request header line "name: value", sent with every later perform().
  void add_header(std::string_view name, std::string_view value);
  // libcurl sends methods and header lines as they are, so a CR or LF in one would end the
  // request early and start another (request splitting). A method that is not an HTTP token, or
  // a header whose name is not one or whose value holds CR, LF or NUL, is refused: perform()
  // then sends nothing and returns CURLE_BAD_FUNCTION_ARGUMENT; refused() says why. A refused
  // method is forgotten when set_request() is given a valid one; a refused header stays (the
  // request would lack it) until clear_headers().
  const std::string& refused() const noexcept;
  // Forgets the headers added (and a refused one).
  void clear_headers() noexcept;

  // Runs curl_easy_perform inside a CLIENT span whose parent is `parent`. The request carries
  // the headers added and the propagation headers of `parent` with the new span, built anew
  // for each call: nothing of an earlier call's context (its tracestate or baggage) is sent.
  CURLcode perform(const Context& parent = Context::current());
  // The last response's status code (0 when none).
  long response_code() const noexcept;

  CURL* handle() const noexcept { return easy_; }
  // The header lines of the last perform() (the ones added and the propagation headers).
  curl_slist* headers() const noexcept { return headers_; }

 private:
  CURL* easy_;
  curl_slist* added_ = nullptr;    // add_header()'s lines
  curl_slist* headers_ = nullptr;  // handed to CURLOPT_HTTPHEADER: added_ and propagation
  std::string method_ = "GET";
  std::string url_;
  // Why perform() will not send (empty: it will).
  std::string method_refused_, header_refused_;
  Tracer* tracer_;
  std::vector<std::string> redacted_query_params_;
  bool omit_query_;
  bool old_names_;
  bool stable_names_;
};

}  // namespace tracekit::curl

namespace tracekit::propagation {
template <>
struct CarrierAdapter<curl_slist*> {
  using Getter = curl::SlistGetter;
  using Setter = curl::SlistSetter;
};
}  // namespace tracekit::propagation
