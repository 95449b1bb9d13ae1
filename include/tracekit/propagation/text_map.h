// Carriers: how propagators read and write header-like key/value containers. Adapters for the
// standard maps are here; the HTTP layer adapts Boost.Beast's fields.
#pragma once

#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tracekit::propagation {

// Header names compare without regard to case (RFC 9110).
inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

class TextMapGetter {
 public:
  virtual ~TextMapGetter() = default;
  // The values of `key` (given in lower case), in order: writes the first out.size() of them to
  // `out` and returns how many there are in all.
  virtual size_t get_all(std::string_view key, std::span<std::string_view> out) const noexcept = 0;

  std::optional<std::string_view> get(std::string_view key) const noexcept {
    std::string_view v;
    if (get_all(key, std::span<std::string_view>(&v, 1)) == 0) return std::nullopt;
    return v;
  }
};

class TextMapSetter {
 public:
  virtual ~TextMapSetter() = default;
  // Replaces any value the carrier has for `key`.
  virtual void set(std::string_view key, std::string_view value) noexcept = 0;
};

// Any range of (name, value) pairs: std::map, std::unordered_map, std::multimap,
// std::vector<std::pair<std::string, std::string>>, ...
template <class Container>
class RangeGetter final : public TextMapGetter {
 public:
  explicit RangeGetter(const Container& c) : c_(c) {}
  size_t get_all(std::string_view key, std::span<std::string_view> out) const noexcept override {
    size_t n = 0;
    for (const auto& [name, value] : c_) {
      if (!iequals(name, key)) continue;
      if (n < out.size()) out[n] = value;
      ++n;
    }
    return n;
  }

 private:
  const Container& c_;
};

// std::map / std::unordered_map with std::string keys: set() replaces the value. A key that is
// in the map in another case is replaced too.
template <class Map>
class MapSetter final : public TextMapSetter {
 public:
  explicit MapSetter(Map& m) : m_(m) {}
  void set(std::string_view key, std::string_view value) noexcept override {
    try {
      for (auto it = m_.begin(); it != m_.end();) {
        if (iequals(it->first, key) && it->first != key) {
          it = m_.erase(it);
        } else {
          ++it;
        }
      }
      m_[std::string(key)] = std::string(value);
    } catch (...) {
    }
  }

 private:
  Map& m_;
};

// std::vector<std::pair<std::string, std::string>>: replaces existing entries of the key.
class PairVectorSetter final : public TextMapSetter {
 public:
  explicit PairVectorSetter(std::vector<std::pair<std::string, std::string>>& v) : v_(v) {}
  void set(std::string_view key, std::string_view value) noexcept override {
    try {
      std::erase_if(v_, [&](const auto& p) { return iequals(p.first, key); });
      v_.emplace_back(std::string(key), std::string(value));
    } catch (...) {
    }
  }

 private:
  std::vector<std::pair<std::string, std::string>>& v_;
};

}  // namespace tracekit::propagation
