#include "tests/platform/platform_test_util.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include "platform/unique_fd.h"
#include "sentry/kernel/json_codec.h"
#include "tests/platform/database_check.h"

namespace sentry::platform::testing {

using kernel::Record;
using kernel::RecordKind;

std::string Slurp(const std::string& path) {
  // read(2), not a filebuf: a /proc file of a process that exits while it
  // is read fails with ESRCH, and std::filebuf throws on a read error
  // whatever the stream's mask (design fact 28; RunTest.InterruptsEnd...
  // failed so under ASan). What was read is returned.
  std::string out;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/sentry-test-" + std::to_string(getpid()) +
         "-" + name;
}

std::vector<char*> ExecArgv(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  return args;
}

int ShellExitCode(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

namespace {

// Far beyond any run's time, even on a loaded machine: a run still going
// then is stuck, and saying where beats the test's timeout saying nothing.
constexpr std::chrono::seconds kRunLimit{60};

// Whether child `pid` ended within `limit` (it is not reaped).
bool AwaitWithin(pid_t pid, std::chrono::seconds limit) {
  const UniqueFd fd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));  // close-on-exec
  if (!fd) return true;  // no pidfd: the caller's wait blocks as before
  pollfd p{.fd = fd.Get(), .events = POLLIN, .revents = 0};
  int ready = 0;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  do {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    ready = poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
  } while (ready < 0 && errno == EINTR);
  return ready != 0;
}

std::string FirstLine(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

// Every task of session `sid` (or of process `sid`) and every task they
// trace: state, wait channel, syscall, and the kernel stack of each thread
// (root reads it).
std::string DescribeSession(pid_t sid) {
  std::set<std::string> tracers;
  std::string out;
  const auto describe = [&](const std::filesystem::path& proc) {
    for (const auto& task : std::filesystem::directory_iterator(proc / "task")) {
      const std::string stat = Slurp(task.path() / "stat");
      out += FirstLine(stat) + "\n  wchan " + Slurp(task.path() / "wchan") + ", syscall " +
             FirstLine(Slurp(task.path() / "syscall")) + "\n" + Slurp(task.path() / "stack");
    }
  };
  std::error_code ec;
  for (const auto& proc : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string pid = proc.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;  // not a process
    const std::string stat = Slurp(proc.path() / "stat");
    const std::size_t close = stat.rfind(')');
    int session = 0;
    if (close == std::string::npos ||
        std::sscanf(stat.c_str() + close + 1, " %*c %*d %*d %d", &session) != 1) {
      continue;
    }
    const std::string status = Slurp(proc.path() / "status");
    const std::size_t at = status.find("TracerPid:\t");
    const std::string tracer =
        at == std::string::npos ? "" : FirstLine(status.substr(at + std::strlen("TracerPid:\t")));
    if (session == sid || std::to_string(sid) == pid ||
        (tracer != "0" && tracers.contains(tracer))) {
      tracers.insert(pid);
      try {
        describe(proc.path());
      } catch (const std::filesystem::filesystem_error&) {  // gone meanwhile
      }
    }
  }
  return out;
}

}  // namespace

bool EndsWithinTheRunLimit(pid_t pid, pid_t sid, const std::string& name) {
  if (AwaitWithin(pid, kRunLimit)) return true;
  ADD_FAILURE() << name << ": still running after " << kRunLimit.count() << " s; its state:\n"
                << DescribeSession(sid);
  return false;
}

Outcome RunInNewSession(const std::vector<std::string>& argv, const std::string& name) {
  const std::string out_path = TempPath(name + ".out");
  const std::string err_path = TempPath(name + ".err");
  std::vector<char*> args = ExecArgv(argv);
  // The shape `sentry run --no-tty` gives a workload, as `sh -c` would: a
  // session leader whose child, in its process group, runs the program.
  const pid_t pid = fork();
  if (pid == 0) {
    setsid();
    const pid_t program = fork();
    if (program == 0) {
      const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(126);
      execv(args[0], args.data());
      _exit(127);
    }
    int status = 0;
    while (waitpid(program, &status, 0) < 0 && errno == EINTR) {
    }
    _exit(ShellExitCode(status));
  }
  int status = 0;
  if (!EndsWithinTheRunLimit(pid, pid, name)) {
    kill(-pid, SIGKILL);  // the sentry's death takes its tracees (PTRACE_O_EXITKILL)
  }
  waitpid(pid, &status, 0);
  Outcome o;
  o.exit_code = ShellExitCode(status);
  o.out = Slurp(out_path);
  o.err = Slurp(err_path);
  unlink(out_path.c_str());
  unlink(err_path.c_str());
  return o;
}

void Traced::ReadLog(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!kernel::IsRecordLine(line)) continue;
    auto r = kernel::DecodeRecord(line);
    EXPECT_TRUE(r.has_value()) << line;
    if (r) records.push_back(*r);
  }
  if (!records.empty()) sentry_pid_hint = records.front().tid.value;
}

