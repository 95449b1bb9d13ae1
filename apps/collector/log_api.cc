// SPDX-License-Identifier: Apache-2.0
#include "log_api.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>

#include "api_answers.h"
#include "json_text.h"
#include "query_api.h"

namespace tracekit::collector {

namespace {

bool lower_hex(std::string& id, size_t digits) {
  if (id.size() != digits) return false;
  for (char& c : id) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// "warn" -> 13 (the lowest number of the range); a number 1-24 as is; 0 when invalid.
int parse_severity(std::string text) {
  for (char& c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::pair<const char*, int> names[] = {{"trace", 1}, {"debug", 5},    {"info", 9},
                                               {"warn", 13}, {"warning", 13}, {"error", 17},
                                               {"fatal", 21}};
  for (const auto& [name, number] : names)
    if (text == name) return number;
  int64_t n = 0;
  if (parse_int(text, n) && n >= 1 && n <= 24) return static_cast<int>(n);
  return 0;
}

// "time:id", the cursor of the API; a client passes it back as is.
std::string cursor_text(const LogCursor& c) {
  return std::to_string(c.time_ns) + ":" + std::to_string(c.id);
}

bool parse_cursor(std::string_view text, LogCursor& out) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return false;
  return parse_int(text.substr(0, colon), out.time_ns) && parse_int(text.substr(colon + 1), out.id);
}

void append_log(std::string& out, const StoredLog& l, const LogPage& page, bool compact) {
  out += "{\"timeUnixNano\":";
  append_json_int_string(out, l.time_ns);
  out += ",\"observedTimeUnixNano\":";
  append_json_int_string(out, l.observed_ns);
  out += ",\"severityNumber\":" + std::to_string(l.severity_number) + ",\"severityText\":";
  append_json_string(out, l.severity_text);
  out += ",\"body\":";
  append_json_string(out, l.body);
  out += ",\"eventName\":";
  append_json_string(out, l.event_name);
  out += ",\"traceId\":\"" + l.trace_id + "\",\"spanId\":\"" + l.span_id +
         "\",\"flags\":" + std::to_string(l.flags) + ",\"service\":";
  append_json_string(out, l.service);
  out += ",\"correlationId\":";
  append_json_string(out, l.correlation_id);
  out += ",\"attributes\":" + l.attributes_json +
         ",\"droppedAttributesCount\":" + std::to_string(l.dropped_attributes);
  if (compact) {
    out += ",\"scopeId\":\"" + std::to_string(l.scope_id) + "\",\"resourceId\":\"" +
           std::to_string(l.resource_id) + "\"}";
  } else {
    out += ",\"scope\":" + page.scopes.at(l.scope_id) +
           ",\"resource\":" + page.resources.at(l.resource_id) + "}";
  }
}

void append_shared(std::string& out, const std::unordered_map<int64_t, std::string>& jsons) {
  out += '{';
  bool first = true;
  for (const auto& [id, json] : jsons) {
    if (!first) out += ',';
    first = false;
    out += "\"" + std::to_string(id) + "\":" + json;
  }
  out += '}';
}

// `"key":[records]` and what else the page needs: its resources and scopes once each when
// compact, and "next" (the cursor to pass as `after`) when more records are left.
void append_page(std::string& out, const char* key, const LogPage& page, bool compact) {
  out += '"';
  out += key;
  out += "\":[";
  for (size_t i = 0; i < page.logs.size(); ++i) {
    if (i) out += ',';
    append_log(out, page.logs[i], page, compact);
  }
  out += ']';
  if (compact) {
    out += ",\"resources\":";
    append_shared(out, page.resources);
    out += ",\"scopes\":";
    append_shared(out, page.scopes);
  }
  if (page.next) out += ",\"next\":\"" + cursor_text(*page.next) + "\"";
}

// after= and compact=, which both log endpoints take; nullopt when `key` is neither.
std::optional<std::optional<Response>> page_parameter(const std::string& key,
                                                      const std::string& value,
                                                      std::optional<LogCursor>& after,
                                                      bool& compact) {
  if (key == "after") {
    LogCursor c;
    if (!parse_cursor(value, c)) {
      return json_error(400, "after \"" + value.substr(0, 64) +
                                 "\" is not a cursor (the \"next\" of the previous answer)");
    }
    after = c;
    return std::optional<Response>();
  }
  if (key == "compact") {
    if (value != "true" && value != "false") {
      return json_error(400, "compact \"" + value.substr(0, 64) + "\" is not true or false");
    }
    compact = value == "true";
    return std::optional<Response>();
  }
  return std::nullopt;
}

Response search_logs(const boost::urls::url_view& url, SpanStore& store, const ApiLimits& limits) {
  LogQuery q;
  bool compact = false;
  for (auto param : url.params()) {
    const std::string& key = param.key;
    std::string value = param.value;
    int64_t n = 0;
    if (auto page = page_parameter(key, value, q.after, compact)) {
      if (*page) return std::move(**page);
    } else if (key == "service") {
      q.service = value;
    } else if (key == "severity") {
      if (value.empty()) continue;
      q.min_severity = parse_severity(value);
      if (q.min_severity == 0) {
        return json_error(400, "severity \"" + value.substr(0, 64) +
                                   "\" is not one of trace, debug, info, warn, error, fatal "
                                   "or a number from 1 to 24");
      }
    } else if (key == "text") {
      q.text = value;
    } else if (key == "correlationId") {
      q.correlation_id = value;
    } else if (key == "traceId") {
      if (value.empty()) continue;
      if (!lower_hex(value, 32)) {
        return json_error(
            400, "traceId \"" + value.substr(0, 64) + "\" is not a trace id (32 hex digits)");
      }
      q.trace_id = value;
    } else if (key == "start" || key == "end") {
      if (value.empty()) continue;
      if (!parse_int(value, n) || n < 0 || n > INT64_MAX / 1000) {
        return json_error(
            400, key + " \"" + value.substr(0, 64) + "\" is not a Unix time in microseconds");
      }
      (key == "start" ? q.start_ns : q.end_ns) = n * 1000;
    } else if (key == "lookback") {
      if (value.empty() || value == "all") continue;
      if (!parse_duration_ns(value, n)) {
        return json_error(400, "lookback \"" + value.substr(0, 64) +
                                   "\" is not a duration such as 15m, 1h or 2d");
      }
      q.start_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count() -
                   n;
    } else if (key == "limit") {
      if (!parse_int(value, n) || n < 1 || n > 1000) {
        return json_error(400,
                          "limit \"" + value.substr(0, 64) + "\" is not a number from 1 to 1000");
      }
      q.limit = static_cast<int>(n);
    } else {
      return json_error(400, "unknown parameter \"" + key.substr(0, 64) +
                                 "\"; the log search takes service, severity, text, start, end, "
                                 "lookback, correlationId, traceId, limit, after and compact");
    }
  }
  auto page = store.find_logs_page(q, {.max_bytes = limits.log_page_bytes, .shared_once = compact});
  if (!page) return store_error(page.error());
  Response r;
  r.body = "{";
  append_page(r.body, "data", *page, compact);
  r.body += "}";
  return r;
}

}  // namespace

std::optional<Response> handle_logs_api(const boost::urls::url_view& url,
                                        const std::vector<std::string>& segments, SpanStore& store,
                                        const ApiLimits& limits) {
  if (segments.size() == 2 && segments[1] == "logs") return search_logs(url, store, limits);
  if (segments.size() == 4 && segments[1] == "traces" && segments[3] == "logs") {
    std::string id = segments[2];
    if (!lower_hex(id, 32)) {
      return json_error(400, "\"" + id.substr(0, 64) + "\" is not a trace id (32 hex digits)");
    }
    int64_t limit = 10'000;
    std::optional<LogCursor> after;
    bool compact = false;
    for (auto param : url.params()) {
      if (auto page = page_parameter(param.key, param.value, after, compact)) {
        if (*page) return std::move(**page);
      } else if (param.key != "limit" || !parse_int(param.value, limit) || limit < 1 ||
                 limit > 100'000) {
        return json_error(400,
                          "a trace's logs take limit (a number from 1 to 100000), after (the "
                          "\"next\" of the previous answer) and compact (true or false)");
      }
    }
    // One page: past the byte budget the answer stops and says where to go on ("next"), so
    // neither it nor the collector's memory grows with the records times their resource.
    auto page = store.trace_logs_page(id, after,
                                      {.max_records = static_cast<size_t>(limit),
                                       .max_bytes = limits.log_page_bytes,
                                       .shared_once = compact});
    if (!page) return store_error(page.error());
    Response r;
    r.body = "{\"traceId\":\"" + id + "\",";
    append_page(r.body, "logs", *page, compact);
    r.body += "}";
    return r;
  }
  if (segments.size() == 3 && segments[1] == "correlations") {
    auto traces = store.traces_for_correlation(segments[2], 20);
    if (!traces) return store_error(traces.error());
    Response r;
    r.body = "{\"data\":[";
    for (size_t i = 0; i < traces->size(); ++i) {
      if (i) r.body += ',';
      r.body += "\"" + (*traces)[i] + "\"";
    }
    r.body += "]}";
    return r;
  }
  return std::nullopt;
}

}  // namespace tracekit::collector
