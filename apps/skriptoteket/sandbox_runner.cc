// SPDX-License-Identifier: Apache-2.0
#include "sandbox_runner.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <functional>
#include <vector>

#include "bwrap_command.h"
#include "seccomp_filter.h"
#include "tracekit/span.h"

namespace skriptoteket {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Closes a descriptor when it goes out of scope.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  int get() const noexcept { return fd_; }
  void reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

Error os_failure(std::string what) {
  return Error{ErrorCode::kInternal, std::move(what) + ": " + std::strerror(errno)};
}

// The first of `candidates` that is an executable file.
std::string find_executable(std::initializer_list<const char*> candidates) {
  for (const char* c : candidates) {
    if (::access(c, X_OK) == 0) return c;
  }
  return {};
}

// Reads what is available on `fd` into `out` up to `limit` bytes, dropping the rest. False at
// end of file or on error.
bool drain(int fd, std::string& out, size_t limit, bool& truncated) {
  char buffer[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      const size_t room = limit > out.size() ? limit - out.size() : 0;
      const size_t keep = std::min(room, static_cast<size_t>(n));
      out.append(buffer, keep);
      if (keep < static_cast<size_t>(n)) truncated = true;
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

// A descriptor that becomes readable when the process exits; -1 where the kernel has none.
int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  return -1;
#endif
}

// An in-memory file holding `content`, positioned at its start, numbered 10 or above so that
// the child can move it to a low number without overwriting another of its descriptors.
Fd memory_file(const char* name, std::string_view content) {
  Fd fd(::memfd_create(name, MFD_CLOEXEC));
  if (fd.get() < 0) return fd;
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n <= 0) return Fd();
    done += static_cast<size_t>(n);
  }
  ::lseek(fd.get(), 0, SEEK_SET);
  return Fd(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 10));
}

// A short random name for a run's sandbox and volume.
std::string new_sandbox_id() {
  std::string uuid = new_uuid();
  std::erase(uuid, '-');
  return "sbx-" + uuid.substr(0, 16);
}

