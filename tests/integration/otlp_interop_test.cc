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

#include <filesystem>
#include <sstream>

#include "receivers.h"
#include "tracekit/otlp/exporter.h"

namespace tracekit::testing {
namespace {

using namespace std::chrono_literals;

// node receiver.mjs, with pipes to its stdin and from its stdout.
class NodeReceiver {
 public:
  bool start(std::string* why) {
    const std::filesystem::path dir = TRACEKIT_INTEROP_DIR;
    if (std::string(TRACEKIT_NODE).empty()) {
      *why = "node is not installed";
      return false;
    }
    if (!std::filesystem::exists(dir / "node_modules" / "otlp-transformer-216") ||
        !std::filesystem::exists(dir / "node_modules" / "@grpc" / "grpc-js")) {
      *why = "the JS interop packages are not installed in " + dir.string() +
             "/node_modules (scripts/install-deps.sh runs npm install there; was the npm "
             "registry unreachable?)";
      return false;
    }
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

}  // namespace
}  // namespace tracekit::testing
