// SPDX-License-Identifier: Apache-2.0
// The traced libcurl easy-handle wrapper and the curl_slist carrier (see tracekit/curl/curl.h).
#include "tracekit/curl/curl.h"

#include <array>
#include <cstdlib>
#include <memory>

#include "field_syntax.h"  // tracekit::http's header and method rules
#include "semconv.h"       // tracekit::http's attribute helpers
#include "tracekit/propagation/propagator.h"
#include "tracekit/semconv.h"
#include "tracekit/tracer.h"
#include "tracekit/tracer_provider.h"

namespace tracekit::curl {

namespace {

// "Name: value" -> (name, value with leading blanks dropped); a line without ':' has no value.
std::pair<std::string_view, std::string_view> split_line(std::string_view line) noexcept {
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return {line, std::string_view()};
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
    value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
    value.remove_suffix(1);
  return {line.substr(0, colon), value};
}

struct UrlFree {
  void operator()(CURLU* u) const noexcept { curl_url_cleanup(u); }
};
struct CurlFree {
  void operator()(char* p) const noexcept { curl_free(p); }
};
using CurlString = std::unique_ptr<char, CurlFree>;

CurlString url_part(CURLU* u, CURLUPart part, unsigned flags = 0) {
  char* out = nullptr;
  if (curl_url_get(u, part, &out, flags) != CURLUE_OK) return nullptr;
  return CurlString(out);
}

// What the span needs from a URL: the URL without credentials, host and port. libcurl's own
// parser, so the span names the server the transfer goes to.
struct UrlParts {
  std::string url;
  std::string host;
  int64_t port = 0;
};

UrlParts url_parts(const std::string& url) {
  UrlParts out;
  std::unique_ptr<CURLU, UrlFree> u(curl_url());
  if (!u ||
      curl_url_set(u.get(), CURLUPART_URL, url.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
    return out;  // libcurl will refuse it too; the span says so through the CURLcode
  }
  curl_url_set(u.get(), CURLUPART_USER, nullptr, 0);
  curl_url_set(u.get(), CURLUPART_PASSWORD, nullptr, 0);
  curl_url_set(u.get(), CURLUPART_FRAGMENT, nullptr, 0);
  if (auto s = url_part(u.get(), CURLUPART_URL)) out.url = s.get();
  if (auto s = url_part(u.get(), CURLUPART_HOST)) {
    std::string_view h = s.get();
    if (h.starts_with('[') && h.ends_with(']')) h = h.substr(1, h.size() - 2);
    out.host = std::string(h);
  }
  if (auto s = url_part(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT)) {
    out.port = std::strtol(s.get(), nullptr, 10);
  }
  return out;
}

}  // namespace

size_t SlistGetter::get_all(std::string_view key, std::span<std::string_view> out) const noexcept {
  size_t n = 0;
  for (const curl_slist* p = list_; p; p = p->next) {
    if (!p->data) continue;
    const auto [name, value] = split_line(p->data);
    if (!propagation::iequals(name, key)) continue;
    if (n < out.size()) out[n] = value;
    ++n;
  }
  return n;
}

void SlistSetter::set(std::string_view key, std::string_view value) noexcept {
  // libcurl has no way to remove one line: build the list anew without the key's lines.
  curl_slist* kept = nullptr;
  for (const curl_slist* p = list_; p; p = p->next) {
    if (p->data && propagation::iequals(split_line(p->data).first, key)) continue;
    curl_slist* next = curl_slist_append(kept, p->data ? p->data : "");
    if (!next) {  // out of memory: keep the old list as it was
      curl_slist_free_all(kept);
      return;
    }
    kept = next;
  }
  std::string line;
  try {
    line.reserve(key.size() + 2 + value.size());
    line.append(key).append(": ").append(value);
  } catch (...) {
    curl_slist_free_all(kept);
    return;
  }
  curl_slist* with = curl_slist_append(kept, line.c_str());
  if (!with) {
    curl_slist_free_all(kept);
    return;
  }
  curl_slist_free_all(list_);
  list_ = with;
}

TracedEasy::TracedEasy(CURL* easy) : TracedEasy(easy, TracedEasyOptions{}) {}

TracedEasy::TracedEasy(CURL* easy, TracedEasyOptions options)
    : easy_(easy),
      redacted_query_params_(std::move(options.redacted_query_params)),
      omit_query_(options.omit_query) {
  const http::Semconv semconv = options.semconv ? *options.semconv : http::semconv_from_env();
  old_names_ = semconv != http::Semconv::kStable;
  stable_names_ = semconv != http::Semconv::kOld;
  tracer_ = options.tracer ? options.tracer : &get_tracer("tracekit.curl");
}

TracedEasy::~TracedEasy() {
  if (easy_ && headers_) curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(headers_);
  curl_slist_free_all(added_);
}

const std::string& TracedEasy::refused() const noexcept {
  return method_refused_.empty() ? header_refused_ : method_refused_;
}

void TracedEasy::clear_headers() noexcept {
  curl_slist_free_all(added_);
  added_ = nullptr;
  header_refused_.clear();
}

void TracedEasy::set_request(std::string method, std::string url) {
  if (!http::detail::is_token(method)) {
    method_refused_ = "invalid method (not an HTTP token)";
    return;
  }
  method_refused_.clear();
  method_ = std::move(method);
  url_ = std::move(url);
  curl_easy_setopt(easy_, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(easy_, CURLOPT_NOBODY, method_ == "HEAD" ? 1L : 0L);
  const bool plain = method_ == "GET" || method_ == "POST" || method_ == "HEAD";
  curl_easy_setopt(easy_, CURLOPT_CUSTOMREQUEST, plain ? nullptr : method_.c_str());
  if (method_ == "GET") curl_easy_setopt(easy_, CURLOPT_HTTPGET, 1L);
}

void TracedEasy::add_header(std::string_view name, std::string_view value) {
  if (!http::detail::is_token(name) || !http::detail::is_safe_field_value(value)) {
    header_refused_ = "invalid header '" + std::string(name.substr(0, 64)) +
                      "' (a name that is not a token, or CR, LF or NUL in the value)";
    return;
  }
  std::string line;
  line.append(name).append(": ").append(value);
  if (curl_slist* with = curl_slist_append(added_, line.c_str())) added_ = with;
}

CURLcode TracedEasy::perform(const Context& parent) {
  if (!refused().empty()) return CURLE_BAD_FUNCTION_ARGUMENT;
  // This request's header list: the lines added, then the propagation headers of this call's
  // context (an earlier call's tracestate or baggage must not ride along).
  curl_slist* headers = nullptr;
  for (const curl_slist* p = added_; p; p = p->next) {
    curl_slist* with = curl_slist_append(headers, p->data ? p->data : "");
    if (!with) {
      curl_slist_free_all(headers);
      return CURLE_OUT_OF_MEMORY;
    }
    headers = with;
  }
  UrlParts u = url_parts(url_);
  if (!u.url.empty()) {
    u.url = http::detail::redacted_absolute_url(u.url, {redacted_query_params_, omit_query_});
  }
  const std::string_view known_method = http::detail::known_method(method_);
  const bool known = !known_method.empty();
  const std::string_view method_text = known ? known_method : std::string_view(method_);
  std::array<KeyValue, 8> attrs{};
  size_t n = 0;
  if (old_names_) {
    attrs[n++] = {semconv::legacy::kHttpMethod, method_text};
    attrs[n++] = {semconv::legacy::kHttpUrl, u.url};
    attrs[n++] = {semconv::legacy::kNetPeerName, u.host};
    attrs[n++] = {semconv::legacy::kNetPeerPort, u.port};
  }
  if (stable_names_) {
    attrs[n++] = {semconv::http::kRequestMethod,
                  known ? known_method : semconv::http::kOtherMethod};
    attrs[n++] = {semconv::url::kFull, u.url};
    attrs[n++] = {semconv::server::kAddress, u.host};
    attrs[n++] = {semconv::server::kPort, u.port};
  }
  SpanOptions so;
  so.kind = SpanKind::kClient;
  so.parent = Parent(parent);
  so.attributes = std::span<const KeyValue>(attrs.data(), n);
  Span span =
      tracer_->start_span(stable_names_ && !known ? std::string_view("HTTP") : method_text, so);
  SlistSetter setter(headers);
  // The span's context alone (what inject writes): no reference to its record to count.
  propagation::global_propagator().inject(setter, parent.with_span_context(span.context()));
  curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers);
  curl_slist_free_all(headers_);
  headers_ = headers;

  const CURLcode rc = curl_easy_perform(easy_);
  // The method libcurl sent (a POST without a body goes out as GET), when it is not the one the
  // span started with.
  char* sent_method = nullptr;
  if (curl_easy_getinfo(easy_, CURLINFO_EFFECTIVE_METHOD, &sent_method) == CURLE_OK &&
      sent_method && *sent_method && std::string_view(sent_method) != method_ &&
      http::detail::is_token(sent_method)) {
    const std::string_view sent_known = http::detail::known_method(sent_method);
    const std::string_view sent_text =
        sent_known.empty() ? std::string_view(sent_method) : sent_known;
    span.update_name(stable_names_ && sent_known.empty() ? std::string_view("HTTP") : sent_text);
    if (old_names_) span.set_attribute(semconv::legacy::kHttpMethod, sent_text);
    if (stable_names_) {
      span.set_attribute(semconv::http::kRequestMethod,
                         sent_known.empty() ? semconv::http::kOtherMethod : sent_known);
    }
  }
  if (rc != CURLE_OK) {
    span.set_status(StatusCode::kError, curl_easy_strerror(rc));
    if (stable_names_) span.set_attribute(semconv::error::kType, "request_failed");
    span.end();
    return rc;
  }
  const long status = response_code();
  if (old_names_)
    span.set_attribute(semconv::legacy::kHttpStatusCode, static_cast<int64_t>(status));
  if (stable_names_) {
    span.set_attribute(semconv::http::kResponseStatusCode, static_cast<int64_t>(status));
    char* ip = nullptr;
    if (curl_easy_getinfo(easy_, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip && *ip) {
      span.set_attribute(semconv::network::kPeerAddress, std::string_view(ip));
    }
    if (status >= 400) span.set_attribute(semconv::error::kType, std::to_string(status));
  }
  if (status >= 400) span.set_status(StatusCode::kError);
  span.end();
  return rc;
}

long TracedEasy::response_code() const noexcept {
  long status = 0;
  if (curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) return 0;
  return status;
}

}  // namespace tracekit::curl
