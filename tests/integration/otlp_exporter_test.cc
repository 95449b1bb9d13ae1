// SPDX-License-Identifier: Apache-2.0
// The OTLP exporters against real receivers on loopback: every field arrives (gRPC, HTTP
// protobuf, HTTP JSON), headers, gzip, retries by the OTLP rules (RetryInfo, Retry-After),
// partial success, timeouts, cancellation on shutdown, TLS and mutual TLS.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "receivers.h"
#include "tracekit/otlp/encoder.h"
#include "tracekit/otlp/exporter.h"
#include "tracekit/otlp_json.h"

namespace tracekit::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Upper time bounds stretch under ThreadSanitizer on a loaded 2-core machine, where gRPC's own
// timers fire late; the order of events checked stays the same.
#ifdef __SANITIZE_THREAD__
constexpr double kSlack = 4.0;
#else
constexpr double kSlack = 1.0;
#endif

otlp::ExporterOptions fast_retries() {
  otlp::ExporterOptions o;
  o.retry.initial_backoff = 20ms;
  o.retry.max_backoff = 100ms;
  return o;
}

std::unique_ptr<otlp::OtlpExporter> make(const OtlpConfig& c,
                                         const otlp::ExporterOptions& o = fast_retries()) {
  auto e = otlp::OtlpExporter::create(c, o);
  EXPECT_TRUE(e.ok()) << (e.ok() ? "" : e.error().message);
  return e.ok() ? std::move(*e) : nullptr;
}

OtlpConfig grpc_config(const GrpcReceiver& r) {
  OtlpConfig c;
  c.protocol = OtlpProtocol::kGrpc;
  c.endpoint = r.endpoint();
  c.timeout = 5s;
  return c;
}

OtlpConfig http_config(const HttpReceiver& r, OtlpProtocol p = OtlpProtocol::kHttpProtobuf) {
  OtlpConfig c;
  c.protocol = p;
  c.endpoint = r.url();
  c.timeout = 5s;
  return c;
}

Deadline in(std::chrono::milliseconds d) {
  return Clock::now() + d;
}

