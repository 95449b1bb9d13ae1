// SPDX-License-Identifier: Apache-2.0
// The OTLP exporters under the batch span processor, as an application uses them: a flapping
// receiver loses nothing, a receiver that is down costs the application nothing and every lost
// span is counted, a slow receiver never hangs shutdown.
#include <gtest/gtest.h>

#include <thread>

#include "receivers.h"
#include "tracekit/otlp/exporter.h"

namespace tracekit::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Time bounds stretch under ThreadSanitizer on a loaded 2-core machine (gRPC's timers fire late).
#ifdef __SANITIZE_THREAD__
constexpr int kSlack = 4;
#else
constexpr int kSlack = 1;
#endif

// One receiver of either kind.
struct Receiver {
  explicit Receiver(OtlpProtocol p, bool keep = false) : protocol(p) {
    if (p == OtlpProtocol::kGrpc) {
      GrpcReceiver::Options o;
      o.keep_requests = keep;
      grpc = std::make_unique<GrpcReceiver>(o);
    } else {
      HttpReceiver::Options o;
      o.keep_requests = keep;
      http = std::make_unique<HttpReceiver>(o);
    }
  }
  std::string endpoint() const { return grpc ? grpc->endpoint() : http->url(); }
  // `n` failures the exporter may retry, then success.
  void fail_first(int n, std::chrono::milliseconds delay = 0ms) {
    if (grpc) {
      std::vector<GrpcReply> r;
      for (int i = 0; i < n; ++i)
        r.push_back({.code = 14, .message = "restarting", .retry_delay_ms = i % 2 ? 10 : -1});
      grpc->script(r);
    } else {
      std::vector<HttpReply> r;
      for (int i = 0; i < n; ++i)
        r.push_back({.status = 503, .retry_after = i % 2 ? "0" : ""});
      http->script(r);
    }
    (void)delay;
  }
  void slow(int n, std::chrono::milliseconds delay) {
    if (grpc) {
      grpc->script(std::vector<GrpcReply>(static_cast<size_t>(n), GrpcReply{.delay = delay}));
    } else {
      http->script(std::vector<HttpReply>(static_cast<size_t>(n), HttpReply{.delay = delay}));
    }
  }
  size_t accepted() const { return grpc ? grpc->spans_accepted() : http->spans_accepted(); }
  bool wait_for(size_t n, std::chrono::milliseconds t) const {
    return grpc ? grpc->wait_for_spans(n, t) : http->wait_for_spans(n, t);
  }

  OtlpProtocol protocol;
  std::unique_ptr<GrpcReceiver> grpc;
  std::unique_ptr<HttpReceiver> http;
};

std::unique_ptr<TracerProvider> provider_with(std::unique_ptr<SpanExporter> exporter,
                                              BatchOptions batch) {
  TracerProviderOptions o;
  o.processors.push_back(std::make_unique<BatchSpanProcessor>(std::move(exporter), batch));
  return std::make_unique<TracerProvider>(std::move(o));
}

std::unique_ptr<SpanExporter> otlp_exporter(OtlpProtocol p, const std::string& endpoint,
                                            std::chrono::milliseconds timeout) {
  OtlpConfig c;
  c.protocol = p;
  c.endpoint = endpoint;
  c.timeout = timeout;
  otlp::ExporterOptions o;
  o.retry.initial_backoff = 10ms;
  o.retry.max_backoff = 50ms;
  o.retry.max_attempts = 10;
  auto e = otlp::make_exporter(c, o);
  EXPECT_TRUE(e.ok());
  return std::move(*e);
}

// Accepts everything at once: the baseline for the application's own cost.
class NullExporter final : public SpanExporter {
 public:
  ExportResult export_spans(std::span<const SpanDataPtr>, Deadline) noexcept override {
    return ExportResult::success();
  }
  bool shutdown(std::chrono::milliseconds) noexcept override { return true; }
};

void make_spans(TracerProvider& p, int n) {
  Tracer& t = p.get_tracer("load", "1");
  for (int i = 0; i < n; ++i) {
    Span s = t.start_span("op", {.kind = SpanKind::kServer});
    s.set_attribute("i", i).set_attribute("route", "/tools/{id}");
  }
}

// Seconds per span to start and end `n` spans, best of three rounds.
double cost_per_span(TracerProvider& p, int n) {
  double best = 1e9;
  for (int round = 0; round < 3; ++round) {
    auto t0 = Clock::now();
    make_spans(p, n);
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count() / n);
  }
  return best;
}

class OtlpPipeline : public ::testing::TestWithParam<OtlpProtocol> {};

TEST_P(OtlpPipeline, FlappingReceiverLosesNoSpan) {
  Receiver rx(GetParam());
  rx.fail_first(4);
  BatchOptions b;
  b.max_queue_size = 20000;
  b.max_export_batch_size = 256;
  b.schedule_delay = 20ms;
  auto p = provider_with(otlp_exporter(GetParam(), rx.endpoint(), 5s), b);
  const int n = 5000;
  make_spans(*p, n);
  ASSERT_TRUE(p->force_flush(20s * kSlack));
  EXPECT_TRUE(rx.wait_for(n, 1s));
  EXPECT_EQ(rx.accepted(), static_cast<size_t>(n));
  TracerStats st = p->stats();
  EXPECT_EQ(st.spans_exported, static_cast<uint64_t>(n));
  EXPECT_EQ(st.spans_dropped, 0u);
  EXPECT_EQ(st.export_failures, 0u);
  EXPECT_TRUE(p->shutdown(5s));
}

