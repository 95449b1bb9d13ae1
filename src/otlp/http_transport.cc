// SPDX-License-Identifier: Apache-2.0
// OTLP/HTTP (protobuf or JSON bodies) with libcurl: one reused connection, TLS and mutual TLS
// through OpenSSL, gzip through zlib. The transfer runs in a curl multi handle so that
// shutdown can wake and abandon it at once.
#include <curl/curl.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <ctime>
#include <mutex>

#include "transport.h"

namespace tracekit::otlp::detail {

bool gzip_compress(std::string_view in, ByteBuffer& out, int level) {
  z_stream zs{};
  if (deflateInit2(&zs, std::clamp(level, 1, 9), Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return false;
  }
  const size_t room = deflateBound(&zs, static_cast<uLong>(in.size())) + 32;
  char* dest;
  try {
    dest = out.reserve_more(room);
  } catch (...) {
    deflateEnd(&zs);
    throw;
  }
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(dest);
  zs.avail_out = static_cast<uInt>(room);
  const int rc = deflate(&zs, Z_FINISH);
  const size_t written = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return false;
  out.set_size(out.size() + written);
  return true;
}

namespace {

std::once_flag g_curl_init;

bool is_pem(const std::string& text) {
  return text.find("-----BEGIN ") != std::string::npos;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

class HttpTransport final : public Transport {
 public:
  HttpTransport(const OtlpConfig& config, const ExporterOptions& options)
      : json_(config.protocol == OtlpProtocol::kHttpJson),
        gzip_(config.gzip),
        gzip_level_(options.gzip_level) {}

  ~HttpTransport() override {
    if (multi_ && easy_) curl_multi_remove_handle(multi_, easy_);
    if (easy_) curl_easy_cleanup(easy_);
    if (multi_) curl_multi_cleanup(multi_);
    if (headers_) curl_slist_free_all(headers_);
  }

  Result<void> init(const OtlpConfig& config) {
    std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    easy_ = curl_easy_init();
    multi_ = curl_multi_init();
    if (!easy_ || !multi_) return Error{"OTLP/HTTP: libcurl could not be initialised"};

    const std::string& url = config.endpoint;
    const bool https = url.starts_with("https://");
    if (!https && !url.starts_with("http://")) {
      return Error{"OTLP endpoint \"" + url +
                   "\" is not a URL: use http://host:port/path or https://…"};
    }

    headers_ = curl_slist_append(headers_, json_ ? "Content-Type: application/json"
                                                 : "Content-Type: application/x-protobuf");
    if (gzip_) headers_ = curl_slist_append(headers_, "Content-Encoding: gzip");
    headers_ = curl_slist_append(headers_, "Expect:");  // no 100-continue round trip
    for (const auto& [k, v] : config.headers) {
      auto bad = [](char c) { return c == '\r' || c == '\n' || c == '\0'; };
      if (k.empty() || std::any_of(k.begin(), k.end(), bad) ||
          std::any_of(v.begin(), v.end(), bad) || k.find(':') != std::string::npos) {
        return Error{"OTEL_EXPORTER_OTLP_HEADERS: \"" + k + "\" is not a valid HTTP header"};
      }
      headers_ = curl_slist_append(headers_, (k + ": " + v).c_str());
    }
    if (!headers_) return Error{"OTLP/HTTP: out of memory"};

    curl_easy_setopt(easy_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(easy_, CURLOPT_POST, 1L);
    curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(easy_, CURLOPT_USERAGENT, user_agent().c_str());
    curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy_, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    curl_easy_setopt(easy_, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy_, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(easy_, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, error_buffer_);
    curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &HttpTransport::on_body);
    curl_easy_setopt(easy_, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(easy_, CURLOPT_HEADERFUNCTION, &HttpTransport::on_header);
    curl_easy_setopt(easy_, CURLOPT_HEADERDATA, this);
    curl_easy_setopt(easy_, CURLOPT_PROTOCOLS_STR, "http,https");

    if (https) {
      curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYPEER, 1L);
      curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYHOST, 2L);
      if (!config.certificate_file.empty()) {
        auto pem = read_file(config.certificate_file, "OTEL_EXPORTER_OTLP_CERTIFICATE");
        if (!pem) return pem.error();
        if (!is_pem(*pem)) {
          return Error{"OTEL_EXPORTER_OTLP_CERTIFICATE=\"" + config.certificate_file +
                       "\" is not a PEM certificate"};
        }
        curl_easy_setopt(easy_, CURLOPT_CAINFO, config.certificate_file.c_str());
      }
      if (!config.client_certificate_file.empty()) {
        auto cert =
            read_file(config.client_certificate_file, "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE");
        if (!cert) return cert.error();
        auto key = read_file(config.client_key_file, "OTEL_EXPORTER_OTLP_CLIENT_KEY");
        if (!key) return key.error();
        if (!is_pem(*cert) || !is_pem(*key)) {
          return Error{
              "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE / OTEL_EXPORTER_OTLP_CLIENT_KEY must be PEM "
              "files"};
        }
        curl_easy_setopt(easy_, CURLOPT_SSLCERT, config.client_certificate_file.c_str());
        curl_easy_setopt(easy_, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(easy_, CURLOPT_SSLKEY, config.client_key_file.c_str());
        curl_easy_setopt(easy_, CURLOPT_SSLKEYTYPE, "PEM");
      }
    }
    return {};
  }

  size_t encode(const Payload& payload, ByteBuffer& body) override {
    std::string_view raw;
    if (json_) {
      json_scratch_.clear();
      payload.write_json(json_scratch_);
      raw = json_scratch_;
      if (!gzip_) body.append(raw.data(), raw.size());
    } else if (gzip_) {
      proto_scratch_.clear();
      payload.write_protobuf(proto_scratch_);
      raw = proto_scratch_.view();
    } else {
      payload.write_protobuf(body);
      raw = body.view();
    }
    if (gzip_ && !gzip_compress(raw, body, gzip_level_)) throw std::bad_alloc();
    return raw.size();
  }

  Attempt send(const ByteBuffer& body, Deadline deadline) noexcept override {
    try {
      return send_once(body, deadline);
    } catch (const std::exception& e) {
      return Attempt::permanent(std::string("OTLP/HTTP request failed: ") + e.what());
    }
  }

  void cancel() noexcept override {
    cancelled_.store(true, std::memory_order_release);
    curl_multi_wakeup(multi_);
  }

 private:
  static size_t on_body(char* data, size_t size, size_t n, void* self) {
    auto* t = static_cast<HttpTransport*>(self);
    const size_t len = size * n;
    if (t->response_body_.size() < kMaxResponseBody) {
      t->response_body_.append(data, std::min(len, kMaxResponseBody - t->response_body_.size()));
    }
    return len;
  }

  static size_t on_header(char* data, size_t size, size_t n, void* self) {
    auto* t = static_cast<HttpTransport*>(self);
    const size_t len = size * n;
    std::string_view line(data, len);
    if (line.starts_with("HTTP/")) {  // a new response (after a 1xx): forget earlier headers
      t->retry_after_.clear();
      t->content_type_.clear();
      return len;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return len;
    std::string name = lower(trim(line.substr(0, colon)));
    if (name == "retry-after") t->retry_after_ = std::string(trim(line.substr(colon + 1)));
    if (name == "content-type") t->content_type_ = lower(trim(line.substr(colon + 1)));
    return len;
  }

  // Retry-After: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
  std::chrono::nanoseconds retry_after() const {
    if (retry_after_.empty()) return std::chrono::nanoseconds(-1);
    int64_t seconds = 0;
    auto r =
        std::from_chars(retry_after_.data(), retry_after_.data() + retry_after_.size(), seconds);
    if (r.ec == std::errc() && r.ptr == retry_after_.data() + retry_after_.size()) {
      if (seconds < 0) return std::chrono::nanoseconds(-1);
      return std::chrono::seconds(std::min<int64_t>(seconds, 1'000'000));
    }
    const time_t when = curl_getdate(retry_after_.c_str(), nullptr);
    if (when == -1) return std::chrono::nanoseconds(-1);
    const time_t now = std::time(nullptr);
    // Capped as the number form is: a date centuries ahead overflowed the nanoseconds.
    return std::chrono::seconds(when > now ? std::min<int64_t>(when - now, 1'000'000) : 0);
  }

  std::string failure_text(long status) const {
    std::string why = "HTTP " + std::to_string(status);
    if (response_body_.empty()) return why;
    if (content_type_.starts_with("application/x-protobuf")) {
      RpcStatus st;
      if (decode_rpc_status(response_body_, st) && !st.message.empty())
        return why + ": " + st.message;
    }
    std::string text = response_body_.substr(0, 200);
    for (auto& c : text) {
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    }
    return why + ": " + text;
  }

  Attempt send_once(const ByteBuffer& body, Deadline deadline) {
    if (cancelled_.load(std::memory_order_acquire)) {
      return Attempt::permanent("the exporter is shut down");
    }
    const auto now = std::chrono::steady_clock::now();
    const auto remaining_ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
    if (remaining_ms <= 0) return Attempt::retryable("the export deadline passed");

    response_body_.clear();
    retry_after_.clear();
    content_type_.clear();
    error_buffer_[0] = '\0';
    curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, static_cast<long>(remaining_ms));
    curl_easy_setopt(easy_, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(remaining_ms));
    // Never a null pointer: curl would then read the body from a callback.
    curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, body.empty() ? "" : body.data());
    curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));

    if (curl_multi_add_handle(multi_, easy_) != CURLM_OK) {
      return Attempt::permanent("libcurl refused the transfer");
    }
    CURLcode result = CURLE_OK;
    bool finished = false;
    for (;;) {
      int running = 0;
      if (curl_multi_perform(multi_, &running) != CURLM_OK) break;
      int left = 0;
      while (CURLMsg* m = curl_multi_info_read(multi_, &left)) {
        if (m->msg == CURLMSG_DONE && m->easy_handle == easy_) {
          result = m->data.result;
          finished = true;
        }
      }
      if (finished || running == 0) break;
      if (cancelled_.load(std::memory_order_acquire)) break;
      // curl enforces the timeout itself; the poll only bounds how long we sleep between checks.
      curl_multi_poll(multi_, nullptr, 0, 1000, nullptr);
      if (cancelled_.load(std::memory_order_acquire)) break;
    }
    curl_multi_remove_handle(multi_, easy_);
    if (!finished) {
      if (cancelled_.load(std::memory_order_acquire)) {
        return Attempt::permanent("the exporter was shut down during the request");
      }
      return Attempt::retryable("libcurl stopped without finishing the transfer");
    }

    if (result != CURLE_OK) {
      std::string why = std::string("libcurl: ") + curl_easy_strerror(result);
      if (error_buffer_[0]) why += std::string(" (") + error_buffer_ + ")";
      switch (result) {
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_CONNECT:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_GOT_NOTHING:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_PARTIAL_FILE:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
          // No answer: the OTLP specification says to retry with backoff.
          return Attempt::retryable(std::move(why));
        default:
          // TLS failures (an untrusted or wrong certificate), bad URLs, …: a retry would not help.
          return Attempt::permanent(std::move(why));
      }
    }

    long status = 0;
    curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) {
      Attempt a = Attempt::ok();
      if (!response_body_.empty()) {
        if (content_type_.starts_with("application/json") || (json_ && content_type_.empty())) {
          decode_json_response(response_body_, a.partial);
        } else {
          decode_response(response_body_, a.partial);
        }
      }
      return a;
    }
    if (status == 429 || status == 502 || status == 503 || status == 504) {
      return Attempt::retryable(failure_text(status), retry_after());
    }
    return Attempt::permanent(failure_text(status));
  }

  static constexpr size_t kMaxResponseBody = 64 * 1024;

  const bool json_;
  const bool gzip_;
  const int gzip_level_;
  CURL* easy_ = nullptr;
  CURLM* multi_ = nullptr;
  curl_slist* headers_ = nullptr;
  std::atomic<bool> cancelled_{false};
  ByteBuffer proto_scratch_;  // the uncompressed protobuf body when gzip is on
  std::string json_scratch_;  // a JSON body before it is compressed or copied into the request
  std::string response_body_;
  std::string retry_after_;
  std::string content_type_;
  char error_buffer_[CURL_ERROR_SIZE] = {};
};

}  // namespace

Result<std::unique_ptr<Transport>> make_http_transport(const OtlpConfig& config,
                                                       const ExporterOptions& options) {
  auto t = std::make_unique<HttpTransport>(config, options);
  auto r = t->init(config);
  if (!r) return r.error();
  return std::unique_ptr<Transport>(std::move(t));
}

}  // namespace tracekit::otlp::detail