// A loopback port nobody listens on.
int closed_port() {
  HttpReceiver r;  // bind, learn the port, close
  return r.port();
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// The known spans, eight times over: a batch large enough to split.
std::vector<SpanDataPtr> many(const KnownSpans& k) {
  std::vector<SpanDataPtr> out;
  for (int i = 0; i < 8; ++i)
    out.insert(out.end(), k.spans.begin(), k.spans.end());
  return out;
}

// The size of the request for `spans` before compression, as the protocol writes it.
size_t request_size(std::span<const SpanDataPtr> spans, OtlpProtocol protocol) {
  std::string body;
  if (protocol == OtlpProtocol::kHttpJson) {
    otlp_json::encode_request(spans, body);
  } else {
    otlp::encode_request(spans, body);
  }
  return body.size();
}

// Each request holds the next spans of `sent`, in order, and every span arrived once.
template <class Received>
void expect_parts_in_order(const std::vector<Received>& got, std::span<const SpanDataPtr> sent,
                           size_t limit, OtlpProtocol protocol) {
  size_t offset = 0;
  for (const Received& part : got) {
    const size_t n = count_spans(part.request);
    ASSERT_LE(offset + n, sent.size());
    EXPECT_EQ(expect_request_matches(part.request, sent.subspan(offset, n)), n);
    if (n > 1) {
      EXPECT_LE(request_size(sent.subspan(offset, n), protocol), limit);
    }
    offset += n;
  }
  EXPECT_EQ(offset, sent.size());
}

// ---------------------------------------------------------------- gRPC

TEST(OtlpGrpc, DeliversEveryFieldWithHeadersAndUserAgent) {
  GrpcReceiver rx;
  KnownSpans k = make_known_spans();
  OtlpConfig c = grpc_config(rx);
  c.headers = {{"authorization", "Bearer secret"}, {"x-tenant", "t1"}};
  auto e = make(c);
  ExportResult r = e->export_spans(k.spans, in(5s));
  ASSERT_TRUE(r.ok()) << r.error;
  auto got = rx.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(expect_request_matches(got[0].request, k.spans), k.spans.size());
  auto md = got[0].metadata;
  EXPECT_EQ(md.find("authorization")->second, "Bearer secret");
  EXPECT_EQ(md.find("x-tenant")->second, "t1");
  ASSERT_NE(md.find("user-agent"), md.end());
  EXPECT_NE(md.find("user-agent")->second.find("OTel-OTLP-Exporter-Cpp/"), std::string::npos);
  // (A first call on a new channel can be retried while the connection comes up on a slow
  // machine, e.g. under TSan; what arrives is checked above.)
  EXPECT_GE(e->stats().attempts, 1u);
  EXPECT_EQ(e->stats().spans_exported, k.spans.size());
}

TEST(OtlpGrpc, GzipIsAppliedWhenConfigured) {
  KnownSpans k = make_known_spans();
  GrpcReceiver::Options no_gzip;
  no_gzip.accept_gzip = false;
  GrpcReceiver refuses(no_gzip);
  GrpcReceiver accepts;

  OtlpConfig c = grpc_config(refuses);
  c.gzip = true;
  // A server that only accepts identity encoding refuses the compressed call: proof of gzip.
  ExportResult r = make(c)->export_spans(k.spans, in(5s));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error.find("UNIMPLEMENTED"), std::string::npos) << r.error;

  c.gzip = false;
  EXPECT_TRUE(make(c)->export_spans(k.spans, in(5s)).ok());

  OtlpConfig g = grpc_config(accepts);
  g.gzip = true;
  ASSERT_TRUE(make(g)->export_spans(k.spans, in(5s)).ok());
  ASSERT_EQ(accepts.received().size(), 1u);
  EXPECT_EQ(expect_request_matches(accepts.received()[0].request, k.spans), k.spans.size());
}

TEST(OtlpGrpc, RetriesUnavailableAndHonoursRetryInfo) {
  GrpcReceiver rx;
  rx.script({{.code = 14, .message = "down"},
             {.code = 14, .message = "throttled", .retry_delay_ms = 300},
             {}});
  KnownSpans k = make_known_spans();
  auto e = make(grpc_config(rx));
  auto t0 = Clock::now();
  ExportResult r = e->export_spans(k.spans, in(5s));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_GE(seconds_since(t0), 0.3);  // waited as long as the server asked
  EXPECT_EQ(rx.calls(), 3u);
  EXPECT_EQ(rx.spans_accepted(), k.spans.size());
  EXPECT_EQ(e->stats().retries, 2u);
}

TEST(OtlpGrpc, ResourceExhaustedIsRetriedOnlyWithRetryInfo) {
  KnownSpans k = make_known_spans();
  {
    GrpcReceiver rx;
    rx.script({{.code = 8, .message = "quota"}});
    ExportResult r = make(grpc_config(rx))->export_spans(k.spans, in(5s));
    EXPECT_FALSE(r.ok());
    EXPECT_NE(r.error.find("RESOURCE_EXHAUSTED"), std::string::npos);
    EXPECT_EQ(rx.calls(), 1u);
  }
  {
    GrpcReceiver rx;
    rx.script({{.code = 8, .message = "quota", .retry_delay_ms = 10}, {}});
    EXPECT_TRUE(make(grpc_config(rx))->export_spans(k.spans, in(5s)).ok());
    EXPECT_EQ(rx.calls(), 2u);
  }
}

