// SPDX-License-Identifier: Apache-2.0
// Interoperability with an implementation we did not write: tracekit's exporters send the known
// spans to a receiver made of the official OpenTelemetry JS packages (@grpc/grpc-js, and the
// protobufjs code @opentelemetry/otlp-transformer generated from opentelemetry-proto), over
// gRPC, HTTP/protobuf and HTTP/JSON, with and without gzip. The JS side decodes (JSON through
// its own object mapping), encodes again, and hands the bytes back; libprotobuf then checks
// every field against the span records.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <google/protobuf/util/message_differencer.h>

#include <filesystem>
#include <sstream>

#include "receivers.h"
#include "tracekit/otlp/exporter.h"

namespace tracekit::testing {
namespace {

using namespace std::chrono_literals;

// Why the JS peer cannot run here, or "" when it can.
std::string js_peer_missing() {
  const std::filesystem::path dir = TRACEKIT_INTEROP_DIR;
  if (std::string(TRACEKIT_NODE).empty()) return "node is not installed";
  for (const char* pkg : {"otlp-transformer-216", "@grpc/grpc-js", "@opentelemetry/sdk-trace-base",
                          "@opentelemetry/exporter-trace-otlp-grpc"}) {
    if (!std::filesystem::exists(dir / "node_modules" / pkg)) {
      return "the JS interop packages are not installed in " + dir.string() +
             "/node_modules (scripts/install-deps.sh runs npm there; was the npm registry "
             "unreachable?)";
    }
  }
  return {};
}

// Runs `node <script> args...` in tests/interop; its exit code, or -1 after `timeout`.
int run_node(const std::vector<std::string>& args, std::chrono::seconds timeout) {
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(TRACEKIT_INTEROP_DIR) != 0) _exit(127);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>("node"));
    for (const auto& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(TRACEKIT_NODE, argv.data());
    _exit(127);
  }
  const auto until = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < until) {
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    usleep(20000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return -1;
}

// node receiver.mjs, with pipes to its stdin and from its stdout.
class NodeReceiver {
 public:
  bool start(std::string* why) {
    const std::filesystem::path dir = TRACEKIT_INTEROP_DIR;
    *why = js_peer_missing();
    if (!why->empty()) return false;
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) return false;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      close(in[1]);
      close(out[0]);
      if (chdir(dir.c_str()) != 0) _exit(127);
      execl(TRACEKIT_NODE, "node", "receiver.mjs", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
    std::string line = read_line(20s);
    std::istringstream ss(line);
    std::string word;
    ss >> word >> grpc_port_ >> http_port_;
    if (word != "ports") {
      *why = "the node receiver did not start: \"" + line + "\"";
      return false;
    }
    return true;
  }

  ~NodeReceiver() {
    if (stdin_ >= 0) close(stdin_);  // the receiver exits when its stdin closes
    if (pid_ > 0) {
      for (int i = 0; i < 100; ++i) {
        if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
          pid_ = -1;
          break;
        }
        usleep(20000);
      }
      if (pid_ > 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
      }
    }
    if (stdout_ >= 0) close(stdout_);
  }

  // One line from the receiver, or "" after `timeout`.
  std::string read_line(std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      size_t nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return {};
      pollfd p{stdout_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[65536];
      ssize_t n = read(stdout_, buf, sizeof buf);
      if (n <= 0) return {};
      buffer_.append(buf, static_cast<size_t>(n));
    }
  }

  int grpc_port() const { return grpc_port_; }
  int http_port() const { return http_port_; }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1, stdout_ = -1;
  int grpc_port_ = 0, http_port_ = 0;
  std::string buffer_;
};

std::string from_base64(std::string_view in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = val(c);
    if (v < 0) continue;  // padding
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

struct Case {
  OtlpProtocol protocol;
  bool gzip;
};

class OtlpInterop : public ::testing::TestWithParam<Case> {};

TEST_P(OtlpInterop, OfficialJsPackagesDecodeEveryField) {
  NodeReceiver node;
  std::string why;
  if (!node.start(&why)) GTEST_SKIP() << "JS interop skipped: " << why;

  const Case c = GetParam();
  OtlpConfig cfg;
  cfg.protocol = c.protocol;
  cfg.gzip = c.gzip;
  cfg.timeout = 10s;
  cfg.endpoint = c.protocol == OtlpProtocol::kGrpc
                     ? "http://127.0.0.1:" + std::to_string(node.grpc_port())
                     : "http://127.0.0.1:" + std::to_string(node.http_port()) + "/v1/traces";
  auto exporter = otlp::OtlpExporter::create(cfg);
  ASSERT_TRUE(exporter.ok()) << exporter.error().message;
  KnownSpans k = make_known_spans();
  ExportResult r = (*exporter)->export_spans(k.spans, std::chrono::steady_clock::now() + 10s);
  ASSERT_TRUE(r.ok()) << r.error;

  std::string line = node.read_line(10s);
  std::istringstream ss(line);
  std::string transport, content_type, encoding, payload;
  ss >> transport >> content_type >> encoding >> payload;
  ASSERT_NE(transport, "error") << from_base64(payload);
  if (c.protocol == OtlpProtocol::kGrpc) {
    EXPECT_EQ(transport, "grpc");
  } else {
    EXPECT_EQ(transport, "http");
    EXPECT_EQ(content_type, c.protocol == OtlpProtocol::kHttpJson ? "application/json"
                                                                  : "application/x-protobuf");
    EXPECT_EQ(encoding, c.gzip ? "gzip" : "-");
  }
  otlpv1::ExportTraceServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(from_base64(payload)));
  EXPECT_EQ(expect_request_matches(req, k.spans), k.spans.size());
}

