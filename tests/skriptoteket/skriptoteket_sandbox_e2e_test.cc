// SPDX-License-Identifier: Apache-2.0
// A hostile script against the sandbox, through the runner's own API: skriptoteket-runner and
// skriptoteket-web run as real processes on loopback, with a real SQLite database and a secret
// file in the data directory, and each test posts the script an attacker would write to
// POST /execute. Every test here passed against the plain child-process runner it replaced
// only where the attack failed; each failed there (issue 9's list).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>
#include <thread>

#include "e2e_support.h"
#include "test_tracing.h"

namespace skriptoteket {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using e2e::ServiceProcess;
using namespace std::chrono_literals;

constexpr const char* kSecret = "the-secret-the-script-must-not-see-4711";

// Starts a sandboxed runner with `bwrap` as its bubblewrap; it must refuse to start. Returns
// what it said.
std::string refused_start(const testing::TempDir& dir, const std::filesystem::path& bwrap) {
  ServiceProcess runner;
  std::string error;
  EXPECT_FALSE(runner.start(SKRIPTOTEKET_RUNNER_BIN,
                            {{"SKRIPTOTEKET_RUNNER_PORT", "0"},
                             {"SKRIPTOTEKET_RUNNER_SANDBOX", "bubblewrap"},
                             {"SKRIPTOTEKET_DATA_DIR", (dir.path() / "data").string()},
                             {"SKRIPTOTEKET_BWRAP", bwrap.string()}},
                            dir.path(), "runner", error));
  return error;
}

// A runner whose sandbox cannot work refuses to start, naming the cause and the fix.
TEST(SandboxStart, WithoutBubblewrapTheRunnerRefusesToStart) {
  testing::TempDir dir;
  const std::string error = refused_start(dir, dir.path() / "no-bwrap");
  EXPECT_NE(error.find("apt-get install bubblewrap"), std::string::npos) << error;
  EXPECT_NE(error.find("SKRIPTOTEKET_RUNNER_SANDBOX=none"), std::string::npos) << error;
}

TEST(SandboxStart, WithoutUserNamespacesTheRunnerRefusesToStart) {
  testing::TempDir dir;
  // A bwrap that fails as Debian's does where user namespaces are off.
  const auto fake = dir.path() / "bwrap";
  std::ofstream(fake) << "#!/bin/sh\necho 'bwrap: No permissions to creating new namespace, "
                         "likely because the kernel does not allow non-privileged user "
                         "namespaces.' >&2\nexit 1\n";
  // Executable by the unprivileged user the runner starts bwrap as.
  std::filesystem::permissions(fake, std::filesystem::perms::all);
  std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_all |
                                               std::filesystem::perms::others_exec |
                                               std::filesystem::perms::group_exec);
  const std::string error = refused_start(dir, fake);
  EXPECT_NE(error.find("user namespaces are not available"), std::string::npos) << error;
  EXPECT_NE(error.find("kernel.unprivileged_userns_clone"), std::string::npos) << error;
}

// Host processes whose command line contains `needle` (zombies excluded).
// A /proc file's text, empty when the process is gone: one that exits between the open and the
// read makes read() fail with ESRCH, which std::ifstream turns into an exception (seen once in
// CI under TSan, where the other tests' processes come and go while this one scans).
std::string proc_text(const fs::path& path) {
  std::string text;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
    text.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return text;
}

