// OTLP receivers for the tests, on 127.0.0.1 with a port the kernel picks: a grpc++ server of
// the generated TraceService and LogsService, and an HTTP/1.1 server (Boost.Beast) for /v1/traces
// and /v1/logs with protobuf
// and JSON bodies, gzip, TLS and mutual TLS. Both answer from a script, then with success, and
// keep what they received.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "otlp_support.h"

namespace tracekit::testing {

struct TlsFiles {
  std::string cert, key;
  std::string client_ca;  // non-empty: require a client certificate signed by this CA (mTLS)
};

// ---- gRPC ----

struct GrpcReply {
  int code = 0;  // grpc::StatusCode
  std::string message;
  int64_t retry_delay_ms = -1;         // >= 0: attach a google.rpc.RetryInfo
  std::chrono::milliseconds delay{0};  // sleep before answering
  int64_t rejected = 0;                // partial_success.rejected_spans
  std::string partial_message;
};

struct GrpcReceived {
  otlpv1::ExportTraceServiceRequest request;  // a TraceService call
  logsv1::ExportLogsServiceRequest logs;      // a LogsService call
  std::multimap<std::string, std::string> metadata;
  int code = 0;  // what we answered
};

class GrpcReceiver {
 public:
  struct Options {
    bool tls = false;
    TlsFiles files;
    bool accept_gzip = true;    // false: the server refuses gzip-compressed messages
    bool keep_requests = true;  // false: only count (load tests)
  };
  GrpcReceiver();
  explicit GrpcReceiver(Options options);
  ~GrpcReceiver();

  int port() const { return port_; }
  std::string endpoint() const;  // http:// or https://127.0.0.1:port
  void script(std::vector<GrpcReply> replies);
  std::vector<GrpcReceived> received() const;
  size_t spans_accepted() const;  // spans or log records in requests answered OK (minus rejected)
  size_t calls() const;
  bool wait_for_spans(size_t n, std::chrono::milliseconds timeout) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

// ---- HTTP ----

struct HttpReply {
  int status = 200;
  std::string retry_after;  // Retry-After header, if non-empty
  std::string body;         // replaces the default body
  std::string content_type;
  std::chrono::milliseconds delay{0};  // sleep before answering
  int64_t rejected = 0;                // partial success in the default body
  std::string partial_message;
};

struct HttpReceived {
  std::string method, target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string raw_body;                        // as received
  std::string body;                            // after gunzip when Content-Encoding: gzip
  otlpv1::ExportTraceServiceRequest request;   // decoded (protobuf or JSON)
  logsv1::ExportLogsServiceRequest logs;       // decoded instead, for a target ending in /v1/logs
  std::string decode_error;                    // empty when decoding worked
  int status = 0;                              // what we answered
};

class HttpReceiver {
 public:
  struct Options {
    bool tls = false;
    TlsFiles files;
    bool keep_requests = true;  // false: only count (load tests)
  };
  HttpReceiver();
  explicit HttpReceiver(Options options);
  ~HttpReceiver();

  int port() const { return port_; }
  std::string url() const;       // http(s)://127.0.0.1:port/v1/traces
  std::string logs_url() const;  // http(s)://127.0.0.1:port/v1/logs
  void script(std::vector<HttpReply> replies);
  std::vector<HttpReceived> received() const;
  size_t spans_accepted() const;
  size_t calls() const;
  size_t connections() const;  // TCP connections accepted
  bool wait_for_spans(size_t n, std::chrono::milliseconds timeout) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace tracekit::testing
