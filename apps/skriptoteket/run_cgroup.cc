// SPDX-License-Identifier: Apache-2.0
#include "run_cgroup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

namespace skriptoteket {

namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Writes `text` to a control file; the kernel takes it in one write() or refuses it.
bool write_text(const fs::path& path, std::string_view text, std::string* error = nullptr) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  if (!ok && error) *error = path.string() + ": " + std::strerror(errno);
  if (fd >= 0) ::close(fd);
  return ok;
}

// The number after `key` in a "key value" per line file (memory.events, pids.events, …).
uint64_t keyed_value(const fs::path& path, std::string_view key) {
  std::istringstream in(read_text(path));
  std::string k;
  uint64_t v = 0;
  while (in >> k >> v) {
    if (k == key) return v;
  }
  return 0;
}

uint64_t number_in(const fs::path& path) {
  std::istringstream in(read_text(path));
  uint64_t v = 0;
  in >> v;
  return v;
}

// The runner's own group in each v1 hierarchy, or the v2 group ("" key), from /proc/self/cgroup:
// lines "id:controller[,controller…]:/path".
struct OwnGroup {
  std::string mount_name;  // the hierarchy's directory under /sys/fs/cgroup ("cpu,cpuacct")
  std::string path;
};
std::optional<OwnGroup> own_group(std::string_view controller) {
  std::istringstream in(read_text("/proc/self/cgroup"));
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find(':');
    const auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    std::istringstream names(controllers);
    std::string name;
    while (std::getline(names, name, ',')) {
      if (name == controller) return OwnGroup{controllers, line.substr(second + 1)};
    }
    if (controller.empty() && controllers.empty()) return OwnGroup{"", line.substr(second + 1)};
  }
  return std::nullopt;
}

Error unavailable(std::string message) {
  return Error{ErrorCode::kUnavailable, std::move(message)};
}

std::string runner_dir_name() {
  return "skriptoteket-runner-" + std::to_string(::getpid());
}

// Removes a group directory once the kernel lets it (its last processes may still be exiting).
void remove_group(const fs::path& dir) {
  if (dir.empty()) return;
  // Short waits first: the group is usually empty within a millisecond of the last kill.
  auto wait = std::chrono::microseconds(200);
  for (int i = 0; i < 40; ++i) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
    std::this_thread::sleep_for(wait);
    wait = std::min<std::chrono::microseconds>(wait * 2, std::chrono::milliseconds(50));
  }
}

bool v2_is_delegated() {
  const fs::path mount = "/sys/fs/cgroup";
  if (!fs::exists(mount / "cgroup.controllers")) return false;
  auto own = own_group("");
  if (!own) return false;
  if (own->path == "/") return true;
  struct stat info {};
  const fs::path base = mount / fs::path(own->path).relative_path();
  return ::geteuid() != 0 && ::stat(base.c_str(), &info) == 0 && info.st_uid == ::geteuid();
}

}  // namespace

// --- RunCgroup -------------------------------------------------------------------------------

RunCgroup::~RunCgroup() {
  for (int fd : join_fds_)
    ::close(fd);
  kill_all();
  remove_group(memory_);
  if (!v2_) {
    remove_group(pids_);
    remove_group(cpu_);
  }
}

uint64_t RunCgroup::cpu_time_ns() const {
  if (v2_) return keyed_value(cpu_ / "cpu.stat", "usage_usec") * 1000;
  return cpu_.empty() ? 0 : number_in(cpu_ / "cpuacct.usage");
}

bool RunCgroup::oom_killed() const {
  if (v2_) return keyed_value(memory_ / "memory.events", "oom_kill") > 0;
  return keyed_value(memory_ / "memory.oom_control", "oom_kill") > 0;
}

bool RunCgroup::process_limit_hit() const {
  return keyed_value(pids_ / "pids.events", "max") > 0;
}

