// SPDX-License-Identifier: Apache-2.0
// The official OpenTelemetry JS packages as a test peer (tests/interop, run with node):
// receiver.mjs decodes what tracekit exports and hands back its own re-encoding of each request;
// send.mjs sends with the JS SDK's exporters. Each call is bounded in time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace tracekit::testing {

// Why the JS peer cannot run here, or "" when it can.
std::string js_peer_missing();

// Runs `node <args...>` in tests/interop; its exit code, or -1 after `timeout`.
int run_node(const std::vector<std::string>& args, std::chrono::seconds timeout);

// One request as receiver.mjs reported it.
struct JsReceived {
  std::string transport;     // "grpc", "http", or "error" when it could not decode the request
  std::string signal;        // "traces" or "logs"
  std::string content_type;  // "-" when none
  std::string encoding;      // "-" when none
  std::string payload;       // the JS code's re-encoded request (or the error text), as bytes
};

// `node receiver.mjs`, with pipes to its stdin (it exits when that closes) and from its stdout.
class JsReceiver {
 public:
  JsReceiver() = default;
  JsReceiver(const JsReceiver&) = delete;
  JsReceiver& operator=(const JsReceiver&) = delete;
  ~JsReceiver();

  // Starts the process and reads its ports; false with `why` set when it cannot run.
  bool start(std::string* why);
  int grpc_port() const { return grpc_port_; }
  int http_port() const { return http_port_; }

  // The next request it reported; transport is empty after `timeout`.
  JsReceived next(std::chrono::milliseconds timeout);
  // Forgets the requests reported so far (a test that failed half-way may leave some behind).
  void discard_pending();

 private:
  std::string read_line(std::chrono::milliseconds timeout);
  pid_t pid_ = -1;
  int stdin_ = -1, stdout_ = -1;
  int grpc_port_ = 0, http_port_ = 0;
  std::string buffer_;
};

// The one receiver of this test process, started at first use so that the node process starts
// once per test binary rather than once per case; nullptr with `why` set when it cannot run.
JsReceiver* shared_js_receiver(std::string* why);

std::string from_base64(std::string_view in);

}  // namespace tracekit::testing
