// SPDX-License-Identifier: Apache-2.0
// Text that outlives every span: string literals and other constants in the read-only
// segments of the main program and of the object that holds tracekit's core. A span keeps a
// view of such text instead of copying it into its arena. Attribute keys are nearly always
// literals (the semantic conventions' names), so most spans copy far fewer bytes, and the
// exporting thread reads those bytes from lines no other core has written.
//
// Only those two objects count: neither can be unloaded while tracekit's code runs. Text in a
// library loaded with dlopen (which dlclose may unmap while its spans still wait for export),
// on the stack, on the heap or in writable data is always copied.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tracekit::detail {

class StaticText {
 public:
  // Reads the loaded objects' program headers once (dl_iterate_phdr).
  StaticText() noexcept;

  bool contains(std::string_view s) const noexcept {
    const auto p = reinterpret_cast<uintptr_t>(s.data());
    for (const Range& r : ranges_) {
      if (p - r.begin < r.size && s.size() <= r.size - (p - r.begin)) return true;
    }
    return false;
  }

 private:
  struct Range {
    uintptr_t begin = 0;
    uintptr_t size = 0;  // 0: no range
  };
  Range ranges_[2];  // the main program, tracekit's core (the same when linked statically)
  friend struct StaticTextBuilder;
};

}  // namespace tracekit::detail
