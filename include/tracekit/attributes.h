// SPDX-License-Identifier: Apache-2.0
// Attribute values: a cheap non-owning view (what the API takes and what a span stores, pointing
// into the span's own memory) and an owning form for long-lived sets such as a Resource.
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace tracekit {

enum class AttributeType : uint8_t {
  kBool,
  kInt,
  kDouble,
  kString,
  kBoolArray,
  kIntArray,
  kDoubleArray,
  kStringArray,
};

// A view of one attribute value. Scalars are held inline; strings and arrays point at memory the
// caller keeps alive for the duration of the call (spans copy what they keep).
class AttributeValue {
 public:
  constexpr AttributeValue() noexcept : type_(AttributeType::kBool), b_(false) {}
  constexpr AttributeValue(bool v) noexcept : type_(AttributeType::kBool), b_(v) {}  // NOLINT
  template <class T>
  requires(
      std::integral<T> && !std::same_as<T, bool> &&
      !std::same_as<T, char>) constexpr AttributeValue(T v) noexcept  // NOLINT: implicit by design
      : type_(AttributeType::kInt), i_(static_cast<int64_t>(v)) {}
  template <class T>
  requires std::floating_point<T>
  constexpr AttributeValue(T v) noexcept  // NOLINT
      : type_(AttributeType::kDouble), d_(static_cast<double>(v)) {}
  constexpr AttributeValue(std::string_view v) noexcept  // NOLINT
      : type_(AttributeType::kString), arr_{v.data(), v.size()} {}
  constexpr AttributeValue(const char* v) noexcept  // NOLINT
      : AttributeValue(std::string_view(v)) {}
  AttributeValue(const std::string& v) noexcept  // NOLINT
      : AttributeValue(std::string_view(v)) {}
  constexpr AttributeValue(std::span<const bool> v) noexcept  // NOLINT
      : type_(AttributeType::kBoolArray), arr_{v.data(), v.size()} {}
  constexpr AttributeValue(std::span<const int64_t> v) noexcept  // NOLINT
      : type_(AttributeType::kIntArray), arr_{v.data(), v.size()} {}
  constexpr AttributeValue(std::span<const double> v) noexcept  // NOLINT
      : type_(AttributeType::kDoubleArray), arr_{v.data(), v.size()} {}
  constexpr AttributeValue(std::span<const std::string_view> v) noexcept  // NOLINT
      : type_(AttributeType::kStringArray), arr_{v.data(), v.size()} {}
  AttributeValue(const std::vector<int64_t>& v) noexcept  // NOLINT
      : AttributeValue(std::span<const int64_t>(v)) {}
  AttributeValue(const std::vector<double>& v) noexcept  // NOLINT
      : AttributeValue(std::span<const double>(v)) {}
  AttributeValue(const std::vector<std::string_view>& v) noexcept  // NOLINT
      : AttributeValue(std::span<const std::string_view>(v)) {}
  AttributeValue(std::initializer_list<int64_t> v) noexcept  // NOLINT
      : AttributeValue(std::span<const int64_t>(v.begin(), v.size())) {}
  AttributeValue(std::initializer_list<double> v) noexcept  // NOLINT
      : AttributeValue(std::span<const double>(v.begin(), v.size())) {}
  AttributeValue(std::initializer_list<std::string_view> v) noexcept  // NOLINT
      : AttributeValue(std::span<const std::string_view>(v.begin(), v.size())) {}
  AttributeValue(std::initializer_list<bool> v) noexcept  // NOLINT
      : AttributeValue(std::span<const bool>(v.begin(), v.size())) {}

  constexpr AttributeType type() const noexcept { return type_; }
  constexpr bool is_array() const noexcept { return type_ >= AttributeType::kBoolArray; }

  bool as_bool() const noexcept { return b_; }
  int64_t as_int() const noexcept { return i_; }
  double as_double() const noexcept { return d_; }
  std::string_view as_string() const noexcept {
    return {static_cast<const char*>(arr_.data), arr_.size};
  }
  std::span<const bool> as_bool_array() const noexcept {
    return {static_cast<const bool*>(arr_.data), arr_.size};
  }
  std::span<const int64_t> as_int_array() const noexcept {
    return {static_cast<const int64_t*>(arr_.data), arr_.size};
  }
  std::span<const double> as_double_array() const noexcept {
    return {static_cast<const double*>(arr_.data), arr_.size};
  }
  std::span<const std::string_view> as_string_array() const noexcept {
    return {static_cast<const std::string_view*>(arr_.data), arr_.size};
  }
  // Elements of an array, or characters of a string; 0 for scalars.
  size_t size() const noexcept { return type_ >= AttributeType::kString ? arr_.size : 0; }

  friend bool operator==(const AttributeValue& a, const AttributeValue& b) noexcept;
  // A readable rendering for logs and tests: true, 42, 1.5, "text", [1,2].
  std::string to_string() const;

 private:
  struct Array {
    const void* data;
    size_t size;
  };
  AttributeType type_;
  union {
    bool b_;
    int64_t i_;
    double d_;
    Array arr_;
  };
};

// A key and a value view, the element of every attribute list in the API.
struct KeyValue {
  std::string_view key;
  AttributeValue value;
};

// An attribute value that owns its data, for sets that live long (resource, scope, tests).
class OwnedAttributeValue {
 public:
  using Storage = std::variant<bool, int64_t, double, std::string, std::vector<bool>,
                               std::vector<int64_t>, std::vector<double>, std::vector<std::string>>;

  OwnedAttributeValue() = default;
  explicit OwnedAttributeValue(const AttributeValue& v);
  explicit OwnedAttributeValue(Storage s) : storage_(std::move(s)) { build_cache(); }
  OwnedAttributeValue(const OwnedAttributeValue& o) : OwnedAttributeValue(o.storage_) {}
  OwnedAttributeValue& operator=(const OwnedAttributeValue& o) {
    if (this != &o) *this = OwnedAttributeValue(o.storage_);
    return *this;
  }
  OwnedAttributeValue(OwnedAttributeValue&&) noexcept = default;
  OwnedAttributeValue& operator=(OwnedAttributeValue&&) noexcept = default;

  const Storage& storage() const noexcept { return storage_; }
  // A view valid while this object lives and is not modified.
  AttributeValue view() const noexcept;
  friend bool operator==(const OwnedAttributeValue& a, const OwnedAttributeValue& b) {
    return a.storage_ == b.storage_;
  }

 private:
  void build_cache();
  Storage storage_;
  // Views of arrays need contiguous elements of the view's type: std::vector<bool> has none,
  // and a string array is viewed as string_views.
  std::vector<std::string_view> string_views_;
  std::unique_ptr<bool[]> bools_;
};

// An ordered set of owned attributes with unique keys (a later set() replaces the value).
class OwnedAttributes {
 public:
  OwnedAttributes() = default;
  OwnedAttributes(std::initializer_list<KeyValue> kvs) {
    for (const auto& kv : kvs)
      set(kv.key, kv.value);
  }
  OwnedAttributes(const OwnedAttributes& o) { *this = o; }
  OwnedAttributes& operator=(const OwnedAttributes& o);
  OwnedAttributes(OwnedAttributes&&) noexcept = default;
  OwnedAttributes& operator=(OwnedAttributes&&) noexcept = default;

  void set(std::string_view key, const AttributeValue& value);
  const AttributeValue* get(std::string_view key) const noexcept;
  size_t size() const noexcept { return views_.size(); }
  bool empty() const noexcept { return views_.empty(); }
  // Views of every attribute, in insertion order; valid until the next change.
  std::span<const KeyValue> items() const noexcept { return views_; }

 private:
  void rebuild_views();
  struct Entry {
    std::string key;
    OwnedAttributeValue value;
  };
  std::vector<std::unique_ptr<Entry>> entries_;
  std::vector<KeyValue> views_;
};

}  // namespace tracekit
