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

// Copies n bytes from src to dst and tells whether they were all ASCII: eight bytes at a time,
// the last word overlapping the one before, with no read or write outside the n bytes.
inline bool copy_ascii(char* dst, const char* src, size_t n) noexcept {
  uint64_t seen = 0;
  if (n >= 8) {
    uint64_t w;
    for (size_t i = 0; i + 8 <= n; i += 8) {
      std::memcpy(&w, src + i, 8);
      std::memcpy(dst + i, &w, 8);
      seen |= w;
    }
    std::memcpy(&w, src + n - 8, 8);
    std::memcpy(dst + n - 8, &w, 8);
    seen |= w;
  } else if (n >= 4) {
    uint32_t a, b;
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    std::memcpy(dst, &a, 4);
    std::memcpy(dst + n - 4, &b, 4);
    seen = a | b;
  } else if (n > 0) {
    const auto a = static_cast<uint8_t>(src[0]), b = static_cast<uint8_t>(src[n / 2]),
               c = static_cast<uint8_t>(src[n - 1]);
    dst[0] = static_cast<char>(a);
    dst[n / 2] = static_cast<char>(b);
    dst[n - 1] = static_cast<char>(c);
    seen = a | b | c;
  }
  return (seen & 0x8080808080808080ull) == 0;
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
  // Room for n bytes the caller writes at reserve(n) and then counts with commit(n): fields of
  // known size in one reservation. (Every write through the writer's own char pointer may alias
  // its members, so each call reloads them.)
  char* reserve(size_t n) { return room(n); }
  void commit(size_t n) { pos_ += n; }

  // A string field, always written (use for oneof members and required-looking fields).
  void string_always(uint8_t field_tag, std::string_view s) {
    const size_t n = s.size();
    if (n < 128) [[likely]] {
      // Short ASCII text, the usual kind, copied while it is checked.
      char* p = room(n + 2);
      p[0] = static_cast<char>(field_tag);
      p[1] = static_cast<char>(n);
      if (copy_ascii(p + 2, s.data(), n)) {
        pos_ += n + 2;
        return;
      }
    }
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
  // A KeyValue whose value is a short string or an integer (nearly every attribute), written in
  // one reservation with its lengths known in advance, and its text copied while it is checked to
  // be ASCII: about half the instructions of the general path. False (nothing written) when the
  // attribute is not of that kind or its text is not all ASCII; write_attributes then takes the
  // general path, which validates and repairs UTF-8.
  bool small_key_value(uint8_t field_tag, std::string_view key, const AttributeValue& value) {
    const size_t k = key.size();
    if (k == 0 || k > 100) return false;
    if (value.type() == AttributeType::kString) {
      const std::string_view v = value.as_string();
      if (v.size() > 121 - k) return false;
      // KeyValue{1: key, 2: AnyValue{1: string}}: every length fits in one byte.
      const size_t n = v.size();
      char* p = room(k + n + 8);
      p[0] = static_cast<char>(field_tag);
      p[1] = static_cast<char>(k + n + 6);
      p[2] = static_cast<char>(tag(1, kLen));
      p[3] = static_cast<char>(k);
      char* q = p + 4 + k;
      q[0] = static_cast<char>(tag(2, kLen));
      q[1] = static_cast<char>(n + 2);
      q[2] = static_cast<char>(tag(1, kLen));
      q[3] = static_cast<char>(n);
      if (!copy_ascii(p + 4, key.data(), k) || !copy_ascii(q + 4, v.data(), n)) return false;
      pos_ += k + n + 8;
      return true;
    }
    if (value.type() == AttributeType::kInt) {
      const auto v = static_cast<uint64_t>(value.as_int());
      const size_t vs = varint_size(v);
      // KeyValue{1: key, 2: AnyValue{3: int}}
      char* p = room(k + vs + 7);
      p[0] = static_cast<char>(field_tag);
      p[1] = static_cast<char>(k + vs + 5);
      p[2] = static_cast<char>(tag(1, kLen));
      p[3] = static_cast<char>(k);
      if (!copy_ascii(p + 4, key.data(), k)) return false;
      char* q = p + 4 + k;
      q[0] = static_cast<char>(tag(2, kLen));
      q[1] = static_cast<char>(vs + 1);
      q[2] = static_cast<char>(tag(3, kVarint));
      pos_ += k + 7;
      varint(v);
      return true;
    }
    return false;
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
    if (w.small_key_value(field_tag, kv.key, kv.value)) [[likely]]
      continue;
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