// Everything the child does between fork and exec, prepared before fork: a child of a threaded
// process may only make async-signal-safe calls.
struct ChildPlan {
  std::vector<char*> argv, envp;
  const char* chdir_to = "/";
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;
  std::vector<int> extra_fds;  // become 3, 4, … in order
  std::vector<int> cgroup_join_fds;
  std::vector<std::pair<int, rlimit>> limits;
  bool drop_privileges = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

[[noreturn]] void run_child(const ChildPlan& plan) {
  ::setpgid(0, 0);
  // Into the run's cgroups first, while still privileged to write there.
  for (int fd : plan.cgroup_join_fds) {
    if (::write(fd, "0", 1) != 1) ::_exit(125);
  }
  ::dup2(plan.stdin_fd, STDIN_FILENO);
  ::dup2(plan.stdout_fd, STDOUT_FILENO);
  ::dup2(plan.stderr_fd, STDERR_FILENO);
  int next = 3;
  for (int fd : plan.extra_fds)
    ::dup2(fd, next++);
  ::close_range(static_cast<unsigned>(next), ~0U, 0);
  if (::chdir(plan.chdir_to) != 0) ::_exit(126);
  for (const auto& [kind, limit] : plan.limits)
    ::setrlimit(kind, &limit);
  if (plan.drop_privileges) {
    // Raw system calls: the C library's wrappers signal other threads, which a forked child of
    // a threaded process must not rely on.
    if (::syscall(SYS_setgroups, 0, nullptr) != 0 ||
        ::syscall(SYS_setresgid, plan.gid, plan.gid, plan.gid) != 0 ||
        ::syscall(SYS_setresuid, plan.uid, plan.uid, plan.uid) != 0) {
      ::_exit(125);
    }
  }
  // Dispositions set to "ignore" and the signal mask survive exec; the script gets defaults.
  ::signal(SIGPIPE, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execve(plan.argv[0], plan.argv.data(), plan.envp.data());
  ::_exit(127);
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings)
    out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// How bubblewrap failing at start reads to an operator: the cause and the fix.
std::string explain_sandbox_failure(const std::string& stderr_text) {
  std::string hint;
  if (stderr_text.find("namespace") != std::string::npos ||
      stderr_text.find("uid map") != std::string::npos ||
      stderr_text.find("Operation not permitted") != std::string::npos) {
    hint =
        " — user namespaces are not available to the runner's user: enable them "
        "(sysctl kernel.unprivileged_userns_clone=1 and user.max_user_namespaces > 0; on Ubuntu "
        "24.04 also kernel.apparmor_restrict_unprivileged_userns=0 or an AppArmor profile for "
        "bwrap); in a container, allow nested namespaces (docs/skriptoteket.md, \"Running the "
        "runner in a container\")";
  }
  return "the sandbox (bubblewrap) does not work here: " +
         (stderr_text.empty() ? std::string("no error output") : stderr_text) + hint +
         "; or set SKRIPTOTEKET_RUNNER_SANDBOX=none to run scripts without a sandbox (unsafe: "
         "trusted scripts only)";
}

// A started run: its main process, the read ends of its output, its cgroup (if any) and limits.
struct SupervisedRun {
  pid_t pid = -1;
  int stdout_fd = -1, stderr_fd = -1;
  RunCgroup* cgroup = nullptr;
  size_t stdout_limit = 0, stderr_limit = 0;
  Clock::time_point deadline;
  uint64_t cpu_budget_ns = 0;
};

// Watches a run until its main process exits or its time or CPU limit passes, then ends
// everything it started and reads what is left of its output. Returns the main process's wait
// status.
Result<int> supervise(const SupervisedRun& run, ScriptOutcome& result) {
  const pid_t pid = run.pid;
  Fd pidfd(open_pidfd(pid));
  bool out_open = true, err_open = true, exited = false;
  int status = 0;
  auto reap = [&](int flags) {
    if (!exited && ::waitpid(pid, &status, flags) == pid) exited = true;
    return exited;
  };
  // Reads what the pipes hold now; a pipe at its end is closed for good.
  auto drain_pipes = [&] {
    if (out_open &&
        !drain(run.stdout_fd, result.stdout_text, run.stdout_limit, result.stdout_truncated)) {
      out_open = false;
    }
    if (err_open &&
        !drain(run.stderr_fd, result.stderr_text, run.stderr_limit, result.stderr_truncated)) {
      err_open = false;
    }
  };
  // Ends everything the run started: the sandbox's whole cgroup, or its process group (the PID
  // namespace dies with bubblewrap in any case).
  auto end_everything = [&] {
    ::kill(-pid, SIGKILL);
    if (run.cgroup) run.cgroup->kill_all();
  };
  // Until the script has exited, or the time or CPU limit passes. Output still in the pipes is
  // read after; nothing the script left behind may hold the run open.
  while (!exited) {
    const auto now = Clock::now();
    if (now >= run.deadline) {
      result.timed_out = true;
      break;
    }
    if (run.cgroup && run.cgroup->cpu_time_ns() > run.cpu_budget_ns) {
      result.cpu_limit_exceeded = true;
      break;
    }
    pollfd fds[3];
    nfds_t n = 0;
    if (out_open) fds[n++] = {run.stdout_fd, POLLIN, 0};
    if (err_open) fds[n++] = {run.stderr_fd, POLLIN, 0};
    if (pidfd.get() >= 0) fds[n++] = {pidfd.get(), POLLIN, 0};
    int64_t wait_ms = std::chrono::duration_cast<milliseconds>(run.deadline - now).count() + 1;
    // Without a pidfd the exit is noticed by polling waitpid; the CPU budget is checked often.
    if (pidfd.get() < 0 || run.cgroup)
      wait_ms = std::min<int64_t>(wait_ms, pidfd.get() < 0 ? 10 : 100);
    const int ready = ::poll(fds, n, static_cast<int>(wait_ms));
    if (ready < 0 && errno != EINTR) {
      end_everything();
      reap(0);
      return os_failure("poll");
    }
    drain_pipes();
    reap(WNOHANG);
  }
  end_everything();
  reap(0);
  // Every writer is dead now, so the pipes end; the bound only guards against a leak.
  const auto drain_until = Clock::now() + milliseconds(500);
  while ((out_open || err_open) && Clock::now() < drain_until) {
    pollfd fds[2];
    nfds_t n = 0;
    if (out_open) fds[n++] = {run.stdout_fd, POLLIN, 0};
    if (err_open) fds[n++] = {run.stderr_fd, POLLIN, 0};
    ::poll(fds, n, 50);
    drain_pipes();
  }
  return status;
}

// The exit code or signal, from the wait status of the sandbox's (or script's) main process.
void apply_wait_status(int status, bool sandboxed, ScriptOutcome& result) {
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
    // bubblewrap reports a script killed by a signal as 128 + the signal, as shells do.
    if (sandboxed && result.exit_code > 128 && result.exit_code <= 128 + 64) {
      result.signal = result.exit_code - 128;
      result.exit_code = -1;
    }
  } else if (WIFSIGNALED(status)) {
    result.exit_code = -1;
    result.signal = WTERMSIG(status);
  }
}

constexpr const char* kPasswd = "sandbox:x:65534:65534:script:/work:/usr/sbin/nologin\n";
constexpr const char* kGroup = "sandbox:x:65534:\n";

}  // namespace

