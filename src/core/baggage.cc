// SPDX-License-Identifier: Apache-2.0
#include "tracekit/baggage.h"

#include <algorithm>

namespace tracekit {

namespace {
const std::vector<Baggage::Entry>& empty_entries() {
  static const std::vector<Baggage::Entry> kEmpty;
  return kEmpty;
}
}  // namespace

Baggage make_baggage(std::vector<Baggage::Entry> entries) {
  if (entries.empty()) return Baggage();
  // Later duplicates win: keep the last entry of each key, in the order of first appearance.
  std::vector<Baggage::Entry> unique;
  unique.reserve(entries.size());
  for (auto& e : entries) {
    auto same_key = std::find_if(unique.begin(), unique.end(),
                                 [&](const Baggage::Entry& u) { return u.key == e.key; });
    if (same_key != unique.end()) {
      *same_key = std::move(e);
    } else {
      unique.push_back(std::move(e));
    }
  }
  auto* rep = new detail::BaggageRep();
  rep->entries = std::move(unique);
  return Baggage(detail::IntrusivePtr<const detail::BaggageRep>::adopt(rep));
}

const std::vector<Baggage::Entry>& Baggage::entries() const noexcept {
  return rep_ ? rep_->entries : empty_entries();
}

size_t Baggage::size() const noexcept {
  return rep_ ? rep_->entries.size() : 0;
}

const Baggage::Entry* Baggage::find(std::string_view key) const noexcept {
  for (const auto& e : entries()) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

std::optional<std::string_view> Baggage::get(std::string_view key) const noexcept {
  if (const Entry* e = find(key)) return std::string_view(e->value);
  return std::nullopt;
}

Baggage Baggage::set(std::string_view key, std::string_view value,
                     std::string_view metadata) const {
  // The entries are unique already: replace in place or append, without make_baggage's
  // quadratic de-duplication on every call.
  std::vector<Entry> copy;
  copy.reserve(size() + 1);
  copy = entries();
  Entry entry{std::string(key), std::string(value), std::string(metadata)};
  auto same_key =
      std::find_if(copy.begin(), copy.end(), [&](const Entry& e) { return e.key == key; });
  if (same_key != copy.end()) {
    *same_key = std::move(entry);
  } else {
    copy.push_back(std::move(entry));
  }
  auto* rep = new detail::BaggageRep();
  rep->entries = std::move(copy);
  return Baggage(detail::IntrusivePtr<const detail::BaggageRep>::adopt(rep));
}

Baggage Baggage::erase(std::string_view key) const {
  if (!find(key)) return *this;
  std::vector<Entry> copy;
  for (const auto& e : entries()) {
    if (e.key != key) copy.push_back(e);
  }
  return make_baggage(std::move(copy));
}

}  // namespace tracekit
