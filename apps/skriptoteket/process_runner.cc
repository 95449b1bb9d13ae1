#include "process_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>
#include <vector>

#include "tracekit/span.h"

namespace skriptoteket {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

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

Failure os_failure(std::string what) {
  return Failure{Failure::Kind::kInternal, std::move(what) + ": " + std::strerror(errno)};
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

}  // namespace

Outcome<std::unique_ptr<ProcessRunner>> ProcessRunner::create(ProcessRunnerOptions options,
                                                              tracekit::Tracer& tracer) {
  // Fixed system paths rather than PATH: version managers put shims first on PATH that do not
  // work in the clean environment a script gets.
  std::string python =
      find_executable({"/usr/bin/python3", "/usr/local/bin/python3", "/bin/python3"});
  std::string bash = find_executable({"/usr/bin/bash", "/bin/bash", "/usr/local/bin/bash"});
  if (python.empty()) return Failure{Failure::Kind::kUnavailable, "python3 is not installed"};
  if (bash.empty()) return Failure{Failure::Kind::kUnavailable, "bash is not installed"};
  std::error_code ec;
  fs::create_directories(options.work_root, ec);
  if (ec) {
    return Failure{Failure::Kind::kInternal, "cannot create the runner's work directory " +
                                                 options.work_root.string() + ": " + ec.message()};
  }
  return std::unique_ptr<ProcessRunner>(
      new ProcessRunner(std::move(options), tracer, std::move(python), std::move(bash)));
}

ProcessRunner::ProcessRunner(ProcessRunnerOptions options, tracekit::Tracer& tracer,
                             std::string python, std::string bash)
    : options_(std::move(options)),
      tracer_(tracer),
      python_(std::move(python)),
      bash_(std::move(bash)) {}

Outcome<ScriptOutcome> ProcessRunner::execute(const ScriptJob& job) {
  auto span = tracer_.start_span("process_runner.execute");
  span.set_attributes({{"runner.language", to_string(job.language)},
                       {"runner.time_limit_ms", static_cast<int64_t>(job.time_limit.count())},
                       {"runner.script_bytes", static_cast<int64_t>(job.source.size())}});
  if (job.time_limit.count() <= 0 || job.time_limit > options_.max_time_limit) {
    Failure f{Failure::Kind::kInvalid, "time limit " + std::to_string(job.time_limit.count()) +
                                           " ms is outside 1.." +
                                           std::to_string(options_.max_time_limit.count()) + " ms"};
    span.set_status(tracekit::StatusCode::kError, f.message);
    return f;
  }

  std::string pattern = (options_.work_root / "run-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    Failure f =
        os_failure("cannot create a working directory under " + options_.work_root.string());
    span.set_status(tracekit::StatusCode::kError, f.message);
    return f;
  }
  const fs::path workdir = pattern;
  span.add_event("workdir_created", {{"path", workdir.string()}});

  Outcome<ScriptOutcome> outcome = run_in(workdir, job, span);
  if (!options_.keep_workdir) {
    std::error_code ec;
    fs::remove_all(workdir, ec);
  }
  if (!outcome) {
    span.set_status(tracekit::StatusCode::kError, outcome.failure().message);
  } else {
    span.set_attribute("process.exit_code", static_cast<int64_t>(outcome->exit_code));
  }
  return outcome;
}

Outcome<ScriptOutcome> ProcessRunner::run_in(const fs::path& workdir, const ScriptJob& job,
                                             tracekit::Span& span) {
  const bool python = job.language == Language::kPython3;
  const std::string script_name = python ? "script.py" : "script.sh";
  {
    std::ofstream script(workdir / script_name, std::ios::binary);
    script.write(job.source.data(), static_cast<std::streamsize>(job.source.size()));
    if (!script.flush()) return os_failure("cannot write the script into " + workdir.string());
  }

  // Everything the child needs is built before fork: between fork and exec a child of a
  // threaded process may only make async-signal-safe calls.
  const std::string& interpreter = python ? python_ : bash_;
  std::vector<std::string> args =
      python ? std::vector<std::string>{interpreter, "-I", script_name}
             : std::vector<std::string>{interpreter, "--noprofile", "--norc", script_name};
  std::vector<std::string> env = {"PATH=/usr/local/bin:/usr/bin:/bin",
                                  "HOME=" + workdir.string(),
                                  "TMPDIR=" + workdir.string(),
                                  "LANG=C.UTF-8",
                                  "PYTHONUNBUFFERED=1",
                                  "PYTHONDONTWRITEBYTECODE=1"};
  std::vector<char*> argv, envp;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string dir = workdir.string();
  const auto cpu_seconds = static_cast<rlim_t>(job.time_limit.count() / 1000 + 2);
  const rlimit limits[] = {{cpu_seconds, cpu_seconds},
                           {options_.address_space_bytes, options_.address_space_bytes},
                           {options_.file_size_bytes, options_.file_size_bytes},
                           {options_.open_files, options_.open_files},
                           {0, 0}};
  const int limit_kinds[] = {RLIMIT_CPU, RLIMIT_AS, RLIMIT_FSIZE, RLIMIT_NOFILE, RLIMIT_CORE};

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return os_failure("pipe");
  Fd out_read(out_pipe[0]), out_write(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return os_failure("pipe");
  Fd err_read(err_pipe[0]), err_write(err_pipe[1]);
  Fd dev_null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (dev_null.get() < 0) return os_failure("open /dev/null");

  const auto started = Clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) return os_failure("fork");
  if (pid == 0) {
    // The child: its own process group, so the time limit kills everything it started.
    ::setpgid(0, 0);
    ::dup2(dev_null.get(), STDIN_FILENO);
    ::dup2(out_write.get(), STDOUT_FILENO);
    ::dup2(err_write.get(), STDERR_FILENO);
    ::close_range(3, ~0U, 0);
    if (::chdir(dir.c_str()) != 0) ::_exit(126);
    for (size_t i = 0; i < std::size(limits); ++i)
      ::setrlimit(limit_kinds[i], &limits[i]);
    // Dispositions set to "ignore" and the signal mask survive exec; the script gets defaults.
    ::signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  // Also from the parent, so the group exists before anything could signal it.
  ::setpgid(pid, pid);
  out_write.reset();
  err_write.reset();
  span.add_event("process_started", {{"pid", static_cast<int64_t>(pid)}});

  const auto deadline = started + job.time_limit;
  ::fcntl(out_read.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(err_read.get(), F_SETFL, O_NONBLOCK);
  Fd pidfd(open_pidfd(pid));

  ScriptOutcome result;
  bool out_open = true, err_open = true, exited = false;
  int status = 0;
  auto reap = [&](int flags) {
    const pid_t r = ::waitpid(pid, &status, flags);
    if (r == pid) exited = true;
    return exited;
  };
  // Until the script has exited and both pipes are closed, or the time limit passes.
  while ((out_open || err_open || !exited) && !result.timed_out) {
    const auto now = Clock::now();
    if (now >= deadline) {
      result.timed_out = !exited;
      break;
    }
    pollfd fds[3];
    nfds_t n = 0;
    if (out_open) fds[n++] = {out_read.get(), POLLIN, 0};
    if (err_open) fds[n++] = {err_read.get(), POLLIN, 0};
    const bool watch_pid = !exited && pidfd.get() >= 0;
    if (watch_pid) fds[n++] = {pidfd.get(), POLLIN, 0};
    auto wait_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
    // Without a pidfd the exit is noticed by polling waitpid.
    if (!exited && pidfd.get() < 0) wait_ms = std::min<int64_t>(wait_ms, 10);
    const int ready = ::poll(fds, n, static_cast<int>(wait_ms));
    if (ready < 0 && errno != EINTR) return os_failure("poll");
    if (out_open && !drain(out_read.get(), result.stdout_text, options_.stdout_limit,
                           result.stdout_truncated)) {
      out_open = false;
    }
    if (err_open && !drain(err_read.get(), result.stderr_text, options_.stderr_limit,
                           result.stderr_truncated)) {
      err_open = false;
    }
    if (!exited && reap(WNOHANG)) {
      // Whatever the script left running in its group dies with it, closing the pipes.
      ::kill(-pid, SIGKILL);
    }
  }
  if (!exited) {
    ::kill(-pid, SIGKILL);
    reap(0);
  } else if (result.timed_out) {
    ::kill(-pid, SIGKILL);
  }
  // What is still buffered in the pipes belongs to the output.
  if (out_open)
    drain(out_read.get(), result.stdout_text, options_.stdout_limit, result.stdout_truncated);
  if (err_open)
    drain(err_read.get(), result.stderr_text, options_.stderr_limit, result.stderr_truncated);
  result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.exit_code = -1;
    result.signal = WTERMSIG(status);
  }
  result.stdout_text = to_valid_utf8(result.stdout_text);
  result.stderr_text = to_valid_utf8(result.stderr_text);
  span.add_event("process_finished", {{"exit_code", static_cast<int64_t>(result.exit_code)},
                                      {"timed_out", result.timed_out}});
  return result;
}

}  // namespace skriptoteket
