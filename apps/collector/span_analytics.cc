// SPDX-License-Identifier: Apache-2.0
#include "span_analytics.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include "sqlite_db.h"

namespace tracekit::collector {

Result<std::vector<DependencyEdge>> service_dependencies(SpanStore& store, int64_t start_ns,
                                                         int64_t end_ns) {
  std::vector<DependencyEdge> edges;
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
      edges.push_back({st->text_at(0), st->text_at(1), st->int_at(2), st->int_at(3)});
    }
    if (rc != SQLITE_DONE) return step_error(*st);
    return {};
  });
  if (!r) return r.error();
  std::sort(edges.begin(), edges.end(), [](const DependencyEdge& a, const DependencyEdge& b) {
    return a.calls != b.calls ? a.calls > b.calls
                              : std::tie(a.parent, a.child) < std::tie(b.parent, b.child);
  });
  return edges;
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

Result<std::vector<OperationStats>> operation_stats(SpanStore& store, int64_t start_ns,
                                                    int64_t end_ns, const std::string& service) {
  // Percentiles need every duration: the rows come out of SQLite (four narrow columns) and are
  // sorted here per operation; SQLite has no percentile aggregate.
  std::map<std::pair<std::string, std::string>, Accumulator> groups;
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
        acc = &groups[{s, n}];
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
  std::vector<OperationStats> out;
  out.reserve(groups.size());
  for (auto& [key, acc] : groups) {
    std::sort(acc.durations.begin(), acc.durations.end());
    out.push_back({key.first, key.second, static_cast<int64_t>(acc.durations.size()), acc.errors,
                   percentile(acc.durations, 0.50), percentile(acc.durations, 0.95),
                   percentile(acc.durations, 0.99), acc.durations.back()});
  }
  return out;
}

}  // namespace tracekit::collector
