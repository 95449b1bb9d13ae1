// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tracekit/ids.h"

namespace tracekit {
namespace {

constexpr std::string_view kTraceHex = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr std::string_view kSpanHex = "00f067aa0ba902b7";

TEST(Hex, EncodesLowerCase) {
  const uint8_t bytes[] = {0x00, 0xAB, 0xCD, 0xEF, 0x12, 0x9F, 0xFF};
  char out[14];
  hex::encode(bytes, sizeof bytes, out);
  EXPECT_EQ(std::string_view(out, sizeof out), "00abcdef129fff");
}

// Every byte value, at every position of the 8-byte blocks and of the scalar tail, for lengths
// 0..40: what sprintf("%02x") writes, and nothing written past the end.
TEST(Hex, EncodesEveryByteAtEveryPositionLikeSprintf) {
  for (size_t n = 0; n <= 40; ++n) {
    for (int first = 0; first < 256; ++first) {
      std::vector<uint8_t> bytes(n);
      for (size_t i = 0; i < n; ++i)
        bytes[i] = static_cast<uint8_t>(first + 37 * static_cast<int>(i));
      std::string expected;
      for (uint8_t b : bytes) {
        char two[3];
        std::snprintf(two, sizeof two, "%02x", b);
        expected += two;
      }
      std::string out(2 * n + 16, '#');
      hex::encode(bytes.data(), n, out.data());
      EXPECT_EQ(out.substr(0, 2 * n), expected) << "n=" << n << " first=" << first;
      EXPECT_EQ(out.substr(2 * n), std::string(16, '#')) << "wrote past the end, n=" << n;
    }
  }
}

TEST(Hex, DecodeAcceptsUpperCaseUnlessLowerOnly) {
  uint8_t out[2] = {};
  EXPECT_TRUE(hex::decode("aBcD", 2, out, false));
  EXPECT_EQ(out[0], 0xAB);
  EXPECT_EQ(out[1], 0xCD);
  EXPECT_FALSE(hex::decode("aBcD", 2, out, true));
  EXPECT_TRUE(hex::decode("abcd", 2, out, true));
  EXPECT_FALSE(hex::decode("abcg", 2, out, false));
}

TEST(TraceId, RoundTripsThroughHex) {
  auto id = TraceId::from_hex(kTraceHex);
  ASSERT_TRUE(id.has_value());
  EXPECT_TRUE(id->is_valid());
  EXPECT_EQ(id->to_hex(), kTraceHex);
  EXPECT_EQ(id->bytes()[0], 0x4B);
  EXPECT_EQ(id->bytes()[15], 0x36);
  auto arr = id->hex_array();
  EXPECT_EQ(std::string_view(arr.data(), arr.size()), kTraceHex);
}

TEST(SpanId, RoundTripsThroughHex) {
  auto id = SpanId::from_hex(kSpanHex);
  ASSERT_TRUE(id.has_value());
  EXPECT_TRUE(id->is_valid());
  EXPECT_EQ(id->to_hex(), kSpanHex);
  EXPECT_EQ(id->bytes()[1], 0xF0);
}

TEST(Ids, FromHexAcceptsUpperCaseAndWritesLowerCase) {
  auto trace = TraceId::from_hex("4BF92F3577B34DA6A3CE929D0E0E4736");
  ASSERT_TRUE(trace.has_value());
  EXPECT_EQ(trace->to_hex(), kTraceHex);
  auto span = SpanId::from_hex("00F067aa0BA902B7");
  ASSERT_TRUE(span.has_value());
  EXPECT_EQ(span->to_hex(), kSpanHex);
}

TEST(Ids, FromHexRejectsEveryNonHexCharacterAtEveryPosition) {
  const std::string bad_chars = std::string("gGzZ-+ .x:/@`[{") + '\0' + "\x7f\x80\xff";
  for (char bad : bad_chars) {
    for (size_t pos : {size_t{0}, size_t{7}, size_t{15}, size_t{16}, size_t{31}}) {
      std::string trace(kTraceHex);
      trace[pos] = bad;
      EXPECT_FALSE(TraceId::from_hex(trace).has_value())
          << "char " << int(static_cast<uint8_t>(bad)) << " at " << pos;
    }
    for (size_t pos : {size_t{0}, size_t{8}, size_t{15}}) {
      std::string span(kSpanHex);
      span[pos] = bad;
      EXPECT_FALSE(SpanId::from_hex(span).has_value())
          << "char " << int(static_cast<uint8_t>(bad)) << " at " << pos;
    }
  }
}

int reference_nibble(int c, bool lower_only) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (!lower_only && c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Every byte value at every position of a trace id (and of a span id), against a plain
// reference: the decoder works on 16 characters at a time, so each lane is checked.
TEST(Ids, EveryByteAtEveryPositionMatchesAReferenceDecoder) {
  for (bool lower_only : {false, true}) {
    for (int c = 0; c < 256; ++c) {
      const int nibble = reference_nibble(c, lower_only);
      for (size_t pos = 0; pos < 32; ++pos) {
        std::string text(kTraceHex);
        text[pos] = static_cast<char>(c);
        uint8_t out[16];
        const bool ok = hex::decode(text.data(), 16, out, lower_only);
        ASSERT_EQ(ok, nibble >= 0) << "byte " << c << " at " << pos << " lower_only=" << lower_only;
        if (ok) {
          // The changed nibble holds the character's value; every other byte is unchanged.
          const auto original = *TraceId::from_hex(kTraceHex);
          const uint8_t byte = out[pos / 2];
          const int got = pos % 2 == 0 ? byte >> 4 : byte & 0x0F;
          ASSERT_EQ(got, nibble) << "byte " << c << " at " << pos;
          const uint8_t other_half = pos % 2 == 0 ? byte & 0x0F : byte >> 4;
          const uint8_t original_other =
              pos % 2 == 0 ? original.bytes()[pos / 2] & 0x0F : original.bytes()[pos / 2] >> 4;
          ASSERT_EQ(other_half, original_other) << "byte " << c << " at " << pos;
          for (size_t i = 0; i < 16; ++i) {
            if (i == pos / 2) continue;
            ASSERT_EQ(out[i], original.bytes()[i]) << i;
          }
        }
      }
      if (!lower_only) {
        for (size_t pos = 0; pos < 16; ++pos) {
          std::string text(kSpanHex);
          text[pos] = static_cast<char>(c);
          ASSERT_EQ(SpanId::from_hex(text).has_value(), nibble >= 0) << c << " at " << pos;
        }
      }
    }
  }
}

TEST(Ids, FromHexRejectsWrongLengths) {
  EXPECT_FALSE(TraceId::from_hex("").has_value());
  EXPECT_FALSE(TraceId::from_hex(kTraceHex.substr(0, 31)).has_value());
  EXPECT_FALSE(TraceId::from_hex(std::string(kTraceHex) + "0").has_value());
  EXPECT_FALSE(TraceId::from_hex(kSpanHex).has_value());
  EXPECT_FALSE(SpanId::from_hex("").has_value());
  EXPECT_FALSE(SpanId::from_hex(kSpanHex.substr(0, 15)).has_value());
  EXPECT_FALSE(SpanId::from_hex(std::string(kSpanHex) + "a").has_value());
  EXPECT_FALSE(SpanId::from_hex(kTraceHex).has_value());
}

TEST(Ids, AllZeroParsesButIsInvalid) {
  auto trace = TraceId::from_hex(std::string(32, '0'));
  ASSERT_TRUE(trace.has_value());
  EXPECT_FALSE(trace->is_valid());
  auto span = SpanId::from_hex(std::string(16, '0'));
  ASSERT_TRUE(span.has_value());
  EXPECT_FALSE(span->is_valid());
  EXPECT_FALSE(TraceId().is_valid());
  EXPECT_FALSE(SpanId().is_valid());
  EXPECT_EQ(TraceId().to_hex(), std::string(32, '0'));
  // One non-zero byte anywhere makes an id valid.
  std::array<uint8_t, 8> last{};
  last[7] = 1;
  EXPECT_TRUE(SpanId(last).is_valid());
}

TEST(Ids, CompareByBytes) {
  auto a = *SpanId::from_hex("0000000000000001");
  auto b = *SpanId::from_hex("0000000000000002");
  EXPECT_LT(a, b);
  EXPECT_EQ(a, *SpanId::from_hex("0000000000000001"));
  EXPECT_NE(a, b);
}

TEST(TraceFlags, SampledAndRandomBits) {
  TraceFlags none;
  EXPECT_FALSE(none.sampled());
  EXPECT_FALSE(none.random());
  TraceFlags both(TraceFlags::kSampled | TraceFlags::kRandom);
  EXPECT_TRUE(both.sampled());
  EXPECT_TRUE(both.random());
  EXPECT_EQ(both.bits(), 0x03);
  EXPECT_EQ(both.with_sampled(false).bits(), 0x02);
  EXPECT_EQ(TraceFlags(0x02).with_sampled(true).bits(), 0x03);
  EXPECT_EQ(TraceFlags(0x01), TraceFlags(0x01).with_sampled(true));
}

TEST(IdGeneration, ManyIdsAreValidAndDistinct) {
  constexpr int kCount = 100000;
  std::set<TraceId> traces;
  std::set<SpanId> spans;
  for (int i = 0; i < kCount; ++i) {
    TraceId t = generate_trace_id();
    SpanId s = generate_span_id();
    ASSERT_TRUE(t.is_valid());
    ASSERT_TRUE(s.is_valid());
    traces.insert(t);
    spans.insert(s);
  }
  EXPECT_EQ(traces.size(), static_cast<size_t>(kCount));
  EXPECT_EQ(spans.size(), static_cast<size_t>(kCount));
}

TEST(IdGeneration, BytesLookRandom) {
  // Every bit position of the trace id is set in some ids and clear in others: no byte is
  // stuck (a generator that leaves half the id zero would fail this).
  std::array<int, 128> ones{};
  constexpr int kCount = 4096;
  for (int i = 0; i < kCount; ++i) {
    TraceId t = generate_trace_id();
    for (int bit = 0; bit < 128; ++bit) {
      ones[bit] += (t.bytes()[bit / 8] >> (bit % 8)) & 1;
    }
  }
  for (int bit = 0; bit < 128; ++bit) {
    EXPECT_GT(ones[bit], kCount / 4) << "bit " << bit;
    EXPECT_LT(ones[bit], kCount * 3 / 4) << "bit " << bit;
  }
}

TEST(IdGeneration, DistinctAcrossThreads) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20000;
  std::vector<std::vector<TraceId>> traces(kThreads);
  std::vector<std::vector<SpanId>> spans(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      traces[t].reserve(kPerThread);
      spans[t].reserve(kPerThread);
      for (int i = 0; i < kPerThread; ++i) {
        traces[t].push_back(generate_trace_id());
        spans[t].push_back(generate_span_id());
      }
    });
  }
  for (auto& th : threads)
    th.join();
  std::set<TraceId> all_traces;
  std::set<SpanId> all_spans;
  for (int t = 0; t < kThreads; ++t) {
    all_traces.insert(traces[t].begin(), traces[t].end());
    all_spans.insert(spans[t].begin(), spans[t].end());
  }
  EXPECT_EQ(all_traces.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(all_spans.size(), static_cast<size_t>(kThreads * kPerThread));
}

// A forked child must not continue the parent's generator: it would repeat the parent's next
// ids exactly.
TEST(IdGeneration, ForkedChildDoesNotRepeatTheParentsIds) {
  generate_trace_id();  // this thread's generator is seeded before the fork
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    uint8_t out[16 + 8 + 8];
    TraceId t = generate_trace_id();
    SpanId s = generate_span_id();
    uint64_t r = random_u64();
    std::memcpy(out, t.data(), 16);
    std::memcpy(out + 16, s.data(), 8);
    std::memcpy(out + 24, &r, 8);
    ssize_t written = write(fds[1], out, sizeof out);
    _exit(written == static_cast<ssize_t>(sizeof out) ? 0 : 1);
  }
  close(fds[1]);
  const TraceId parent_trace = generate_trace_id();
  const SpanId parent_span = generate_span_id();
  const uint64_t parent_random = random_u64();

  uint8_t in[32];
  size_t got = 0;
  while (got < sizeof in) {
    ssize_t n = read(fds[0], in + got, sizeof in - got);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  ASSERT_EQ(got, sizeof in);

  const TraceId child_trace(in);
  const SpanId child_span(in + 16);
  uint64_t child_random;
  std::memcpy(&child_random, in + 24, 8);
  EXPECT_TRUE(child_trace.is_valid());
  EXPECT_NE(child_trace, parent_trace);
  EXPECT_NE(child_span, parent_span);
  EXPECT_NE(child_random, parent_random);
}

}  // namespace
}  // namespace tracekit