TEST(OtlpGrpc, NonRetryableCodesFailAtOnce) {
  KnownSpans k = make_known_spans();
  for (int code : {2, 3, 5, 7, 9, 12, 13, 16}) {
    GrpcReceiver rx;
    rx.script({{.code = code, .message = "no"}});
    ExportResult r = make(grpc_config(rx))->export_spans(k.spans, in(5s));
    EXPECT_FALSE(r.ok()) << code;
    EXPECT_EQ(rx.calls(), 1u) << code;
  }
  for (int code : {1, 4, 10, 11, 15}) {  // the other retryable codes
    GrpcReceiver rx;
    rx.script({{.code = code, .message = "again"}, {}});
    EXPECT_TRUE(make(grpc_config(rx))->export_spans(k.spans, in(5s)).ok()) << code;
    EXPECT_EQ(rx.calls(), 2u) << code;
  }
}

TEST(OtlpGrpc, ServerDelayPastTheDeadlineFailsWithoutWaiting) {
  GrpcReceiver rx;
  rx.script({{.code = 14, .message = "later", .retry_delay_ms = 30000}});
  KnownSpans k = make_known_spans();
  auto t0 = Clock::now();
  ExportResult r = make(grpc_config(rx))->export_spans(k.spans, in(2s));
  EXPECT_FALSE(r.ok());
  EXPECT_LT(seconds_since(t0), 1.0 * kSlack);
  EXPECT_EQ(rx.calls(), 1u);
}

TEST(OtlpGrpc, PartialSuccessIsCountedAndReported) {
  GrpcReceiver rx;
  rx.script({{.rejected = 2, .partial_message = "spans too old"}});
  std::vector<std::string> warnings;
  std::mutex m;
  set_diagnostic_handler([&](DiagnosticLevel, std::string_view msg) {
    std::lock_guard lock(m);
    warnings.emplace_back(msg);
  });
  KnownSpans k = make_known_spans();
  auto e = make(grpc_config(rx));
  ExportResult r = e->export_spans(k.spans, in(5s));
  set_diagnostic_handler(nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.rejected_spans, 2u);
  EXPECT_NE(r.error.find("spans too old"), std::string::npos);
  EXPECT_EQ(e->stats().rejected_spans, 2u);
  EXPECT_EQ(rx.calls(), 1u);  // a partial success is never retried
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("spans too old"), std::string::npos);
}

TEST(OtlpGrpc, SlowReceiverTimesOut) {
  GrpcReceiver rx;
  rx.script({{.delay = 3000ms}});
  KnownSpans k = make_known_spans();
  OtlpConfig c = grpc_config(rx);
  c.timeout = 300ms;
  auto t0 = Clock::now();
  ExportResult r = make(c)->export_spans(k.spans, in(30s));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error.find("DEADLINE_EXCEEDED"), std::string::npos) << r.error;
  EXPECT_GE(seconds_since(t0), 0.25);
  EXPECT_LT(seconds_since(t0), 1.5 * kSlack);
}

TEST(OtlpGrpc, ShutdownCancelsAnExportInFlight) {
  GrpcReceiver rx;
  rx.script({{.delay = 5000ms}});
  KnownSpans k = make_known_spans();
  auto e = make(grpc_config(rx));
  auto t0 = Clock::now();
  auto fut = std::async(std::launch::async, [&] { return e->export_spans(k.spans, in(10s)); });
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(e->shutdown(2000ms));
  ExportResult r = fut.get();
  EXPECT_FALSE(r.ok());
  EXPECT_LT(seconds_since(t0), 1.5 * kSlack);
  EXPECT_FALSE(e->export_spans(k.spans, in(1s)).ok());  // and nothing after shutdown
}