std::size_t Traced::Count(RecordKind kind) const {
  return static_cast<std::size_t>(std::count_if(
      records.begin(), records.end(), [kind](const Record& r) { return r.kind == kind; }));
}

std::vector<Record> Traced::All(RecordKind kind) const {
  std::vector<Record> out;
  std::copy_if(records.begin(), records.end(), std::back_inserter(out),
               [kind](const Record& r) { return r.kind == kind; });
  return out;
}

std::string Traced::Divergences() const {
  std::string out;
  for (const Record& r : records) {
    if (r.kind == RecordKind::kDivergence) out += r.detail + "\n";
  }
  if (!kept_log.empty()) out += "the run's records are kept in " + kept_log + "\n";
  return out;
}

std::vector<int> Traced::NeverReaped() const {
  std::map<std::uint64_t, int> unreaped;  // task uid -> tid
  for (const Record& r : records) {
    if (r.kind == RecordKind::kTaskCreated && r.tid.value != sentry_pid_hint) {
      unreaped[r.task.value] = r.tid.value;
    } else if (r.kind == RecordKind::kReaped) {
      unreaped.erase(r.task.value);
    }
  }
  std::vector<int> out;
  out.reserve(unreaped.size());
  for (const auto& [uid, tid] : unreaped) out.push_back(tid);
  return out;
}

Traced RunTraced(const std::vector<std::string>& scenario_args,
                 const std::vector<std::string>& sentry_options) {
  static int runs = 0;  // a log kept must not be overwritten by the next run
  const std::string name = scenario_args.empty() ? "scenario" : scenario_args.front();
  const std::string log = TempPath(name + "-" + std::to_string(++runs) + ".jsonl");
  const std::string db = log + ".db";
  Traced t;
  // Every traced run also writes the SQLite log, checked against the JSON one.
  std::vector<std::string> argv = {SENTRY_BINARY, "run", "--log-records", log, "--db", db};
  argv.insert(argv.end(), sentry_options.begin(), sentry_options.end());
  argv.insert(argv.end(), {"--", SCENARIOS_BINARY});
  argv.insert(argv.end(), scenario_args.begin(), scenario_args.end());
  t.outcome = RunInNewSession(argv, name);
  t.ReadLog(log);
  ExpectDatabaseMatchesLog(db, t.records, t.outcome.exit_code);
  for (const char* suffix : {"", "-wal", "-shm"}) unlink((db + suffix).c_str());
  if (t.Count(RecordKind::kDivergence) == 0 && t.NeverReaped().empty()) {
    unlink(log.c_str());
  } else {
    t.kept_log = log;  // for the one who reads the failure
  }
  return t;
}

Traced Compare(const std::string& mode, const std::vector<std::string>& sentry_options) {
  const Outcome native = RunInNewSession({SCENARIOS_BINARY, mode}, mode + "-native");
  Traced traced = RunTraced(mode, sentry_options);
  EXPECT_EQ(traced.outcome.exit_code, native.exit_code) << mode;
  EXPECT_EQ(traced.outcome.out, native.out) << mode;
  // The sentry is quiet by default, but for one line when it kills what the
  // first process left running (natively that runs on): not the workload's.
  std::string err = traced.outcome.err;
  static const std::string kNotice = "sentry: the first process exited; killed the ";
  if (const auto at = err.find(kNotice); at != std::string::npos) {
    err.erase(at, err.find('\n', at) + 1 - at);
  }
  EXPECT_EQ(err, native.err) << mode;
  EXPECT_EQ(traced.Count(RecordKind::kDivergence), 0u) << traced.Divergences();
  EXPECT_GT(traced.records.size(), 0u);
  return traced;
}

}  // namespace sentry::platform::testing
