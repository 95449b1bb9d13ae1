// SPDX-License-Identifier: Apache-2.0
#include "bwrap_command.h"

#include <filesystem>

namespace skriptoteket {

std::vector<std::string> bwrap_command(const std::string& bwrap, const BwrapLayout& layout,
                                       const std::vector<std::string>& command) {
  const std::string volume(kSandboxVolume);
  std::vector<std::string> args = {
      bwrap,
      // New user, PID, network, IPC, UTS, mount and cgroup namespaces; the network namespace
      // holds only a loopback device of its own.
      "--unshare-all", "--unshare-user", "--disable-userns", "--hostname", layout.hostname,
      // Inside, an unprivileged uid without capabilities, in a session of its own (no
      // terminal to push input into); everything dies with the runner.
      "--uid", "65534", "--gid", "65534", "--cap-drop", "ALL", "--new-session", "--die-with-parent",
      // A read-only minimal root: /usr, and only the /etc files the interpreters need.
      "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
      "--symlink", "usr/lib", "/lib"};
  for (const char* lib : {"lib32", "lib64", "libx32"}) {
    if (std::filesystem::exists(std::string("/usr/") + lib)) {
      args.insert(args.end(), {"--symlink", std::string("usr/") + lib, std::string("/") + lib});
    }
  }
  for (const char* etc : {"/etc/ld.so.cache", "/etc/alternatives", "/etc/localtime"}) {
    if (std::filesystem::exists(etc)) args.insert(args.end(), {"--ro-bind", etc, etc});
  }
  args.insert(args.end(),
              {"--ro-bind-data", std::to_string(layout.passwd_fd), "/etc/passwd", "--ro-bind-data",
               std::to_string(layout.group_fd), "/etc/group",
               // Its own /proc (its PID namespace), a private /dev and size-capped
               // tmpfs mounts for /dev/shm, /tmp and the volume.
               "--proc", "/proc", "--dev", "/dev", "--size", "1048576", "--tmpfs", "/dev/shm",
               "--size", std::to_string(layout.tmp_bytes), "--tmpfs", "/tmp", "--size",
               std::to_string(layout.volume_bytes), "--tmpfs", volume});
  if (layout.script_fd >= 0) {
    args.insert(args.end(), {"--file", std::to_string(layout.script_fd), layout.script_path});
  }
  args.insert(args.end(),
              {// The root itself (bubblewrap's own tmpfs) read-only, and /dev: bubblewrap
               // makes it a tmpfs with no size cap owned by the sandbox's uid, which a
               // script could fill past every cap (tmpfs pages count against no
               // RLIMIT_AS). Its device nodes still work; /dev/shm stays writable.
               "--remount-ro", "/dev", "--remount-ro", "/", "--chdir", volume, "--seccomp",
               std::to_string(layout.seccomp_fd), "--"});
  args.insert(args.end(), command.begin(), command.end());
  return args;
}

}  // namespace skriptoteket
