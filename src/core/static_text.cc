// SPDX-License-Identifier: Apache-2.0
#include "static_text.h"

#include <elf.h>
#include <link.h>

#include <algorithm>

namespace tracekit::detail {

namespace {
// Lives in this object's read-only data: finds the object that holds tracekit's core.
constexpr char kMarker[] = "tracekit core";
}  // namespace

struct StaticTextBuilder {
  StaticText* text;
  int objects_seen = 0;

  // The span of one object's read-only segments, or nothing when a writable segment lies
  // inside it (a layout this code does not expect: then nothing of that object is trusted).
  static StaticText::Range read_only_span(const dl_phdr_info& info) noexcept {
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (int i = 0; i < info.dlpi_phnum; ++i) {
      const auto& ph = info.dlpi_phdr[i];
      if (ph.p_type != PT_LOAD || (ph.p_flags & PF_W) || ph.p_memsz == 0) continue;
      lo = std::min<uintptr_t>(lo, info.dlpi_addr + ph.p_vaddr);
      hi = std::max<uintptr_t>(hi, info.dlpi_addr + ph.p_vaddr + ph.p_memsz);
    }
    if (lo >= hi) return {};
    for (int i = 0; i < info.dlpi_phnum; ++i) {
      const auto& ph = info.dlpi_phdr[i];
      if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_W)) continue;
      const uintptr_t b = info.dlpi_addr + ph.p_vaddr;
      const uintptr_t e = b + ph.p_memsz;
      if (b < hi && e > lo) return {};
    }
    return {lo, hi - lo};
  }

  static int visit(dl_phdr_info* info, size_t, void* self_ptr) noexcept {
    auto* self = static_cast<StaticTextBuilder*>(self_ptr);
    const bool is_main = self->objects_seen++ == 0;  // the main program comes first
    const StaticText::Range r = read_only_span(*info);
    const auto marker = reinterpret_cast<uintptr_t>(kMarker);
    const bool is_core = r.size != 0 && marker - r.begin < r.size;
    if (is_main) self->text->ranges_[0] = r;
    if (is_core && !is_main) self->text->ranges_[1] = r;
    return 0;
  }
};

StaticText::StaticText() noexcept {
  StaticTextBuilder builder{this};
  dl_iterate_phdr(&StaticTextBuilder::visit, &builder);
}

}  // namespace tracekit::detail