// A receiver refuses a request past its limit whole (gRPC servers: 4 MiB by default), so a
// batch larger than max_request_bytes goes in parts that each fit; a span larger than the limit
// goes alone.
TEST(OtlpGrpc, ABatchTooLargeForOneRequestGoesInPartsThatEachFit) {
  KnownSpans k = make_known_spans();
  const std::vector<SpanDataPtr> spans = many(k);
  const size_t whole = request_size(spans, OtlpProtocol::kGrpc);
  for (size_t limit : {whole / 5, size_t{1}}) {
    SCOPED_TRACE("limit " + std::to_string(limit) + " of " + std::to_string(whole));
    GrpcReceiver rx;
    auto options = fast_retries();
    options.max_request_bytes = limit;
    auto e = make(grpc_config(rx), options);
    ExportResult r = e->export_spans(spans, in(10s));
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.rejected_spans, 0u);
    const auto got = rx.received();
    EXPECT_GE(got.size(), limit == 1 ? spans.size() : 5u);
    expect_parts_in_order(got, spans, limit, OtlpProtocol::kGrpc);
    EXPECT_EQ(e->stats().spans_exported, spans.size());
    EXPECT_EQ(e->stats().exports, 1u);  // one batch, sent in parts
  }
}

TEST(OtlpGrpc, APartThatFailsCountsItsSpansAsRejectedAndTheOtherPartArrives) {
  KnownSpans k = make_known_spans();
  const std::vector<SpanDataPtr> spans = many(k);
  const size_t half = spans.size() / 2;
  auto options = fast_retries();
  // Each half fits, the whole does not: two requests.
  options.max_request_bytes =
      std::max(request_size(std::span(spans).first(half), OtlpProtocol::kGrpc),
               request_size(std::span(spans).subspan(half), OtlpProtocol::kGrpc));
  {
    GrpcReceiver rx;
    rx.script({{}, {.code = 3, .message = "malformed"}});  // INVALID_ARGUMENT: not retried
    auto e = make(grpc_config(rx), options);
    ExportResult r = e->export_spans(spans, in(10s));
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.rejected_spans, spans.size() - half);
    EXPECT_NE(r.error.find("were lost"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("malformed"), std::string::npos) << r.error;
    EXPECT_EQ(rx.calls(), 2u);
    EXPECT_EQ(rx.spans_accepted(), half);
  }
  {
    GrpcReceiver rx;
    rx.script({{.code = 3, .message = "first"}, {.code = 3, .message = "second"}});
    ExportResult r = make(grpc_config(rx), options)->export_spans(spans, in(10s));
    EXPECT_FALSE(r.ok());
    EXPECT_NE(r.error.find("first"), std::string::npos) << r.error;
  }
}

TEST(OtlpGrpc, ReceiverDownIsRetriedUntilTheTimeout) {
  KnownSpans k = make_known_spans();
  OtlpConfig c;
  c.endpoint = "http://127.0.0.1:" + std::to_string(closed_port());
  c.timeout = 600ms;
  auto opts = fast_retries();
  opts.retry.max_attempts = 100;
  auto e = make(c, opts);
  auto t0 = Clock::now();
  ExportResult r = e->export_spans(k.spans, in(10s));
  EXPECT_FALSE(r.ok());
  if (kSlack == 1.0) {
    EXPECT_NE(r.error.find("UNAVAILABLE"), std::string::npos) << r.error;
    EXPECT_GE(e->stats().retries, 2u);
  }
  EXPECT_LT(seconds_since(t0), 1.5 * kSlack);
}

TEST(OtlpGrpc, InvalidHeaderIsAConfigurationError) {
  OtlpConfig c;
  c.headers = {{"Bad Key", "v"}};
  auto e = otlp::OtlpExporter::create(c);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("OTEL_EXPORTER_OTLP_HEADERS"), std::string::npos);
}

class OtlpTls : public ::testing::Test {
 protected:
  void SetUp() override {
    certs_ = make_certificates(dir_);
    if (!certs_.ok) GTEST_SKIP() << certs_.error;
  }
  TempDir dir_;
  TestCertificates certs_;
};

