// SPDX-License-Identifier: Apache-2.0
#include "options.h"

#include <charconv>
#include <cmath>

#include "options_variables.h"
#include "quantity.h"
#include "query_api.h"
#include "tracekit/http/request_guard.h"

namespace tracekit::collector {

std::string ListenAddress::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string usage() {
  return R"(tracekit-collector: receives OTLP traces, keeps them in SQLite and shows them in a browser.

Usage: tracekit-collector [options]
  --grpc-listen HOST:PORT      OTLP/gRPC            (default 127.0.0.1:4317; env TRACEKIT_COLLECTOR_GRPC_LISTEN)
  --http-listen HOST:PORT      OTLP/HTTP /v1/traces (default 127.0.0.1:4318; env TRACEKIT_COLLECTOR_HTTP_LISTEN)
  --ui-listen HOST:PORT        viewer and JSON API  (default 127.0.0.1:16686; env TRACEKIT_COLLECTOR_UI_LISTEN)
  --data PATH                  SQLite file          (default ./tracekit-collector.db; env TRACEKIT_COLLECTOR_DATA)
  --retention-age DURATION     delete spans and logs received longer ago, e.g. 72h, 30m; 0 keeps them
                               (default 72h; env TRACEKIT_COLLECTOR_RETENTION_AGE)
  --retention-size SIZE        keep the live data under this size, e.g. 500MB, 2GiB; 0 means no limit
                               (default 1GiB; env TRACEKIT_COLLECTOR_RETENTION_SIZE)
  --retention-interval DURATION
                               how often retention runs (default 30s; env TRACEKIT_COLLECTOR_RETENTION_INTERVAL)
  --max-request-size SIZE      largest OTLP request, compressed or not (default 16MiB;
                               env TRACEKIT_COLLECTOR_MAX_REQUEST_SIZE)
  --ack commit|queue           answer an export once its spans are committed to the file (default),
                               or as soon as they are queued: faster to answer, but a crash loses
                               acknowledged spans (env TRACEKIT_COLLECTOR_ACK)
  --max-queue-size SIZE        spans received and not yet written, in bytes; past it exporters are
                               told to retry (default 64MiB; env TRACEKIT_COLLECTOR_MAX_QUEUE_SIZE)
  --query-timeout DURATION     a search or trace query that runs longer is stopped (503); 0: none
                               (default 5s; env TRACEKIT_COLLECTOR_QUERY_TIMEOUT)
  --trace-page-spans N         spans in one page of /api/traces/{id} (default 10000, at most 8 MiB
                               of JSON; env TRACEKIT_COLLECTOR_TRACE_PAGE_SPANS)
  --max-attribute-length SIZE  longer string and bytes values are truncated; 0: no limit
                               (default 32KiB; env TRACEKIT_COLLECTOR_MAX_ATTRIBUTE_LENGTH)
  --max-attributes N           attributes kept per span, event and link (the rest are dropped and
                               counted), and elements per array value (default 128;
                               env TRACEKIT_COLLECTOR_MAX_ATTRIBUTES)
  --max-events N               events kept per span (default 128; env TRACEKIT_COLLECTOR_MAX_EVENTS)
  --max-links N                links kept per span (default 128; env TRACEKIT_COLLECTOR_MAX_LINKS)
  --allowed-hosts LIST         Host names the viewer and API answer to besides localhost, 127.0.0.1,
                               [::1] and the address connected to: "name", "name:port" or "*", comma-separated
                               (env TRACEKIT_COLLECTOR_ALLOWED_HOSTS)
  --api-token TOKEN            require "Authorization: Bearer TOKEN" for the viewer and API; a browser
                               logs in once at /?token=TOKEN (env TRACEKIT_COLLECTOR_API_TOKEN, preferred:
                               a flag is visible in the process list)
  --ingest-token TOKEN         require "Authorization: Bearer TOKEN" on OTLP/HTTP and OTLP/gRPC
                               (env TRACEKIT_COLLECTOR_INGEST_TOKEN, preferred)
  --help                       this text
Port 0 takes a free port; the ports in use are printed on a line "ready grpc=P http=P ui=P".
)";
}