// A started sandbox (or, in SandboxMode::kNone, a plain child process): its main process, the
// read ends of its output, its cgroup and, without a sandbox, its working directory. A sandbox
// started ahead of time runs a launcher that waits on `go` for the interpreter and CPU limit,
// then copies the script from `script` into the volume and executes it. Destroying it ends
// whatever is left of it and removes its cgroup and directory.
struct SandboxRunner::Sandbox {
  std::string id;
  pid_t pid = -1;
  bool reaped = false;
  Fd stdout_read, stderr_read;
  std::unique_ptr<RunCgroup> cgroup;
  fs::path workdir;
  Fd script, go;  // the launcher's; closed once the script is handed over

  ~Sandbox() {
    if (pid > 0 && !reaped) {
      ::kill(-pid, SIGKILL);
      if (cgroup) cgroup->kill_all();
      ::waitpid(pid, nullptr, 0);
    }
    cgroup.reset();
    std::error_code ec;
    if (!workdir.empty()) fs::remove_all(workdir, ec);
  }
};

namespace {

// The program a sandbox started ahead of time runs (bash, fds 6 and 7 inherited): one line on
// fd 7 names the interpreter and the CPU-time limit in seconds, fd 6 holds the script. It writes
// the script into the volume and replaces itself with the interpreter, so the script's processes
// and limits are exactly those of a sandbox started for it. Reading the script in the C locale
// keeps its bytes as they are.
std::string launcher_program(const std::string& python, const std::string& bash) {
  const std::string volume(kSandboxVolume);
  return "printf r >&7 || exit 125\n"
         "IFS=' ' read -r interpreter cpu_seconds <&7 || exit 125\n"
         "exec 7<&-\n"
         "ulimit -t \"$cpu_seconds\" || exit 125\n"
         "LC_ALL=C IFS= read -r -d '' text <&6\n"
         "exec 6<&-\n"
         "case $interpreter in\n"
         "  python3) LC_ALL=C printf %s \"$text\" >" +
         volume + "/script.py || exit 125; unset text; exec '" + python + "' -I " + volume +
         "/script.py ;;\n"
         "  bash) LC_ALL=C printf %s \"$text\" >" +
         volume + "/script.sh || exit 125; unset text; exec '" + bash + "' --noprofile --norc " +
         volume +
         "/script.sh ;;\n"
         "esac\n"
         "exit 125\n";
}

// Whether a sandbox started ahead of time is set up: its launcher writes one byte on the `go`
// socket once bubblewrap has built the sandbox and the launcher runs. Until then the sandbox does
// not count as prepared, so that its set-up (bubblewrap's namespaces and mounts, tens of
// milliseconds of CPU) is never still running beside the run that takes it.
constexpr milliseconds kLauncherReadyTimeout{10000};

bool launcher_ready(const Fd& go, milliseconds timeout) {
  pollfd p{go.get(), POLLIN, 0};
  int ready = 0;
  do {
    ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
  } while (ready < 0 && errno == EINTR);
  char byte = 0;
  return ready == 1 && ::recv(go.get(), &byte, 1, MSG_DONTWAIT) == 1 && byte == 'r';
}

// The sandbox's descriptors: bubblewrap reads the seccomp filter, /etc/passwd and /etc/group;
// the script is bubblewrap's (--file) or, with the `go` socket, the launcher's.
constexpr int kSeccompFd = 3, kPasswdFd = 4, kGroupFd = 5, kScriptFd = 6;

}  // namespace