TEST_F(OtlpTls, GrpcTrustsTheConfiguredCaAndRejectsAnother) {
  GrpcReceiver rx({.tls = true, .files = {certs_.server_cert, certs_.server_key, ""}});
  KnownSpans k = make_known_spans();
  OtlpConfig c = grpc_config(rx);
  ASSERT_TRUE(c.endpoint.starts_with("https://"));
  c.timeout = 2s;
  c.certificate_file = certs_.ca_cert;
  ExportResult ok = make(c)->export_spans(k.spans, in(5s));
  ASSERT_TRUE(ok.ok()) << ok.error;
  EXPECT_EQ(expect_request_matches(rx.received().at(0).request, k.spans), k.spans.size());

  c.certificate_file = certs_.other_ca_cert;
  c.timeout = 1s;
  ExportResult bad = make(c)->export_spans(k.spans, in(5s));
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(rx.calls(), 1u);  // the second exporter never got through
}

TEST_F(OtlpTls, GrpcMutualTls) {
  GrpcReceiver rx({.tls = true, .files = {certs_.server_cert, certs_.server_key, certs_.ca_cert}});
  KnownSpans k = make_known_spans();
  OtlpConfig c = grpc_config(rx);
  c.certificate_file = certs_.ca_cert;
  c.timeout = 1s;
  EXPECT_FALSE(make(c)->export_spans(k.spans, in(5s)).ok());  // no client certificate
  c.client_certificate_file = certs_.client_cert;
  c.client_key_file = certs_.client_key;
  c.timeout = 5s;
  ExportResult r = make(c)->export_spans(k.spans, in(5s));
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(rx.calls(), 1u);
}

TEST_F(OtlpTls, HttpTrustsTheConfiguredCaAndRejectsAnother) {
  HttpReceiver rx({.tls = true, .files = {certs_.server_cert, certs_.server_key, ""}});
  KnownSpans k = make_known_spans();
  OtlpConfig c = http_config(rx);
  ASSERT_TRUE(c.endpoint.starts_with("https://"));
  c.certificate_file = certs_.ca_cert;
  ExportResult ok = make(c)->export_spans(k.spans, in(5s));
  ASSERT_TRUE(ok.ok()) << ok.error;
  EXPECT_EQ(expect_request_matches(rx.received().at(0).request, k.spans), k.spans.size());

  c.certificate_file = certs_.other_ca_cert;
  auto t0 = Clock::now();
  ExportResult bad = make(c)->export_spans(k.spans, in(5s));
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.error.find("not retryable"), std::string::npos) << bad.error;
  EXPECT_LT(seconds_since(t0), 1.0 * kSlack);  // a certificate problem is not retried
  EXPECT_EQ(rx.calls(), 1u);
}

TEST_F(OtlpTls, HttpMutualTls) {
  HttpReceiver rx({.tls = true, .files = {certs_.server_cert, certs_.server_key, certs_.ca_cert}});
  KnownSpans k = make_known_spans();
  OtlpConfig c = http_config(rx, OtlpProtocol::kHttpJson);
  c.certificate_file = certs_.ca_cert;
  c.timeout = 1s;
  EXPECT_FALSE(make(c)->export_spans(k.spans, in(5s)).ok());  // no client certificate
  c.client_certificate_file = certs_.client_cert;
  c.client_key_file = certs_.client_key;
  c.timeout = 5s;
  ExportResult r = make(c)->export_spans(k.spans, in(5s));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(expect_request_matches(rx.received().at(0).request, k.spans), k.spans.size());
}

TEST_F(OtlpTls, UnreadableOrBadCertificateIsAConfigurationError) {
  OtlpConfig c;
  c.endpoint = "https://127.0.0.1:4318/v1/traces";
  c.protocol = OtlpProtocol::kHttpProtobuf;
  c.certificate_file = dir_.file("missing.pem");
  auto e = otlp::OtlpExporter::create(c);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("OTEL_EXPORTER_OTLP_CERTIFICATE"), std::string::npos);
  c.certificate_file = dir_.file("server.ext");  // exists, but is no PEM
  e = otlp::OtlpExporter::create(c);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("PEM"), std::string::npos);
}

// ---------------------------------------------------------------- HTTP

class OtlpHttp : public ::testing::TestWithParam<OtlpProtocol> {};

