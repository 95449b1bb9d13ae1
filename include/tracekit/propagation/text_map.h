// SPDX-License-Identifier: Apache-2.0
// Carriers: how propagators read and write header-like key/value containers. Adapters for the
// standard containers are here; the HTTP layer adapts Boost.Beast's fields, and the integration
// headers adapt grpc++'s ClientContext (tracekit/grpc/metadata.h) and libcurl's curl_slist
// (tracekit/curl/curl.h) through CarrierAdapter.
#pragma once

#include <algorithm>
#include <concepts>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
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

namespace carrier_detail {
// The text of a header name or value: std::string, std::string_view, const char*, or any type
// with data() and size() (grpc::string_ref).
template <class T>
concept TextLike = std::convertible_to<const T&, std::string_view> || requires(const T& t) {
  { t.data() } -> std::convertible_to<const char*>;
  { t.size() } -> std::convertible_to<size_t>;
};
template <TextLike T>
std::string_view as_view(const T& t) noexcept {
  if constexpr (std::convertible_to<const T&, std::string_view>) {
    return std::string_view(t);
  } else {
    return std::string_view(t.data(), t.size());
  }
}
}  // namespace carrier_detail

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

// A range of (name, value) pairs whose parts are text: std::map, std::unordered_map,
// std::multimap (cpp-httplib's Headers), std::vector<std::pair<std::string, std::string>>,
// grpc++'s received metadata (std::multimap<grpc::string_ref, grpc::string_ref>), ...
template <class C>
concept HeaderRange = std::ranges::input_range<const C> && requires(const C& c) {
  requires carrier_detail::TextLike<std::remove_cvref_t<decltype(std::ranges::begin(c)->first)>>;
  requires carrier_detail::TextLike<std::remove_cvref_t<decltype(std::ranges::begin(c)->second)>>;
};

template <class Container>
class RangeGetter final : public TextMapGetter {
 public:
  explicit RangeGetter(const Container& c) : c_(c) {}
  size_t get_all(std::string_view key, std::span<std::string_view> out) const noexcept override {
    size_t n = 0;
    for (const auto& [name, value] : c_) {
      if (!iequals(carrier_detail::as_view(name), key)) continue;
      if (n < out.size()) out[n] = carrier_detail::as_view(value);
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

// std::multimap<std::string, std::string, ...> (cpp-httplib's Headers, grpc++'s metadata to
// send): set() removes every entry of the key, in any case, and adds one.
template <class Multimap>
class MultimapSetter final : public TextMapSetter {
 public:
  explicit MultimapSetter(Multimap& m) : m_(m) {}
  void set(std::string_view key, std::string_view value) noexcept override {
    try {
      for (auto it = m_.begin(); it != m_.end();) {
        if (iequals(it->first, key)) {
          it = m_.erase(it);
        } else {
          ++it;
        }
      }
      m_.emplace(std::string(key), std::string(value));
    } catch (...) {
    }
  }

 private:
  Multimap& m_;
};

// For carrier types that are not ranges of string pairs (grpc::ClientContext, curl_slist*):
// specialise with `using Getter = ...;` (constructible from const T&) and/or
// `using Setter = ...;` (constructible from T&).
template <class T>
struct CarrierAdapter {};

namespace carrier_detail {
template <class M>
concept StringKeyedMultimap = requires(M& m, std::string k) {
  typename M::key_type;
  requires std::same_as<typename M::key_type, std::string>;
  requires std::same_as<typename M::mapped_type, std::string>;
  { m.emplace(k, k) } -> std::same_as<typename M::iterator>;  // multimaps return no pair
};
template <class M>
concept StringKeyedMap = requires(M& m, std::string k) {
  requires std::same_as<typename M::key_type, std::string>;
  requires std::same_as<typename M::mapped_type, std::string>;
  { m[k] } -> std::same_as<std::string&>;
};
}  // namespace carrier_detail

// What extract() reads from: a HeaderRange or a type with a CarrierAdapter<T>::Getter.
template <class C>
concept ReadableCarrier = HeaderRange<C> || requires {
  typename CarrierAdapter<C>::Getter;
};
// What inject() writes to: std::map / std::unordered_map / std::multimap of std::string,
// std::vector<std::pair<std::string, std::string>>, or a type with a CarrierAdapter<T>::Setter.
template <class C>
concept WritableCarrier =
    carrier_detail::StringKeyedMap<C> || carrier_detail::StringKeyedMultimap<C> ||
    std::same_as<C, std::vector<std::pair<std::string, std::string>>> || requires {
  typename CarrierAdapter<C>::Setter;
};

// The getter and setter for a carrier (used by extract() and inject()).
template <ReadableCarrier C>
auto getter_for(const C& carrier) {
  if constexpr (requires { typename CarrierAdapter<C>::Getter; }) {
    return typename CarrierAdapter<C>::Getter(carrier);
  } else {
    return RangeGetter<C>(carrier);
  }
}
template <WritableCarrier C>
auto setter_for(C& carrier) {
  if constexpr (requires { typename CarrierAdapter<C>::Setter; }) {
    return typename CarrierAdapter<C>::Setter(carrier);
  } else if constexpr (carrier_detail::StringKeyedMultimap<C>) {
    return MultimapSetter<C>(carrier);
  } else if constexpr (carrier_detail::StringKeyedMap<C>) {
    return MapSetter<C>(carrier);
  } else {
    return PairVectorSetter(carrier);
  }
}

}  // namespace tracekit::propagation
