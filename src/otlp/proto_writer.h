// SPDX-License-Identifier: Apache-2.0
// The protobuf wire-format writer the OTLP encoders share (spans: proto_encoder.cc, log records:
// log_proto_encoder.cc), with the writers for OTLP's AnyValue and KeyValue lists.
//
// Nested messages are length-prefixed. Rather than computing every size in a first pass, the
// writer leaves room for the length prefix (a guess of 1, 2 or 3 bytes by message kind), writes
// the body, then writes the real length, moving the body only when the guess was wrong. The
// output is canonical: every length is the shortest varint.
#pragma once

#include <algorithm>
#include <bit>
#include <cstring>
#include <span>
#include <string>

#include "byte_buffer.h"
#include "tracekit/attributes.h"
#include "tracekit/detail/utf8.h"

namespace tracekit::otlp::detail::proto {

static_assert(std::endian::native == std::endian::little,
              "the fixed32/fixed64 writer assumes a little-endian machine");

constexpr uint8_t kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5;
constexpr uint8_t tag(uint32_t field, uint8_t wire_type) {
  return static_cast<uint8_t>((field << 3) | wire_type);
}

inline size_t varint_size(uint64_t v) {
  // 1 + floor(log2(v) / 7), with v|1 so that 0 takes one byte.
  return (static_cast<size_t>(std::bit_width(v | 1)) + 6) / 7;
}

// Writes into a std::string (appending; the public encoders) or into a ByteBuffer (the
// exporters' request bodies, which grow without zero-filling).
class Writer {
 public:
  explicit Writer(std::string& out)
      : string_(&out), data_(out.data()), capacity_(out.size()), pos_(out.size()) {}
  explicit Writer(ByteBuffer& out)
      : buffer_(&out), data_(out.data()), capacity_(out.writable_capacity()), pos_(out.size()) {}
  ~Writer() {
    if (string_) {
      string_->resize(pos_);
    } else {
      buffer_->set_size(pos_);
    }
  }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  char* room(size_t n) {
    if (capacity_ - pos_ < n) [[unlikely]]
      grow(n);
    return data_ + pos_;
  }

