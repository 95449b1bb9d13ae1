// SPDX-License-Identifier: Apache-2.0
// Wall-clock time for span timestamps. A span reads the clock twice, so on CPUs with an invariant
// TSC the TSC is read and scaled against the system clock, re-anchored every 100 ms (the costs
// of both are in docs/benchmarks.md); TRACEKIT_CLOCK=system forces the plain system clock.
#pragma once

#include <chrono>
#include <cstdint>

namespace tracekit {

// Points in time as the system clock has them (nanoseconds since the Unix epoch).
using Timestamp = std::chrono::time_point<std::chrono::system_clock, std::chrono::nanoseconds>;

namespace clock {
// Nanoseconds since the Unix epoch, from the fast clock.
uint64_t now_ns() noexcept;
inline Timestamp now() noexcept {
  return Timestamp(std::chrono::nanoseconds(now_ns()));
}
inline uint64_t to_ns(Timestamp t) noexcept {
  return static_cast<uint64_t>(t.time_since_epoch().count());
}
// True when timestamps come from the scaled TSC rather than the system clock.
bool uses_tsc() noexcept;
}  // namespace clock

}  // namespace tracekit
