// SPDX-License-Identifier: Apache-2.0
// Trace and span identifiers, trace flags, and their lower-case hex forms (W3C Trace Context).
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace tracekit {

namespace hex {
// Writes 2*n lower-case hex characters for n bytes.
void encode(const uint8_t* bytes, size_t n, char* out) noexcept;
// Decodes 2*n hex characters into n bytes; lower_only rejects 'A'-'F' (W3C requires lower case).
bool decode(const char* in, size_t n, uint8_t* out, bool lower_only) noexcept;
}  // namespace hex

template <size_t N>
class Id {
 public:
  static constexpr size_t kSize = N;
  static constexpr size_t kHexSize = 2 * N;

  constexpr Id() = default;
  explicit Id(const uint8_t* bytes) noexcept { std::memcpy(bytes_.data(), bytes, N); }
  explicit constexpr Id(const std::array<uint8_t, N>& bytes) noexcept : bytes_(bytes) {}

  // Accepts exactly kHexSize hex characters, either case; an all-zero id parses but is invalid.
  static std::optional<Id> from_hex(std::string_view text) noexcept {
    Id id;
    if (text.size() != kHexSize || !hex::decode(text.data(), N, id.bytes_.data(), false)) {
      return std::nullopt;
    }
    return id;
  }

  bool is_valid() const noexcept {
    uint8_t any = 0;
    for (uint8_t b : bytes_)
      any |= b;
    return any != 0;
  }
  const std::array<uint8_t, N>& bytes() const noexcept { return bytes_; }
  const uint8_t* data() const noexcept { return bytes_.data(); }
  uint8_t* data() noexcept { return bytes_.data(); }

  void write_hex(char* out) const noexcept { hex::encode(bytes_.data(), N, out); }
  std::array<char, kHexSize> hex_array() const noexcept {
    std::array<char, kHexSize> out;
    write_hex(out.data());
    return out;
  }
  std::string to_hex() const {
    std::string out(kHexSize, '0');
    write_hex(out.data());
    return out;
  }

  friend bool operator==(const Id& a, const Id& b) noexcept { return a.bytes_ == b.bytes_; }
  friend auto operator<=>(const Id& a, const Id& b) noexcept { return a.bytes_ <=> b.bytes_; }

 private:
  std::array<uint8_t, N> bytes_{};
};

// 16 bytes, written as 32 lower-case hex characters.
using TraceId = Id<16>;
// 8 bytes, written as 16 lower-case hex characters.
using SpanId = Id<8>;

// The trace-flags byte of traceparent: bit 0 "sampled", bit 1 "random" (W3C Level 2: the
// right-most 7 bytes of the trace-id are random). Other bits are reserved and never sent.
class TraceFlags {
 public:
  static constexpr uint8_t kSampled = 0x01;
  static constexpr uint8_t kRandom = 0x02;
  static constexpr uint8_t kKnownMask = kSampled | kRandom;

  constexpr TraceFlags() = default;
  explicit constexpr TraceFlags(uint8_t bits) noexcept : bits_(bits) {}

  constexpr bool sampled() const noexcept { return (bits_ & kSampled) != 0; }
  constexpr bool random() const noexcept { return (bits_ & kRandom) != 0; }
  constexpr uint8_t bits() const noexcept { return bits_; }
  constexpr TraceFlags with_sampled(bool on) const noexcept {
    return TraceFlags(on ? (bits_ | kSampled) : (bits_ & ~kSampled));
  }
  friend constexpr bool operator==(TraceFlags a, TraceFlags b) noexcept {
    return a.bits_ == b.bits_;
  }

 private:
  uint8_t bits_ = 0;
};

// Fresh random ids from a per-thread generator: no lock, no system call after the first use.
TraceId generate_trace_id() noexcept;
SpanId generate_span_id() noexcept;
// A uniformly random 64-bit value from the same per-thread generator.
uint64_t random_u64() noexcept;

}  // namespace tracekit
