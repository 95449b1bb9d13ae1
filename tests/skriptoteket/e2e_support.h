// SPDX-License-Identifier: Apache-2.0
// End-to-end support: start skriptoteket-web and skriptoteket-runner as real processes on
// ephemeral ports, call them over HTTP, and read the spans their console exporters wrote.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tracekit/http/client.h"

namespace skriptoteket::e2e {

// One service process. Its standard output and error (the JSON log lines) go to log_path.
class ServiceProcess {
 public:
  ServiceProcess() = default;
  ~ServiceProcess() { stop(); }
  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;

  // Starts `binary` with the current environment plus `env`, and waits (bounded) until it has
  // written its port file. An empty optional and `error` set when it did not come up.
  bool start(const std::string& binary, std::map<std::string, std::string> env,
             const std::filesystem::path& dir, const std::string& name, std::string& error);
  // SIGTERM, then SIGKILL after `grace`. Returns the exit status (-1 if it had to be killed).
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(20));

  uint16_t port() const noexcept { return port_; }
  pid_t pid() const noexcept { return pid_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::filesystem::path& log_path() const noexcept { return log_path_; }
  std::string log_text() const;

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::filesystem::path log_path_;
};

// A span as the console exporter wrote it (OTLP/JSON), attribute values as text.
struct ExportedSpan {
  std::string service;
  std::string name;
  std::string trace_id;
  std::string span_id;
  std::string parent_span_id;
  int kind = 0;  // 1 internal, 2 server, 3 client
  int status_code = 0;
  std::map<std::string, std::string> attributes;
  struct Event {
    std::string name;
    std::map<std::string, std::string> attributes;
  };
  std::vector<Event> events;

  std::string attribute(const std::string& key) const {
    auto it = attributes.find(key);
    return it == attributes.end() ? std::string() : it->second;
  }
};

// Every span in an OTLP/JSON lines file (lines that do not parse are skipped: the writer may be
// in the middle of one).
std::vector<ExportedSpan> read_spans(const std::filesystem::path& file);

// Sends `request` as it is (a Host or framing no client would send) to 127.0.0.1:`port` and
// returns everything the server answers until it closes (bounded: 10 s).
std::string raw_exchange(uint16_t port, const std::string& request);
// A connection to 127.0.0.1:port that has sent `bytes` and stays open until destroyed (a client
// that stops in the middle of a request).
class StalledRequest {
 public:
  StalledRequest(uint16_t port, const std::string& bytes);
  ~StalledRequest();
  StalledRequest(const StalledRequest&) = delete;
  StalledRequest& operator=(const StalledRequest&) = delete;
  bool sent() const noexcept { return sent_; }

 private:
  int fd_ = -1;
  bool sent_ = false;
};
// The status code of a raw answer ("HTTP/1.1 421 ..." gives 421); -1 when there is none.
int raw_status(const std::string& answer);

// A plain client (no spans of its own) for the test's requests.
struct Http {
  tracekit::http::BlockingClient client{tracekit::http::ClientOptions{.tracing = false}};
  tracekit::http::ClientResponse call(const std::string& method, const std::string& url,
                                      const std::string& body = {},
                                      tracekit::http::HeaderList headers = {});
};

}  // namespace skriptoteket::e2e