TEST_P(OtlpHttp, DeliversEveryFieldWithHeaders) {
  for (bool gzip : {false, true}) {
    SCOPED_TRACE(gzip ? "gzip" : "identity");
    HttpReceiver rx;
    KnownSpans k = make_known_spans();
    OtlpConfig c = http_config(rx, GetParam());
    c.gzip = gzip;
    c.headers = {{"authorization", "Bearer secret"}, {"x-tenant", "t1"}};
    auto e = make(c);
    ExportResult r = e->export_spans(k.spans, in(5s));
    ASSERT_TRUE(r.ok()) << r.error;
    auto got = rx.received();
    ASSERT_EQ(got.size(), 1u);
    ASSERT_EQ(got[0].decode_error, "");
    EXPECT_EQ(expect_request_matches(got[0].request, k.spans), k.spans.size());
    EXPECT_EQ(got[0].method, "POST");
    EXPECT_EQ(got[0].target, "/v1/traces");
    EXPECT_EQ(got[0].headers["content-type"], GetParam() == OtlpProtocol::kHttpJson
                                                  ? "application/json"
                                                  : "application/x-protobuf");
    EXPECT_EQ(got[0].headers["authorization"], "Bearer secret");
    EXPECT_EQ(got[0].headers["x-tenant"], "t1");
    EXPECT_NE(got[0].headers["user-agent"].find("OTel-OTLP-Exporter-Cpp/"), std::string::npos);
    if (gzip) {
      EXPECT_EQ(got[0].headers["content-encoding"], "gzip");
      ASSERT_GE(got[0].raw_body.size(), 2u);
      EXPECT_EQ(static_cast<uint8_t>(got[0].raw_body[0]), 0x1f);  // gzip magic
      EXPECT_EQ(static_cast<uint8_t>(got[0].raw_body[1]), 0x8b);
      EXPECT_LT(got[0].raw_body.size(), got[0].body.size());
    } else {
      EXPECT_EQ(got[0].headers.count("content-encoding"), 0u);
    }
  }
}

// The limit is on the body before compression: what the receiver must hold once it inflates it.
TEST_P(OtlpHttp, ABatchTooLargeForOneRequestGoesInPartsThatEachFit) {
  KnownSpans k = make_known_spans();
  const std::vector<SpanDataPtr> spans = many(k);
  const size_t whole = request_size(spans, GetParam());
  for (bool gzip : {false, true}) {
    SCOPED_TRACE(gzip ? "gzip" : "identity");
    HttpReceiver rx;
    OtlpConfig c = http_config(rx, GetParam());
    c.gzip = gzip;
    auto options = fast_retries();
    options.max_request_bytes = whole / 3;
    auto e = make(c, options);
    ExportResult r = e->export_spans(spans, in(10s));
    ASSERT_TRUE(r.ok()) << r.error;
    const auto got = rx.received();
    EXPECT_GE(got.size(), 3u);
    for (const auto& part : got) {
      ASSERT_EQ(part.decode_error, "");
      EXPECT_LE(part.body.size(), whole / 3);
    }
    expect_parts_in_order(got, spans, whole / 3, GetParam());
  }
}

TEST_P(OtlpHttp, RetriesAndHonoursRetryAfter) {
  HttpReceiver rx;
  rx.script(
      {{.status = 503, .retry_after = "1"}, {.status = 429}, {.status = 502}, {.status = 504}, {}});
  KnownSpans k = make_known_spans();
  auto opts = fast_retries();
  opts.retry.max_attempts = 6;
  auto e = make(http_config(rx, GetParam()), opts);
  auto t0 = Clock::now();
  ExportResult r = e->export_spans(k.spans, in(10s));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_GE(seconds_since(t0), 0.95);  // Retry-After: 1 was honoured
  EXPECT_EQ(rx.calls(), 5u);
  EXPECT_EQ(rx.spans_accepted(), k.spans.size());
  EXPECT_EQ(rx.connections(), 1u);  // one kept-alive connection for all five
}