std::string_view to_string(SandboxMode mode) noexcept {
  return mode == SandboxMode::kBubblewrap ? "bubblewrap" : "none";
}

std::optional<SandboxMode> parse_sandbox_mode(std::string_view text) noexcept {
  if (text == "bubblewrap" || text == "bwrap") return SandboxMode::kBubblewrap;
  if (text == "none") return SandboxMode::kNone;
  return std::nullopt;
}

Result<std::unique_ptr<SandboxRunner>> SandboxRunner::create(SandboxRunnerOptions options,
                                                             tracekit::Tracer& tracer) {
  std::unique_ptr<SandboxRunner> runner(new SandboxRunner(std::move(options), tracer));
  const SandboxRunnerOptions& o = runner->options_;
  // Fixed system paths rather than PATH: version managers put shims first on PATH that do not
  // work in the clean environment (nor exist in the sandbox, which sees only /usr).
  runner->python_ = find_executable({"/usr/bin/python3", "/usr/local/bin/python3"});
  runner->bash_ = find_executable({"/usr/bin/bash", "/usr/local/bin/bash", "/bin/bash"});
  if (runner->python_.empty()) return Error{ErrorCode::kUnavailable, "python3 is not installed"};
  if (runner->bash_.empty()) return Error{ErrorCode::kUnavailable, "bash is not installed"};

  if (o.mode == SandboxMode::kNone) {
    std::error_code ec;
    fs::create_directories(o.work_root, ec);
    if (ec) {
      return Error{ErrorCode::kInternal, "cannot create the runner's work directory " +
                                             o.work_root.string() + ": " + ec.message()};
    }
  } else {
    runner->bwrap_ = o.bwrap_path.empty()
                         ? find_executable({"/usr/bin/bwrap", "/usr/local/bin/bwrap"})
                         : find_executable({o.bwrap_path.c_str()});
    if (runner->bwrap_.empty()) {
      return Error{ErrorCode::kUnavailable,
                   "bubblewrap (" + (o.bwrap_path.empty() ? std::string("bwrap") : o.bwrap_path) +
                       ") is not installed: install it (apt-get install bubblewrap; "
                       "scripts/install-deps.sh does), or set SKRIPTOTEKET_RUNNER_SANDBOX=none to "
                       "run scripts without a sandbox (unsafe: trusted scripts only)"};
    }
    runner->prlimit_ = find_executable({"/usr/bin/prlimit"});
    auto filter = compile_seccomp_filter();
    if (!filter) return filter.error();
    runner->seccomp_program_ = std::move(filter).value();
  }

  auto cgroups = CgroupManager::detect(o.cgroup_mode, runner->cgroup_reason_);
  if (cgroups) {
    runner->cgroups_ = std::move(cgroups).value();
  } else if (o.cgroup_mode == "v1" || o.cgroup_mode == "v2") {
    return cgroups.error();  // asked for explicitly
  } else if (runner->cgroup_reason_.empty()) {
    runner->cgroup_reason_ = cgroups.error().message;
  }

  if (o.mode == SandboxMode::kBubblewrap) {
    // Trial runs through the same paths as every run, a sandbox started for its script and one
    // started ahead of time: whatever stops the sandbox here (no user namespaces, a seccomp or
    // AppArmor policy, a read-only cgroup) stops the start.
    tracekit::Span no_span;
    const ScriptJob trial_job{Language::kBash, "exit 0", milliseconds(10000)};
    for (const bool ahead_of_time : {false, o.prepared_sandboxes > 0}) {
      std::unique_ptr<Sandbox> waiting;
      if (ahead_of_time) {
        auto started = runner->start(nullptr);
        if (!started) return started.error();
        waiting = std::move(started).value();
      }
      auto trial = runner->run(trial_job, no_span, std::move(waiting));
      if (!trial) return trial.error();
      if (trial->exit_code != 0) {
        return Error{ErrorCode::kUnavailable, explain_sandbox_failure(trial->stderr_text)};
      }
    }
    if (o.prepared_sandboxes > 0) {
      SandboxRunner* self = runner.get();
      runner->pool_ = std::make_unique<PreparedPool<Sandbox>>(
          o.prepared_sandboxes, [self]() -> std::unique_ptr<Sandbox> {
            auto started = self->start(nullptr);
            return started ? std::move(started).value() : nullptr;
          });
    }
  }
  return runner;
}

