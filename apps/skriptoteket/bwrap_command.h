// SPDX-License-Identifier: Apache-2.0
// The bubblewrap command line of one sandboxed run: which namespaces, which parts of the host
// (read-only), the run's volume and the limits on it. A pure function, so the layout can be read
// and tested in one place.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace skriptoteket {

// Where the run's volume (the script and what it writes) is inside the sandbox.
inline constexpr std::string_view kSandboxVolume = "/work";

struct BwrapLayout {
  uint64_t volume_bytes = 0;  // size of the tmpfs at /work
  uint64_t tmp_bytes = 0;     // size of the tmpfs at /tmp
  // Descriptors bubblewrap reads (in the child, after it has moved them there).
  int seccomp_fd = -1;
  int script_fd = -1;  // -1: no script yet (a launcher inside writes it)
  int passwd_fd = -1;
  int group_fd = -1;
  std::string script_path;  // inside the sandbox, below kSandboxVolume
  std::string hostname;
};

// `bwrap` and its options, then `command` (the interpreter and the script).
std::vector<std::string> bwrap_command(const std::string& bwrap, const BwrapLayout& layout,
                                       const std::vector<std::string>& command);

}  // namespace skriptoteket