TEST_P(OtlpHttp, RetryAfterAsHttpDate) {
  HttpReceiver rx;
  rx.script({{.status = 503, .retry_after = "Wed, 21 Oct 2015 07:28:00 GMT"}, {}});
  KnownSpans k = make_known_spans();
  auto t0 = Clock::now();
  ASSERT_TRUE(make(http_config(rx, GetParam()))->export_spans(k.spans, in(5s)).ok());
  EXPECT_LT(seconds_since(t0), 1.0 * kSlack);  // a date in the past: retry at once
  EXPECT_EQ(rx.calls(), 2u);
}

TEST_P(OtlpHttp, NonRetryableStatusFailsAtOnce) {
  KnownSpans k = make_known_spans();
  for (int status : {400, 401, 403, 404, 413, 500}) {
    HttpReceiver rx;
    rx.script({{.status = status, .body = "nope", .content_type = "text/plain"}});
    ExportResult r = make(http_config(rx, GetParam()))->export_spans(k.spans, in(5s));
    EXPECT_FALSE(r.ok()) << status;
    EXPECT_NE(r.error.find("HTTP " + std::to_string(status)), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("nope"), std::string::npos) << r.error;
    EXPECT_EQ(rx.calls(), 1u) << status;
  }
}

TEST_P(OtlpHttp, PartialSuccessIsCounted) {
  HttpReceiver rx;
  rx.script({{.rejected = 3, .partial_message = "invalid span"}});
  KnownSpans k = make_known_spans();
  set_diagnostic_handler([](DiagnosticLevel, std::string_view) {});
  auto e = make(http_config(rx, GetParam()));
  ExportResult r = e->export_spans(k.spans, in(5s));
  set_diagnostic_handler(nullptr);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.rejected_spans, 3u);
  EXPECT_NE(r.error.find("invalid span"), std::string::npos);
  EXPECT_EQ(rx.calls(), 1u);
}

// What a receiver writes reaches stderr through our diagnostics, beside the application's JSON
// log lines: it cannot start a line of its own, carry terminal escapes or grow without bound,
// and it cannot refuse more spans than it was sent (the counters would go wrong).
TEST_P(OtlpHttp, WhatAReceiverWritesIsOneBoundedLineAndItsCountsAreCapped) {
  HttpReceiver rx;
  const std::string forged =
      "ok\ntracekit: error: FORGED \x1b[31mred\xff " + std::string(5000, 'x');
  rx.script({{.rejected = INT64_MAX, .partial_message = forged},
             {.status = 400, .body = forged, .content_type = "text/plain"}});
  KnownSpans k = make_known_spans();
  std::vector<std::string> diagnostics;
  set_diagnostic_handler([&](DiagnosticLevel, std::string_view m) { diagnostics.emplace_back(m); });
  auto e = make(http_config(rx, GetParam()));
  ExportResult partial = e->export_spans(k.spans, in(5s));
  ExportResult refused = e->export_spans(k.spans, in(5s));
  set_diagnostic_handler(nullptr);
  ASSERT_TRUE(partial.ok()) << partial.error;
  EXPECT_EQ(partial.rejected_spans, k.spans.size());
  EXPECT_EQ(e->stats().rejected_spans, k.spans.size());
  ASSERT_FALSE(refused.ok());
  diagnostics.push_back(partial.error);
  diagnostics.push_back(refused.error);
  for (const std::string& d : diagnostics) {
    EXPECT_EQ(d.find_first_of("\n\r\x1b"), std::string::npos) << d.substr(0, 120);
    EXPECT_LT(d.size(), 1200u);
    EXPECT_EQ(d.find('\xff'), std::string::npos) << "invalid UTF-8 is repaired";
  }
}

