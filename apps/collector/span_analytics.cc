// SPDX-License-Identifier: Apache-2.0
#include "span_analytics.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include "sqlite_db.h"

namespace tracekit::collector {

namespace {

// About as much JSON as the API writes around one entry's names.
constexpr size_t kEntryOverhead = 64;

}  // namespace

Result<Listing<DependencyEdge>> service_dependencies(SpanStore& store, int64_t start_ns,
                                                     int64_t end_ns, size_t max_bytes) {
  Listing<DependencyEdge> listing;
  std::vector<DependencyEdge>& edges = listing.items;
  size_t bytes = 0;
  auto r = store.read([&](Database& db, const SpanStore::StepError& step_error) -> Result<void> {
    // The window is a range of spans_by_time; each child's parent one probe of the unique
    // (trace_id, span_id) index. A parent outside the window still counts: the call happened
    // in it.
    auto st = db.prepare(
        "SELECT p.service, c.service, count(*), sum(c.status_code = 2) "
        "FROM spans c JOIN spans p ON p.trace_id = c.trace_id AND p.span_id = c.parent_span_id "
        "WHERE c.start_ns >= ?1 AND c.start_ns <= ?2 AND c.parent_span_id <> '' "
        "AND p.service <> c.service "
        "GROUP BY p.service, c.service");
    if (!st) return st.error();
    st->bind(1, start_ns);
    st->bind(2, end_ns);
    int rc;
    while ((rc = st->step()) == SQLITE_ROW) {
      DependencyEdge edge{st->text_at(0), st->text_at(1), st->int_at(2), st->int_at(3)};
      bytes += edge.parent.size() + edge.child.size() + kEntryOverhead;
      if (max_bytes != 0 && bytes > max_bytes) {
        listing.truncated = true;
        return {};
      }
      edges.push_back(std::move(edge));
    }
    if (rc != SQLITE_DONE) return step_error(*st);
    return {};
  });
  if (!r) return r.error();
  std::sort(edges.begin(), edges.end(), [](const DependencyEdge& a, const DependencyEdge& b) {
    return a.calls != b.calls ? a.calls > b.calls
                              : std::tie(a.parent, a.child) < std::tie(b.parent, b.child);
  });
  return listing;
}

namespace {

// Nearest rank: the smallest value with at least p of all values at or below it.
int64_t percentile(const std::vector<int64_t>& sorted, double p) {
  const auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

struct Accumulator {
  std::vector<int64_t> durations;
  int64_t errors = 0;
};

}  // namespace

Result<Listing<OperationStats>> operation_stats(SpanStore& store, int64_t start_ns, int64_t end_ns,
                                                const std::string& service, size_t max_bytes) {
  // Percentiles need every duration: the rows come out of SQLite (four narrow columns) and are
  // sorted here per operation; SQLite has no percentile aggregate.
  std::map<std::pair<std::string, std::string>, Accumulator> groups;
  Listing<OperationStats> listing;
  size_t bytes = 0;
  auto r = store.read([&](Database& db, const SpanStore::StepError& step_error) -> Result<void> {
    auto st =
        db.prepare(service.empty() ? "SELECT service, name, duration_ns, status_code FROM spans "
                                     "WHERE start_ns >= ?1 AND start_ns <= ?2"
                                   : "SELECT service, name, duration_ns, status_code FROM spans "
                                     "WHERE start_ns >= ?1 AND start_ns <= ?2 AND service = ?3");
    if (!st) return st.error();
    st->bind(1, start_ns);
    st->bind(2, end_ns);
    if (!service.empty()) st->bind(3, service);
    // Rows of one operation mostly come in runs: look the group up only when the key changes.
    std::string last_service, last_name;
    Accumulator* acc = nullptr;
    int rc;
    while ((rc = st->step()) == SQLITE_ROW) {
      std::string s = st->text_at(0), n = st->text_at(1);
      if (!acc || s != last_service || n != last_name) {
        auto key = std::make_pair(s, n);
        auto at = groups.find(key);
        if (at == groups.end()) {
          bytes += s.size() + n.size() + kEntryOverhead;
          if (max_bytes != 0 && bytes > max_bytes) {
            // Not taken: its rows are skipped (acc stays null for them).
            bytes -= s.size() + n.size() + kEntryOverhead;
            listing.truncated = true;
            acc = nullptr;
            continue;
          }
          at = groups.emplace(std::move(key), Accumulator{}).first;
        }
        acc = &at->second;
        last_service = std::move(s);
        last_name = std::move(n);
      }
      acc->durations.push_back(st->int_at(2));
      if (st->int_at(3) == 2) ++acc->errors;
    }
    if (rc != SQLITE_DONE) return step_error(*st);
    return {};
  });
  if (!r) return r.error();
  std::vector<OperationStats>& out = listing.items;
  out.reserve(groups.size());
  for (auto& [key, acc] : groups) {
    std::sort(acc.durations.begin(), acc.durations.end());
    out.push_back({key.first, key.second, static_cast<int64_t>(acc.durations.size()), acc.errors,
                   percentile(acc.durations, 0.50), percentile(acc.durations, 0.95),
                   percentile(acc.durations, 0.99), acc.durations.back()});
  }
  return listing;
}

}  // namespace tracekit::collector
