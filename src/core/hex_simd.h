// SPDX-License-Identifier: Apache-2.0
// Inline hex decoding for the W3C parsers' hot path (the out-of-line hex::decode in ids.cc uses
// the same method for any length), and the encoding of 8 bytes at once that hex::encode uses.
#pragma once

#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace tracekit::detail {

#if defined(__SSE2__)
// 16 hex characters to 8 bytes: classify every character at once, turn each into its nibble,
// then merge pairs of nibbles. Returns false on any character that is not a hex digit (upper
// case too when lower_only).
inline bool decode_hex16(const char* in, uint8_t* out, bool lower_only) noexcept {
  const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in));
  const __m128i is_digit = _mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8('0' - 1)),
                                         _mm_cmplt_epi8(c, _mm_set1_epi8('9' + 1)));
  // Setting bit 5 maps 'A'-'F' onto 'a'-'f' and nothing else into that range.
  const __m128i folded = lower_only ? c : _mm_or_si128(c, _mm_set1_epi8(0x20));
  const __m128i is_letter = _mm_and_si128(_mm_cmpgt_epi8(folded, _mm_set1_epi8('a' - 1)),
                                          _mm_cmplt_epi8(folded, _mm_set1_epi8('f' + 1)));
  if (_mm_movemask_epi8(_mm_or_si128(is_digit, is_letter)) != 0xFFFF) return false;
  // '0'-'9' & 0x0F is the digit; 'a'-'f' & 0x0F is 1-6, plus 9 makes 10-15.
  const __m128i nibbles = _mm_add_epi8(_mm_and_si128(c, _mm_set1_epi8(0x0F)),
                                       _mm_and_si128(is_letter, _mm_set1_epi8(9)));
  // Little-endian 16-bit lanes hold (high nibble | low nibble << 8): make (high << 4 | low).
  const __m128i high = _mm_slli_epi16(_mm_and_si128(nibbles, _mm_set1_epi16(0x00FF)), 4);
  const __m128i low = _mm_srli_epi16(nibbles, 8);
  const __m128i bytes = _mm_packus_epi16(_mm_or_si128(high, low), _mm_setzero_si128());
  _mm_storel_epi64(reinterpret_cast<__m128i*>(out), bytes);
  return true;
}
#define TRACEKIT_HAVE_DECODE_HEX16 1

// 8 bytes to 16 lower-case hex characters: split every byte into its two nibbles, interleave
// them high first, and add '0', or 'a' - 10 to the nibbles above 9. A span id in one go, a
// trace id in two (the scalar loop took ~6 instructions a byte: ~150 for a traceparent).
inline void encode_hex16(const uint8_t* in, char* out) noexcept {
  const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(in));
  const __m128i mask = _mm_set1_epi8(0x0F);
  const __m128i high = _mm_and_si128(_mm_srli_epi16(bytes, 4), mask);
  const __m128i low = _mm_and_si128(bytes, mask);
  const __m128i nibbles = _mm_unpacklo_epi8(high, low);
  const __m128i letter = _mm_cmpgt_epi8(nibbles, _mm_set1_epi8(9));
  const __m128i chars = _mm_add_epi8(_mm_add_epi8(nibbles, _mm_set1_epi8('0')),
                                     _mm_and_si128(letter, _mm_set1_epi8('a' - '0' - 10)));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), chars);
}
#define TRACEKIT_HAVE_ENCODE_HEX16 1
#endif

}  // namespace tracekit::detail