int host_processes_running(const std::string& needle) {
  int found = 0;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string line = proc_text(entry.path() / "stat");
    const auto close = line.rfind(')');
    if (close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z') continue;
    std::string text = proc_text(entry.path() / "cmdline");
    std::replace(text.begin(), text.end(), '\0', ' ');
    if (text.find(needle) != std::string::npos) ++found;
  }
  return found;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct RunResult {
  int status = 0;
  json::object body;
  std::string stdout_text() const { return field("stdout"); }
  std::string stderr_text() const { return field("stderr"); }
  std::string field(const char* key) const {
    const auto* v = body.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
  }
  bool flag(const char* key) const {
    const auto* v = body.if_contains(key);
    return v && v->is_bool() && v->get_bool();
  }
  int64_t number(const char* key) const {
    const auto* v = body.if_contains(key);
    return v && v->is_int64() ? v->get_int64() : -12345;
  }
};

class SandboxE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    runner_ = new ServiceProcess();
    web_ = new ServiceProcess();
    data_ = dir_->path() / "data";
    fs::create_directories(data_);
    std::ofstream(data_ / "secret.txt") << kSecret << "\n";
    std::string error;
    const std::map<std::string, std::string> common = {
        {"OTEL_TRACING_ENABLED", "false"},
        {"SKRIPTOTEKET_DATA_DIR", data_.string()},
        {"SKRIPTOTEKET_DB_PATH", (data_ / "skriptoteket.db").string()},
        {"SKRIPTOTEKET_API_SECRET_FOR_TEST", kSecret}};
    auto runner_env = common;
    // Never without the sandbox: these scripts attack the host (a fork bomb among them).
    runner_env.insert({{"SKRIPTOTEKET_RUNNER_SANDBOX", "bubblewrap"},
                       {"SKRIPTOTEKET_BWRAP", ""},
                       {"SKRIPTOTEKET_RUNNER_PORT", "0"},
                       {"SKRIPTOTEKET_SANDBOX_MEMORY_BYTES", std::to_string(256 << 20)},
                       {"SKRIPTOTEKET_SANDBOX_MAX_PROCESSES", "32"},
                       {"SKRIPTOTEKET_SANDBOX_VOLUME_BYTES", std::to_string(48 << 20)},
                       {"SKRIPTOTEKET_OUTPUT_LIMIT_BYTES", "20000"}});
    if (!runner_->start(SKRIPTOTEKET_RUNNER_BIN, runner_env, dir_->path(), "runner", error)) {
      setup_error_ = error;
      return;
    }
    auto web_env = common;
    web_env.insert(
        {{"SKRIPTOTEKET_WEB_PORT", "0"}, {"SKRIPTOTEKET_RUNNER_URL", runner_->base_url()}});
    if (!web_->start(SKRIPTOTEKET_WEB_BIN, web_env, dir_->path(), "web", error)) {
      setup_error_ = error;
      return;
    }
    if (runner_->log_text().find(R"("sandbox":"bubblewrap")") == std::string::npos) {
      setup_error_ = "the runner did not start sandboxed: " + runner_->log_text();
      return;
    }
    with_cgroups_ = runner_->log_text().find(R"("cgroup":"none")") == std::string::npos;
    token_ = read_file(data_ / "runner.token");
    token_.erase(token_.find_last_not_of("\n") + 1);
  }
  static void TearDownTestSuite() {
    delete web_;
    delete runner_;
    delete dir_;
  }
  void SetUp() override { ASSERT_TRUE(setup_error_.empty()) << setup_error_; }

  // POST /execute with the runner's token, as skriptoteket-web sends it.
  static RunResult execute(const std::string& language, const std::string& source,
                           int time_limit_ms = 10000) {
    e2e::Http http;
    const std::string body = json::serialize(
        json::object{{"language", language}, {"source", source}, {"time_limit_ms", time_limit_ms}});
    auto r =
        http.call("POST", runner_->base_url() + "/execute", body,
                  {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + token_}});
    RunResult run{r.status, {}};
    std::error_code ec;
    auto parsed = json::parse(r.body, ec);
    if (!ec && parsed.is_object()) run.body = parsed.as_object();
    EXPECT_EQ(r.status, 200) << r.body;
    return run;
  }
  static RunResult bash(const std::string& source, int time_limit_ms = 10000) {
    return execute("bash", source, time_limit_ms);
  }
  static RunResult python(const std::string& source, int time_limit_ms = 10000) {
    return execute("python3", source, time_limit_ms);
  }

  static inline testing::TempDir* dir_ = nullptr;
  static inline ServiceProcess* runner_ = nullptr;
  static inline ServiceProcess* web_ = nullptr;
  static inline fs::path data_;
  static inline std::string token_;
  static inline bool with_cgroups_ = false;
  static inline std::string setup_error_;
};

TEST_F(SandboxE2E, PythonAndBashToolsWorkAsBefore) {
  auto py = python("import sys\nprint(sum(range(10)))\nprint('err', file=sys.stderr)\n");
  EXPECT_EQ(py.number("exit_code"), 0) << py.stderr_text();
  EXPECT_EQ(py.stdout_text(), "45\n");
  EXPECT_EQ(py.stderr_text(), "err\n");
  auto sh = bash("for i in 1 2 3; do echo line $i; done | tail -n 1 | tr a-z A-Z\nexit 3\n");
  EXPECT_EQ(sh.number("exit_code"), 3);
  EXPECT_EQ(sh.stdout_text(), "LINE 3\n");
}

