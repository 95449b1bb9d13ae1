// SPDX-License-Identifier: Apache-2.0
// The collector's memory is bounded in bytes, whatever clients send or ask: the binary as a
// process, its resident memory read from /proc/<pid>/status while a flood of 1 MB attributes
// arrives, while gzip bombs arrive over gRPC, while a 100,000-span trace is read, and while the
// logs of a trace whose service has a 1 MiB resource are read.
#include <curl/curl.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <zlib.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <thread>

#include "collector_test_support.h"
#include "google/rpc/status.pb.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.grpc.pb.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"

namespace tracekit::collector {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;
constexpr uint64_t kMiB = 1 << 20;

// Under AddressSanitizer or ThreadSanitizer the collector's allocator is the sanitizer's (freed
// memory is quarantined, mallopt does nothing): the tests still run every request and check
// every answer, but resident sizes mean nothing there.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kMemoryMeasurable = false;
#else
constexpr bool kMemoryMeasurable = true;
#endif

// Nothing is deleted while a slow run (ThreadSanitizer on a loaded machine) reads it page by page.
const std::vector<std::string> kKeepEverything = {"--retention-age", "0"};

// Forgets the process's peak resident size, so VmHWM measures from now (Linux clear_refs).
void reset_peak(pid_t pid) {
  std::ofstream("/proc/" + std::to_string(pid) + "/clear_refs") << "5";
}

// A gzip stream of `mib` MiB of zeros, built without compressing them all: after a full flush
// deflate starts afresh, so every further MiB compresses to the same bytes. The trailer carries
// the real CRC and length.
std::string gzip_of_zeros(size_t mib) {
  const std::string zeros(kMiB, '\0');
  z_stream zs{};
  deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
  auto deflate_chunk = [&](std::string_view in, int flush) {
    std::string out(deflateBound(&zs, in.size()) + 64, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    deflate(&zs, flush);
    out.resize(out.size() - zs.avail_out);
    return out;
  };
  std::string out = deflate_chunk(zeros, Z_FULL_FLUSH);
  const std::string repeated = deflate_chunk(zeros, Z_FULL_FLUSH);
  for (size_t i = 2; i < mib; ++i)
    out += repeated;
  std::string tail = deflate_chunk({}, Z_FINISH);
  deflateEnd(&zs);
  uLong crc = crc32(0, reinterpret_cast<const Bytef*>(zeros.data()), kMiB);
  const uLong one = crc;
  for (size_t i = 1; i < mib; ++i)
    crc = crc32_combine(crc, one, static_cast<z_off_t>(kMiB));
  const uint32_t size = static_cast<uint32_t>(mib * kMiB);  // ISIZE: the length mod 2^32
  for (int i = 0; i < 4; ++i) {
    tail[tail.size() - 8 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
    tail[tail.size() - 4 + i] = static_cast<char>((size >> (8 * i)) & 0xff);
  }
  return out + tail;
}

size_t collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// One gRPC call written by hand (libcurl, HTTP/2 without TLS): the message is sent as it is,
// with the compressed flag set, which grpc++'s client would not let us do with a ready-made
// gzip stream. Returns the grpc-status trailer ("" when there was no answer).
std::string grpc_export_compressed(
    int port, const std::string& gzip_message,
    const std::string& method = "opentelemetry.proto.collector.trace.v1.TraceService/Export") {
  std::string frame(5, '\0');
  frame[0] = 1;  // compressed
  const auto n = static_cast<uint32_t>(gzip_message.size());
  for (int i = 0; i < 4; ++i)
    frame[1 + i] = static_cast<char>((n >> (24 - 8 * i)) & 0xff);
  frame += gzip_message;
  CURL* curl = curl_easy_init();
  curl_slist* headers = nullptr;
  for (const char* h : {"Content-Type: application/grpc", "TE: trailers", "grpc-encoding: gzip",
                        "grpc-accept-encoding: identity,gzip", "Expect:"}) {
    headers = curl_slist_append(headers, h);
  }
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/" + method;
  std::string head, body;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, frame.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(frame.size()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 20000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &head);  // trailers arrive here too
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  const CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) return "";
  const auto at = head.find("grpc-status: ");
  if (at == std::string::npos) return "";
  return head.substr(at + 13, head.find_first_of("\r\n", at) - at - 13);
}

testing::otlpv1::ExportTraceServiceRequest make_request(int first_span, int spans,
                                                        size_t attribute_bytes) {
  testing::otlpv1::ExportTraceServiceRequest request;
  auto* rs = request.add_resource_spans();
  auto* name = rs->mutable_resource()->add_attributes();
  name->set_key("service.name");
  name->mutable_value()->set_string_value("limits");
  auto* ss = rs->add_scope_spans();
  for (int i = first_span; i < first_span + spans; ++i) {
    auto* span = ss->add_spans();
    span->set_trace_id(std::string(16, '\x42'));
    std::string id(8, '\x01');
    for (int b = 0; b < 4; ++b)
      id[7 - b] = static_cast<char>((i >> (8 * b)) & 0xff);
    span->set_span_id(id);
    span->set_name("op");
    span->set_start_time_unix_nano(1'700'000'000'000'000'000ull + static_cast<uint64_t>(i));
    span->set_end_time_unix_nano(1'700'000'000'001'000'000ull + static_cast<uint64_t>(i));
    auto* a = span->add_attributes();
    a->set_key("payload");
    a->mutable_value()->set_string_value(std::string(attribute_bytes, 'p'));
  }
  return request;
}

const std::string kTraceId = "42424242424242424242424242424242";

// Reads every page of the trace; returns the span ids (empty on an error).
std::set<std::string> read_trace(const CollectorProcess& c, size_t* pages = nullptr) {
  std::set<std::string> ids;
  std::string after;
  size_t n = 0;
  do {
    long status = 0;
    const json::value page = get_json(
        c.ui_url() + "/api/traces/" + kTraceId + (after.empty() ? "" : "?after=" + after), &status);
    if (page.is_null()) return {};
    for (const auto& s : page.at("spans").as_array())
      ids.insert(std::string(s.at("spanId").as_string()));
    const auto* next = page.as_object().if_contains("next");
    after = next ? std::string(next->as_string()) : "";
    ++n;
  } while (!after.empty());
  if (pages) *pages = n;
  return ids;
}

// A ~1 MiB resource: `service` and 32 attributes of 32 KiB (the attribute length limit).
void add_large_resource(opentelemetry::proto::resource::v1::Resource& resource,
                        const std::string& service) {
  auto* name = resource.add_attributes();
  name->set_key("service.name");
  name->mutable_value()->set_string_value(service);
  for (int i = 0; i < 32; ++i) {
    auto* kv = resource.add_attributes();
    kv->set_key("k" + std::to_string(i));
    kv->mutable_value()->set_string_value(std::string(32 * 1024, static_cast<char>('a' + i % 26)));
  }
}

// The reviewer's amplification: one large resource and `records` empty log records (2 bytes
// each on the wire).
testing::logsv1::ExportLogsServiceRequest large_resource_logs(int records,
                                                              const std::string& service) {
  testing::logsv1::ExportLogsServiceRequest request;
  auto* rl = request.add_resource_logs();
  if (!service.empty()) add_large_resource(*rl->mutable_resource(), service);
  auto* sl = rl->add_scope_logs();
  for (int i = 0; i < records; ++i)
    sl->add_log_records();
  return request;
}

// The same with spans of nothing but ids and times, all in one trace (kLargeResourceTrace).
testing::otlpv1::ExportTraceServiceRequest large_resource_spans(int spans,
                                                                const std::string& service) {
  testing::otlpv1::ExportTraceServiceRequest request;
  auto* rs = request.add_resource_spans();
  if (!service.empty()) add_large_resource(*rs->mutable_resource(), service);
  auto* ss = rs->add_scope_spans();
  for (int i = 0; i < spans; ++i) {
    auto* span = ss->add_spans();
    span->set_trace_id(std::string(16, '\x51'));
    std::string id(8, '\x02');
    for (int b = 0; b < 4; ++b)
      id[7 - b] = static_cast<char>((i >> (8 * b)) & 0xff);
    span->set_span_id(id);
    span->set_start_time_unix_nano(1'700'000'000'000'000'000ull);
    span->set_end_time_unix_nano(1'700'000'000'001'000'000ull);
  }
  return request;
}

// One number from the collector's file, read by a connection of our own (WAL: readers see
// every commit while the collector runs).
int64_t query_file(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  int64_t n = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return n;
}

// The google.rpc.Status message of an OTLP/HTTP error answer (protobuf).
std::string status_message(const HttpResult& r) {
  google::rpc::Status status;
  return status.ParseFromString(r.body) ? status.message()
                                        : "(no google.rpc.Status: " + r.body + ")";
}

const std::string kLargeResourceTrace = "51515151515151515151515151515151";

class CollectorLimits : public ::testing::Test {
 protected:
  testing::TempDir dir;
};

// The issue's flood: several clients post requests of 15 spans, each with a 1 MB attribute,
// all into one trace. Attribute values are cut to 32 KiB and the collector stays under a
// bound that does not grow with the number of requests (it was 1 GB before the limits).
// The collector's resident memory before a test's load, at its peak and after, in the test's
// output (the figures docs/collector.md quotes).
void print_memory(const ResidentMemory& before, const ResidentMemory& after) {
  std::printf("[ memory   ] before %llu MiB, peak %llu MiB, after %llu MiB\n",
              static_cast<unsigned long long>(before.rss / kMiB),
              static_cast<unsigned long long>(after.peak / kMiB),
              static_cast<unsigned long long>(after.rss / kMiB));
}

TEST_F(CollectorLimits, AFloodOfMegabyteAttributesKeepsResidentMemoryBounded) {
  CollectorProcess c(dir.file("spans.db"), kKeepEverything);
  ASSERT_TRUE(c.ready()) << c.startup_output();
  constexpr int kClients = 3, kRequests = 3, kSpans = 15;
  const ResidentMemory before = resident_memory(c.pid());
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int client = 0; client < kClients; ++client) {
    clients.emplace_back([&, client] {
      for (int r = 0; r < kRequests; ++r) {
        const int first = (client * kRequests + r) * kSpans;
        HttpResult res = http_call("POST", c.otlp_url(), {"Content-Type: application/x-protobuf"},
                                   make_request(first, kSpans, 1'000'000).SerializeAsString());
        if (res.status == 200) ++ok;
      }
    });
  }
  for (auto& t : clients)
    t.join();
  EXPECT_EQ(ok, kClients * kRequests);
  // Then the whole trace is read, as the viewer does.
  const auto ids = read_trace(c);
  EXPECT_EQ(ids.size(), static_cast<size_t>(kClients * kRequests * kSpans));
  const ResidentMemory after = resident_memory(c.pid());
  print_memory(before, after);
  // Three requests of 15 MB in flight at once: each body, its parsed message and the spans.
  if (kMemoryMeasurable) {
    EXPECT_LT(after.peak, before.rss + 256 * kMiB);
  }
  const json::value page = get_json(c.ui_url() + "/api/traces/" + kTraceId);
  ASSERT_FALSE(page.is_null());
  const auto& value = page.at("spans").as_array()[0].at("attributes").as_array()[0].at("value");
  EXPECT_EQ(value.at("stringValue").as_string().size(), 32u * 1024);
  EXPECT_TRUE(c.alive());
}

// A 1 MB gzip message that inflates to 1 GiB, four at once, over gRPC: refused at the size
// limit (RESOURCE_EXHAUSTED) without inflating further, and the memory is given back.
TEST_F(CollectorLimits, GzipBombsOverGrpcAreRefusedAtTheLimit) {
#if defined(__SANITIZE_THREAD__)
  // As below: a collector built with TSan, flooded over gRPC, can stop answering (grpc++'s own
  // threads, uninstrumented, spin); seen once in a full TSan run (every request timed out at
  // 20 s), never alone. The inflation it checks is one request's code on one thread, run under
  // ASan and in the plain build.
  GTEST_SKIP() << "grpc++ flooded under ThreadSanitizer can stop answering (known gap)";
#endif
  CollectorProcess c(dir.file("spans.db"), kKeepEverything);
  ASSERT_TRUE(c.ready()) << c.startup_output();
  const std::string bomb = gzip_of_zeros(1024);
  ASSERT_LT(bomb.size(), 2 * kMiB);
  const ResidentMemory before = resident_memory(c.pid());
  reset_peak(c.pid());
  std::vector<std::thread> clients;
  std::vector<std::string> statuses(4);
  for (size_t i = 0; i < statuses.size(); ++i)
    clients.emplace_back([&, i] { statuses[i] = grpc_export_compressed(c.grpc_port(), bomb); });
  for (auto& t : clients)
    t.join();
  for (const std::string& s : statuses)
    EXPECT_EQ(s, "8") << "RESOURCE_EXHAUSTED expected";
  const ResidentMemory after = resident_memory(c.pid());
  print_memory(before, after);
  if (kMemoryMeasurable) {
    EXPECT_LT(after.peak, before.rss + 192 * kMiB);
    EXPECT_LT(after.rss, before.rss + 48 * kMiB) << "not given back";
  }

  // A compressed message within the limit goes through our own inflation.
  const std::string small = make_request(1, 3, 10).SerializeAsString();
  EXPECT_EQ(grpc_export_compressed(c.grpc_port(), gzip(small)), "0");
  EXPECT_EQ(read_trace(c).size(), 3u);
}

// Many large gRPC requests at once (24 clients, 12 MB each, each on its own connection): the
// collector holds a bounded number of bytes of them, answers the rest UNAVAILABLE (its own byte
// budget, which exporters retry) or RESOURCE_EXHAUSTED (grpc++'s memory quota cancelling the
// stream: RST_STREAM ENHANCE_YOUR_CALM; an OTLP exporter does not retry that, see
// docs/collector.md) instead of growing, stores every span it acknowledged, gives the memory
// back, and takes the next request. Before the byte budget the peak grew by ~360 MiB.
TEST_F(CollectorLimits, ConcurrentLargeGrpcRequestsStayWithinAByteBudget) {
#if defined(__SANITIZE_THREAD__)
  // Under TSan the test's own grpc++ clients (six channels sending at once) do not return, even
  // past their deadline: gdb shows the test joining a client thread stuck in BlockingUnaryCall
  // while grpc's executor threads spin at 100 % CPU (grpc++ is not instrumented). ASan runs it.
  GTEST_SKIP() << "grpc++ clients under ThreadSanitizer do not finish (known gap)";
#endif
  CollectorProcess c(dir.file("spans.db"), kKeepEverything);
  ASSERT_TRUE(c.ready()) << c.startup_output();
  // Under a sanitizer (where memory is not measured, and grpc++'s client sends 12 MB in tens of
  // seconds) fewer and smaller requests: the answers and what is stored are still checked.
  constexpr int kClients = kMemoryMeasurable ? 24 : 6, kSpans = kMemoryMeasurable ? 1'200 : 200;
  std::vector<std::string> bodies;
  for (int client = 0; client < kClients; ++client)
    bodies.push_back(make_request(client * kSpans, kSpans, 10'000).SerializeAsString());
  ASSERT_GT(bodies[0].size(), kSpans * 10'000u);
  const ResidentMemory before = resident_memory(c.pid());
  reset_peak(c.pid());
  const auto send = [&](const std::string& body) {
    grpc::ChannelArguments args;
    args.SetInt("grpc.use_local_subchannel_pool", 1);  // a connection per client
    args.SetMaxSendMessageSize(32 << 20);
    auto channel = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(c.grpc_port()),
                                             grpc::InsecureChannelCredentials(), args);
    auto stub = testing::otlpv1::TraceService::NewStub(channel);
    testing::otlpv1::ExportTraceServiceRequest request;
    request.ParseFromString(body);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 60s);
    testing::otlpv1::ExportTraceServiceResponse response;
    return stub->Export(&context, request, &response).error_code();
  };
  std::vector<grpc::StatusCode> codes(kClients, grpc::StatusCode::UNKNOWN);
  std::vector<std::thread> clients;
  for (int client = 0; client < kClients; ++client) {
    clients.emplace_back([&, client] {
      codes[static_cast<size_t>(client)] = send(bodies[static_cast<size_t>(client)]);
    });
  }
  for (auto& t : clients)
    t.join();
  const ResidentMemory after = resident_memory(c.pid());
  int ok = 0, unavailable = 0, exhausted = 0;
  for (const grpc::StatusCode code : codes) {
    EXPECT_TRUE(code == grpc::StatusCode::OK || code == grpc::StatusCode::RESOURCE_EXHAUSTED ||
                code == grpc::StatusCode::UNAVAILABLE)
        << "status " << code;
    ok += code == grpc::StatusCode::OK;
    unavailable += code == grpc::StatusCode::UNAVAILABLE;
    exhausted += code == grpc::StatusCode::RESOURCE_EXHAUSTED;
  }
  std::printf(
      "[ memory   ] before %llu MiB, peak %llu MiB, after %llu MiB; of %d requests %d "
      "accepted, %d unavailable, %d resource exhausted\n",
      static_cast<unsigned long long>(before.rss / kMiB),
      static_cast<unsigned long long>(after.peak / kMiB),
      static_cast<unsigned long long>(after.rss / kMiB), kClients, ok, unavailable, exhausted);
  if (kMemoryMeasurable) {
    // The bound is the sum of what the collector lets itself hold: grpc++'s quota (32 MiB),
    // requests being decoded (64 MiB), the write queue (64 MiB) and SQLite's cache (32 MiB).
    // Measured +107 to +161 MiB.
    EXPECT_LT(after.peak, before.rss + 192 * kMiB);
    // Once written, what the burst freed is given back (the writer trims malloc's heaps once it
    // is idle after a large batch); what stays is mostly SQLite's cache of what was stored.
    uint64_t rss = after.rss;
    for (int i = 0; i < 200 && rss >= before.rss + 64 * kMiB; ++i) {  // 20 s: a loaded machine
      std::this_thread::sleep_for(100ms);
      rss = resident_memory(c.pid()).rss;
    }
    EXPECT_LT(rss, before.rss + 64 * kMiB) << "not given back: " << rss / kMiB << " MiB";
  }
  EXPECT_TRUE(c.alive());
  // The burst may be refused whole (grpc++'s quota can cancel every stream); a request sent
  // after it, alone, goes through.
  EXPECT_EQ(send(make_request(kClients * kSpans, kSpans, 10'000).SerializeAsString()),
            grpc::StatusCode::OK);
  // Every acknowledged span is stored (they are committed before the answer); a request whose
  // stream was cancelled after it was queued may be stored without its answer arriving (the
  // exporter retries it, and a span sent twice is stored once).
  EXPECT_GE(read_trace(c).size(), static_cast<size_t>((ok + 1) * kSpans));
}

// The second reviewer's list amplification: service.name was the one string not cut at
// --max-attribute-length, and every trace summary of a search repeats it twice, /api/services
// once: a 4 KB gzipped request naming its service with 4 MiB made the viewer's landing search
// answer 34 MB. Now the name is cut like every other string (32 KiB by default).
TEST_F(CollectorLimits, AHugeServiceNameIsCutLikeEveryOtherString) {
  CollectorProcess c(dir.file("spans.db"), kKeepEverything);
  ASSERT_TRUE(c.ready()) << c.startup_output();
  constexpr size_t kCut = 32 * 1024;
  constexpr int kTraces = 4;
  auto request = make_request(0, kTraces, 10);
  auto* rs = request.mutable_resource_spans(0);
  rs->mutable_resource()->mutable_attributes(0)->mutable_value()->set_string_value(
      std::string(4 * kMiB, 'A'));
  for (int i = 0; i < kTraces; ++i) {
    rs->mutable_scope_spans(0)->mutable_spans(i)->set_trace_id(std::string(15, '\x10') +
                                                               static_cast<char>(i + 1));
  }
  const std::string packed = gzip(request.SerializeAsString());
  ASSERT_LT(packed.size(), 64 * 1024u);
  ASSERT_EQ(http_call("POST", c.otlp_url(),
                      {"Content-Type: application/x-protobuf", "Content-Encoding: gzip"}, packed)
                .status,
            200);
  const std::string search_url = c.ui_url() + "/api/traces?limit=20";
  ASSERT_TRUE(wait_for_json(search_url, [&](const json::value& v) {
    return v.at("data").as_array().size() == static_cast<size_t>(kTraces);
  }));
  const HttpResult search = http_call("GET", search_url);
  ASSERT_EQ(search.status, 200);
  EXPECT_LT(search.body.size(), kTraces * 2 * kCut + 4096) << "34 MB before the cut";
  const json::value answer = json::parse(search.body);
  for (const json::value& t : answer.at("data").as_array()) {
    EXPECT_EQ(t.at("rootService").as_string().size(), kCut);
    EXPECT_EQ(t.at("services").as_array().at(0).as_string().size(), kCut);
  }
  const HttpResult services = http_call("GET", c.ui_url() + "/api/services");
  ASSERT_EQ(services.status, 200);
  EXPECT_LT(services.body.size(), kCut + 1024);
}

// The reviewer's amplification: a ~1 MiB resource followed by many tiny records cost a copy of
// the resource per record while decoding (1,000 empty log records, 1.5 KB gzipped, took 1 GB;
// 300 spans 320 MB). The resource is decoded once and shared by the records: the collector's
// peak grows by a small multiple of the request's inflated size, the records are all stored,
// the resource once, and it comes back with every record.
TEST_F(CollectorLimits, ALargeResourceIsDecodedOnceForManyTinyRecords) {
  const std::string path = dir.file("spans.db");
  CollectorProcess c(path, kKeepEverything);
  ASSERT_TRUE(c.ready()) << c.startup_output();
  constexpr int kRecords = 1'000;
  const std::string logs_body = large_resource_logs(kRecords, "amplified").SerializeAsString();
  const std::string spans_body = large_resource_spans(kRecords, "amplified").SerializeAsString();
  ASSERT_LT(logs_body.size(), 2 * kMiB);
  ASSERT_LT(spans_body.size(), 2 * kMiB);
  const std::string logs_url = "http://127.0.0.1:" + std::to_string(c.http_port()) + "/v1/logs";
  const std::vector<std::string> gzipped = {"Content-Type: application/x-protobuf",
                                            "Content-Encoding: gzip"};
  // A first small request warms what every request uses once (threads, SQLite's cache).
  ASSERT_EQ(http_call("POST", logs_url, gzipped,
                      gzip(large_resource_logs(1, "warm-up").SerializeAsString()))
                .status,
            200);
  const ResidentMemory before = resident_memory(c.pid());
  reset_peak(c.pid());
  const HttpResult logs = http_call("POST", logs_url, gzipped, gzip(logs_body));
  EXPECT_EQ(logs.status, 200) << status_message(logs);
  const HttpResult spans = http_call("POST", c.otlp_url(), gzipped, gzip(spans_body));
  EXPECT_EQ(spans.status, 200) << status_message(spans);
  // Over gRPC too (the raw message, inflated by the collector itself).
  EXPECT_EQ(
      grpc_export_compressed(
          c.grpc_port(), gzip(large_resource_logs(kRecords, "amplified-grpc").SerializeAsString()),
          "opentelemetry.proto.collector.logs.v1.LogsService/Export"),
      "0");
  const ResidentMemory after = resident_memory(c.pid());
  std::printf(
      "[ memory   ] before %llu MiB, peak %llu MiB, after %llu MiB (requests of %zu and "
      "%zu bytes inflated)\n",
      static_cast<unsigned long long>(before.rss / kMiB),
      static_cast<unsigned long long>(after.peak / kMiB),
      static_cast<unsigned long long>(after.rss / kMiB), logs_body.size(), spans_body.size());
  if (kMemoryMeasurable) {
    // A copy per record was 1,000 MiB a request; once per request it is a few copies of 1 MiB
    // (the body, the parsed message, the JSON text, the row) and SQLite's page cache.
    EXPECT_LT(after.peak, before.rss + 48 * kMiB);
  }
  // Everything stored, answered with success only once committed; the resource once.
  EXPECT_EQ(query_file(path, "SELECT count(*) FROM logs WHERE service = 'amplified'"), kRecords);
  EXPECT_EQ(query_file(path, "SELECT count(*) FROM logs WHERE service = 'amplified-grpc'"),
            kRecords);
  EXPECT_EQ(query_file(path, "SELECT count(*) FROM spans WHERE service = 'amplified'"), kRecords);
  EXPECT_EQ(query_file(path, "SELECT count(*) FROM resources WHERE json LIKE '%\"amplified\"%'"),
            1);
  // And the API gives the whole resource back with a record and with a span.
  const json::value found = get_json(c.ui_url() + "/api/logs?service=amplified&limit=1");
  ASSERT_TRUE(found.is_object());
  ASSERT_EQ(found.at("data").as_array().size(), 1u);
  const auto& resource = found.at("data").as_array()[0].at("resource");
  EXPECT_EQ(resource.at("attributes").as_array().size(), 33u);
  EXPECT_EQ(resource.at("attributes").as_array()[32].at("value").at("stringValue").as_string(),
            std::string(32 * 1024, 'a' + 31 % 26));
  const json::value page = get_json(c.ui_url() + "/api/traces/" + kLargeResourceTrace);
  ASSERT_TRUE(page.is_object());
  EXPECT_EQ(page.at("spans").as_array()[0].at("resource").at("attributes").as_array().size(), 33u);
  EXPECT_TRUE(c.alive());
}

// More records than one request may hold (the write queue's 200,000) are refused whole, before
// they are decoded: 413 with a google.rpc.Status saying why over OTLP/HTTP (protobuf and
// JSON), RESOURCE_EXHAUSTED over gRPC. Nothing of them is stored, the memory stays where it
// was, and the collector keeps serving. (Before: 200,001 empty log records, 400 KB, were
// decoded into ~130 MB and then answered 503 "queue full", which exporters retry forever.)
TEST_F(CollectorLimits, ARequestOfMoreRecordsThanTheLimitIsRefusedWhole) {
  const std::string path = dir.file("spans.db");
  CollectorProcess c(path, kKeepEverything);
  ASSERT_TRUE(c.ready()) << c.startup_output();
  constexpr int kTooMany = 200'001;
  const std::string logs_url = "http://127.0.0.1:" + std::to_string(c.http_port()) + "/v1/logs";
  const std::string logs_body = large_resource_logs(kTooMany, "").SerializeAsString();
  const ResidentMemory before = resident_memory(c.pid());
  reset_peak(c.pid());
  const HttpResult logs =
      http_call("POST", logs_url, {"Content-Type: application/x-protobuf"}, logs_body);
  EXPECT_EQ(logs.status, 413) << status_message(logs);
  EXPECT_NE(status_message(logs).find("200001 log records"), std::string::npos)
      << status_message(logs);
  std::string json_spans = R"({"resourceSpans":[{"scopeSpans":[{"spans":[)";
  for (int i = 0; i < kTooMany; ++i)
    json_spans += i ? ",{}" : "{}";
  json_spans += "]}]}]}";
  const HttpResult spans =
      http_call("POST", c.otlp_url(), {"Content-Type: application/json"}, json_spans);
  EXPECT_EQ(spans.status, 413) << spans.body;
  EXPECT_NE(spans.body.find("too large"), std::string::npos) << spans.body;
  // gRPC: a grpc++ client, and a gzip message inflated by the collector.
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(c.grpc_port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = testing::logsv1::LogsService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 30s);
  testing::logsv1::ExportLogsServiceResponse response;
  const grpc::Status refused = stub->Export(&context, large_resource_logs(kTooMany, ""), &response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
  EXPECT_NE(refused.error_message().find("send smaller batches"), std::string::npos)
      << refused.error_message();
  EXPECT_EQ(grpc_export_compressed(c.grpc_port(),
                                   gzip(large_resource_spans(kTooMany, "").SerializeAsString())),
            "8")
      << "RESOURCE_EXHAUSTED expected";
  const ResidentMemory after = resident_memory(c.pid());
  print_memory(before, after);
  if (kMemoryMeasurable) {
    // The bodies (up to 3 MB, inflated) and the scan over them; decoding them took ~130 MB each.
    EXPECT_LT(after.peak, before.rss + 48 * kMiB);
  }
  // Still serving: a request within the limit is stored, and only it.
  const HttpResult ok = http_call("POST", logs_url, {"Content-Type: application/x-protobuf"},
                                  large_resource_logs(3, "after").SerializeAsString());
  EXPECT_EQ(ok.status, 200) << status_message(ok);
  EXPECT_EQ(query_file(path, "SELECT count(*) FROM logs"), 3);
  EXPECT_EQ(query_file(path, "SELECT count(*) FROM spans"), 0);
  EXPECT_TRUE(c.alive());
}

// A 100,000-span trace is answered in pages: reading all of it grows the collector's memory by
// less than 64 MiB (one answer of the whole trace took hundreds of MB).
TEST_F(CollectorLimits, AHugeTraceIsReadInBoundedMemory) {
  CollectorProcess c(dir.file("spans.db"), kKeepEverything);
  ASSERT_TRUE(c.ready()) << c.startup_output();
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(c.grpc_port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = testing::otlpv1::TraceService::NewStub(channel);
  // Under a sanitizer (where memory is not measured) a smaller trace, still several pages.
  constexpr int kSpans = kMemoryMeasurable ? 100'000 : 25'000, kPerRequest = 5'000;
  for (int first = 0; first < kSpans; first += kPerRequest) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 30s);
    testing::otlpv1::ExportTraceServiceResponse response;
    ASSERT_TRUE(stub->Export(&context, make_request(first, kPerRequest, 64), &response).ok());
  }
  const ResidentMemory before = resident_memory(c.pid());
  reset_peak(c.pid());
  size_t pages = 0;
  const auto ids = read_trace(c, &pages);
  const ResidentMemory after = resident_memory(c.pid());
  EXPECT_EQ(ids.size(), static_cast<size_t>(kSpans));
  EXPECT_GT(pages, 1u);
  std::printf("[ memory   ] before %llu MiB, peak %llu MiB while reading %zu pages\n",
              static_cast<unsigned long long>(before.rss / kMiB),
              static_cast<unsigned long long>(after.peak / kMiB), pages);
  if (kMemoryMeasurable) {
    EXPECT_LT(after.peak, before.rss + 64 * kMiB);
  }
}

// The review's case: small log records of one trace from a service whose resource is 1 MiB (32
// attributes of 32 KiB). Every record of the answer carried that resource and the answer had no
// byte limit: 1,000 records made a 1 GB answer and a 2.1 GB collector. Now each answer stops at
// about 8 MiB with "next", and reading every page as the API offers them keeps the collector's
// peak within 64 MiB of where it was; the compact form is one answer of about one resource.
TEST_F(CollectorLimits, ATracesLogsUnderAHugeResourceAreReadInBoundedMemory) {
  CollectorProcess c(dir.file("spans.db"), kKeepEverything);
  ASSERT_TRUE(c.ready()) << c.startup_output();
  namespace logsv1 = opentelemetry::proto::collector::logs::v1;
  constexpr int kRequests = 3, kPerRequest = 100, kRecords = kRequests * kPerRequest;
  const std::string trace_hex(32, 'f');
  std::string trace_bytes(16, '\xff');
  std::string logs_url = c.otlp_url();
  logs_url.replace(logs_url.rfind("/v1/traces"), 10, "/v1/logs");
  for (int r = 0; r < kRequests; ++r) {
    logsv1::ExportLogsServiceRequest request;
    auto* rl = request.add_resource_logs();
    auto* name = rl->mutable_resource()->add_attributes();
    name->set_key("service.name");
    name->mutable_value()->set_string_value("bigres");
    for (int i = 0; i < 32; ++i) {
      auto* kv = rl->mutable_resource()->add_attributes();
      kv->set_key("k" + std::to_string(i));
      kv->mutable_value()->set_string_value(std::string(32 << 10, 'z'));
    }
    auto* sl = rl->add_scope_logs();
    for (int i = 0; i < kPerRequest; ++i) {
      auto* rec = sl->add_log_records();
      rec->set_time_unix_nano(1'700'000'000'000'000'000ull + r * kPerRequest + i);
      rec->mutable_body()->set_string_value("hi " + std::to_string(r * kPerRequest + i));
      rec->set_trace_id(trace_bytes);
    }
    HttpResult res = http_call("POST", logs_url, {"Content-Type: application/x-protobuf"},
                               request.SerializeAsString());
    ASSERT_EQ(res.status, 200) << res.body;
  }
  const std::string url = c.ui_url() + "/api/traces/" + trace_hex + "/logs";
  const ResidentMemory before = resident_memory(c.pid());
  reset_peak(c.pid());
  size_t records = 0, pages = 0, largest = 0;
  std::string after;
  do {
    HttpResult res = http_call("GET", url + (after.empty() ? "" : "?after=" + after));
    ASSERT_EQ(res.status, 200) << res.body.substr(0, 200);
    largest = std::max(largest, res.body.size());
    const json::object page = json::parse(res.body).as_object();
    records += page.at("logs").as_array().size();
    ++pages;
    after = page.contains("next") ? std::string(page.at("next").as_string()) : "";
  } while (!after.empty() && pages <= kRecords);
  const ResidentMemory after_read = resident_memory(c.pid());
  EXPECT_EQ(records, static_cast<size_t>(kRecords));
  EXPECT_GT(pages, 1u);
  EXPECT_LT(largest, 10 * kMiB) << "about 8 MiB and one record";
  std::printf(
      "[ memory   ] before %llu MiB, peak %llu MiB while reading %zu pages of at most "
      "%zu bytes\n",
      static_cast<unsigned long long>(before.rss / kMiB),
      static_cast<unsigned long long>(after_read.peak / kMiB), pages, largest);
  if (kMemoryMeasurable) {
    EXPECT_LT(after_read.peak, before.rss + 64 * kMiB);
  }
  HttpResult compact = http_call("GET", url + "?compact=true");
  ASSERT_EQ(compact.status, 200);
  const json::object page = json::parse(compact.body).as_object();
  EXPECT_EQ(page.at("logs").as_array().size(), static_cast<size_t>(kRecords));
  EXPECT_EQ(page.at("resources").as_object().size(), 1u);
  EXPECT_LT(compact.body.size(), 2 * kMiB);
  EXPECT_TRUE(c.alive());
}

}  // namespace
}  // namespace tracekit::collector