bool parse_size(std::string_view text, uint64_t& out) {
  const auto bytes = parse_quantity(text,
                                    {{"", 1.0},
                                     {"B", 1.0},
                                     {"KB", 1e3},
                                     {"MB", 1e6},
                                     {"GB", 1e9},
                                     {"KiB", 1024.0},
                                     {"MiB", 1024.0 * 1024},
                                     {"GiB", 1024.0 * 1024 * 1024}},
                                    1e18);
  if (!bytes) return false;
  out = static_cast<uint64_t>(*bytes);
  return true;
}

namespace {

Result<ListenAddress> parse_address(const std::string& what, const std::string& text) {
  ListenAddress a;
  std::string port;
  if (text.starts_with("[")) {
    const auto close = text.find("]:");
    if (close == std::string::npos) return Error{what + " \"" + text + "\" is not [IPv6]:PORT"};
    a.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) {
      return Error{what + " \"" + text +
                   "\" is not HOST:PORT (for example 127.0.0.1:4317 or 0.0.0.0:4317)"};
    }
    a.host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (a.host.empty() || port.empty() || ec != std::errc() || end != port.data() + port.size() ||
      value > 65535) {
    return Error{what + " \"" + text + "\" is not HOST:PORT with a port from 0 to 65535"};
  }
  a.port = static_cast<uint16_t>(value);
  return a;
}

}  // namespace