TEST_F(SandboxE2E, TheDataDirectoryAndTheDatabaseAreOutOfReach) {
  const std::string before = read_file(data_ / "skriptoteket.db");
  ASSERT_FALSE(before.empty());
  auto run = bash("cat '" + (data_ / "secret.txt").string() + "'\n" + "ls -la '" + data_.string() +
                  "' ../.. 2>&1\n" + "echo overwritten 2>/dev/null > '" +
                  (data_ / "skriptoteket.db").string() + "'\n" +
                  "find / -path /proc -prune -o \\( -name secret.txt -o -name 'skriptoteket.db*' "
                  "\\) -print 2>/dev/null\n");
  const std::string output = run.stdout_text() + run.stderr_text();
  EXPECT_EQ(output.find(kSecret), std::string::npos) << output;
  EXPECT_EQ(output.find("skriptoteket.db"), std::string::npos) << output;
  auto py = python("import sqlite3\nc = sqlite3.connect('" + (data_ / "skriptoteket.db").string() +
                   "')\nc.execute(\"UPDATE tool_versions SET source = 'pwned'\")\nc.commit()\n");
  EXPECT_NE(py.number("exit_code"), 0);
  EXPECT_EQ(read_file(data_ / "skriptoteket.db"), before);
  EXPECT_EQ(read_file(data_ / "secret.txt"), std::string(kSecret) + "\n");
}

TEST_F(SandboxE2E, NoHostProcessCanBeSignalledOrSeen) {
  const std::string runner_pid = std::to_string(runner_->pid());
  const std::string web_pid = std::to_string(web_->pid());
  auto run = bash("kill -9 " + runner_pid + " " + web_pid + " $PPID 2>&1\n" +
                  "ls /proc | grep -c '^[0-9]'\n" + "ps -e --no-headers | wc -l\n");
  EXPECT_EQ(::kill(runner_->pid(), 0), 0) << "the runner was killed";
  EXPECT_EQ(::kill(web_->pid(), 0), 0) << "the web service was killed";
  // bwrap's init, bash, and the few commands of the pipeline at most.
  std::istringstream counts(
      run.stdout_text().substr(run.stdout_text().find_first_of("0123456789")));
  int in_proc = 0, in_ps = 0;
  counts >> in_proc >> in_ps;
  EXPECT_GT(in_proc, 0) << run.stdout_text();
  EXPECT_LE(in_proc, 6) << run.stdout_text();
  EXPECT_LE(in_ps, 6) << run.stdout_text();
  // The runner still runs scripts.
  EXPECT_EQ(bash("echo alive\n").stdout_text(), "alive\n");
}

TEST_F(SandboxE2E, AnotherProcessEnvironmentIsUnreadable) {
  auto run = bash("cat /proc/" + std::to_string(web_->pid()) + "/environ 2>&1\n" + "cat /proc/" +
                  std::to_string(runner_->pid()) + "/environ 2>&1\n" +
                  "for e in /proc/[0-9]*/environ; do cat $e; done 2>/dev/null | tr '\\0' '\\n'\n");
  EXPECT_EQ(run.stdout_text().find(kSecret), std::string::npos) << run.stdout_text();
}

TEST_F(SandboxE2E, NoLoopbackPortCanBeReached) {
  const std::string port = std::to_string(web_->port());
  auto run = python(
      "import socket\n"
      "for host in ('127.0.0.1', 'localhost', '::1'):\n"
      "    try:\n"
      "        socket.create_connection((host, " +
      port +
      "), timeout=2).close()\n"
      "        print('connected', host)\n"
      "    except OSError as e:\n"
      "        print('refused', host, e)\n");
  EXPECT_EQ(run.stdout_text().find("connected"), std::string::npos) << run.stdout_text();
  auto sh = bash("exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(runner_->port()) +
                 " && echo connected\n");
  EXPECT_EQ(sh.stdout_text().find("connected"), std::string::npos);
  // The web API saw nothing either: no tool was created through it.
  e2e::Http http;
  auto tools = http.call("GET", web_->base_url() + "/tools");
  ASSERT_EQ(tools.status, 200) << tools.body;
  EXPECT_TRUE(json::parse(tools.body).at("tools").as_array().empty()) << tools.body;
}

