// SPDX-License-Identifier: Apache-2.0
// The seccomp deny-list every sandboxed script runs under, compiled once with libseccomp into a
// classic BPF program that bubblewrap installs (`--seccomp FD`) just before it executes the
// interpreter.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "domain.h"

namespace skriptoteket {

// The system calls no teacher's script needs, each answered with EPERM: tracing and reading
// other processes (ptrace, process_vm_*), namespaces and mounts (unshare, setns, mount, …),
// kernel keyrings, BPF, perf events, kexec and kernel modules, io_uring, clock and system
// settings, swap, reboot. Also refused: clone/clone3 asking for new namespaces, and the TIOCSTI
// ioctl that pushes input into a terminal.
std::span<const std::string_view> denied_syscalls() noexcept;

// The compiled filter (for the native architecture; system calls of any other ABI kill the
// process), ready to be written to the descriptor bubblewrap reads. Fails when libseccomp
// cannot build it.
Result<std::string> compile_seccomp_filter();

}  // namespace skriptoteket
