// SPDX-License-Identifier: Apache-2.0
// What an exporter is told holds after a crash: the collector process is killed (SIGKILL) while
// clients export over OTLP/gRPC and OTLP/HTTP, and every request that was answered with success
// is in the file when it is opened again.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "collector_test_support.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "span_store.h"

namespace tracekit::collector {
namespace {

using namespace std::chrono_literals;

// One request: `spans` spans of trace `trace` (a number, its id in hex), each with a few
// attributes, so the writer has some work per request.
testing::otlpv1::ExportTraceServiceRequest make_request(uint64_t trace, int spans) {
  testing::otlpv1::ExportTraceServiceRequest request;
  auto* rs = request.add_resource_spans();
  auto* name = rs->mutable_resource()->add_attributes();
  name->set_key("service.name");
  name->mutable_value()->set_string_value("durability");
  auto* ss = rs->add_scope_spans();
  std::string trace_id(16, '\0');
  for (int i = 0; i < 8; ++i)
    trace_id[15 - i] = static_cast<char>((trace >> (8 * i)) & 0xff);
  trace_id[0] = 1;  // never all zero
  for (int i = 0; i < spans; ++i) {
    auto* span = ss->add_spans();
    span->set_trace_id(trace_id);
    std::string span_id(8, '\0');
    span_id[0] = 1;
    span_id[6] = static_cast<char>(i >> 8);
    span_id[7] = static_cast<char>(i & 0xff);
    span->set_span_id(span_id);
    span->set_name("op");
    span->set_start_time_unix_nano(1'700'000'000'000'000'000ull + static_cast<uint64_t>(i));
    span->set_end_time_unix_nano(1'700'000'000'001'000'000ull + static_cast<uint64_t>(i));
    for (const char* key : {"http.method", "http.route", "tool.id"}) {
      auto* a = span->add_attributes();
      a->set_key(key);
      a->mutable_value()->set_string_value(std::string(key) + "-" + std::to_string(i));
    }
  }
  return request;
}

std::string trace_hex(uint64_t trace) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "01%030llx", static_cast<unsigned long long>(trace));
  return buf;
}

class Durability : public ::testing::Test {
 protected:
  testing::TempDir dir;
};

TEST_F(Durability, NoAcknowledgedSpanIsLostWhenTheCollectorIsKilled) {
  const std::string db = dir.file("spans.db");
  CollectorProcess c(db);
  ASSERT_TRUE(c.ready()) << c.startup_output();
  constexpr int kSpansPerRequest = 400;
  std::mutex mu;
  std::vector<uint64_t> acknowledged;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> next_trace{1};

  auto grpc_client = [&] {
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(c.grpc_port()),
                                       grpc::InsecureChannelCredentials());
    auto stub = testing::otlpv1::TraceService::NewStub(channel);
    while (!stop) {
      const uint64_t trace = next_trace++;
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + 10s);
      testing::otlpv1::ExportTraceServiceResponse response;
      if (stub->Export(&context, make_request(trace, kSpansPerRequest), &response).ok()) {
        std::lock_guard lock(mu);
        acknowledged.push_back(trace);
      }
    }
  };
  auto http_client = [&] {
    while (!stop) {
      const uint64_t trace = next_trace++;
      HttpResult r = http_call("POST", c.otlp_url(), {"Content-Type: application/x-protobuf"},
                               make_request(trace, kSpansPerRequest).SerializeAsString());
      if (r.status == 200) {
        std::lock_guard lock(mu);
        acknowledged.push_back(trace);
      }
    }
  };
  std::vector<std::thread> clients;
  for (int i = 0; i < 3; ++i) {
    clients.emplace_back(grpc_client);
    clients.emplace_back(http_client);
  }
  // Kill it in the middle of the flow, right after an acknowledgement.
  const auto until = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < until) {
    {
      std::lock_guard lock(mu);
      if (acknowledged.size() >= 60) break;
    }
    std::this_thread::sleep_for(1ms);
  }
  c.kill_hard();
  std::vector<uint64_t> acked;
  {
    std::lock_guard lock(mu);
    acked = acknowledged;
  }
  stop = true;
  for (auto& t : clients)
    t.join();
  ASSERT_GE(acked.size(), 60u) << "the clients were not acknowledged in time";

  // The file as the next start finds it (SQLite recovers the WAL on open).
  auto store = SpanStore::open({.path = db, .max_age = 0s, .max_bytes = 0});
  ASSERT_TRUE(store) << store.error().message;
  size_t lost_requests = 0;
  for (uint64_t trace : acked) {
    auto spans = (*store)->trace(trace_hex(trace));
    ASSERT_TRUE(spans) << spans.error().message;
    if (spans->size() != kSpansPerRequest) ++lost_requests;
  }
  EXPECT_EQ(lost_requests, 0u) << "of " << acked.size() << " acknowledged requests";
}

}  // namespace
}  // namespace tracekit::collector