TEST_F(SandboxE2E, NothingCanBeWrittenOutsideTheVolume) {
  const fs::path outside = dir_->path() / "escaped";
  auto run = bash("for f in /escaped /usr/escaped /etc/escaped /proc/escaped '" + outside.string() +
                  "' ../../escaped; do\n" + "  echo x > $f 2>/dev/null && echo wrote $f\ndone\n" +
                  "echo x > /work/inside && echo wrote inside\n");
  EXPECT_EQ(run.stdout_text(), "wrote inside\n");
  EXPECT_FALSE(fs::exists(outside));
  EXPECT_FALSE(fs::exists("/escaped"));
  EXPECT_FALSE(fs::exists("/usr/escaped"));
}

TEST_F(SandboxE2E, NoDaemonOutlivesTheRunNorHoldsItOpen) {
  auto run = bash(
      "setsid sleep 3021 &\n"
      "( ( exec -a sleep-3022 sleep 3022 ) & ) &\n"  // double-forked, holding stdout
      "nohup sleep 3023 > /dev/null 2>&1 &\n"
      "echo started\n",
      8000);
  EXPECT_EQ(run.stdout_text(), "started\n");
  EXPECT_FALSE(run.flag("timed_out"));
  EXPECT_LT(run.number("duration_ms"), 3000) << "a daemon held the run open";
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(host_processes_running("sleep 3021"), 0);
  EXPECT_EQ(host_processes_running("sleep 3022"), 0);
  EXPECT_EQ(host_processes_running("sleep 3023"), 0);
}

TEST_F(SandboxE2E, TheVolumeIsCappedForTheWholeRun) {
  // 20 files of 15 MB against a 48 MiB volume (and /tmp, capped the same way).
  auto run = bash(
      "for i in $(seq 1 20); do head -c 15000000 /dev/zero > /work/f$i 2>/dev/null || break; done\n"
      "du -sb /work | cut -f1\n"
      "for i in $(seq 1 20); do head -c 15000000 /dev/zero > /tmp/f$i 2>/dev/null || break; done\n"
      "du -sb /tmp | cut -f1\n");
  std::istringstream sizes(run.stdout_text());
  uint64_t work = 0, tmp = 0;
  sizes >> work >> tmp;
  EXPECT_GT(work, 30u << 20) << run.stdout_text();
  EXPECT_LE(work, 48u << 20) << run.stdout_text();
  EXPECT_LE(tmp, 48u << 20) << run.stdout_text();
}

// /dev is bubblewrap's own tmpfs, without a size cap: writable, it would be a second volume
// past every cap (and, without a cgroup, past the memory limit too: tmpfs pages are not the
// script's address space). The devices in it still work.
TEST_F(SandboxE2E, DevIsReadOnlyAndItsDevicesWork) {
  auto run = bash(
      "head -c 2000000 /dev/zero > /dev/filler 2>/dev/null && echo dev-writable\n"
      "mkdir /dev/dir 2>/dev/null && echo dev-dir\n"
      "echo to-null > /dev/null && echo null-ok\n"
      "head -c 8 /dev/urandom | wc -c\n"
      "echo shm > /dev/shm/x && cat /dev/shm/x\n");
  EXPECT_EQ(run.stdout_text(), "null-ok\n8\nshm\n");
}

TEST_F(SandboxE2E, MemoryIsCappedForTheWholeSandbox) {
  if (!with_cgroups_) GTEST_SKIP() << "no cgroup for the runner here (not root, no delegation)";
  // Four children of 200 MiB each against a 256 MiB sandbox: per-process limits would let all
  // four live; the sandbox's cgroup does not.
  auto run = python(
      "import os, time\n"
      "kids = []\n"
      "for i in range(4):\n"
      "    pid = os.fork()\n"
      "    if pid == 0:\n"
      "        b = bytearray(200 * 1024 * 1024)\n"
      "        for j in range(0, len(b), 4096): b[j] = 1\n"
      "        time.sleep(3)\n"
      "        os._exit(0)\n"
      "    kids.append(pid)\n"
      "ok = 0\n"
      "for pid in kids:\n"
      "    _, status = os.waitpid(pid, 0)\n"
      "    ok += os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0\n"
      "print('survivors', ok)\n",
      20000);
  EXPECT_TRUE(run.flag("oom_killed")) << json::serialize(run.body);
  const auto at = run.stdout_text().find("survivors ");
  if (at != std::string::npos) {
    EXPECT_LE(std::stoi(run.stdout_text().substr(at + 10)), 1);
  }
}

