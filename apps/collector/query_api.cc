// SPDX-License-Identifier: Apache-2.0
#include "query_api.h"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>

#include "analytics_api.h"
#include "api_answers.h"
#include "json_text.h"
#include "log_api.h"
#include "quantity.h"

namespace tracekit::collector {

namespace {

void append_span(std::string& out, const StoredSpan& s) {
  out += "{\"traceId\":\"" + s.trace_id + "\",\"spanId\":\"" + s.span_id +
         "\",\"parentSpanId\":\"" + s.parent_span_id + "\",\"name\":";
  append_json_string(out, s.name);
  out += ",\"kind\":\"";
  out += span_kind_name(s.kind);
  out += "\",\"service\":";
  append_json_string(out, s.service);
  out += ",\"startTimeUnixNano\":";
  append_json_int_string(out, s.start_ns);
  out += ",\"endTimeUnixNano\":";
  append_json_int_string(out, s.end_ns);
  out += ",\"durationNs\":";
  append_json_int_string(out, s.duration_ns());
  out += ",\"status\":{\"code\":\"";
  out += status_code_name(s.status_code);
  out += "\",\"message\":";
  append_json_string(out, s.status_message);
  out += "},\"traceState\":";
  append_json_string(out, s.trace_state);
  out += ",\"flags\":" + std::to_string(s.flags) + ",\"scope\":" + s.scope_json.str() +
         ",\"attributes\":" + s.attributes_json + ",\"events\":" + s.events_json +
         ",\"links\":" + s.links_json + ",\"resource\":" + s.resource_json.str() +
         ",\"droppedAttributesCount\":" + std::to_string(s.dropped_attributes) +
         ",\"droppedEventsCount\":" + std::to_string(s.dropped_events) +
         ",\"droppedLinksCount\":" + std::to_string(s.dropped_links) + "}";
}

bool is_trace_id(std::string& id) {
  if (id.size() != 32) return false;
  for (char& c : id) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool parse_bool(std::string_view text, bool& out) {
  if (text == "true" || text == "1") return out = true, true;
  if (text == "false" || text == "0" || text.empty()) return out = false, true;
  return false;
}

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Response search(const boost::urls::url_view& url, SpanStore& store, const ApiLimits& limits) {
  TraceQuery q;
  for (auto param : url.params()) {
    const std::string& key = param.key;
    const std::string& value = param.value;
    int64_t n = 0;
    if (key == "service") {
      q.service = value;
    } else if (key == "operation") {
      q.operation = value;
    } else if (key == "minDuration" || key == "maxDuration") {
      if (value.empty()) continue;
      if (!parse_duration_ns(value, n)) {
        return json_error(
            400, key + " \"" + value + "\" is not a duration such as 250us, 1.5ms, 2s, 1m or 1h");
      }
      (key == "minDuration" ? q.min_duration_ns : q.max_duration_ns) = n;
    } else if (key == "errors") {
      if (!parse_bool(value, q.errors_only))
        return json_error(400, "errors takes true or false, not \"" + value + "\"");
    } else if (key == "start" || key == "end") {
      if (value.empty()) continue;
      if (!parse_int(value, n) || n < 0 || n > INT64_MAX / 1000) {
        return json_error(400, key + " \"" + value + "\" is not a Unix time in microseconds");
      }
      (key == "start" ? q.start_ns : q.end_ns) = n * 1000;
    } else if (key == "lookback") {
      if (value.empty() || value == "all") continue;
      if (!parse_duration_ns(value, n)) {
        return json_error(400,
                          "lookback \"" + value + "\" is not a duration such as 15m, 1h or 2d");
      }
      q.start_ns = now_us() * 1000 - n;
    } else if (key == "attribute") {
      if (value.empty()) continue;
      const auto eq = value.find('=');
      if (eq == std::string::npos || eq == 0) {
        return json_error(400, "attribute \"" + value + "\" is not key=value");
      }
      if (q.attributes.size() >= limits.max_attribute_filters) {
        return json_error(400, "more than " + std::to_string(limits.max_attribute_filters) +
                                   " attribute filters in one search");
      }
      q.attributes.emplace_back(value.substr(0, eq), value.substr(eq + 1));
    } else if (key == "limit") {
      if (!parse_int(value, n) || n < 1 || n > 1000) {
        return json_error(400, "limit \"" + value + "\" is not a number from 1 to 1000");
      }
      q.limit = static_cast<int>(n);
    } else {
      return json_error(400,
                        "unknown parameter \"" + key +
                            "\"; the search takes service, operation, minDuration, maxDuration, "
                            "errors, start, end, lookback, attribute and limit");
    }
  }
  auto traces = store.find_traces(q, limits.list_bytes);
  if (!traces) return store_error(traces.error());
  Response r;
  r.body = "{\"data\":[";
  bool first = true;
  for (const TraceSummary& t : traces->items) {
    if (!first) r.body += ',';
    first = false;
    r.body += "{\"traceId\":\"" + t.trace_id + "\",\"rootService\":";
    append_json_string(r.body, t.root_service);
    r.body += ",\"rootName\":";
    append_json_string(r.body, t.root_name);
    r.body += ",\"startTimeUnixNano\":";
    append_json_int_string(r.body, t.start_ns);
    r.body += ",\"durationNs\":";
    append_json_int_string(r.body, std::max<int64_t>(0, t.end_ns - t.start_ns));
    r.body += ",\"spanCount\":" + std::to_string(t.span_count) +
              ",\"errorCount\":" + std::to_string(t.error_count) + ",\"services\":[";
    for (size_t i = 0; i < t.services.size(); ++i) {
      if (i) r.body += ',';
      append_json_string(r.body, t.services[i]);
    }
    r.body += "]}";
  }
  end_listing(r.body, traces->truncated);
  return r;
}

}  // namespace

bool parse_duration_ns(std::string_view text, int64_t& out) {
  if (parse_quantity(text, {{"", 1.0}}, 0)) {
    out = 0;  // a bare zero needs no unit
    return true;
  }
  const auto ns = parse_quantity(text,
                                 {{"ns", 1.0},
                                  {"us", 1e3},
                                  {"\xC2\xB5s", 1e3},
                                  {"ms", 1e6},
                                  {"s", 1e9},
                                  {"m", 60e9},
                                  {"h", 3600e9},
                                  {"d", 86400e9}},
                                 9.2e18);
  if (!ns) return false;
  out = static_cast<int64_t>(*ns);
  return true;
}

std::string trace_json(const std::string& trace_id, const std::vector<StoredSpan>& spans,
                       const std::string& next_after) {
  std::string out = "{\"traceId\":\"" + trace_id + "\",\"spans\":[";
  size_t bytes = 0;
  for (const auto& s : spans)
    bytes += 400 + s.attributes_json.size() + s.events_json.size() + s.resource_json.size();
  out.reserve(bytes);
  for (size_t i = 0; i < spans.size(); ++i) {
    if (i) out += ',';
    append_span(out, spans[i]);
  }
  out += "]";
  if (!next_after.empty()) out += ",\"next\":\"" + next_after + "\"";
  out += "}";
  return out;
}

Response handle_api(std::string_view target, SpanStore& store, const ApiLimits& limits) {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return json_error(400, "the request target is not a valid URL path");
  const boost::urls::url_view url = *parsed;
  std::vector<std::string> segments;
  for (auto seg : url.segments())
    segments.push_back(seg);
  // segments[0] == "api"
  if (auto logs = handle_logs_api(url, segments, store, limits)) return std::move(*logs);
  if (auto answer = handle_analytics_api(url, segments, store, limits.list_bytes))
    return std::move(*answer);
  if (segments.size() == 2 && segments[1] == "services") {
    auto services = store.services(limits.list_bytes);
    if (!services) return store_error(services.error());
    Response r;
    r.body = "{\"data\":[";
    for (size_t i = 0; i < services->items.size(); ++i) {
      if (i) r.body += ',';
      append_json_string(r.body, services->items[i]);
    }
    end_listing(r.body, services->truncated);
    return r;
  }
  if (segments.size() == 4 && segments[1] == "services" && segments[3] == "operations") {
    auto ops = store.operations(segments[2], limits.list_bytes);
    if (!ops) return store_error(ops.error());
    Response r;
    r.body = "{\"data\":[";
    for (size_t i = 0; i < ops->items.size(); ++i) {
      if (i) r.body += ',';
      r.body += "{\"name\":";
      append_json_string(r.body, ops->items[i].name);
      r.body += ",\"kind\":\"";
      r.body += span_kind_name(ops->items[i].kind);
      r.body += "\"}";
    }
    end_listing(r.body, ops->truncated);
    return r;
  }
  if (segments.size() == 2 && segments[1] == "traces") return search(url, store, limits);
  if (segments.size() == 3 && segments[1] == "traces") {
    std::string id = segments[2];
    if (!is_trace_id(id)) {
      return json_error(400, "\"" + id.substr(0, 64) + "\" is not a trace id (32 hex digits)");
    }
    std::string after;
    for (auto param : url.params()) {
      if (param.key != "after") {
        return json_error(400, "unknown parameter \"" + std::string(param.key) +
                                   "\"; a trace takes only after (a span id, from \"next\")");
      }
      after = param.value;
      if (after.size() != 16 || !std::all_of(after.begin(), after.end(), [](char c) {
            return std::isxdigit(static_cast<unsigned char>(c)) && !std::isupper(c);
          })) {
        return json_error(400, "after \"" + after.substr(0, 64) +
                                   "\" is not a span id (16 lower-case hex digits)");
      }
    }
    // One page at a time: the answer's memory is bounded by the page, not the trace.
    auto page = store.trace_page(id, after, limits.trace_page_spans, limits.trace_page_bytes);
    if (!page) return store_error(page.error());
    if (page->spans.empty() && after.empty()) return json_error(404, "no trace with id " + id);
    std::stable_sort(
        page->spans.begin(), page->spans.end(),
        [](const StoredSpan& a, const StoredSpan& b) { return a.start_ns < b.start_ns; });
    Response r;
    r.body = trace_json(id, page->spans, page->next_span_id);
    return r;
  }
  return json_error(404, "no such API endpoint: " + std::string(url.path()));
}

}  // namespace tracekit::collector