Result<CollectorOptions> parse_options(const std::vector<std::string>& args,
                                       const std::function<const char*(const char*)>& environment) {
  CollectorOptions o;
  struct Setting {
    const char* flag;
    const config::Variable& env;
    std::function<Result<void>(const std::string& what, const std::string& value)> apply;
  };
  auto address = [](ListenAddress& target) {
    return [&target](const std::string& what, const std::string& value) -> Result<void> {
      auto a = parse_address(what, value);
      if (!a) return a.error();
      target = *a;
      return {};
    };
  };
  auto size = [](uint64_t& target, const char* example, bool positive) {
    return [&target, example, positive](const std::string& what,
                                        const std::string& value) -> Result<void> {
      if (!parse_size(value, target)) {
        return Error{what + " \"" + value + "\" is not a size such as " + example +
                     " (B, KB, MB, GB, KiB, MiB, GiB)"};
      }
      // Checked here, so that the error names the flag or variable that said 0 (found with
      // fuzz_config: it named the flag when the variable was at fault).
      if (positive && target == 0) return Error{what + " must be more than 0"};
      return {};
    };
  };
  auto count = [](uint64_t& target, uint64_t least = 0) {
    return [&target, least](const std::string& what, const std::string& value) -> Result<void> {
      uint64_t n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      // The lower bound is checked here, so that the error names the flag or variable that set
      // it (fuzz_config found "--trace-page-spans must be more than 0" for the variable).
      if (value.empty() || ec != std::errc() || end != value.data() + value.size() ||
          n > 1'000'000 || n < least) {
        return Error{what + " \"" + value + "\" is not a count from " + std::to_string(least) +
                     " to 1000000"};
      }
      target = n;
      return {};
    };
  };
  // A token is a header value: visible ASCII only (the message never repeats it).
  auto token = [](std::string& target) {
    return [&target](const std::string& what, const std::string& value) -> Result<void> {
      for (char c : value) {
        if (c < 0x21 || c > 0x7e) {
          return Error{what +
                       " holds a character that cannot be sent in a header; use visible "
                       "ASCII without spaces"};
        }
      }
      target = value;
      return {};
    };
  };
  std::vector<Setting> settings = {
      {"--grpc-listen", option_variable("TRACEKIT_COLLECTOR_GRPC_LISTEN"), address(o.grpc)},
      {"--http-listen", option_variable("TRACEKIT_COLLECTOR_HTTP_LISTEN"), address(o.http)},
      {"--ui-listen", option_variable("TRACEKIT_COLLECTOR_UI_LISTEN"), address(o.ui)},
      {"--data", option_variable("TRACEKIT_COLLECTOR_DATA"),
       [&o](const std::string& what, const std::string& value) -> Result<void> {
         if (value.empty()) return Error{what + " is empty; it takes the path of the SQLite file"};
         o.data_path = value;
         return {};
       }},
      {"--retention-age", option_variable("TRACEKIT_COLLECTOR_RETENTION_AGE"),
       [&o](const std::string& what, const std::string& value) -> Result<void> {
         int64_t ns = 0;
         if (!parse_duration_ns(value, ns)) {
           return Error{what + " \"" + value +
                        "\" is not a duration such as 30m, 72h or 7d (0 keeps spans)"};
         }
         o.retention_age = std::chrono::seconds(ns / 1'000'000'000);
         if (ns > 0 && o.retention_age.count() == 0) o.retention_age = std::chrono::seconds(1);
         return {};
       }},
      {"--retention-interval", option_variable("TRACEKIT_COLLECTOR_RETENTION_INTERVAL"),
       [&o](const std::string& what, const std::string& value) -> Result<void> {
         int64_t ns = 0;
         if (!parse_duration_ns(value, ns) || ns < 1'000'000) {
           return Error{what + " \"" + value + "\" is not a duration of at least 1ms, such as 30s"};
         }
         o.retention_interval = std::chrono::milliseconds(ns / 1'000'000);
         return {};
       }},
      {"--retention-size", option_variable("TRACEKIT_COLLECTOR_RETENTION_SIZE"),
       size(o.retention_bytes, "500MB or 2GiB", false)},
      {"--max-request-size", option_variable("TRACEKIT_COLLECTOR_MAX_REQUEST_SIZE"),
       size(o.max_request_bytes, "16MiB", true)},
      {"--ack", option_variable("TRACEKIT_COLLECTOR_ACK"),
       [&o](const std::string& what, const std::string& value) -> Result<void> {
         if (value != "commit" && value != "queue") {
           return Error{what + " \"" + value + "\" is neither commit nor queue"};
         }
         o.ack_after_commit = value == "commit";
         return {};
       }},
      {"--max-queue-size", option_variable("TRACEKIT_COLLECTOR_MAX_QUEUE_SIZE"),
       size(o.max_queue_bytes, "64MiB", true)},
      {"--query-timeout", option_variable("TRACEKIT_COLLECTOR_QUERY_TIMEOUT"),
       [&o](const std::string& what, const std::string& value) -> Result<void> {
         int64_t ns = 0;
         if (!parse_duration_ns(value, ns)) {
           return Error{what + " \"" + value +
                        "\" is not a duration such as 5s or 500ms (0: none)"};
         }
         o.query_timeout = std::chrono::milliseconds(ns / 1'000'000);
         if (ns > 0 && o.query_timeout.count() == 0) o.query_timeout = std::chrono::milliseconds(1);
         return {};
       }},
      {"--max-attribute-length", option_variable("TRACEKIT_COLLECTOR_MAX_ATTRIBUTE_LENGTH"),
       size(o.max_attribute_length, "32KiB", false)},
      {"--max-attributes", option_variable("TRACEKIT_COLLECTOR_MAX_ATTRIBUTES"),
       count(o.max_attributes)},
      {"--trace-page-spans", option_variable("TRACEKIT_COLLECTOR_TRACE_PAGE_SPANS"),
       count(o.trace_page_spans, 1)},
      {"--max-events", option_variable("TRACEKIT_COLLECTOR_MAX_EVENTS"), count(o.max_events)},
      {"--max-links", option_variable("TRACEKIT_COLLECTOR_MAX_LINKS"), count(o.max_links)},
      {"--allowed-hosts", option_variable("TRACEKIT_COLLECTOR_ALLOWED_HOSTS"),
       [&o](const std::string&, const std::string& value) -> Result<void> {
         o.allowed_hosts = http::split_list(value);
         return {};
       }},
      {"--api-token", option_variable("TRACEKIT_COLLECTOR_API_TOKEN"), token(o.api_token)},
      {"--ingest-token", option_variable("TRACEKIT_COLLECTOR_INGEST_TOKEN"), token(o.ingest_token)},
  };
  for (const Setting& s : settings) {
    const std::string name(s.env.name);
    if (const char* v = environment(name.c_str())) {
      if (auto r = s.apply(name, v); !r) return r.error();
    }
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      o.help = true;
      continue;
    }
    std::string name = arg, value;
    bool has_value = false;
    if (const auto eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    const Setting* match = nullptr;
    for (const Setting& s : settings) {
      if (name == s.flag) match = &s;
    }
    if (!match) return Error{"unknown option \"" + arg + "\"; see --help"};
    if (!has_value) {
      if (i + 1 >= args.size()) return Error{name + " needs a value; see --help"};
      value = args[++i];
    }
    if (auto r = match->apply(name, value); !r) return r.error();
  }
  return o;
}

}  // namespace tracekit::collector
