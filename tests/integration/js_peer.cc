// SPDX-License-Identifier: Apache-2.0
#include "js_peer.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <sstream>

namespace tracekit::testing {

using namespace std::chrono_literals;

std::string js_peer_missing() {
  const std::filesystem::path dir = TRACEKIT_INTEROP_DIR;
  if (std::string(TRACEKIT_NODE).empty()) return "node is not installed";
  for (const char* pkg :
       {"otlp-transformer-214", "@grpc/grpc-js", "@opentelemetry/sdk-trace-base",
        "@opentelemetry/exporter-trace-otlp-grpc", "@opentelemetry/sdk-logs",
        "@opentelemetry/exporter-logs-otlp-grpc", "@opentelemetry/exporter-logs-otlp-proto",
        "@opentelemetry/exporter-logs-otlp-http"}) {
    if (!std::filesystem::exists(dir / "node_modules" / pkg)) {
      return std::string(pkg) + " is not installed in " + dir.string() +
             "/node_modules (scripts/install-deps.sh runs npm there; was the npm registry "
             "unreachable?)";
    }
  }
  return {};
}

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

bool JsReceiver::start(std::string* why) {
  *why = js_peer_missing();
  if (!why->empty()) return false;
  int in[2], out[2];
  if (pipe(in) != 0 || pipe(out) != 0) {
    *why = "pipe() failed";
    return false;
  }
  pid_ = fork();
  if (pid_ == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    close(in[1]);
    close(out[0]);
    if (chdir(TRACEKIT_INTEROP_DIR) != 0) _exit(127);
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

JsReceiver::~JsReceiver() {
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

std::string JsReceiver::read_line(std::chrono::milliseconds timeout) {
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
    if (left.count() < 0) return {};
    pollfd p{stdout_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      if (left.count() == 0) return {};
      continue;
    }
    char buf[65536];
    ssize_t n = read(stdout_, buf, sizeof buf);
    if (n <= 0) return {};
    buffer_.append(buf, static_cast<size_t>(n));
  }
}

JsReceived JsReceiver::next(std::chrono::milliseconds timeout) {
  std::istringstream ss(read_line(timeout));
  JsReceived r;
  std::string payload;
  ss >> r.transport >> r.signal >> r.content_type >> r.encoding >> payload;
  r.payload = from_base64(payload);
  return r;
}

void JsReceiver::discard_pending() {
  while (!read_line(0ms).empty()) {
  }
}

JsReceiver* shared_js_receiver(std::string* why) {
  static std::string failed;
  static const std::unique_ptr<JsReceiver> receiver = [] {
    auto r = std::make_unique<JsReceiver>();
    if (!r->start(&failed)) r.reset();
    return r;
  }();
  *why = failed;
  if (receiver) receiver->discard_pending();
  return receiver.get();
}

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

}  // namespace tracekit::testing
