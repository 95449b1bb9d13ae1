// SPDX-License-Identifier: Apache-2.0
// Prefetching cache lines another core wrote or read last: one the calling thread is about to
// write (prefetch_for_write), or to read (prefetch_for_read).
#pragma once

namespace tracekit::detail {

// Asks for a cache line in exclusive state, ready to be written. __builtin_prefetch(p, 1) is
// this only when the build targets a CPU with PREFETCHW; for baseline x86-64 GCC emits a read
// prefetch (prefetcht0), which fetches the line shared, and the first store to it then still
// waits for the other core's copy to be invalidated (measured: a span's start and end took
// ~220 ns instead of ~120 with the worker on the other core). PREFETCHW is in every AMD64 CPU
// and in Intel's since Broadwell; older Intel CPUs execute its encoding as a no-op.
inline void prefetch_for_write(const void* p) noexcept {
#if defined(__x86_64__)
  asm volatile("prefetchw %0" : : "m"(*static_cast<const char*>(p)));
#else
  __builtin_prefetch(p, 1, 3);
#endif
}

// Asks for a cache line to be read soon. Not __builtin_prefetch: GCC 12 treats that builtin as
// free of side effects, so a small function made only of it is found `const` by the
// interprocedural passes, and a call to a const function returning void is deleted. That is
// what became of the OTLP encoder's look-ahead: at -O2 and -O3 no prefetch reached the binary
// (found with objdump, 2026-12-07). An asm volatile statement is never deleted.
inline void prefetch_for_read(const void* p) noexcept {
#if defined(__x86_64__)
  asm volatile("prefetcht0 %0" : : "m"(*static_cast<const char*>(p)));
#elif defined(__aarch64__)
  asm volatile("prfm pldl1keep, [%0]" : : "r"(p));
#else
  __builtin_prefetch(p, 0, 3);
#endif
}

}  // namespace tracekit::detail
