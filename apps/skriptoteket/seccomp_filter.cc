// SPDX-License-Identifier: Apache-2.0
#include "seccomp_filter.h"

#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>

namespace skriptoteket {

namespace {

constexpr std::array<std::string_view, 46> kDenied = {
    // Reading or steering other processes.
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    // Namespaces, mounts and the file system tree.
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "mount_setattr", "move_mount",
    "open_tree", "fsopen", "fsconfig", "fsmount", "fspick", "open_by_handle_at",
    "name_to_handle_at",
    // Kernel keyrings, BPF, performance counters, userfaultfd, io_uring, fanotify.
    "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd", "io_uring_setup",
    "io_uring_enter", "io_uring_register", "fanotify_init",
    // Kernel images, modules, and the machine's settings.
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot",
    "swapon", "swapoff", "acct", "quotactl", "syslog", "settimeofday", "clock_settime",
    "clock_adjtime", "adjtimex",
    // Old personalities re-enable address-space layouts that help exploits.
    "personality"};

struct ContextDeleter {
  void operator()(scmp_filter_ctx ctx) const noexcept { seccomp_release(ctx); }
};
using Context = std::unique_ptr<void, ContextDeleter>;

Error seccomp_failure(const std::string& what, int rc) {
  return Error{ErrorCode::kUnavailable,
               "seccomp filter: " + what + ": " + std::strerror(rc < 0 ? -rc : rc)};
}

}  // namespace

std::span<const std::string_view> denied_syscalls() noexcept {
  return kDenied;
}

Result<std::string> compile_seccomp_filter() {
  Context ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) return Error{ErrorCode::kUnavailable, "seccomp filter: seccomp_init failed"};
  const uint32_t deny = SCMP_ACT_ERRNO(EPERM);
  for (std::string_view name : kDenied) {
    const int nr = seccomp_syscall_resolve_name(std::string(name).c_str());
    if (nr == __NR_SCMP_ERROR) continue;  // not a system call of this architecture
    if (int rc = seccomp_rule_add(ctx.get(), deny, nr, 0); rc != 0) {
      return seccomp_failure("deny " + std::string(name), rc);
    }
  }
  // clone() with any namespace flag (one rule per flag: rules for one call are alternatives);
  // clone3() passes its flags in memory a filter cannot read, so it answers ENOSYS and the C
  // library falls back to clone().
  for (const uint64_t flag : {CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC,
                              CLONE_NEWUTS, CLONE_NEWCGROUP}) {
    if (int rc = seccomp_rule_add(ctx.get(), deny, SCMP_SYS(clone), 1,
                                  SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag));
        rc != 0) {
      return seccomp_failure("clone", rc);
    }
  }
  if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0); rc != 0) {
    return seccomp_failure("clone3", rc);
  }
  if (int rc = seccomp_rule_add(ctx.get(), deny, SCMP_SYS(ioctl), 1,
                                SCMP_A1(SCMP_CMP_MASKED_EQ, 0xFFFFFFFFu, TIOCSTI));
      rc != 0) {
    return seccomp_failure("ioctl TIOCSTI", rc);
  }

  // Exported through a memory file: libseccomp writes BPF to a descriptor only.
  const int fd = ::memfd_create("skriptoteket-seccomp", MFD_CLOEXEC);
  if (fd < 0) return seccomp_failure("memfd_create", errno);
  std::string program;
  int rc = seccomp_export_bpf(ctx.get(), fd);
  if (rc == 0) {
    const off_t size = ::lseek(fd, 0, SEEK_END);
    program.resize(size > 0 ? static_cast<size_t>(size) : 0);
    if (size <= 0 || ::pread(fd, program.data(), program.size(), 0) != size) rc = -EIO;
  }
  ::close(fd);
  if (rc != 0) return seccomp_failure("export", rc);
  return program;
}

}  // namespace skriptoteket