SandboxRunner::SandboxRunner(SandboxRunnerOptions options, tracekit::Tracer& tracer)
    : options_(std::move(options)), tracer_(tracer) {}

SandboxRunner::~SandboxRunner() = default;

size_t SandboxRunner::prepared_now() const {
  return pool_ ? pool_->ready() : 0;
}

bool SandboxRunner::wait_until_prepared(std::chrono::milliseconds timeout) {
  return !pool_ || pool_->wait_until_full(timeout);
}

std::string_view SandboxRunner::cgroup_version() const noexcept {
  return cgroups_ ? cgroups_->version() : "none";
}

Result<ScriptOutcome> SandboxRunner::execute(const ScriptJob& job) {
  auto span = tracer_.start_span("sandbox_runner.execute");
  span.set_attributes({{"runner.language", to_string(job.language)},
                       {"runner.time_limit_ms", static_cast<int64_t>(job.time_limit.count())},
                       {"runner.script_bytes", static_cast<int64_t>(job.source.size())},
                       {"runner.sandbox", to_string(options_.mode)},
                       {"runner.cgroup", cgroup_version()}});
  if (job.time_limit.count() <= 0 || job.time_limit > options_.max_time_limit) {
    Error f{ErrorCode::kInvalid, "time limit " + std::to_string(job.time_limit.count()) +
                                     " ms is outside 1.." +
                                     std::to_string(options_.max_time_limit.count()) + " ms"};
    span.set_status(tracekit::StatusCode::kError, f.message);
    return f;
  }
  Result<ScriptOutcome> outcome = run(job, span, pool_ ? pool_->take() : nullptr);
  if (!outcome) {
    span.set_status(tracekit::StatusCode::kError, outcome.error().message);
  } else {
    span.set_attribute("process.exit_code", static_cast<int64_t>(outcome->exit_code));
  }
  return outcome;
}

