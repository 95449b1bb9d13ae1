// SPDX-License-Identifier: Apache-2.0
#include "tracekit/ids.h"

#include "hex_simd.h"

#include <pthread.h>
#include <sys/random.h>
#include <unistd.h>
#include <ctime>

#include <array>
#include <atomic>
#include <mutex>
#include <random>

namespace tracekit {

namespace hex {
namespace {
constexpr char kDigits[] = "0123456789abcdef";

// 0-15 for a hex digit; 0x10 for 'A'-'F' flagged upper case (masked off when accepted); 0xFF
// for anything else.
constexpr std::array<uint8_t, 256> make_decode_table() {
  std::array<uint8_t, 256> t{};
  for (auto& v : t)
    v = 0xFF;
  for (int c = '0'; c <= '9'; ++c)
    t[c] = static_cast<uint8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c)
    t[c] = static_cast<uint8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c)
    t[c] = static_cast<uint8_t>(0x10 | (c - 'A' + 10));
  return t;
}
constexpr auto kDecode = make_decode_table();
}  // namespace

void encode(const uint8_t* bytes, size_t n, char* out) noexcept {
#if TRACEKIT_HAVE_ENCODE_HEX16
  while (n >= 8) {
    detail::encode_hex16(bytes, out);
    bytes += 8;
    out += 16;
    n -= 8;
  }
#endif
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0x0F];
  }
}

namespace {
bool decode_scalar(const char* in, size_t n, uint8_t* out, bool lower_only) noexcept {
  // Accumulate the table entries' bits: one OR over all of them says whether any character was
  // invalid (0xFF) or upper case (0x10), so the loop has no branch per character.
  uint8_t seen = 0;
  for (size_t i = 0; i < n; ++i) {
    uint8_t hi = kDecode[static_cast<uint8_t>(in[2 * i])];
    uint8_t lo = kDecode[static_cast<uint8_t>(in[2 * i + 1])];
    seen |= hi | lo;
    out[i] = static_cast<uint8_t>(((hi & 0x0F) << 4) | (lo & 0x0F));
  }
  if ((seen & 0xE0) != 0) return false;
  if (lower_only && (seen & 0x10) != 0) return false;
  return true;
}

}  // namespace

bool decode(const char* in, size_t n, uint8_t* out, bool lower_only) noexcept {
#if TRACEKIT_HAVE_DECODE_HEX16
  bool ok = true;
  while (n >= 8) {
    ok &= detail::decode_hex16(in, out, lower_only);
    in += 16;
    out += 8;
    n -= 8;
  }
  return ok && decode_scalar(in, n, out, lower_only);
#else
  return decode_scalar(in, n, out, lower_only);
#endif
}
}  // namespace hex

namespace {

// xoshiro256** (Blackman and Vigna), one generator per thread, seeded from the kernel. A fork
// bumps a generation counter so a child process never repeats its parent's ids.
std::atomic<uint32_t> g_fork_generation{1};

void on_fork_child() {
  g_fork_generation.fetch_add(1, std::memory_order_relaxed);
}

struct alignas(64) Rng {
  uint64_t s[4];
  uint32_t generation;
};
constinit thread_local Rng t_rng{};

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

[[gnu::noinline]] void seed(Rng& rng, uint32_t generation) {
  static std::once_flag once;
  std::call_once(once, [] { pthread_atfork(nullptr, nullptr, on_fork_child); });
  // The whole state from the kernel in one getrandom call (0.25 us on this project's VM).
  // std::random_device, which reads the CPU's RDSEED/RDRAND here, took 29 us for the six values
  // this used to draw: a new thread's first span paid it, and a server with a thread per
  // request, per request. Mixed with the time, the pid and the thread's address all the same,
  // so that a failing call still gives each thread its own sequence.
  uint64_t kernel[4] = {};
  const bool from_kernel =
      getrandom(kernel, sizeof kernel, 0) == static_cast<ssize_t>(sizeof kernel);
  uint64_t mix = 0;
  if (!from_kernel) {
    std::random_device device;
    mix = (static_cast<uint64_t>(device()) << 32) ^ device();
  }
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  mix ^= static_cast<uint64_t>(ts.tv_nsec) ^ (static_cast<uint64_t>(getpid()) << 40) ^
         reinterpret_cast<uintptr_t>(&rng);
  for (int i = 0; i < 4; ++i)
    rng.s[i] = splitmix64(mix) ^ kernel[i];
  rng.generation = generation;
}

inline uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

inline uint64_t next() noexcept {
  Rng& rng = t_rng;
  uint32_t generation = g_fork_generation.load(std::memory_order_relaxed);
  if (rng.generation != generation) [[unlikely]] {
    seed(rng, generation);
  }
  uint64_t* s = rng.s;
  const uint64_t result = rotl(s[1] * 5, 7) * 9;
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

}  // namespace

uint64_t random_u64() noexcept {
  return next();
}

TraceId generate_trace_id() noexcept {
  std::array<uint8_t, 16> bytes;
  uint64_t hi, lo;
  do {
    hi = next();
    lo = next();
  } while ((hi | lo) == 0);
  std::memcpy(bytes.data(), &hi, 8);
  std::memcpy(bytes.data() + 8, &lo, 8);
  return TraceId(bytes);
}

SpanId generate_span_id() noexcept {
  std::array<uint8_t, 8> bytes;
  uint64_t v;
  do {
    v = next();
  } while (v == 0);
  std::memcpy(bytes.data(), &v, 8);
  return SpanId(bytes);
}

}  // namespace tracekit