  void byte(uint8_t b) {
    *room(1) = static_cast<char>(b);
    ++pos_;
  }
  void varint(uint64_t v) {
    char* p = room(10);
    size_t n = 0;
    while (v >= 0x80) {
      p[n++] = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    p[n++] = static_cast<char>(v);
    pos_ += n;
  }
  void fixed64(uint64_t v) {
    std::memcpy(room(8), &v, 8);
    pos_ += 8;
  }
  void fixed32(uint32_t v) {
    std::memcpy(room(4), &v, 4);
    pos_ += 4;
  }
  // A length-delimited field whose bytes are known.
  void bytes(uint8_t field_tag, const void* data, size_t n) {
    char* p = room(n + 11);
    p[0] = static_cast<char>(field_tag);
    size_t k = 1;
    size_t len = n;
    while (len >= 0x80) {
      p[k++] = static_cast<char>(len | 0x80);
      len >>= 7;
    }
    p[k++] = static_cast<char>(len);
    if (n) std::memcpy(p + k, data, n);  // an empty string_view may hold a null pointer
    pos_ += k + n;
  }
  // A string field, always written (use for oneof members and required-looking fields).
  void string_always(uint8_t field_tag, std::string_view s) {
    if (tracekit::detail::utf8::is_valid(s)) [[likely]] {
      bytes(field_tag, s.data(), s.size());
    } else {
      std::string fixed = tracekit::detail::utf8::sanitize(s);
      bytes(field_tag, fixed.data(), fixed.size());
    }
  }
  // A proto3 string field: the empty string is the default and is left out.
  void string(uint8_t field_tag, std::string_view s) {
    if (!s.empty()) string_always(field_tag, s);
  }
  void uint_field(uint8_t field_tag, uint64_t v) {
    if (v == 0) return;
    byte(field_tag);
    varint(v);
  }

  // Starts a nested message: writes the tag and leaves `guess` bytes for the length.
  size_t begin(uint8_t field_tag, size_t guess) {
    char* p = room(1 + guess);
    p[0] = static_cast<char>(field_tag);
    size_t at = pos_ + 1;
    pos_ = at + guess;
    return at;
  }
  void end(size_t at, size_t guess) {
    const size_t len = pos_ - at - guess;
    const size_t need = varint_size(len);
    if (need != guess) [[unlikely]] {
      if (need > guess) room(need - guess);
      char* base = data_ + at;
      std::memmove(base + need, base + guess, len);
      pos_ = pos_ + need - guess;
    }
    char* p = data_ + at;
    size_t v = len;
    for (size_t i = 0; i + 1 < need; ++i) {
      *p++ = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    *p = static_cast<char>(v);
  }

 private:
  void grow(size_t n) {
    if (string_) {
      string_->resize(std::max(string_->size() * 2, pos_ + n + 4096));
      data_ = string_->data();
      capacity_ = string_->size();
    } else {
      buffer_->set_size(pos_);
      buffer_->reserve_more(n);
      data_ = buffer_->data();
      capacity_ = buffer_->writable_capacity();
    }
  }
  std::string* string_ = nullptr;
  ByteBuffer* buffer_ = nullptr;
  char* data_;
  size_t capacity_;  // bytes writable at data_
  size_t pos_;
};

// Guesses for the length prefix of each kind of message.
constexpr size_t kSmall = 1;   // KeyValue, AnyValue, Status, Link: usually < 128 bytes
constexpr size_t kMedium = 2;  // Span, Event, Resource, Scope: usually < 16 KiB
constexpr size_t kLarge = 3;   // ScopeSpans, ResourceSpans: usually < 2 MiB

inline void write_any_value(Writer& w, const AttributeValue& v);

template <class T, class Fn>
inline void write_array(Writer& w, std::span<const T> items, Fn&& one) {
  // AnyValue.array_value (5) -> ArrayValue.values (1) -> AnyValue
  const size_t guess = items.size() < 16 ? kSmall : kMedium;
  size_t arr = w.begin(tag(5, kLen), guess);
  for (const T& item : items) {
    size_t el = w.begin(tag(1, kLen), kSmall);
    one(item);
    w.end(el, kSmall);
  }
  w.end(arr, guess);
}

// The fields of an AnyValue.
inline void write_any_value(Writer& w, const AttributeValue& v) {
  switch (v.type()) {
    case AttributeType::kBool:
      w.byte(tag(2, kVarint));
      w.byte(v.as_bool() ? 1 : 0);
      return;
    case AttributeType::kInt:
      w.byte(tag(3, kVarint));
      w.varint(static_cast<uint64_t>(v.as_int()));
      return;
    case AttributeType::kDouble:
      w.byte(tag(4, kFixed64));
      w.fixed64(std::bit_cast<uint64_t>(v.as_double()));
      return;
    case AttributeType::kString:
      w.string_always(tag(1, kLen), v.as_string());
      return;
    case AttributeType::kBoolArray:
      write_array(w, v.as_bool_array(), [&](bool b) { write_any_value(w, b); });
      return;
    case AttributeType::kIntArray:
      write_array(w, v.as_int_array(), [&](int64_t i) { write_any_value(w, i); });
      return;
    case AttributeType::kDoubleArray:
      write_array(w, v.as_double_array(), [&](double d) { write_any_value(w, d); });
      return;
    case AttributeType::kStringArray:
      write_array(w, v.as_string_array(),
                  [&](std::string_view s) { w.string_always(tag(1, kLen), s); });
      return;
  }
}

inline void write_attributes(Writer& w, uint8_t field_tag, std::span<const KeyValue> attrs) {
  for (const KeyValue& kv : attrs) {
    const size_t guess = kv.value.type() == AttributeType::kString && kv.value.size() > 100
                             ? kMedium
                             : (kv.value.is_array() && kv.value.size() > 8 ? kMedium : kSmall);
    size_t at = w.begin(field_tag, guess);
    w.string(tag(1, kLen), kv.key);
    size_t val = w.begin(tag(2, kLen), guess);
    write_any_value(w, kv.value);
    w.end(val, guess);
    w.end(at, guess);
  }
}

}  // namespace tracekit::otlp::detail::proto