Result<std::unique_ptr<SandboxRunner::Sandbox>> SandboxRunner::start(const ScriptJob* job) {
  const bool sandboxed = options_.mode == SandboxMode::kBubblewrap;
  auto sandbox = std::make_unique<Sandbox>();
  sandbox->id = new_sandbox_id();

  // What the sandbox runs: the interpreter on the script (`job`), or the launcher, which waits
  // for one. Without a sandbox, a fresh directory on disk holds the script.
  std::string home = std::string(kSandboxVolume), tmp = "/tmp";
  std::vector<Fd> inherited;  // become 3, 4, … in the child, in order
  std::vector<std::string> command;
  if (sandboxed && !cgroups_ && !prlimit_.empty()) {
    // Without a pids cgroup the process cap is RLIMIT_NPROC, which counts every process of the
    // uid in the user namespace where it is set: set inside the sandbox's own namespace, it
    // counts the sandbox's processes only (outside, all of the runner user's would count).
    command = {prlimit_, "--nproc=" + std::to_string(options_.max_processes), "--"};
  }
  std::string script_path;
  if (job) {
    const bool python = job->language == Language::kPython3;
    if (!sandboxed) {
      std::string pattern = (options_.work_root / "run-XXXXXX").string();
      if (::mkdtemp(pattern.data()) == nullptr) {
        return os_failure("cannot create a working directory under " + options_.work_root.string());
      }
      sandbox->workdir = pattern;
      home = tmp = pattern;
    }
    script_path = home + (python ? "/script.py" : "/script.sh");
    if (python) {
      command.insert(command.end(), {python_, "-I", script_path});
    } else {
      command.insert(command.end(), {bash_, "--noprofile", "--norc", script_path});
    }
    if (!sandboxed) {
      std::ofstream out(script_path, std::ios::binary);
      out.write(job->source.data(), static_cast<std::streamsize>(job->source.size()));
      if (!out.flush()) return os_failure("cannot write the script into " + script_path);
    }
  } else {
    command.insert(command.end(),
                   {bash_, "--noprofile", "--norc", "-c", launcher_program(python_, bash_)});
  }

  std::vector<std::string> args = command;
  if (sandboxed) {
    for (auto [name, content] :
         {std::pair<const char*, std::string_view>{"seccomp", seccomp_program_},
          {"passwd", kPasswd},
          {"group", kGroup},
          {"script", job ? std::string_view(job->source) : std::string_view()}}) {
      inherited.push_back(memory_file(name, content));
      if (inherited.back().get() < 0) return os_failure("cannot prepare the sandbox's files");
    }
    if (!job) {
      // A socket rather than a pipe: a launcher that died must not SIGPIPE the runner.
      int go[2];
      if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go) != 0)
        return os_failure("socketpair");
      Fd launcher_end(go[0]);
      sandbox->go = Fd(go[1]);
      // Numbered 10 or above, like the in-memory files (see memory_file).
      inherited.emplace_back(::fcntl(launcher_end.get(), F_DUPFD_CLOEXEC, 10));
      if (inherited.back().get() < 0) return os_failure("cannot prepare the sandbox's files");
      sandbox->script = Fd(::fcntl(inherited[3].get(), F_DUPFD_CLOEXEC, 10));
      if (sandbox->script.get() < 0) return os_failure("cannot prepare the sandbox's files");
    }
    args = bwrap_command(bwrap_,
                         {.volume_bytes = options_.volume_bytes,
                          .tmp_bytes = options_.volume_bytes,
                          .seccomp_fd = kSeccompFd,
                          .script_fd = job ? kScriptFd : -1,
                          .passwd_fd = kPasswdFd,
                          .group_fd = kGroupFd,
                          .script_path = script_path,
                          .hostname = sandbox->id},
                         command);
  }
  std::vector<std::string> env = {"PATH=/usr/local/bin:/usr/bin:/bin",
                                  "HOME=" + home,
                                  "TMPDIR=" + tmp,
                                  "LANG=C.UTF-8",
                                  "PYTHONUNBUFFERED=1",
                                  "PYTHONDONTWRITEBYTECODE=1"};

  if (cgroups_) {
    auto created = cgroups_->create(sandbox->id, {.memory_bytes = options_.memory_bytes,
                                                  .max_processes = options_.max_processes});
    if (!created) return created.error();
    sandbox->cgroup = std::move(created).value();
  }

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return os_failure("pipe");
  sandbox->stdout_read = Fd(out_pipe[0]);
  Fd out_write(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return os_failure("pipe");
  sandbox->stderr_read = Fd(err_pipe[0]);
  Fd err_write(err_pipe[1]);
  Fd dev_null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (dev_null.get() < 0) return os_failure("open /dev/null");

  ChildPlan plan;
  plan.argv = pointers(args);
  plan.envp = pointers(env);
  const std::string chdir_to = sandboxed ? "/" : sandbox->workdir.string();
  plan.chdir_to = chdir_to.c_str();
  plan.stdin_fd = dev_null.get();
  plan.stdout_fd = out_write.get();
  plan.stderr_fd = err_write.get();
  for (const Fd& f : inherited)
    plan.extra_fds.push_back(f.get());
  if (sandbox->cgroup) plan.cgroup_join_fds = sandbox->cgroup->join_fds();
  // A launcher lowers the CPU limit to the job's (`ulimit -t`) once it knows it.
  const auto time_limit = job ? job->time_limit : options_.max_time_limit;
  const auto cpu_seconds = static_cast<rlim_t>(time_limit.count() / 1000 + 2);
  auto limit = [](uint64_t v) { return rlimit{static_cast<rlim_t>(v), static_cast<rlim_t>(v)}; };
  plan.limits = {{RLIMIT_CPU, {cpu_seconds, cpu_seconds}},
                 {RLIMIT_FSIZE, limit(options_.file_size_bytes)},
                 {RLIMIT_NOFILE, limit(options_.open_files)},
                 {RLIMIT_CORE, limit(0)}};
  if (!sandbox->cgroup) {
    // Without a cgroup, the per-process limits are all there is.
    plan.limits.emplace_back(RLIMIT_AS, limit(options_.memory_bytes));
  }
  plan.drop_privileges = sandboxed && ::geteuid() == 0;
  plan.uid = options_.unprivileged_uid;
  plan.gid = options_.unprivileged_gid;

  const pid_t pid = ::fork();
  if (pid < 0) return os_failure("fork");
  if (pid == 0) run_child(plan);
  // Also from the parent, so the group exists before anything could signal it.
  ::setpgid(pid, pid);
  sandbox->pid = pid;
  ::fcntl(sandbox->stdout_read.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(sandbox->stderr_read.get(), F_SETFL, O_NONBLOCK);
  if (sandbox->go.get() >= 0 && !launcher_ready(sandbox->go, kLauncherReadyTimeout)) {
    std::string why;
    bool truncated = false;
    drain(sandbox->stderr_read.get(), why, 4096, truncated);
    return Error{ErrorCode::kUnavailable, "a sandbox started ahead of time did not get ready: " +
                                              explain_sandbox_failure(why)};
  }
  return sandbox;
}

// Gives a waiting sandbox its script: into the launcher's in-memory file first, then the line
// that lets it go. False when the launcher is gone (the sandbox is then of no use).
bool SandboxRunner::hand_over(Sandbox& sandbox, const ScriptJob& job) {
  size_t done = 0;
  while (done < job.source.size()) {
    const ssize_t n = ::pwrite(sandbox.script.get(), job.source.data() + done,
                               job.source.size() - done, static_cast<off_t>(done));
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  sandbox.script.reset();
  const std::string go = std::string(to_string(job.language)) + " " +
                         std::to_string(job.time_limit.count() / 1000 + 2) + "\n";
  const bool sent = ::send(sandbox.go.get(), go.data(), go.size(), MSG_NOSIGNAL) ==
                    static_cast<ssize_t>(go.size());
  sandbox.go.reset();
  return sent;
}

Result<ScriptOutcome> SandboxRunner::run(const ScriptJob& job, tracekit::Span& span,
                                         std::unique_ptr<Sandbox> waiting) {
  const bool sandboxed = options_.mode == SandboxMode::kBubblewrap;
  // A sandbox started ahead of time takes the script if it can (the launcher reads it as a shell
  // string, which ends at a NUL byte); otherwise one is started with the script in it.
  // A sandbox taken from the pool goes back to it exactly once, so that its place is refilled:
  // after the run, or on any early return (then as nullptr; it is destroyed here).
  const bool from_pool = waiting && pool_;
  bool given_back = false;
  auto give_back = [&](std::unique_ptr<Sandbox> used) {
    pool_->dispose(std::move(used));
    given_back = true;
  };
  struct OnReturn {
    std::function<void()> run;
    ~OnReturn() { run(); }
  } on_return{[&] {
    if (from_pool && !given_back) pool_->dispose(nullptr);
  }};
  std::unique_ptr<Sandbox> sandbox;
  if (waiting && job.source.find('\0') == std::string::npos && hand_over(*waiting, job)) {
    sandbox = std::move(waiting);
  } else if (from_pool) {
    give_back(std::move(waiting));
  }
  const bool prepared = sandbox != nullptr;
  if (!sandbox) {
    auto started = start(&job);
    if (!started) return started.error();
    sandbox = std::move(started).value();
  }
  const auto started = Clock::now();
  span.set_attribute("sandbox.prepared", prepared);
  span.add_event("volume_created",
                 {{"volume_name", sandboxed ? sandbox->id + "-work" : sandbox->workdir.string()}});
  span.add_event("container_started",
                 {{"container_id", sandbox->id}, {"pid", static_cast<int64_t>(sandbox->pid)}});

  // The CPU time a sandbox used while it waited is not the script's.
  const uint64_t cpu_before = sandbox->cgroup ? sandbox->cgroup->cpu_time_ns() : 0;
  ScriptOutcome result;
  auto status = supervise(
      {.pid = sandbox->pid,
       .stdout_fd = sandbox->stdout_read.get(),
       .stderr_fd = sandbox->stderr_read.get(),
       .cgroup = sandbox->cgroup.get(),
       .stdout_limit = options_.stdout_limit,
       .stderr_limit = options_.stderr_limit,
       .deadline = started + job.time_limit,
       .cpu_budget_ns = cpu_before + static_cast<uint64_t>(job.time_limit.count()) * 1'000'000},
      result);
  sandbox->reaped = true;  // supervise() waits for the main process in every case
  if (!status) return status.error();
  result.duration = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
  apply_wait_status(status.value(), sandboxed, result);
  if (const RunCgroup* cgroup = sandbox->cgroup.get()) {
    result.oom_killed = cgroup->oom_killed();
    result.process_limit_reached = cgroup->process_limit_hit();
    span.set_attribute("sandbox.peak_memory_bytes",
                       static_cast<int64_t>(cgroup->peak_memory_bytes()));
    span.set_attribute("sandbox.cpu_time_ms",
                       static_cast<int64_t>((cgroup->cpu_time_ns() - cpu_before) / 1'000'000));
  }
  // Removing its cgroups and directory is not the request's business.
  if (prepared && from_pool) {
    give_back(std::move(sandbox));
  } else if (pool_) {
    pool_->discard(std::move(sandbox));
  } else {
    sandbox.reset();
  }
  result.stdout_text = to_valid_utf8(result.stdout_text);
  result.stderr_text = to_valid_utf8(result.stderr_text);
  std::vector<tracekit::KeyValue> finished = {{"exit_code", static_cast<int64_t>(result.exit_code)},
                                              {"timed_out", result.timed_out},
                                              {"oom_killed", result.oom_killed}};
  if (result.signal != 0) finished.push_back({"signal", static_cast<int64_t>(result.signal)});
  span.add_event("container_finished", std::span<const tracekit::KeyValue>(finished));
  if (result.signal != 0) span.set_attribute("process.signal", static_cast<int64_t>(result.signal));
  if (result.cpu_limit_exceeded) span.set_attribute("sandbox.cpu_limit_exceeded", true);
  if (result.process_limit_reached) span.set_attribute("sandbox.process_limit_reached", true);
  return result;
}

}  // namespace skriptoteket
