// SPDX-License-Identifier: Apache-2.0
#include "tracekit/attributes.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace tracekit {

bool operator==(const AttributeValue& a, const AttributeValue& b) noexcept {
  if (a.type_ != b.type_) return false;
  switch (a.type_) {
    case AttributeType::kBool:
      return a.b_ == b.b_;
    case AttributeType::kInt:
      return a.i_ == b.i_;
    case AttributeType::kDouble:
      return a.d_ == b.d_;
    case AttributeType::kString:
      return a.as_string() == b.as_string();
    case AttributeType::kBoolArray:
      return std::ranges::equal(a.as_bool_array(), b.as_bool_array());
    case AttributeType::kIntArray:
      return std::ranges::equal(a.as_int_array(), b.as_int_array());
    case AttributeType::kDoubleArray:
      return std::ranges::equal(a.as_double_array(), b.as_double_array());
    case AttributeType::kStringArray:
      return std::ranges::equal(a.as_string_array(), b.as_string_array());
  }
  return false;
}

namespace {
void append_scalar(std::string& out, double d) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  out.append(buf, r.ptr);
}
void append_scalar(std::string& out, int64_t i) {
  out += std::to_string(i);
}
void append_scalar(std::string& out, bool b) {
  out += b ? "true" : "false";
}
void append_scalar(std::string& out, std::string_view s) {
  out += '"';
  out += s;
  out += '"';
}
template <class T>
void append_array(std::string& out, std::span<const T> items) {
  out += '[';
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    append_scalar(out, items[i]);
  }
  out += ']';
}
}  // namespace

std::string AttributeValue::to_string() const {
  std::string out;
  switch (type_) {
    case AttributeType::kBool:
      append_scalar(out, b_);
      break;
    case AttributeType::kInt:
      append_scalar(out, i_);
      break;
    case AttributeType::kDouble:
      append_scalar(out, d_);
      break;
    case AttributeType::kString:
      append_scalar(out, as_string());
      break;
    case AttributeType::kBoolArray:
      append_array(out, as_bool_array());
      break;
    case AttributeType::kIntArray:
      append_array(out, as_int_array());
      break;
    case AttributeType::kDoubleArray:
      append_array(out, as_double_array());
      break;
    case AttributeType::kStringArray:
      append_array(out, as_string_array());
      break;
  }
  return out;
}

OwnedAttributeValue::OwnedAttributeValue(const AttributeValue& v) {
  switch (v.type()) {
    case AttributeType::kBool:
      storage_ = v.as_bool();
      break;
    case AttributeType::kInt:
      storage_ = v.as_int();
      break;
    case AttributeType::kDouble:
      storage_ = v.as_double();
      break;
    case AttributeType::kString:
      storage_ = std::string(v.as_string());
      break;
    case AttributeType::kBoolArray: {
      auto a = v.as_bool_array();
      storage_ = std::vector<bool>(a.begin(), a.end());
      break;
    }
    case AttributeType::kIntArray: {
      auto a = v.as_int_array();
      storage_ = std::vector<int64_t>(a.begin(), a.end());
      break;
    }
    case AttributeType::kDoubleArray: {
      auto a = v.as_double_array();
      storage_ = std::vector<double>(a.begin(), a.end());
      break;
    }
    case AttributeType::kStringArray: {
      std::vector<std::string> strings;
      for (auto s : v.as_string_array())
        strings.emplace_back(s);
      storage_ = std::move(strings);
      break;
    }
  }
  build_cache();
}

void OwnedAttributeValue::build_cache() {
  // Array views need contiguous storage of the view's element type.
  if (auto* bools = std::get_if<std::vector<bool>>(&storage_)) {
    bools_ = std::make_unique<bool[]>(bools->size() + 1);
    std::copy(bools->begin(), bools->end(), bools_.get());
  } else if (auto* strings = std::get_if<std::vector<std::string>>(&storage_)) {
    string_views_.assign(strings->begin(), strings->end());
  }
}

AttributeValue OwnedAttributeValue::view() const noexcept {
  return std::visit(
      [this](const auto& v) -> AttributeValue {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::vector<bool>>) {
          return std::span<const bool>(bools_.get(), v.size());
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          return std::span<const std::string_view>(string_views_);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return std::string_view(v);
        } else {
          return AttributeValue(v);
        }
      },
      storage_);
}

OwnedAttributes& OwnedAttributes::operator=(const OwnedAttributes& o) {
  if (this == &o) return *this;
  entries_.clear();
  for (const auto& e : o.entries_) {
    entries_.push_back(
        std::make_unique<Entry>(Entry{e->key, OwnedAttributeValue(e->value.storage())}));
  }
  rebuild_views();
  return *this;
}

void OwnedAttributes::set(std::string_view key, const AttributeValue& value) {
  for (auto& e : entries_) {
    if (e->key == key) {
      e->value = OwnedAttributeValue(value);
      rebuild_views();
      return;
    }
  }
  entries_.push_back(std::make_unique<Entry>(Entry{std::string(key), OwnedAttributeValue(value)}));
  rebuild_views();
}

const AttributeValue* OwnedAttributes::get(std::string_view key) const noexcept {
  for (const auto& kv : views_) {
    if (kv.key == key) return &kv.value;
  }
  return nullptr;
}

void OwnedAttributes::rebuild_views() {
  views_.clear();
  views_.reserve(entries_.size());
  for (const auto& e : entries_)
    views_.push_back(KeyValue{e->key, e->value.view()});
}

}  // namespace tracekit