// A Retry-After date centuries ahead is a long wait, not an overflow that turned it negative
// (and so ignored, retrying at once).
TEST_P(OtlpHttp, ARetryAfterDateFarAheadLeavesNoTimeToRetry) {
  HttpReceiver rx;
  rx.script({{.status = 503, .retry_after = "Sat, 01 Jan 2400 00:00:00 GMT"}});
  KnownSpans k = make_known_spans();
  set_diagnostic_handler([](DiagnosticLevel, std::string_view) {});
  ExportResult r = make(http_config(rx, GetParam()))->export_spans(k.spans, in(5s));
  set_diagnostic_handler(nullptr);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error.find("no time left to retry"), std::string::npos) << r.error;
  EXPECT_EQ(rx.calls(), 1u);
}

TEST_P(OtlpHttp, SlowReceiverTimesOut) {
  HttpReceiver rx;
  rx.script({{.delay = 3000ms}});
  KnownSpans k = make_known_spans();
  OtlpConfig c = http_config(rx, GetParam());
  c.timeout = 300ms;
  auto t0 = Clock::now();
  ExportResult r = make(c)->export_spans(k.spans, in(30s));
  EXPECT_FALSE(r.ok());
  EXPECT_GE(seconds_since(t0), 0.25);
  EXPECT_LT(seconds_since(t0), 1.5 * kSlack);
}

TEST_P(OtlpHttp, ShutdownCancelsAnExportInFlight) {
  HttpReceiver rx;
  rx.script({{.delay = 5000ms}});
  KnownSpans k = make_known_spans();
  auto e = make(http_config(rx, GetParam()));
  auto t0 = Clock::now();
  auto fut = std::async(std::launch::async, [&] { return e->export_spans(k.spans, in(10s)); });
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(e->shutdown(2000ms));
  EXPECT_FALSE(fut.get().ok());
  EXPECT_LT(seconds_since(t0), 1.5 * kSlack);
  EXPECT_FALSE(e->export_spans(k.spans, in(1s)).ok());
}

TEST_P(OtlpHttp, ReceiverDownIsRetriedUntilTheTimeout) {
  KnownSpans k = make_known_spans();
  OtlpConfig c;
  c.protocol = GetParam();
  c.endpoint = "http://127.0.0.1:" + std::to_string(closed_port()) + "/v1/traces";
  c.timeout = 600ms;
  auto opts = fast_retries();
  opts.retry.max_attempts = 100;
  auto e = make(c, opts);
  auto t0 = Clock::now();
  ExportResult r = e->export_spans(k.spans, in(10s));
  EXPECT_FALSE(r.ok());
  EXPECT_LT(seconds_since(t0), 1.5 * kSlack);
  EXPECT_GE(e->stats().retries, 2u);
}

INSTANTIATE_TEST_SUITE_P(Protocols, OtlpHttp,
                         ::testing::Values(OtlpProtocol::kHttpProtobuf, OtlpProtocol::kHttpJson),
                         [](const auto& info) {
                           return info.param == OtlpProtocol::kHttpJson ? "json" : "protobuf";
                         });

TEST(OtlpMakeExporter, FromEnvironmentConfig) {
  auto cfg = Config::from_env([](std::string_view name) -> std::optional<std::string> {
    if (name == "OTEL_EXPORTER_OTLP_PROTOCOL") return "http/json";
    if (name == "OTEL_EXPORTER_OTLP_ENDPOINT") return "http://collector:4318";
    if (name == "OTEL_EXPORTER_OTLP_HEADERS") return "api-key=abc%20def";
    return std::nullopt;
  });
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_EQ(cfg->otlp.endpoint, "http://collector:4318/v1/traces");
  auto e = otlp::make_exporter(cfg->otlp);
  ASSERT_TRUE(e.ok()) << e.error().message;
  auto* o = dynamic_cast<otlp::OtlpExporter*>(e->get());
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->config().protocol, OtlpProtocol::kHttpJson);
  EXPECT_EQ(o->config().headers.at(0).second, "abc def");
}

}  // namespace
}  // namespace tracekit::testing
