// SPDX-License-Identifier: Apache-2.0
// Shared by the HTTP tests: an in-memory tracing pipeline installed as the global provider, a
// log capture, attribute lookup, and a raw TCP connection for sending bytes no client would.
#pragma once

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "tracekit/exporters/memory.h"
#include "tracekit/http/http.h"
#include "tracekit/log/logger.h"
#include "tracekit/propagation/propagator.h"
#include "tracekit/span_processor.h"
#include "tracekit/tracekit.h"

namespace tracekit {
// Polls `done` until it holds or `limit` passes (never asserts on how long it took).
template <class Pred>
bool testing_wait(Pred done, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= give_up) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}
}  // namespace tracekit

namespace tracekit::http::testing {

// Installs (once per process) a global provider whose spans land in memory as they end.
inline std::shared_ptr<InMemorySpanStore> span_store() {
  static std::shared_ptr<InMemorySpanStore> store = [] {
    auto exporter = std::make_unique<InMemorySpanExporter>();
    auto s = exporter->store();
    TracerProviderOptions o;
    o.processors.push_back(std::make_unique<SimpleSpanProcessor>(std::move(exporter)));
    set_global_tracer_provider(std::make_shared<TracerProvider>(std::move(o)));
    return s;
  }();
  return store;
}

// Every span ended so far with this name.
inline std::vector<SpanDataPtr> spans_named(std::string_view name) {
  std::vector<SpanDataPtr> out;
  for (auto& s : span_store()->spans())
    if (s->name() == name) out.push_back(s);
  return out;
}

inline std::optional<AttributeValue> attr(const SpanData& s, std::string_view key) {
  for (const auto& kv : s.attributes())
    if (kv.key == key) return kv.value;
  return std::nullopt;
}
inline std::string attr_str(const SpanData& s, std::string_view key) {
  auto v = attr(s, key);
  return v && v->type() == AttributeType::kString ? std::string(v->as_string()) : std::string();
}
inline int64_t attr_int(const SpanData& s, std::string_view key) {
  auto v = attr(s, key);
  return v && v->type() == AttributeType::kInt ? v->as_int() : -1;
}

// Waits (bounded) for a span to be exported: the server ends its span after the response is
// built, so the client may see the answer first.
inline SpanDataPtr wait_for_span(std::string_view name, const std::string& trace_hex,
                                 std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  for (;;) {
    for (auto& s : span_store()->spans()) {
      if (s->name() == name && (trace_hex.empty() || s->context().trace_id().to_hex() == trace_hex))
        return s;
    }
    if (std::chrono::steady_clock::now() > give_up) return nullptr;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

// Captures log lines for the life of the object.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<log::MemorySink>()) { log::set_sink(sink_); }
  ~LogCapture() { log::set_sink(nullptr); }
  std::vector<boost::json::object> lines() const {
    std::vector<boost::json::object> out;
    for (const auto& l : sink_->lines())
      out.push_back(boost::json::parse(l).as_object());
    return out;
  }
  std::vector<boost::json::object> events(std::string_view event) const {
    std::vector<boost::json::object> out;
    for (auto& o : lines())
      if (o.at("event").as_string() == event) out.push_back(o);
    return out;
  }
  log::MemorySink& sink() { return *sink_; }

 private:
  std::shared_ptr<log::MemorySink> sink_;
};

inline std::string str(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().as_string())
                                                  : std::string();
}

// A blocking TCP connection with receive/send timeouts (plain POSIX sockets: Asio's synchronous
// reads would poll past SO_RCVTIMEO), for raw protocol tests.
class RawConnection {
 public:
  // `source`: the local IPv4 address to connect from (127.0.0.2 looks like another client).
  explicit RawConnection(uint16_t port,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10),
                         const char* source = nullptr) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (source) {
      sockaddr_in local{};
      local.sin_family = AF_INET;
      ::inet_pton(AF_INET, source, &local.sin_addr);
      ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local);
    }
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawConnection() { ::close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }
  int fd() const { return fd_; }
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Reads until the peer closes (or the timeout): everything received.
  std::string read_all() {
    std::string out;
    char buf[4096];
    for (;;) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  // Reads one response: the header, plus a Content-Length body unless `header_only`.
  std::string read_response(bool header_only = false) {
    char buf[4096];
    for (;;) {
      const size_t end = pending_.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t length = 0;
        const size_t cl = lower(pending_.substr(0, end)).find("content-length:");
        if (cl != std::string::npos && !header_only) length = std::stoul(pending_.substr(cl + 15));
        if (pending_.size() >= end + 4 + length) {
          std::string out = pending_.substr(0, end + 4 + length);
          pending_.erase(0, end + 4 + length);
          return out;
        }
      }
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return std::exchange(pending_, {});
      pending_.append(buf, static_cast<size_t>(n));
    }
  }
  // True when the server closed the connection (a read returns end of stream or a reset).
  bool closed_by_peer() {
    char c;
    const ssize_t n = ::recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

  static std::string lower(std::string s) {
    for (auto& c : s)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string pending_;
};

inline int status_of(const std::string& raw) {
  if (raw.size() < 12 || !raw.starts_with("HTTP/1.")) return -1;
  return std::stoi(raw.substr(9, 3));
}

}  // namespace tracekit::http::testing
