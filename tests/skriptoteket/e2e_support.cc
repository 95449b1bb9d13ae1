// SPDX-License-Identifier: Apache-2.0
#include "e2e_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace skriptoteket::e2e {

namespace json = boost::json;

bool ServiceProcess::start(const std::string& binary, std::map<std::string, std::string> env,
                           const std::filesystem::path& dir, const std::string& name,
                           std::string& error) {
  log_path_ = dir / (name + ".log");
  const auto port_file = dir / (name + ".port");
  env["SKRIPTOTEKET_PORT_FILE"] = port_file.string();
  // The current environment, with `env` replacing what it names.
  std::map<std::string, std::string> merged;
  for (char** e = environ; *e; ++e) {
    std::string_view kv(*e);
    const auto eq = kv.find('=');
    if (eq != std::string_view::npos) merged[std::string(kv.substr(0, eq))] = kv.substr(eq + 1);
  }
  for (auto& [k, v] : env)
    merged[k] = v;
  std::vector<std::string> entries;
  for (auto& [k, v] : merged)
    entries.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : entries)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string program = binary;
  char* argv[] = {program.data(), nullptr};
  const std::string log = log_path_.string();

  pid_ = ::fork();
  if (pid_ < 0) {
    error = "fork failed";
    return false;
  }
  if (pid_ == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
    }
    ::execve(argv[0], argv, envp.data());
    ::_exit(127);
  }
  // Sanitized builds start slowly; 30 s is far more than any healthy start needs.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < give_up) {
    std::ifstream in(port_file);
    unsigned port = 0;
    if (in >> port && port > 0) {
      port_ = static_cast<uint16_t>(port);
      return true;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      error = name + " exited during start; its log: " + log_text();
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  error = name + " did not report its port within 30 s; its log: " + log_text();
  stop(std::chrono::seconds(1));
  return false;
}

int ServiceProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return 0;
  ::kill(pid_, SIGTERM);
  const auto give_up = std::chrono::steady_clock::now() + grace;
  int status = 0;
  while (std::chrono::steady_clock::now() < give_up) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return -1;
}

std::string ServiceProcess::log_text() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

namespace {

std::string value_text(const json::value& any) {
  if (!any.is_object()) return {};
  const auto& o = any.as_object();
  if (const auto* v = o.if_contains("stringValue")) return std::string(v->as_string());
  if (const auto* v = o.if_contains("intValue")) {
    return v->is_string() ? std::string(v->as_string()) : json::serialize(*v);
  }
  if (const auto* v = o.if_contains("boolValue")) return v->as_bool() ? "true" : "false";
  if (const auto* v = o.if_contains("doubleValue")) return json::serialize(*v);
  return {};
}

std::map<std::string, std::string> attributes_of(const json::object& o) {
  std::map<std::string, std::string> out;
  if (const auto* attrs = o.if_contains("attributes"); attrs && attrs->is_array()) {
    for (const auto& a : attrs->as_array()) {
      out[std::string(a.at("key").as_string())] = value_text(a.at("value"));
    }
  }
  return out;
}

std::string string_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

std::vector<ExportedSpan> read_spans(const std::filesystem::path& file) {
  std::vector<ExportedSpan> spans;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    std::error_code ec;
    json::value request = json::parse(line, ec);
    if (ec || !request.is_object()) continue;
    const auto* rss = request.as_object().if_contains("resourceSpans");
    if (!rss || !rss->is_array()) continue;
    for (const auto& rs : rss->as_array()) {
      const auto& rso = rs.as_object();
      std::string service;
      if (const auto* resource = rso.if_contains("resource")) {
        service = attributes_of(resource->as_object())["service.name"];
      }
      for (const auto& ss : rso.at("scopeSpans").as_array()) {
        for (const auto& s : ss.as_object().at("spans").as_array()) {
          const auto& so = s.as_object();
          ExportedSpan span;
          span.service = service;
          span.name = string_field(so, "name");
          span.trace_id = string_field(so, "traceId");
          span.span_id = string_field(so, "spanId");
          span.parent_span_id = string_field(so, "parentSpanId");
          if (const auto* k = so.if_contains("kind"); k && k->is_int64()) {
            span.kind = static_cast<int>(k->as_int64());
          }
          if (const auto* st = so.if_contains("status"); st && st->is_object()) {
            if (const auto* c = st->as_object().if_contains("code"); c && c->is_int64()) {
              span.status_code = static_cast<int>(c->as_int64());
            }
          }
          span.attributes = attributes_of(so);
          if (const auto* events = so.if_contains("events"); events && events->is_array()) {
            for (const auto& e : events->as_array()) {
              span.events.push_back(
                  {string_field(e.as_object(), "name"), attributes_of(e.as_object())});
            }
          }
          spans.push_back(std::move(span));
        }
      }
    }
  }
  return spans;
}

tracekit::http::ClientResponse Http::call(const std::string& method, const std::string& url,
                                          const std::string& body,
                                          tracekit::http::HeaderList headers) {
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  auto r = client.request(method, url, body, std::move(headers));
  if (!r) {
    tracekit::http::ClientResponse failed;
    failed.status = 0;
    failed.body = "request failed: " + r.error().message;
    return failed;
  }
  return std::move(r).value();
}

std::string raw_exchange(uint16_t port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
      answer.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return answer;
}

StalledRequest::StalledRequest(uint16_t port, const std::string& bytes)
    : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sent_ =
      ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
}

StalledRequest::~StalledRequest() {
  ::close(fd_);
}

int raw_status(const std::string& answer) {
  if (answer.size() < 12 || !answer.starts_with("HTTP/1.")) return -1;
  return std::stoi(answer.substr(9, 3));
}

}  // namespace skriptoteket::e2e