TEST_F(SandboxE2E, AForkBombAndAHugeAllocationAreContainedWhileOtherRunsGoOn) {
  std::atomic<bool> done{false};
  RunResult bomb, hog;
  std::thread attacker([&] {
    std::thread a([&] { bomb = bash("b() { b | b & }; b\nsleep 5\n", 4000); });
    std::thread b(
        [&] { hog = python("b = bytearray(2 * 1024 * 1024 * 1024)\nprint('allocated')\n", 8000); });
    a.join();
    b.join();
    done = true;
  });
  // Meanwhile the runner keeps serving.
  int served = 0;
  while (!done && served < 20) {
    auto run = bash("echo ok\n");
    EXPECT_EQ(run.stdout_text(), "ok\n");
    if (run.stdout_text() == "ok\n") ++served;
  }
  attacker.join();
  EXPECT_GE(served, 1);
  if (with_cgroups_) {
    EXPECT_TRUE(bomb.flag("process_limit_reached")) << json::serialize(bomb.body);
  }
  EXPECT_EQ(hog.stdout_text().find("allocated"), std::string::npos);
  EXPECT_TRUE(hog.flag("oom_killed") || hog.number("exit_code") != 0) << json::serialize(hog.body);
  EXPECT_EQ(host_processes_running("b | b"), 0);
}

TEST_F(SandboxE2E, KernelInterfacesForEscapesAreDenied) {
  auto run = bash(
      "unshare -U true 2>/dev/null && echo unshare-worked\n"
      "python3 -c 'import ctypes; print(ctypes.CDLL(None).ptrace(16, 1, 0, 0))'\n"  // ATTACH
      "cat /proc/self/status | grep -E '^(Uid|CapEff|NoNewPrivs|Seccomp):'\n");
  EXPECT_EQ(run.stdout_text().find("unshare-worked"), std::string::npos);
  EXPECT_NE(run.stdout_text().find("-1\n"), std::string::npos) << run.stdout_text();
  EXPECT_NE(run.stdout_text().find("Uid:\t65534"), std::string::npos) << run.stdout_text();
  EXPECT_NE(run.stdout_text().find("CapEff:\t0000000000000000"), std::string::npos);
  EXPECT_NE(run.stdout_text().find("NoNewPrivs:\t1"), std::string::npos);
  EXPECT_NE(run.stdout_text().find("Seccomp:\t2"), std::string::npos);
}

TEST_F(SandboxE2E, OnlyTheWebServiceMayCallExecute) {
  e2e::Http http;
  const std::string body = R"({"language":"bash","source":"echo nested","time_limit_ms":1000})";
  auto none = http.call("POST", runner_->base_url() + "/execute", body,
                        {{"Content-Type", "application/json"}});
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.body.find("nested"), std::string::npos);
  auto wrong = http.call("POST", runner_->base_url() + "/execute", body,
                         {{"Content-Type", "application/json"},
                          {"Authorization", "Bearer " + std::string(token_.size(), 'x')}});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_NE(runner_->log_text().find("runner.unauthorized"), std::string::npos);
  EXPECT_EQ(runner_->log_text().find(token_), std::string::npos) << "the token was logged";
  // Through the web API, a run works (the web service sends the token).
  auto tool = http.call("POST", web_->base_url() + "/tools", R"({"slug":"sbx","title":"Sbx"})",
                        {{"Content-Type", "application/json"}});
  ASSERT_EQ(tool.status, 201) << tool.body;
  const std::string tool_id(json::parse(tool.body).at("id").as_string());
  auto version = http.call("POST", web_->base_url() + "/tools/" + tool_id + "/versions",
                           R"({"language":"bash","source":"echo via web"})",
                           {{"Content-Type", "application/json"}});
  ASSERT_EQ(version.status, 201) << version.body;
  const std::string version_id(json::parse(version.body).at("id").as_string());
  auto run =
      http.call("POST", web_->base_url() + "/tools/" + tool_id + "/versions/" + version_id + "/run",
                "", {{"Content-Type", "application/json"}});
  ASSERT_EQ(run.status, 201) << run.body;
  EXPECT_EQ(json::parse(run.body).at("stdout").as_string(), "via web\n");
}

}  // namespace
}  // namespace skriptoteket
