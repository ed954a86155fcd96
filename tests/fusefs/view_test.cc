// The procfs view with real mounts, real workloads and the real tools: ps,
// pstree, pgrep, top and Debian's python3-psutil read the view through
// `sentry view` (or PROCFS_PATH) and must agree with the host's /proc on
// every process of the sandbox. Each tool test first proves that it reads
// the view, not the host's /proc.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>

#include "tests/fusefs/live_run.h"
#include "tests/platform/platform_test_util.h"

namespace sentry::fusefs::testing {
namespace {

using platform::testing::Slurp;
using platform::testing::TempPath;

// The rows of a ps-like table by pid (first column), header dropped.
std::map<int, std::string> RowsByPid(const std::string& table) {
  std::map<int, std::string> rows;
  std::istringstream in(table);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    int pid = 0;
    if (fields >> pid) rows[pid] = line;
  }
  return rows;
}

// `text` with every `from` replaced by `to`.
std::string Replaced(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// A fixture says "ready" before every one of its tasks is blocked: one may
// still be on its way to its read (R, on a loaded machine), and a test that
// compares the view's ps with the host's, read a moment apart, would see
// two states. Returns once no thread of `pids` runs: each sleeps, stops or
// is a zombie from then on, until the test ends it.
void AwaitAllAsleep(const std::vector<int>& pids) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  const auto running = [](int pid) {
    std::error_code error;
    for (const auto& task :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", error)) {
      const std::string stat = Slurp(task.path().string() + "/stat");
      const std::size_t paren = stat.rfind(')');
      if (paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'R') {
        return true;
      }
    }
    return false;
  };
  while (std::chrono::steady_clock::now() < deadline) {
    if (std::ranges::none_of(pids, running)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "the fixture's tasks did not all block within 30 s";
}

// A fixture run (see view_fixture.cc) with the view mounted at a place of
// its own, ready to be looked at.
class ViewTest : public ::testing::Test {
 protected:
  void Start(const std::vector<std::string>& extra = {}, const std::string& mode = "view-fixture") {
    std::vector<std::string> options = {"--mount", mount_};
    options.insert(options.end(), extra.begin(), extra.end());
    run_ = std::make_unique<LiveRun>(options, std::vector<std::string>{SCENARIOS_BINARY, mode});
    ASSERT_EQ(run_->ReadLine(), "ready") << run_->Stderr();
    if (mode == "view-fixture") AwaitAllAsleep(WorkloadPids());
  }
  void TearDown() override {
    if (run_) {
      EXPECT_EQ(run_->Finish(), 0) << run_->Stderr();
      EXPECT_FALSE(IsMounted(mount_)) << "stale mount at " << mount_;
    }
  }
  // The workload's processes (the view lists the sentry too).
  std::vector<int> WorkloadPids() const {
    std::vector<int> pids = ListedPids(mount_);
    std::erase(pids, run_->Pid());
    return pids;
  }
  Captured View(const std::vector<std::string>& tool) const {
    std::vector<std::string> argv = {SENTRY_BINARY, "view", "--mount", mount_, "--"};
    argv.insert(argv.end(), tool.begin(), tool.end());
    return Capture(argv);
  }

  std::string mount_ = TempPath("view");
  std::unique_ptr<LiveRun> run_;
};

TEST_F(ViewTest, ToolsAreRealAndReadTheView) {
  Start();
  EXPECT_NE(Capture({"ps", "--version"}).out.find("procps-ng"), std::string::npos);
  EXPECT_NE(Capture({"pstree", "--version"}).err.find("PSmisc"), std::string::npos);
  // Through `sentry view`, /proc is the view: it has the model's files and
  // no host process outside the sandbox (the host's init, pid 1).
  const Captured status = View({"cat", "/proc/sentry/status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("divergences: 0"), std::string::npos) << status.out;
  const auto rows = RowsByPid(View({"ps", "-eo", "pid,comm"}).out);
  EXPECT_FALSE(rows.contains(1));
  EXPECT_TRUE(rows.contains(run_->Pid()));
  EXPECT_TRUE(RowsByPid(Capture({"ps", "-eo", "pid,comm"}).out).contains(1));
}

TEST_F(ViewTest, PsAgreesWithHostProc) {
  Start();
  const std::vector<int> pids = WorkloadPids();
  ASSERT_GE(pids.size(), 6u);  // leader, job, zombie, session leader, its child, orphan
  // Time-varying columns (%CPU, TIME, RSS, START) aside.
  for (const std::string& columns :
       {std::string("pid,ppid,pgid,sid,tty,tpgid,stat,nlwp,uid,comm,args"),
        std::string("pid,ppid,lwp,nlwp,stat,comm"), std::string("pid,user,tty,stat,comm,args")}) {
    const bool threads = columns.find("lwp") != std::string::npos;
    const std::string flag = threads ? "-eLo" : "-eo";
    const Captured viewed = View({"ps", flag, columns});
    ASSERT_EQ(viewed.exit_code, 0) << viewed.err;
    const Captured host = Capture({"ps", flag, columns});
    // With -L a pid has several rows: compare the whole set of each pid's rows.
    std::multimap<int, std::string> view_rows;
    std::multimap<int, std::string> host_rows;
    for (auto [table, rows] :
         {std::pair{&viewed.out, &view_rows}, std::pair{&host.out, &host_rows}}) {
      std::istringstream in(*table);
      std::string line;
      std::getline(in, line);
      while (std::getline(in, line)) {
        int pid = 0;
        if (std::istringstream(line) >> pid) rows->emplace(pid, line);
      }
    }
    for (int pid : pids) {
      auto [vb, ve] = view_rows.equal_range(pid);
      auto [hb, he] = host_rows.equal_range(pid);
      std::vector<std::string> v;
      std::vector<std::string> h;
      for (auto it = vb; it != ve; ++it) v.push_back(it->second);
      for (auto it = hb; it != he; ++it) {
        // ptrace shows every group stop as a tracing stop ('t'); the
        // workload, untraced, would see 'T', which the view shows.
        std::string row = it->second;
        for (std::size_t at = row.find(" t"); at != std::string::npos;
             at = row.find(" t", at + 1)) {
          // STAT's flags after the state: s l + and, when niced, N or <.
          if (at + 2 == row.size() ||
              std::string_view(" +slN<L").find(row[at + 2]) != std::string_view::npos) {
            row[at + 1] = 'T';
          }
        }
        h.push_back(row);
      }
      std::sort(v.begin(), v.end());
      std::sort(h.begin(), h.end());
      EXPECT_EQ(v, h) << "ps " << flag << " " << columns << ", pid " << pid;
    }
  }
}

TEST_F(ViewTest, PstreePgrepAndTopSeeTheSandbox) {
  Start();
  const std::vector<int> pids = WorkloadPids();
  ASSERT_FALSE(pids.empty());
  const int first = *std::min_element(pids.begin(), pids.end());
  const Captured tree = View({"pstree", "-p", std::to_string(first)});
  ASSERT_EQ(tree.exit_code, 0) << tree.err;
  EXPECT_EQ(tree.out, Capture({"pstree", "-p", std::to_string(first)}).out);
  // Without a pid, pstree starts from 1: the world outside, then the sentry.
  EXPECT_NE(View({"pstree", "-p"}).out.find("sentry(" + std::to_string(run_->Pid()) + ")"),
            std::string::npos);

  // The sentry's own command line names the fixture too: workload pids only.
  const auto workload_only = [&](const std::string& out) {
    std::string kept;
    std::istringstream in(out);
    for (int pid = 0; in >> pid;) {
      if (std::find(pids.begin(), pids.end(), pid) != pids.end())
        kept += std::to_string(pid) + "\n";
    }
    return kept;
  };
  const Captured pgrep = View({"pgrep", "-f", "view-fixture"});
  EXPECT_EQ(workload_only(pgrep.out), workload_only(Capture({"pgrep", "-f", "view-fixture"}).out));
  EXPECT_FALSE(workload_only(pgrep.out).empty());

  const Captured top = View({"top", "-b", "-n1"});
  ASSERT_EQ(top.exit_code, 0) << top.err;
  const auto rows = RowsByPid(top.out.substr(top.out.find("  PID")));
  for (int pid : pids) EXPECT_TRUE(rows.contains(pid)) << pid << "\n" << top.out;
}

TEST_F(ViewTest, PsutilAgreesWithHostProc) {
  Start();
  const std::vector<int> pids = WorkloadPids();
  std::string list;
  for (int pid : pids) list += std::to_string(pid) + ",";
  const std::string script =
      "import json, sys, psutil\n"
      "psutil.PROCFS_PATH = sys.argv[1]\n"
      "out = {}\n"
      "for pid in [" +
      list +
      "]:\n"
      "    p = psutil.Process(pid)\n"
      "    out[pid] = [p.pid, p.ppid(), p.status(), p.name(), p.cmdline(), p.create_time(),\n"
      "        sorted(c.pid for c in p.children(recursive=True)), p.num_threads()]\n"
      "print(json.dumps(out, sort_keys=True))\n";
  // Debian's python3 and python3-psutil (share/deps.sh), whatever `python3` is.
  const Captured viewed = Capture({"/usr/bin/python3", "-c", script, mount_});
  ASSERT_EQ(viewed.exit_code, 0) << viewed.err;
  const Captured host = Capture({"/usr/bin/python3", "-c", script, "/proc"});
  ASSERT_EQ(host.exit_code, 0) << host.err;
  // psutil reads "stopped" where ptrace makes the host say "tracing-stop".
  const std::string expected = Replaced(host.out, "\"tracing-stop\"", "\"stopped\"");
  EXPECT_EQ(viewed.out, expected);
  EXPECT_NE(viewed.out.find("\"zombie\""), std::string::npos);
  EXPECT_NE(viewed.out.find("\"stopped\""), std::string::npos);
}

TEST_F(ViewTest, PidNamespaceInitIsOne) {
  Start({"--pidns"});
  const Captured ps = View({"ps", "-eo", "pid,ppid,comm"});
  ASSERT_EQ(ps.exit_code, 0) << ps.err;
  const auto rows = RowsByPid(ps.out);
  ASSERT_TRUE(rows.contains(1)) << ps.out;
  EXPECT_NE(rows.at(1).find("scenarios"), std::string::npos) << ps.out;
  // The workload's processes and the sentry's outside reader: nothing else.
  EXPECT_FALSE(rows.contains(run_->Pid())) << ps.out;
  const std::string status = Slurp(mount_ + "/1/status");
  EXPECT_NE(status.find("NSpid:\t1\n"), std::string::npos) << status;
}

// Under --pidns the view's sentences number tasks as its directories do: a
// child the workload knows as N is reaped as N in `reaped` and in its
// reaper's `waits`, never by its host pid (issue 22: one set of numbers).
TEST_F(ViewTest, ItsSentencesUseTheSandboxsPidsUnderPidns) {
  Start({"--pidns"}, "view-stepper");
  run_->WriteLine("fork");
  const std::string zombie = run_->ReadLine();
  ASSERT_EQ(zombie.rfind("zombie ", 0), 0u) << zombie;
  const std::string pid = zombie.substr(7);  // as the workload's namespace numbers it
  // Proof the number is the namespace's: the view has it, with NSpid saying so.
  const std::string status = Slurp(mount_ + "/" + pid + "/status");
  ASSERT_NE(status.find("\nNSpid:\t" + pid + "\n"), std::string::npos) << status;
  run_->WriteLine("reap");
  ASSERT_EQ(run_->ReadLine(), "reaped " + pid);
  const std::string told = " reaped " + pid + " ";
  std::string reaped;
  for (int i = 0; i < 500 && reaped.find(told) == std::string::npos; ++i) {
    reaped = Slurp(mount_ + "/sentry/reaped");  // the notifier tells it a moment later
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_NE(reaped.find("1 (scenarios)" + told), std::string::npos) << reaped;
  EXPECT_NE(reaped.find("with a wait (exit status 7)"), std::string::npos) << reaped;
  EXPECT_NE(Slurp(mount_ + "/1/sentry/waits").find(told), std::string::npos);
  run_->WriteLine("quit");
}

// The host's state letter of process `pid` ('?' if it is gone).
char HostState(pid_t pid) {
  const std::string stat = Slurp("/proc/" + std::to_string(pid) + "/stat");
  const std::size_t close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size() ? '?' : stat[close + 2];
}

// With --pidns the view numbers the sandbox's own pids; a tool `sentry view`
// runs acts on the same numbers (issue 22): a host process whose pid equals
// a sandbox pid is never reached by kill, pkill or psutil through the view.
TEST_F(ViewTest, ASignalThroughAPidnsViewReachesOnlyTheSandbox) {
  // A stopped host process: any SIGCONT that reached it would wake it.
  const pid_t host = fork();
  ASSERT_GE(host, 0);
  if (host == 0) {
    raise(SIGSTOP);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(host, &status, WUNTRACED), host);
  // The sandbox's next process gets the host one's pid in its namespace.
  const std::string script = "echo " + std::to_string(host - 1) +
                             " > /proc/sys/kernel/ns_last_pid; sleep 1000 & echo $!; read x; "
                             "kill $!";
  run_ = std::make_unique<LiveRun>(std::vector<std::string>{"--mount", mount_, "--pidns"},
                                   std::vector<std::string>{"sh", "-c", script});
  ASSERT_EQ(run_->ReadLine(), std::to_string(host)) << "the sandbox pid was not the host one's";
  const std::string pid = std::to_string(host);
  EXPECT_EQ(Slurp(mount_ + "/sentry/pidns").rfind("workload init ", 0), 0u);
  // Proof the tools act in the sandbox: the sandbox's sleep stops and goes on.
  ASSERT_EQ(View({"kill", "-STOP", pid}).exit_code, 0);
  for (int i = 0;
       i < 100000 && Slurp(mount_ + "/" + pid + "/stat").find(") T ") == std::string::npos; ++i) {
    sched_yield();
  }
  EXPECT_NE(Slurp(mount_ + "/" + pid + "/stat").find(") T "), std::string::npos);
  const std::vector<std::vector<std::string>> tools = {
      {"kill", "-CONT", pid},
      {"pkill", "-CONT", "-x", "sleep"},
      {"/usr/bin/python3", "-c",
       "import psutil, signal; psutil.Process(" + pid + ").send_signal(signal.SIGCONT)"}};
  for (const auto& tool : tools) {
    const Captured sent = View(tool);
    EXPECT_EQ(sent.exit_code, 0) << tool.front() << ": " << sent.err;
    EXPECT_EQ(HostState(host), 'T') << tool.front() << " reached the host process " << pid;
  }
  EXPECT_EQ(Slurp(mount_ + "/" + pid + "/stat").find(") T "), std::string::npos)
      << "the sandbox's sleep was not continued";
  // Aimed at pid 1, a tool reaches the sandbox's init, never the host's.
  EXPECT_EQ(View({"kill", "-0", "1"}).exit_code, 0);
  kill(host, SIGKILL);
  waitpid(host, nullptr, 0);
  run_->WriteLine("done");
}

TEST_F(ViewTest, ZombieShowsThenVanishesAtOnce) {
  Start({}, "view-stepper");
  run_->WriteLine("fork");
  const std::string zombie = run_->ReadLine();
  ASSERT_EQ(zombie.rfind("zombie ", 0), 0u) << zombie;
  const std::string pid = zombie.substr(7);
  const std::string dir = mount_ + "/" + pid;
  std::string stat = Slurp(dir + "/stat");
  ASSERT_NE(stat.find(") Z "), std::string::npos) << stat;
  EXPECT_EQ(Slurp(dir + "/cmdline"), "");  // a zombie has no arguments left
  struct stat st {};
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);  // now in the kernel's cache for a second
  run_->WriteLine("reap");
  ASSERT_EQ(run_->ReadLine(), "reaped " + pid);
  // Gone within 100 ms, not after the cache's second: the entry was dropped.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
  while (::stat(dir.c_str(), &st) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_NE(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(errno, ENOENT);
  EXPECT_NE(Slurp(mount_ + "/sentry/status").find("divergences: 0"), std::string::npos);
  run_->WriteLine("quit");
}

// A file kept open and read from the start again shows what is true now, as
// procfs's do (top keeps /proc/stat open and rereads it so); a read further
// on goes on with the version it started with.
TEST_F(ViewTest, ReadingFromTheStartAgainShowsTheFileAsItIsNow) {
  Start({}, "view-stepper");
  const auto fork_and_reap = [this] {
    run_->WriteLine("fork");
    const std::string zombie = run_->ReadLine();
    EXPECT_EQ(zombie.rfind("zombie ", 0), 0u) << zombie;
    const std::string pid = zombie.substr(7);
    run_->WriteLine("reap");
    EXPECT_EQ(run_->ReadLine(), "reaped " + pid);
    // The view learns of it from the records, a moment later.
    const std::string line = " reaped " + pid + " with a wait";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (Slurp(mount_ + "/sentry/reaped").find(line) == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return line;
  };
  const std::string first = fork_and_reap();
  const int fd = ::open((mount_ + "/sentry/reaped").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const auto read_at = [fd](off_t off) {
    std::string buf(1 << 16, '\0');
    const ssize_t n = ::pread(fd, buf.data(), buf.size(), off);
    buf.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return buf;
  };
  const std::string before = read_at(0);
  ASSERT_NE(before.find(first), std::string::npos) << before;
  const std::string second = fork_and_reap();
  // The version it started with, read on to its end.
  EXPECT_EQ(read_at(static_cast<off_t>(before.size())), "");
  const std::string after = read_at(0);
  EXPECT_EQ(before.find(second), std::string::npos) << before;
  EXPECT_NE(after.find(second), std::string::npos) << after;
  ::close(fd);
  run_->WriteLine("quit");
}

// Nothing is made or removed in the view, with procfs's errors (root gets
// past the permission checks to ask).
TEST_F(ViewTest, NamesAreNeitherMadeNorRemovedAsInProcfs) {
  Start();
  errno = 0;
  EXPECT_NE(::mkdir((mount_ + "/x").c_str(), 0755), 0);
  EXPECT_EQ(errno, ENOENT);
  errno = 0;
  EXPECT_LT(::open((mount_ + "/y").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644), 0);
  EXPECT_EQ(errno, ENOENT);
  errno = 0;
  EXPECT_NE(::unlink((mount_ + "/uptime").c_str()), 0);
  EXPECT_EQ(errno, EPERM);
  errno = 0;
  EXPECT_NE(::rename((mount_ + "/uptime").c_str(), (mount_ + "/u2").c_str()), 0);
  EXPECT_EQ(errno, ENOENT);
  EXPECT_FALSE(Slurp(mount_ + "/uptime").empty());
}

TEST_F(ViewTest, OtherUsersAreRefused) {
  Start();
  const pid_t child = fork();
  if (child == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(2);
    struct stat st {};
    _exit(::stat((mount_ + "/sentry/status").c_str(), &st) != 0 && errno == EACCES ? 0 : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "another uid could enter the view";
}

// With --allow-other another user reads the view, but follows the exe, cwd
// and root links of root's processes no more than procfs lets it.
TEST_F(ViewTest, AllowedOtherUsersCannotFollowTheLinksOfRootsProcesses) {
  Start({"--allow-other"});
  const std::vector<int> pids = WorkloadPids();
  ASSERT_FALSE(pids.empty());
  const std::string exe = mount_ + "/" + std::to_string(pids.front()) + "/exe";
  char target[4096];
  ASSERT_GT(::readlink(exe.c_str(), target, sizeof target), 0) << "root follows it";
  const pid_t child = fork();
  if (child == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(2);
    struct stat st {};
    if (::stat((mount_ + "/sentry/status").c_str(), &st) != 0) _exit(3);  // the view is open to it
    const std::string dir = mount_ + "/" + std::to_string(pids.front());
    for (const char* link : {"exe", "cwd", "root", "fd/0"}) {
      const std::string path = dir + "/" + link;
      if (::readlink(path.c_str(), target, sizeof target) >= 0 || errno != EACCES) _exit(1);
    }
    // Nor reads what procfs guards with a ptrace check (environ's and io's
    // modes say so; maps' and smaps' do not), nor lists its descriptors.
    for (const char* file : {"environ", "io", "maps", "smaps", "smaps_rollup", "fdinfo/0"}) {
      if (::open((dir + "/" + file).c_str(), O_RDONLY) >= 0 || errno != EACCES) _exit(4);
    }
    if (::opendir((dir + "/fd").c_str()) != nullptr || errno != EACCES) _exit(5);
    // What procfs shows anyone, it reads.
    for (const char* file : {"limits", "wchan", "mountinfo", "oom_score"}) {
      if (::open((dir + "/" + file).c_str(), O_RDONLY) < 0) _exit(6);
    }
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: followed a link; 2: setuid; 3: refused the view; "
                                       "4: read a guarded file; 5: listed fd/; 6: refused a file";
}

// Hunting a stuck pipeline through the view, the README's debugging walk:
// `writer | reader` with the reader stopped. lsof, ps -o stat,wchan, pmap
// -x, vmstat, pidstat and psutil's per-process calls give the host's
// answers through the view, except where the view shows what the workload
// would see untraced (T and do_signal_stop for ptrace's t and ptrace_stop)
// and the device of pipes and sockets (the kernel gives every node of a
// FUSE mount the mount's device).
class StuckPipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    run_ = std::make_unique<LiveRun>(
        std::vector<std::string>{"--mount", mount_},
        std::vector<std::string>{SCENARIOS_BINARY, "view-stuck-pipeline"});
    std::istringstream ready(run_->ReadLine());
    std::string word;
    ASSERT_TRUE(ready >> word >> writer_ >> reader_ && word == "ready") << run_->Stderr();
    const std::string status = Slurp("/proc/" + std::to_string(writer_) + "/status");
    const std::size_t at = status.find("\nPPid:\t");
    ASSERT_NE(at, std::string::npos);
    first_ = std::atoi(status.c_str() + at + 7);
    pids_ = {first_, writer_, reader_};
    AwaitAllAsleep(pids_);
  }
  void TearDown() override {
    run_->WriteLine("done");
    EXPECT_EQ(run_->Finish(), 0) << run_->Stderr();
    EXPECT_FALSE(IsMounted(mount_)) << "stale mount at " << mount_;
  }
  Captured View(const std::vector<std::string>& tool) const {
    std::vector<std::string> argv = {SENTRY_BINARY, "view", "--mount", mount_, "--"};
    argv.insert(argv.end(), tool.begin(), tool.end());
    return Capture(argv);
  }

  std::string mount_ = TempPath("stuck");
  std::unique_ptr<LiveRun> run_;
  int first_ = 0;
  int writer_ = 0;
  int reader_ = 0;
  std::vector<int> pids_;
};

// Spaces collapsed, and the device of pipes and sockets dropped.
std::string LsofWithoutPipeDevices(const std::string& table) {
  std::string out = std::regex_replace(table, std::regex(" +"), " ");
  return std::regex_replace(out, std::regex(" FIFO [0-9]+,[0-9]+ "), " FIFO - ");
}

TEST_F(StuckPipelineTest, LsofPmapVmstatAndPidstatReadTheView) {
  // They read the view: this test's process is not in it.
  const std::string outside = std::to_string(getpid());
  for (const std::vector<std::string>& tool : {std::vector<std::string>{"lsof", "-p", outside},
                                               std::vector<std::string>{"pmap", "-x", outside}}) {
    EXPECT_NE(View(tool).exit_code, 0) << tool.front();
    EXPECT_EQ(Capture(tool).exit_code, 0) << tool.front();
  }
  for (const int pid : pids_) {
    const Captured viewed = View({"lsof", "-p", std::to_string(pid)});
    ASSERT_EQ(viewed.exit_code, 0) << viewed.err;
    const Captured host = Capture({"lsof", "-p", std::to_string(pid)});
    EXPECT_EQ(LsofWithoutPipeDevices(viewed.out), LsofWithoutPipeDevices(host.out)) << pid;
    const Captured pmap = View({"pmap", "-x", std::to_string(pid)});
    ASSERT_EQ(pmap.exit_code, 0) << pmap.err;
    EXPECT_EQ(pmap.out, Capture({"pmap", "-x", std::to_string(pid)}).out) << pid;
  }
  // The pipeline as lsof tells it: one pipe, the writer's end and the reader's.
  const Captured pipes = View(
      {"lsof", "-a", "-d", "0-20", "-p", std::to_string(writer_) + "," + std::to_string(reader_)});
  EXPECT_NE(pipes.out.find("FIFO"), std::string::npos) << pipes.out;
  // The first process's listening socket and socket pair, by inode.
  const Captured sockets = View({"lsof", "-a", "-i", "-p", std::to_string(first_)});
  EXPECT_NE(sockets.out.find("(LISTEN)"), std::string::npos) << sockets.out << sockets.err;

  const Captured vmstat = View({"vmstat", "1", "2"});
  ASSERT_EQ(vmstat.exit_code, 0) << vmstat.err;
  EXPECT_EQ(std::count(vmstat.out.begin(), vmstat.out.end(), '\n'), 4) << vmstat.out;
  const Captured pidstat = View({"pidstat", "-p", std::to_string(first_)});
  ASSERT_EQ(pidstat.exit_code, 0) << pidstat.err;
  // Appended, not joined with +: GCC 12 at -O3 warns of an overlap in the
  // join (-Wrestrict, a false positive) once this test is inlined.
  std::string first_column = " ";
  first_column += std::to_string(first_);
  first_column += ' ';
  EXPECT_NE(pidstat.out.find(first_column), std::string::npos) << pidstat.out;
  EXPECT_NE(pidstat.out.find("scenarios"), std::string::npos) << pidstat.out;
}

TEST_F(StuckPipelineTest, PsShowsWhereEachTaskWaitsAndTheNamesThreadsGaveThemselves) {
  const std::string list =
      std::to_string(first_) + "," + std::to_string(writer_) + "," + std::to_string(reader_);
  const Captured viewed = View({"ps", "-L", "-o", "pid,tid,stat,wchan:32,comm", "-p", list});
  ASSERT_EQ(viewed.exit_code, 0) << viewed.err;
  const Captured host = Capture({"ps", "-L", "-o", "pid,tid,stat,wchan:32,comm", "-p", list});
  std::map<int, std::string> view_rows;
  std::map<int, std::string> host_rows;
  for (auto [table, rows] :
       {std::pair{&viewed.out, &view_rows}, std::pair{&host.out, &host_rows}}) {
    std::istringstream in(*table);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      int pid = 0;
      int tid = 0;
      if (std::istringstream(line) >> pid >> tid)
        (*rows)[tid] = std::regex_replace(line, std::regex(" +"), " ");
    }
  }
  ASSERT_EQ(view_rows.size(), 5u) << viewed.out;  // 3 threads, writer, reader
  ASSERT_EQ(host_rows.size(), 5u) << host.out;
  for (const auto& [tid, row] : host_rows) {
    if (tid == reader_) {
      // Traced, the stopped reader is in ptrace's stop; untraced it would
      // wait in do_signal_stop, as the view says.
      EXPECT_NE(row.find(" t ptrace_stop "), std::string::npos) << row;
      EXPECT_NE(view_rows[tid].find(" T do_signal_stop scenarios"), std::string::npos)
          << view_rows[tid];
    } else {
      EXPECT_EQ(view_rows[tid], row);
    }
  }
  EXPECT_NE(viewed.out.find("pipe_write"), std::string::npos) << viewed.out;  // the writer
  EXPECT_NE(viewed.out.find(" worker-1"), std::string::npos) << viewed.out;
  EXPECT_NE(viewed.out.find(" worker-2"), std::string::npos) << viewed.out;
}

TEST_F(StuckPipelineTest, PsutilPerProcessCallsAgreeWithHostProc) {
  std::string list;
  for (const int pid : pids_) list += std::to_string(pid) + ",";
  // Every per-process call that reads /proc; pss, uss, a page's being
  // shared or private, and its referenced bit aside (they move as any other
  // process maps the same libraries, this script included).
  const std::string script =
      "import json, re, sys, psutil\n"
      "psutil.PROCFS_PATH = sys.argv[1]\n"
      "calls = ['num_fds', 'open_files', 'connections', 'io_counters', 'memory_maps',\n"
      "         'memory_full_info', 'memory_info', 'threads', 'num_ctx_switches', 'environ',\n"
      "         'cwd', 'exe', 'terminal', 'uids', 'gids', 'name', 'status', 'cpu_times',\n"
      "         'num_threads', 'ppid', 'create_time', 'cmdline', 'username']\n"
      "out = {}\n"
      "for pid in [" +
      list +
      "]:\n"
      "    p = psutil.Process(pid)\n"
      "    out[pid] = {c: re.sub(r'(pss|uss|shared_clean|private_clean|referenced)=[0-9]+', '', "
      "str(getattr(p, c)())) for c in calls}\n"
      "print(json.dumps(out, sort_keys=True, indent=1))\n";
  const Captured viewed = Capture({"/usr/bin/python3", "-c", script, mount_});
  ASSERT_EQ(viewed.exit_code, 0) << viewed.err;
  const Captured host = Capture({"/usr/bin/python3", "-c", script, "/proc"});
  ASSERT_EQ(host.exit_code, 0) << host.err;
  const std::string expected = Replaced(host.out, "tracing-stop", "stopped");
  // Line by line (one call of one process a line): a difference names its call.
  std::istringstream view_lines(viewed.out);
  std::istringstream host_lines(expected);
  std::string view_line;
  std::string host_line;
  int lines = 0;
  while (std::getline(host_lines, host_line)) {
    ++lines;
    ASSERT_TRUE(std::getline(view_lines, view_line)) << "the view's answer is shorter";
    EXPECT_EQ(view_line, host_line);
  }
  EXPECT_GE(lines, 3 * 23);
  EXPECT_NE(viewed.out.find("status='LISTEN'"), std::string::npos);  // connections()
  EXPECT_NE(viewed.out.find("popenfile(path="), std::string::npos);  // open_files()
  EXPECT_NE(viewed.out.find("pio(read_count="), std::string::npos);  // io_counters()
}

TEST_F(ViewTest, EventsStreamToSeveralReadersAndAKilledReaderLeavesNothing) {
  Start({}, "view-stepper");
  // Two readers, each a real `cat`, and a third killed while it blocks.
  std::vector<pid_t> cats;
  std::vector<std::string> outs;
  for (int i = 0; i < 3; ++i) {
    outs.push_back(TempPath("events-" + std::to_string(i)));
    const std::string events = mount_ + "/sentry/events";
    const pid_t pid = fork();
    if (pid == 0) {
      const int out = open(outs.back().c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (out < 0 || dup2(out, 1) < 0) _exit(126);
      execlp("cat", "cat", events.c_str(), nullptr);
      _exit(127);
    }
    cats.push_back(pid);
  }
  // The readers are open once the view counts them... give them a record to
  // wait for: each prints it when it comes.
  // "#N PID (scenarios) exited (exit status 0) and is a zombie: …"
  const auto has = [](const std::string& path, const std::string& pid) {
    const std::regex zombie(" " + pid + R"( \([^)]*\) exited \([^)]*\) and is a zombie)");
    return std::regex_search(Slurp(path), zombie);
  };
  std::string pid;
  for (int attempt = 0; attempt < 50; ++attempt) {
    run_->WriteLine("fork");
    pid = run_->ReadLine().substr(7);
    run_->WriteLine("reap");
    run_->ReadLine();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    // Both were reading before this child was born: they saw all of it.
    if (has(outs[0], pid) && has(outs[1], pid)) break;
  }
  EXPECT_TRUE(has(outs[0], pid)) << Slurp(outs[0]);
  EXPECT_TRUE(has(outs[1], pid)) << Slurp(outs[1]);
  // A reader blocked in read dies at once on SIGKILL (no D state).
  kill(cats[2], SIGKILL);
  const auto start = std::chrono::steady_clock::now();
  waitpid(cats[2], nullptr, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  // The run ends promptly with the other two still reading: they get EOF.
  run_->WriteLine("quit");
  EXPECT_EQ(run_->Finish(), 0);
  for (int i = 0; i < 2; ++i) {
    int status = 0;
    waitpid(cats[static_cast<std::size_t>(i)], &status, 0);
    EXPECT_TRUE(WIFEXITED(status)) << "reader " << i;
    unlink(outs[static_cast<std::size_t>(i)].c_str());
  }
  unlink(outs[2].c_str());
}

// CPU time (utime + stime, in ticks) of a host task.
long CpuTicks(const std::string& pid) {
  const std::string stat = Slurp("/proc/" + pid + "/stat");
  std::istringstream in(stat.substr(stat.rfind(')') + 2));
  std::string field;
  long ticks = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stol(field);
  }
  return ticks;
}

TEST_F(ViewTest, FreezeHoldsTheWorkloadUnseenByItsWaits) {
  run_ = std::make_unique<LiveRun>(std::vector<std::string>{"--mount", mount_},
                                   std::vector<std::string>{SCENARIOS_BINARY, "view-spinner"});
  const std::string ready = run_->ReadLine();
  ASSERT_EQ(ready.rfind("ready ", 0), 0u) << ready << run_->Stderr();
  const std::string child = ready.substr(6);
  const std::string freeze = mount_ + "/sentry/freeze";
  const auto write = [&](const char* value) {
    const int fd = open(freeze.c_str(), O_WRONLY | O_TRUNC);
    if (fd < 0) return false;
    const bool ok =
        ::write(fd, value, std::strlen(value)) == static_cast<ssize_t>(std::strlen(value));
    close(fd);
    return ok;
  };
  // Runs: gets 50 ms of CPU within 20 s (on a loaded machine a spinner may
  // get a sliver of a core; only a held one gets none).
  const auto runs = [&] {
    const long before = CpuTicks(child);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      if (CpuTicks(child) - before >= 5) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  };
  const auto ticks_in_300ms = [&] {
    const long before = CpuTicks(child);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return CpuTicks(child) - before;
  };
  ASSERT_TRUE(runs());
  ASSERT_TRUE(write("1\n"));
  EXPECT_EQ(Slurp(freeze), "1\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the last tick's rounding
  EXPECT_EQ(ticks_in_300ms(), 0) << "a frozen task ran";
  EXPECT_NE(Slurp(mount_ + "/" + child + "/sentry/stop").find("external: 1"), std::string::npos);
  EXPECT_FALSE(write("2"));  // only 0 and 1
  ASSERT_TRUE(write("0"));
  EXPECT_TRUE(runs()) << "the thawed task stays still";
  // Its parent's WUNTRACED wait finds nothing: a freeze is no stop.
  run_->WriteLine("check");
  EXPECT_EQ(run_->ReadLine(), "0");
  run_->WriteLine("quit");
}

// ---- Mount hygiene.

class MountTest : public ::testing::Test {
 protected:
  void TearDown() override {
    // A failed test must not leave a mount for the next one.
    for (const std::string& m : {mount_, other_}) {
      while (IsMounted(m)) umount2(m.c_str(), MNT_DETACH);
    }
  }
  std::string mount_ = TempPath("mount");
  std::string other_ = TempPath("mount-other");
};

TEST_F(MountTest, NoStaleMountAfterSigintSigtermOrACrashingWorkload) {
  for (int signo : {SIGINT, SIGTERM}) {
    LiveRun run({"--mount", mount_}, {SCENARIOS_BINARY, "view-stepper"});
    ASSERT_EQ(run.ReadLine(), "ready");
    ASSERT_TRUE(IsMounted(mount_));
    EXPECT_EQ(run.Signal(signo), 128 + signo) << run.Stderr();
    EXPECT_FALSE(IsMounted(mount_)) << strsignal(signo);
  }
  LiveRun crash({"--mount", mount_}, {"sh", "-c", "echo ready; kill -SEGV $$"});
  EXPECT_EQ(crash.ReadLine(), "ready");
  EXPECT_EQ(crash.Finish(), 128 + SIGSEGV);
  EXPECT_FALSE(IsMounted(mount_));
}

TEST_F(MountTest, AfterKillNineTheNextRunCleansAndMounts) {
  {
    LiveRun run({"--mount", mount_}, {SCENARIOS_BINARY, "view-stepper"});
    ASSERT_EQ(run.ReadLine(), "ready");
    EXPECT_EQ(run.Signal(SIGKILL), 128 + SIGKILL);
  }
  ASSERT_TRUE(IsMounted(mount_));
  struct stat st {};
  EXPECT_NE(::stat((mount_ + "/no-such-entry").c_str(), &st), 0);  // never cached
  // Gone (or ended as the kernel aborted the connection: fuse end_requests).
  EXPECT_TRUE(errno == ENOTCONN || errno == ECONNABORTED) << std::strerror(errno);
  LiveRun again({"--mount", mount_}, {SCENARIOS_BINARY, "view-stepper"});
  ASSERT_EQ(again.ReadLine(), "ready");
  EXPECT_EQ(ListedPids(mount_).size(), 3u);  // the sentry, its session leader and the stepper
  again.WriteLine("quit");
  EXPECT_EQ(again.Finish(), 0);
  EXPECT_NE(again.Stderr().find("cleaned a dead mount left at " + mount_), std::string::npos)
      << again.Stderr();
  EXPECT_FALSE(IsMounted(mount_));
}

TEST_F(MountTest, TwoRunsAtOnceAndALivePathRefused) {
  const std::string& other = other_;
  LiveRun a({"--mount", mount_}, {SCENARIOS_BINARY, "view-stepper"});
  LiveRun b({"--mount", other}, {SCENARIOS_BINARY, "view-stepper"});
  ASSERT_EQ(a.ReadLine(), "ready");
  ASSERT_EQ(b.ReadLine(), "ready");
  const auto in_a = ListedPids(mount_);
  const auto in_b = ListedPids(other);
  EXPECT_TRUE(std::find(in_a.begin(), in_a.end(), a.Pid()) != in_a.end());
  EXPECT_TRUE(std::find(in_b.begin(), in_b.end(), b.Pid()) != in_b.end());
  EXPECT_TRUE(std::find(in_a.begin(), in_a.end(), b.Pid()) == in_a.end());
  // A third run asking for a path a live sentry holds is refused, nothing run.
  const Captured third =
      Capture({SENTRY_BINARY, "run", "--no-tty", "--mount", mount_, "--", "sh", "-c", "echo ran"});
  EXPECT_EQ(third.exit_code, 125);
  EXPECT_EQ(third.out, "");
  EXPECT_NE(third.err.find("--mount"), std::string::npos) << third.err;
  a.WriteLine("quit");
  b.WriteLine("quit");
  EXPECT_EQ(a.Finish(), 0);
  EXPECT_EQ(b.Finish(), 0);
}

TEST_F(MountTest, KeepMountedShowsTheFinalStateUntilSigterm) {
  LiveRun run({"--mount", mount_, "--keep-mounted"},
              {"sh", "-c", "sleep 1000 & echo ready; read x; exit 3"});
  ASSERT_EQ(run.ReadLine(), "ready");
  run.WriteLine("go");
  // The workload is gone; its final state stays: who reaped whom, and how.
  // (The sleep's reap comes after the first process's: the leftovers are
  // killed once it is gone.)
  std::string reaped;
  const auto both = [&] {
    return reaped.find("(exit status 3)") != std::string::npos &&
           reaped.find("killed by SIGKILL") != std::string::npos;
  };
  for (int i = 0; i < 200 && !both(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    reaped = Slurp(mount_ + "/sentry/reaped");
  }
  EXPECT_NE(reaped.find("(exit status 3)"), std::string::npos) << reaped;
  EXPECT_NE(reaped.find("killed by SIGKILL"), std::string::npos) << reaped;  // the sleep
  EXPECT_NE(Slurp(mount_ + "/sentry/status").find("divergences: 0"), std::string::npos);
  EXPECT_TRUE(IsMounted(mount_));
  EXPECT_EQ(run.Signal(SIGTERM), 3);
  EXPECT_FALSE(IsMounted(mount_));
}

// `sentry replay --db --at SEQ --mount DIR`: the run as it was after SEQ,
// read by the real ps through `sentry view`, long after its processes
// are gone from the host.
TEST_F(MountTest, ReplayServesARunAsItWasAtASeq) {
  const std::string db = TempPath("replay.db");
  const Captured run = Capture({SENTRY_BINARY, "run", "--no-tty", "--no-fuse", "--db", db, "--",
                                "sh", "-c", "(exit 3) & sleep 0.3; wait"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // When the subshell became a zombie, and its pid.
  const Captured zombie =
      Capture({"sqlite3", db,
               "SELECT e.seq || ' ' || p.pid FROM exit e JOIN process p USING (run_id, upid) "
               "WHERE e.step = 'zombie' AND p.exit_code = 3"});
  std::istringstream fields(zombie.out);
  std::uint64_t seq = 0;
  int pid = 0;
  ASSERT_TRUE(fields >> seq >> pid) << zombie.out << zombie.err;
  // Gone from the host: what shows it is the view.
  ASSERT_NE(::access(("/proc/" + std::to_string(pid)).c_str(), F_OK), 0);

  const std::string out = TempPath("replay.out");
  const pid_t replay = fork();
  if (replay == 0) {
    const int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0) _exit(126);
    execl(SENTRY_BINARY, SENTRY_BINARY, "replay", "--db", db.c_str(), "--at",
          std::to_string(seq).c_str(), "--mount", mount_.c_str(), nullptr);
    _exit(127);
  }
  for (int i = 0; i < 3000 && Slurp(out).find("stays mounted") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(IsMounted(mount_)) << Slurp(out);
  const std::string dir = mount_ + "/" + std::to_string(pid);
  EXPECT_NE(Slurp(dir + "/stat").find(") Z "), std::string::npos) << Slurp(dir + "/stat");
  EXPECT_NE(Slurp(dir + "/sentry/exit").find("status: exited 3"), std::string::npos);
  const Captured ps = Capture(
      {SENTRY_BINARY, "view", "--mount", mount_, "--", "ps", "-e", "-o", "pid=,stat=,comm="});
  ASSERT_EQ(ps.exit_code, 0) << ps.err;
  const auto rows = RowsByPid("header\n" + ps.out);
  ASSERT_TRUE(rows.contains(pid)) << ps.out;
  EXPECT_NE(rows.at(pid).find(" Z"), std::string::npos) << rows.at(pid);
  // Not the host's: its links lead nowhere, its reader is no task of it.
  char target[256];
  EXPECT_LT(::readlink((dir + "/exe").c_str(), target, sizeof target), 0);

  kill(replay, SIGTERM);
  int status = 0;
  if (!platform::testing::EndsWithinTheRunLimit(replay, replay, "sentry replay")) {
    kill(replay, SIGKILL);
  }
  waitpid(replay, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << Slurp(out);
  EXPECT_NE(Slurp(out).find("replay matches"), std::string::npos) << Slurp(out);
  EXPECT_FALSE(IsMounted(mount_));
  for (const char* suffix : {"", "-wal", "-shm"}) unlink((db + suffix).c_str());
  unlink(out.c_str());
}

// `sentry run --step` without a terminal, driven through the view's
// sentry/step file as a script or a second terminal would: the run holds
// after each event, the file says after which, and while it holds the view
// shows that moment (the zombie lesson: its child a zombie, then gone).
TEST(StepViewTest, TheStepFileDrivesARunAndTheViewShowsEachMoment) {
  const std::string mount = TempPath("step-view");
  LiveRun run({"--mount", mount, "--step"}, {LESSONS_BINARY_DIR "/zombie"});
  const std::string step = mount + "/sentry/step";
  std::string child;
  bool saw_zombie = false;
  bool saw_reap = false;
  for (int event = 0; event < 40 && !saw_reap; ++event) {
    const std::string state = AwaitHeld(mount);
    ASSERT_FALSE(state.empty()) << "the run stopped holding; stderr:\n" << run.Stderr();
    std::smatch m;
    if (std::regex_search(state, m, std::regex(R"(forked child (\d+))"))) child = m[1];
    if (!child.empty() && state.find(child + " (zombie) exited (exit status 7) and is a zombie") !=
                              std::string::npos) {
      // The sentence and the view agree: the child is a zombie now.
      EXPECT_NE(Slurp(mount + "/" + child + "/stat").find(") Z "), std::string::npos)
          << Slurp(mount + "/" + child + "/stat");
      saw_zombie = true;
    }
    if (!child.empty() &&
        state.find("reaped " + child + " (zombie) with a wait") != std::string::npos) {
      EXPECT_NE(::access((mount + "/" + child).c_str(), F_OK), 0) << "still listed after its reap";
      saw_reap = true;
      break;  // held here: the rest of the run is continued below
    }
    ASSERT_TRUE(SayToStep(mount, "next\n")) << std::strerror(errno);
  }
  EXPECT_TRUE(saw_zombie);
  EXPECT_TRUE(saw_reap);
  // Continue to the end; a word it does not know is refused.
  EXPECT_FALSE(SayToStep(mount, "sideways\n"));
  EXPECT_EQ(errno, EINVAL);
  EXPECT_TRUE(SayToStep(mount, "continue\n")) << std::strerror(errno);
  EXPECT_EQ(run.Finish(), 0) << run.Stderr();
  EXPECT_NE(run.Stderr().find("(zombie) with a wait (exit status 7)"), std::string::npos)
      << run.Stderr();
  EXPECT_FALSE(IsMounted(mount));
}

// --quiz through the step file: the run asks before the event that answers
// (who will reap the child? what will the wait report?), takes the answers
// written as `answer TEXT`, and judges each when its event comes, with the
// event's sentence.
TEST(StepViewTest, AQuizAsksBeforeTheEventAndJudgesTheAnswerWhenItComes) {
  const std::string mount = TempPath("quiz-view");
  LiveRun run({"--mount", mount, "--step", "--quiz"}, {LESSONS_BINARY_DIR "/zombie"});
  const std::string step = mount + "/sentry/step";
  const auto say = [&](const std::string& words) { return SayToStep(mount, words); };
  bool mounted = false;
  int asked = 0;
  std::string parent;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string state = Slurp(step);
    const bool now = IsMounted(mount);
    if (mounted && !now) break;  // the run is over
    mounted = mounted || now;
    std::smatch m;
    if (std::regex_search(state, m, std::regex(R"(#\d+ (\d+) \(zombie\) forked child)"))) {
      parent = m[1];
    }
    if (state.find("question: Who will reap") != std::string::npos) {
      ASSERT_FALSE(parent.empty()) << state;
      EXPECT_TRUE(say("answer " + parent + "\n")) << std::strerror(errno);  // right
      ++asked;
    } else if (state.find("question: ") != std::string::npos &&
               state.find("what will its parent's wait report?") != std::string::npos) {
      EXPECT_TRUE(say("answer 9\n")) << std::strerror(errno);  // wrong: it exits with 7
      ++asked;
    } else if (state.starts_with("held after:")) {
      // An answer is refused where no question is asked.
      EXPECT_FALSE(say("answer 1\n"));
      EXPECT_TRUE(say("next\n")) << std::strerror(errno);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // And, unless its reap comes in the same moment: what will the lesson's
  // own exit report?
  EXPECT_TRUE(asked == 2 || asked == 3) << asked;
  EXPECT_EQ(run.Finish(), 0) << run.Stderr();
  const std::string told = run.Stderr();
  EXPECT_NE(told.find("You said " + parent + ": right. " + parent + " (zombie) reaped "),
            std::string::npos)
      << told;
  EXPECT_NE(told.find("You said 9: wrong. It was exit status 7."), std::string::npos) << told;
  EXPECT_NE(told.find(asked == 3 ? "quiz: 1 of 3 right" : "quiz: 1 of 2 right"), std::string::npos)
      << told;
}

// An interrupt to a run that holds ends the holding: the signal goes to
// the workload as it would unheld (the zombie lesson dies of it), and the
// run ends instead of waiting for a `next` nobody will write.
TEST(StepViewTest, AnInterruptEndsTheHoldingAndReachesTheWorkload) {
  const std::string mount = TempPath("step-interrupt");
  LiveRun run({"--mount", mount, "--step"}, {LESSONS_BINARY_DIR "/zombie"});
  ASSERT_FALSE(AwaitHeld(mount).empty()) << run.Stderr();
  EXPECT_EQ(run.Signal(SIGINT), 128 + SIGINT) << run.Stderr();
  EXPECT_NE(run.Stderr().find("stepping ends"), std::string::npos) << run.Stderr();
  EXPECT_FALSE(IsMounted(mount));
}

// `quit` while it holds kills the workload, and says why.
TEST(StepViewTest, QuitKillsTheWorkloadAndSaysWhy) {
  const std::string mount = TempPath("step-quit");
  LiveRun run({"--mount", mount, "--step"}, {LESSONS_BINARY_DIR "/zombie"});
  ASSERT_FALSE(AwaitHeld(mount).empty()) << run.Stderr();
  EXPECT_TRUE(SayToStep(mount, "quit\n")) << std::strerror(errno) << run.Stderr();
  EXPECT_EQ(run.Finish(), 128 + SIGKILL) << run.Stderr();
  EXPECT_NE(run.Stderr().find("quit while stepping: killing the workload"), std::string::npos)
      << run.Stderr();
}

// The session the sentry was started in (a user's shell leads it, outside
// the sandbox) is not said to have lost its leader. `setsid sh` makes that
// shell here, whatever session this test runs in.
TEST(SessionViewTest, TheSessionTheSentryStartedInHasItsLeaderOutside) {
  const std::string mount = TempPath("session-leader");
  const Captured run =
      Capture({"setsid", "--wait", "/bin/sh", "-c",
               "echo $$; " SENTRY_BINARY " run --no-tty --no-db --mount " + mount +
                   " -- /bin/sh -c 'cat " + mount + "/sentry/session/*/leader'; exit $?"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string shell = run.out.substr(0, run.out.find('\n'));
  EXPECT_NE(run.out.find("\n" + shell + " (outside the sandbox)\n"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("none (exited)"), std::string::npos) << run.out;
}

// Started in a PID namespace its session's leader is not in (a container
// entered without setsid, as CI's may be), the sentry's session has no id
// there: the host says 0 (getsid), so does the view, and no session is said
// to have lost its leader.
TEST(SessionViewTest, ASessionLedFromAnAncestorNamespaceIsZeroAsOnTheHost) {
  const std::string mount = TempPath("session-hidden");
  // In the new namespace the shell is 1, its session's leader unseen. The
  // workload finds the sentry as its parent's parent.
  const std::string workload =
      "s=$(cut -d' ' -f4 /proc/$PPID/stat); echo host $(cut -d' ' -f6 /proc/$s/stat); "
      "echo view $(cut -d' ' -f6 " +
      mount + "/$s/stat); cat " + mount + "/sentry/session/*/leader";
  const Captured run =
      Capture({"unshare", "--pid", "--fork", "--mount-proc", "/bin/sh", "-c",
               SENTRY_BINARY " run --no-tty --no-db --mount " + mount + " -- /bin/sh -c \"$1\"",
               "sh", workload});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("host 0\nview 0\n"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("none (exited)"), std::string::npos) << run.out;
}

// A user the view does not let in is told so in one line, with whose view
// it is and what lets others in, before any tool runs.
TEST(ViewAccessTest, AnotherUserIsToldWhoseViewItIsAndWhatLetsOthersIn) {
  const std::string mount = TempPath("view-owner");
  LiveRun run({"--mount", mount}, {"/bin/cat"});  // until its stdin closes
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!IsMounted(mount) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(IsMounted(mount)) << run.Stderr();
  // A copy of the sentry any user may run (the build tree may not be).
  const std::string sentry = TempPath("sentry-copy");
  std::filesystem::copy_file(SENTRY_BINARY, sentry,
                             std::filesystem::copy_options::overwrite_existing);
  ::chmod(sentry.c_str(), 0755);
  const Captured view = Capture({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                 sentry, "view", "--mount", mount, "--", "ps", "-e"});
  EXPECT_EQ(view.exit_code, 125) << view.out << view.err;
  EXPECT_EQ(view.err, "sentry: view: the view at " + mount +
                          " is uid 0's, and only its user may read it: a `sentry run "
                          "--allow-other` lets others in\n");
  ::unlink(sentry.c_str());
  EXPECT_EQ(run.Finish(), 0) << run.Stderr();
}

}  // namespace
}  // namespace sentry::fusefs::testing