uint64_t RunCgroup::peak_memory_bytes() const {
  return number_in(memory_ / (v2_ ? "memory.peak" : "memory.max_usage_in_bytes"));
}

void RunCgroup::kill_all() {
  if (v2_ && write_text(memory_ / "cgroup.kill", "1")) {
    // The kernel kills every member, including ones forking meanwhile; wait until it is empty.
  }
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  const fs::path procs = pids_ / "cgroup.procs";
  while (std::chrono::steady_clock::now() < give_up) {
    std::istringstream in(read_text(procs));
    pid_t pid = 0;
    bool any = false;
    while (in >> pid) {
      any = true;
      ::kill(pid, SIGKILL);
    }
    if (!any) return;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

// --- CgroupManager ---------------------------------------------------------------------------

Result<std::unique_ptr<CgroupManager>> CgroupManager::detect(const std::string& mode,
                                                             std::string& reason) {
  if (mode == "none") {
    reason = "SKRIPTOTEKET_SANDBOX_CGROUP=none";
    return unavailable(reason);
  }
  if (mode == "v2") return detect_v2();
  if (mode == "v1") return detect_v1();
  // Automatically only where the v2 group is plainly ours to manage: the root of a cgroup
  // namespace (a container), or a group owned by this unprivileged user (systemd's delegation).
  // A root process elsewhere (a login session, a service without Delegate=yes) would be
  // rearranging groups systemd manages: that takes SKRIPTOTEKET_SANDBOX_CGROUP=v2.
  auto v2 = v2_is_delegated() ? detect_v2()
                              : Result<std::unique_ptr<CgroupManager>>(unavailable(
                                    "the runner's v2 group is not delegated to it (set "
                                    "SKRIPTOTEKET_SANDBOX_CGROUP=v2 in a unit with Delegate=yes)"));
  if (v2) return v2;
  auto v1 = detect_v1();
  if (v1) return v1;
  reason = "cgroup v2: " + v2.error().message + "; cgroup v1: " + v1.error().message;
  return unavailable(reason);
}

Result<std::unique_ptr<CgroupManager>> CgroupManager::detect_v1() {
  std::unique_ptr<CgroupManager> manager(new CgroupManager());
  struct Wanted {
    const char* controller;
    fs::path* root;
    bool required;
  };
  for (const Wanted& w :
       {Wanted{"memory", &manager->memory_root_, true}, Wanted{"pids", &manager->pids_root_, true},
        Wanted{"cpuacct", &manager->cpu_root_, false}}) {
    auto own = own_group(w.controller);
    const fs::path mount = own ? fs::path("/sys/fs/cgroup") / own->mount_name : fs::path();
    if (!own || !fs::exists(mount / "cgroup.procs")) {
      if (!w.required) continue;
      return unavailable(std::string("no v1 '") + w.controller + "' hierarchy is mounted");
    }
    const fs::path dir = mount / fs::path(own->path).relative_path() / runner_dir_name();
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      if (!w.required) continue;
      return unavailable("cannot create " + dir.string() + ": " + std::strerror(errno) +
                         " (the runner needs root, or a group delegated to its user)");
    }
    *w.root = dir;
  }
  return manager;
}

Result<std::unique_ptr<CgroupManager>> CgroupManager::detect_v2() {
  const fs::path mount = "/sys/fs/cgroup";
  if (!fs::exists(mount / "cgroup.controllers")) {
    return unavailable("/sys/fs/cgroup is not a cgroup v2 mount");
  }
  auto own = own_group("");
  if (!own) return unavailable("the runner's v2 group is not in /proc/self/cgroup");
  const fs::path base = mount / fs::path(own->path).relative_path();
  const std::string available = read_text(base / "cgroup.controllers");
  if (available.find("memory") == std::string::npos ||
      available.find("pids") == std::string::npos) {
    return unavailable("the memory and pids controllers are not delegated to " + base.string());
  }
  std::string error;
  // A v2 group with controllers for its children may hold no processes itself (except the
  // real root, which has no cgroup.type; a container's namespace root is not the real root):
  // the runner moves into a leaf of its own first.
  if (fs::exists(base / "cgroup.type")) {
    const fs::path supervisor = base / "supervisor";
    if ((::mkdir(supervisor.c_str(), 0755) != 0 && errno != EEXIST) ||
        !write_text(supervisor / "cgroup.procs", std::to_string(::getpid()), &error)) {
      return unavailable("cannot move the runner into " + supervisor.string() + ": " +
                         (error.empty() ? std::strerror(errno) : error));
    }
  }
  const bool has_cpu = available.find("cpu ") != std::string::npos ||
                       available.find("cpu\n") != std::string::npos || available.ends_with("cpu");
  const std::string enable = has_cpu ? "+memory +pids +cpu" : "+memory +pids";
  if (!write_text(base / "cgroup.subtree_control", enable, &error)) {
    return unavailable("cannot enable controllers: " + error);
  }
  const fs::path runs = base / runner_dir_name();
  if ((::mkdir(runs.c_str(), 0755) != 0 && errno != EEXIST) ||
      !write_text(runs / "cgroup.subtree_control", enable, &error)) {
    return unavailable("cannot prepare " + runs.string() + ": " +
                       (error.empty() ? std::strerror(errno) : error));
  }
  std::unique_ptr<CgroupManager> manager(new CgroupManager());
  manager->v2_ = true;
  manager->memory_root_ = manager->pids_root_ = manager->cpu_root_ = runs;
  return manager;
}

CgroupManager::~CgroupManager() {
  remove_group(memory_root_);
  if (!v2_) {
    remove_group(pids_root_);
    remove_group(cpu_root_);
  }
}

Result<std::unique_ptr<RunCgroup>> CgroupManager::create(const std::string& name,
                                                         const CgroupLimits& limits) {
  std::unique_ptr<RunCgroup> group(new RunCgroup());
  group->v2_ = v2_;
  auto make = [&](const fs::path& root, fs::path& out) -> bool {
    if (root.empty()) return true;
    const fs::path dir = root / name;
    if (::mkdir(dir.c_str(), 0755) != 0) return false;
    out = dir;
    return true;
  };
  std::string error;
  if (!make(memory_root_, group->memory_)) {
    return unavailable("cannot create the run's cgroup: " + std::string(std::strerror(errno)));
  }
  if (v2_) {
    group->pids_ = group->cpu_ = group->memory_;
  } else if (!make(pids_root_, group->pids_) || !make(cpu_root_, group->cpu_)) {
    return unavailable("cannot create the run's cgroup: " + std::string(std::strerror(errno)));
  }
  const std::string memory = std::to_string(limits.memory_bytes);
  const std::string processes = std::to_string(limits.max_processes);
  const fs::path memory_limit = group->memory_ / (v2_ ? "memory.max" : "memory.limit_in_bytes");
  const bool ok = write_text(memory_limit, memory, &error) &&
                  write_text(group->pids_ / "pids.max", processes, &error);
  // Swap counts too where the kernel accounts it (the files are absent without it).
  if (ok && v2_) write_text(group->memory_ / "memory.swap.max", "0");
  if (ok && !v2_) write_text(group->memory_ / "memory.memsw.limit_in_bytes", memory);
  if (!ok) return unavailable("cannot set the run's limits: " + error);
  for (const fs::path* dir : {&group->memory_, &group->pids_, &group->cpu_}) {
    if (dir->empty() || (v2_ && dir != &group->memory_)) continue;
    const int fd = ::open((*dir / "cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      return unavailable("cannot open " + (*dir / "cgroup.procs").string() + ": " +
                         std::strerror(errno));
    }
    group->join_fds_.push_back(fd);
  }
  return group;
}

}  // namespace skriptoteket
