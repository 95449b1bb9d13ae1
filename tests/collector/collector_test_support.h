// SPDX-License-Identifier: Apache-2.0
// Shared by the collector tests: the collector binary as a real process on free ports, a small
// HTTP client (libcurl, every call bounded in time), and the way back from the API's JSON to an
// OTLP request, so the OTLP tests' field-by-field checker can judge what the API returns.
#pragma once

#include <sys/types.h>

#include <boost/json.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "otlp_support.h"
#include "span_model.h"

namespace tracekit::collector {

// The API's spans (the "spans" array of /api/traces/{id}) as an OTLP request: one
// ResourceSpans per span, with its own resource and scope.
testing::otlpv1::ExportTraceServiceRequest request_from_api_spans(const boost::json::array& spans);
// The same for spans straight from the decoder (through the API's JSON).
testing::otlpv1::ExportTraceServiceRequest request_from_stored(
    const std::vector<StoredSpan>& spans);

struct HttpResult {
  long status = 0;  // 0: no response (connection refused, timeout)
  std::string body;
  std::string content_type;
  std::string error;
};

// One request with a 10 s bound. `headers` are "Name: value" lines.
HttpResult http_call(const std::string& method, const std::string& url,
                     const std::vector<std::string>& headers = {}, const std::string& body = {});
// GET and parse JSON; a null value when the status is not 200 or the body is not JSON.
boost::json::value get_json(const std::string& url, long* status = nullptr);

// `in` as one gzip member (what a client's Content-Encoding: gzip sends).
std::string gzip(std::string_view in);

// The tracekit-collector binary (TRACEKIT_COLLECTOR_BINARY) on 127.0.0.1 with ports 0.
class CollectorProcess {
 public:
  // Starts it and waits (up to 20 s) for its "ready" line. `extra` are more flags.
  explicit CollectorProcess(const std::string& data_path, std::vector<std::string> extra = {});
  ~CollectorProcess();
  CollectorProcess(const CollectorProcess&) = delete;
  CollectorProcess& operator=(const CollectorProcess&) = delete;

  bool ready() const { return ui_port_ > 0; }
  const std::string& startup_output() const { return output_; }
  // SIGTERM and wait (up to 20 s); the exit status, or -1 when it had to be killed.
  int stop();
  // SIGKILL (a crash: nothing is flushed) and reap it.
  void kill_hard();
  pid_t pid() const { return pid_; }
  bool alive();

  int grpc_port() const { return grpc_port_; }
  int http_port() const { return http_port_; }
  int ui_port() const { return ui_port_; }
  std::string ui_url() const { return "http://127.0.0.1:" + std::to_string(ui_port_); }
  std::string otlp_url() const {
    return "http://127.0.0.1:" + std::to_string(http_port_) + "/v1/traces";
  }
  std::string grpc_endpoint() const { return "http://127.0.0.1:" + std::to_string(grpc_port_); }

 private:
  pid_t pid_ = -1;
  int grpc_port_ = 0, http_port_ = 0, ui_port_ = 0;
  std::string output_;
};

// Resident memory of a process from /proc/<pid>/status, in bytes: VmRSS (now) and VmHWM (the
// peak so far); 0 when unreadable.
struct ResidentMemory {
  uint64_t rss = 0, peak = 0;
};
ResidentMemory resident_memory(pid_t pid);

// Polls `url` until `done(json)` holds or `timeout` passes (spans are written asynchronously).
bool wait_for_json(const std::string& url,
                   const std::function<bool(const boost::json::value&)>& done,
                   std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace tracekit::collector