TEST_P(OtlpPipeline, ReceiverDownCostsTheApplicationNothingAndEveryLossIsCounted) {
  int dead_port;
  {
    HttpReceiver tmp;
    dead_port = tmp.port();
  }
  std::string endpoint = "http://127.0.0.1:" + std::to_string(dead_port);
  if (GetParam() != OtlpProtocol::kGrpc) endpoint += "/v1/traces";

  BatchOptions b;
  b.max_queue_size = 2048;
  b.max_export_batch_size = 512;
  b.schedule_delay = 10ms;
  b.warning_interval = 60s;
  const int n = 20000;

  auto baseline = provider_with(std::make_unique<NullExporter>(), b);
  const double base = cost_per_span(*baseline, n);
  baseline->shutdown(5s);

  std::vector<std::string> warnings;
  std::mutex m;
  set_diagnostic_handler([&](DiagnosticLevel, std::string_view msg) {
    std::lock_guard lock(m);
    warnings.emplace_back(msg);
  });
  auto p = provider_with(otlp_exporter(GetParam(), endpoint, 300ms), b);
  const double down = cost_per_span(*p, n);
  const auto t0 = Clock::now();
  const bool clean = p->shutdown(3s * kSlack);
  const double shutdown_s = std::chrono::duration<double>(Clock::now() - t0).count();
  set_diagnostic_handler(nullptr);

  // The application's calls keep their speed: a dead collector adds no waiting to them (a call
  // that waited for the network would take milliseconds; the margin is for a loaded machine).
  EXPECT_LT(down, base * 10 + 20e-6)
      << "baseline " << base * 1e9 << " ns/span, receiver down " << down * 1e9 << " ns/span";
  EXPECT_TRUE(clean);
  EXPECT_LT(shutdown_s, 3.5 * kSlack);
  TracerStats st = p->stats();
  EXPECT_EQ(st.spans_ended, 3u * n);
  EXPECT_EQ(st.spans_exported, 0u);
  EXPECT_EQ(st.spans_dropped, 3u * n);  // exact: every span is accounted for
  EXPECT_EQ(st.spans_dropped_queue_full + st.spans_dropped_export_failed, 3u * n);
  EXPECT_GT(st.spans_dropped_queue_full, 0u);
  EXPECT_GT(st.export_failures, 0u);
  // Warned at most once per interval, not once per failed batch.
  std::lock_guard lock(m);
  EXPECT_LE(warnings.size(), 3u);
}

TEST_P(OtlpPipeline, SlowReceiverNeverHangsShutdown) {
  Receiver rx(GetParam());
  rx.slow(100, 5000ms);
  BatchOptions b;
  // Only full batches go: two exports of 300 ms, whatever pauses the producing thread takes.
  b.schedule_delay = 1h;
  b.max_export_batch_size = 50;
  b.warning_interval = 60s;
  set_diagnostic_handler([](DiagnosticLevel, std::string_view) {});
  auto p = provider_with(otlp_exporter(GetParam(), rx.endpoint(), 300ms), b);
  make_spans(*p, 100);
  std::this_thread::sleep_for(100ms);  // an export is in flight now
  const auto t0 = Clock::now();
  const bool clean = p->shutdown(2000ms * kSlack);
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  set_diagnostic_handler(nullptr);
  EXPECT_LT(s, 2.5 * kSlack);
  EXPECT_TRUE(clean);
  TracerStats st = p->stats();
  EXPECT_EQ(st.spans_exported, 0u);
  EXPECT_EQ(st.spans_dropped, 100u);
  EXPECT_GT(st.export_failures, 0u);
}

TEST_P(OtlpPipeline, ManySpansArriveExactlyOnce) {
  Receiver rx(GetParam());
  BatchOptions b;
  b.max_queue_size = 65536;
  b.max_export_batch_size = 512;
  b.schedule_delay = 20ms;
  auto p = provider_with(otlp_exporter(GetParam(), rx.endpoint(), 10s), b);
#ifdef __SANITIZE_THREAD__
  const int n = 2000;  // uninstrumented grpc under TSan takes about a second per call
#else
  const int n = 20000;
#endif
  std::thread other([&] { make_spans(*p, n / 2); });
  make_spans(*p, n / 2);
  other.join();
  ASSERT_TRUE(p->force_flush(60s));
  EXPECT_EQ(rx.accepted(), static_cast<size_t>(n));
  EXPECT_EQ(p->stats().spans_dropped, 0u);
  EXPECT_TRUE(p->shutdown(5s));
}

INSTANTIATE_TEST_SUITE_P(Protocols, OtlpPipeline,
                         ::testing::Values(OtlpProtocol::kGrpc, OtlpProtocol::kHttpProtobuf,
                                           OtlpProtocol::kHttpJson),
                         [](const auto& info) {
                           switch (info.param) {
                             case OtlpProtocol::kGrpc:
                               return "grpc";
                             case OtlpProtocol::kHttpProtobuf:
                               return "http_protobuf";
                             default:
                               return "http_json";
                           }
                         });

}  // namespace
}  // namespace tracekit::testing
