// SPDX-License-Identifier: Apache-2.0
#include "collector_test_support.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "otlp_decode.h"
#include "query_api.h"

namespace tracekit::collector {

namespace json = boost::json;

testing::otlpv1::ExportTraceServiceRequest request_from_api_spans(const json::array& spans) {
  json::array resource_spans;
  for (const auto& v : spans) {
    const json::object& s = v.as_object();
    json::object span;
    for (const char* key :
         {"traceId", "spanId", "parentSpanId", "name", "startTimeUnixNano", "endTimeUnixNano",
          "attributes", "events", "links", "traceState", "flags", "droppedAttributesCount",
          "droppedEventsCount", "droppedLinksCount"}) {
      span[key] = s.at(key);
    }
    span["kind"] = "SPAN_KIND_" + std::string(s.at("kind").as_string());
    const json::object& status = s.at("status").as_object();
    span["status"] = {{"code", "STATUS_CODE_" + std::string(status.at("code").as_string())},
                      {"message", status.at("message")}};
    json::object scope = s.at("scope").as_object();
    json::value scope_schema = scope.at("schemaUrl");
    scope.erase("schemaUrl");
    json::object resource = s.at("resource").as_object();
    json::value resource_schema = resource.at("schemaUrl");
    resource.erase("schemaUrl");
    json::object scope_spans{
        {"scope", scope}, {"schemaUrl", scope_schema}, {"spans", json::array{span}}};
    resource_spans.push_back(json::object{{"resource", resource},
                                          {"schemaUrl", resource_schema},
                                          {"scopeSpans", json::array{scope_spans}}});
  }
  json::object doc{{"resourceSpans", resource_spans}};
  auto request = json_to_request(json::serialize(doc));
  if (!request) {
    ADD_FAILURE() << "the API's spans are not OTLP/JSON: " << request.error().message;
    return {};
  }
  return *request;
}

testing::otlpv1::ExportTraceServiceRequest request_from_stored(
    const std::vector<StoredSpan>& spans) {
  const json::value doc = json::parse(trace_json("", spans));
  return request_from_api_spans(doc.at("spans").as_array());
}

namespace {

size_t collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

}  // namespace

std::string gzip(std::string_view in) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

HttpResult http_call(const std::string& method, const std::string& url,
                     const std::vector<std::string>& headers, const std::string& body) {
  HttpResult r;
  CURL* curl = curl_easy_init();
  curl_slist* list = nullptr;
  for (const auto& h : headers)
    list = curl_slist_append(list, h.c_str());
  list = curl_slist_append(list, "Expect:");  // no 100-continue round trip
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
  if (method == "POST" || method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  const CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
    char* type = nullptr;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
    if (type) r.content_type = type;
  } else {
    r.error = curl_easy_strerror(rc);
  }
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return r;
}

json::value get_json(const std::string& url, long* status) {
  HttpResult r = http_call("GET", url);
  if (status) *status = r.status;
  if (r.status != 200) return nullptr;
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  return ec ? json::value(nullptr) : v;
}

bool wait_for_json(const std::string& url, const std::function<bool(const json::value&)>& done,
                   std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    json::value v = get_json(url);
    if (!v.is_null() && done(v)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

CollectorProcess::CollectorProcess(const std::string& data_path, std::vector<std::string> extra) {
  int out[2];
  if (pipe(out) != 0) return;
  std::vector<std::string> args = {
      TRACEKIT_COLLECTOR_BINARY, "--data",      data_path,     "--grpc-listen", "127.0.0.1:0",
      "--http-listen",           "127.0.0.1:0", "--ui-listen", "127.0.0.1:0"};
  args.insert(args.end(), extra.begin(), extra.end());
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out[1], 1);
    dup2(out[1], 2);
    close(out[0]);
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::string buffer;
  while (std::chrono::steady_clock::now() < until) {
    pollfd p{out[0], POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char chunk[512];
    const ssize_t n = read(out[0], chunk, sizeof chunk);
    if (n <= 0) break;
    buffer.append(chunk, static_cast<size_t>(n));
    const auto at = buffer.find("ready grpc=");
    if (at != std::string::npos && buffer.find('\n', at) != std::string::npos) {
      std::sscanf(buffer.c_str() + at, "ready grpc=%d http=%d ui=%d", &grpc_port_, &http_port_,
                  &ui_port_);
      break;
    }
  }
  output_ = buffer;
  close(out[0]);  // later output goes nowhere; the collector ignores SIGPIPE on stdout writes
}

bool CollectorProcess::alive() {
  return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0;
}

int CollectorProcess::stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  int status = 0;
  while (std::chrono::steady_clock::now() < until) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return -1;
}

void CollectorProcess::kill_hard() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

ResidentMemory resident_memory(pid_t pid) {
  ResidentMemory m;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    unsigned long long kb = 0;
    if (std::sscanf(line.c_str(), "VmRSS: %llu kB", &kb) == 1) m.rss = kb * 1024;
    if (std::sscanf(line.c_str(), "VmHWM: %llu kB", &kb) == 1) m.peak = kb * 1024;
  }
  return m;
}

CollectorProcess::~CollectorProcess() {
  if (pid_ > 0) stop();
}

}  // namespace tracekit::collector
