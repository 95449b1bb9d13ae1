// SPDX-License-Identifier: Apache-2.0
// Control groups for whole sandboxes: one group per run, so memory, the number of processes and
// CPU time are limited and measured for everything a script starts, not per process.
//
// Two layouts are supported:
// - cgroup v1 (this machine kind, and older hosts): the memory, pids and cpuacct hierarchies,
//   writable by root; the runner's groups go below its own group in each hierarchy.
// - cgroup v2 with a delegated subtree (a systemd service with Delegate=yes, a container with a
//   private cgroup namespace): the runner moves itself into a leaf `supervisor` group, enables
//   the memory, pids and cpu controllers for its subtree and creates the runs beside it.
// Where neither may be used the runner falls back to per-process rlimits and says so.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "domain.h"

namespace skriptoteket {

struct CgroupLimits {
  uint64_t memory_bytes = 512ULL * 1024 * 1024;
  uint64_t max_processes = 64;
};

// One run's group (one directory per hierarchy). Destroying it kills what is left in it and
// removes the directories.
class RunCgroup {
 public:
  ~RunCgroup();
  RunCgroup(const RunCgroup&) = delete;
  RunCgroup& operator=(const RunCgroup&) = delete;

  // Open descriptors of the group's `cgroup.procs` files: a child writes "0" to each (an
  // async-signal-safe write) to move itself in before it executes anything.
  const std::vector<int>& join_fds() const noexcept { return join_fds_; }
  // CPU time used by all the group's processes so far.
  uint64_t cpu_time_ns() const;
  // The kernel's OOM killer killed a process of the group.
  bool oom_killed() const;
  // A fork or clone failed because the process limit was reached.
  bool process_limit_hit() const;
  // The most memory the group used at once (0 where the kernel does not say).
  uint64_t peak_memory_bytes() const;
  // SIGKILL to every process in the group, repeated until it is empty (bounded: 2 s).
  void kill_all();

 private:
  friend class CgroupManager;
  RunCgroup() = default;

  bool v2_ = false;
  std::filesystem::path memory_, pids_, cpu_;  // the same directory on v2
  std::vector<int> join_fds_;
};

class CgroupManager {
 public:
  // mode: "auto" (v2 delegated, else v1, else none), "v1", "v2" or "none". A failure explains
  // why the asked-for layout cannot be used; with "auto", `reason` says why none was found.
  static Result<std::unique_ptr<CgroupManager>> detect(const std::string& mode,
                                                       std::string& reason);
  ~CgroupManager();
  CgroupManager(const CgroupManager&) = delete;
  CgroupManager& operator=(const CgroupManager&) = delete;

  // "v1" or "v2".
  std::string_view version() const noexcept { return v2_ ? "v2" : "v1"; }
  // The directory the runs' groups go in (the memory hierarchy's on v1).
  const std::filesystem::path& root() const noexcept { return memory_root_; }
  Result<std::unique_ptr<RunCgroup>> create(const std::string& name, const CgroupLimits& limits);

 private:
  CgroupManager() = default;
  static Result<std::unique_ptr<CgroupManager>> detect_v1();
  static Result<std::unique_ptr<CgroupManager>> detect_v2();

  bool v2_ = false;
  std::filesystem::path memory_root_, pids_root_, cpu_root_;
};

}  // namespace skriptoteket