INSTANTIATE_TEST_SUITE_P(Protocols, OtlpInterop,
                         ::testing::Values(Case{OtlpProtocol::kGrpc, false},
                                           Case{OtlpProtocol::kGrpc, true},
                                           Case{OtlpProtocol::kHttpProtobuf, false},
                                           Case{OtlpProtocol::kHttpProtobuf, true},
                                           Case{OtlpProtocol::kHttpJson, false},
                                           Case{OtlpProtocol::kHttpJson, true}),
                         [](const auto& info) {
                           std::string name = info.param.protocol == OtlpProtocol::kGrpc ? "grpc"
                                              : info.param.protocol == OtlpProtocol::kHttpProtobuf
                                                  ? "http_protobuf"
                                                  : "http_json";
                           return name + (info.param.gzip ? "_gzip" : "");
                         });

const tracev1::Span& only_span(const otlpv1::ExportTraceServiceRequest& req) {
  return req.resource_spans(0).scope_spans(0).spans(0);
}

// The other direction: the official JS SDK and its three OTLP exporters send to tracekit's test
// receivers, which must decode all three to the same message with the values the JS code set.
// This also checks the receivers' OTLP/JSON reading, which the exporter tests rely on.
TEST(OtlpInteropJsSender, OfficialExportersDecodeAlikeInOurReceivers) {
  if (std::string why = js_peer_missing(); !why.empty())
    GTEST_SKIP() << "JS interop skipped: " << why;
  GrpcReceiver grpc_rx;
  HttpReceiver http_rx;
  ASSERT_EQ(run_node({"send.mjs", grpc_rx.endpoint(), http_rx.url(), http_rx.url()}, 60s), 0);
  ASSERT_TRUE(http_rx.wait_for_spans(2, 5s));
  auto g = grpc_rx.received();
  auto h = http_rx.received();
  ASSERT_EQ(g.size(), 1u);
  ASSERT_EQ(h.size(), 2u);
  ASSERT_EQ(h[0].headers["content-type"], "application/x-protobuf");
  ASSERT_EQ(h[1].headers["content-type"], "application/json");
  ASSERT_EQ(h[0].decode_error, "");
  ASSERT_EQ(h[1].decode_error, "") << h[1].body;

  // Trace and span ids differ between the three sends; everything else must be equal.
  auto normalized = [](otlpv1::ExportTraceServiceRequest r) {
    for (auto& rs : *r.mutable_resource_spans())
      for (auto& ss : *rs.mutable_scope_spans())
        for (auto& sp : *ss.mutable_spans()) {
          sp.clear_trace_id();
          sp.clear_span_id();
        }
    return r;
  };
  const auto a = normalized(g[0].request), b = normalized(h[0].request),
             c = normalized(h[1].request);
  std::string diff;
  google::protobuf::util::MessageDifferencer d;
  d.ReportDifferencesToString(&diff);
  EXPECT_TRUE(d.Compare(a, b)) << "grpc vs http/protobuf: " << diff;
  diff.clear();
  EXPECT_TRUE(d.Compare(b, c)) << "http/protobuf vs http/json: " << diff;

  const tracev1::Span& s = only_span(c);
  EXPECT_EQ(s.name(), "GET /js");
  EXPECT_EQ(s.kind(), tracev1::Span::SPAN_KIND_SERVER);
  EXPECT_EQ(s.start_time_unix_nano(), 1'700'000'000'000'000'000ull);
  EXPECT_EQ(s.end_time_unix_nano(), 1'700'000'000'005'000'000ull);
  EXPECT_EQ(s.status().code(), tracev1::Status::STATUS_CODE_ERROR);
  EXPECT_EQ(s.status().message(), "boom");
  std::map<std::string, commonv1::AnyValue> attrs;
  for (const auto& kv : s.attributes())
    attrs[kv.key()] = kv.value();
  EXPECT_EQ(attrs["http.method"].string_value(), "GET");
  EXPECT_EQ(attrs["http.status_code"].int_value(), 200);
  EXPECT_EQ(attrs["ratio"].double_value(), 0.5);
  EXPECT_EQ(attrs["cached"].value_case(), commonv1::AnyValue::kBoolValue);
  EXPECT_EQ(attrs["strings"].array_value().values(1).string_value(), "b");
  EXPECT_EQ(attrs["ints"].array_value().values(2).int_value(), 3);
  ASSERT_EQ(s.events_size(), 1);
  EXPECT_EQ(s.events(0).name(), "cache.miss");
  EXPECT_EQ(s.events(0).time_unix_nano(), 1'700'000'000'001'000'000ull);
  ASSERT_EQ(s.links_size(), 1);
  EXPECT_EQ(TraceId(reinterpret_cast<const uint8_t*>(s.links(0).trace_id().data())).to_hex(),
            "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(s.links(0).attributes(0).key(), "link.reason");
  EXPECT_EQ(c.resource_spans(0).scope_spans(0).scope().name(), "js.interop");
}

}  // namespace
}  // namespace tracekit::testing
