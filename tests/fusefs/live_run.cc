#include "tests/fusefs/live_run.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "tests/platform/platform_test_util.h"

namespace sentry::fusefs::testing {

using platform::testing::EndsWithinTheRunLimit;
using platform::testing::ExecArgv;
using platform::testing::ShellExitCode;
using platform::testing::Slurp;
using platform::testing::TempPath;

Captured Capture(const std::vector<std::string>& argv) {
  static int runs = 0;
  const std::string out_path = TempPath("capture-" + std::to_string(++runs) + ".out");
  const std::string err_path = out_path + ".err";
  std::vector<char*> args = ExecArgv(argv);
  const pid_t pid = fork();
  if (pid == 0) {
    const int in = open("/dev/null", O_RDONLY);
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) {
      _exit(126);
    }
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  if (!EndsWithinTheRunLimit(pid, pid, argv.front())) kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  Captured c{.exit_code = ShellExitCode(status), .out = Slurp(out_path), .err = Slurp(err_path)};
  unlink(out_path.c_str());
  unlink(err_path.c_str());
  return c;
}

LiveRun::LiveRun(const std::vector<std::string>& sentry_options,
                 const std::vector<std::string>& workload) {
  static int runs = 0;
  err_path_ = TempPath("live-" + std::to_string(++runs) + ".err");
  if (const auto m = std::find(sentry_options.begin(), sentry_options.end(), "--mount");
      m != sentry_options.end() && m + 1 != sentry_options.end()) {
    mount_ = *(m + 1);
  }
  std::vector<std::string> argv = {SENTRY_BINARY, "run", "--no-tty"};
  argv.insert(argv.end(), sentry_options.begin(), sentry_options.end());
  // Runs that do not ask for a database leave none in the tests' directory.
  if (std::find(sentry_options.begin(), sentry_options.end(), "--db") == sentry_options.end())
    argv.emplace_back("--no-db");
  argv.emplace_back("--");
  argv.insert(argv.end(), workload.begin(), workload.end());
  std::vector<char*> args = ExecArgv(argv);
  int in[2];
  int out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) std::abort();
  const pid_t test = getpid();
  pid_ = fork();
  if (pid_ == 0) {
    // A test that dies (an abort from --gtest_break_on_failure runs no
    // destructor) takes its run with it: the sentry's death ends the
    // workload (PTRACE_O_EXITKILL). Forks clear it: the workload has none.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != test) _exit(126);
    setsid();
    const int err = open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (err < 0 || dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(err, 2) < 0) _exit(126);
    execv(args[0], args.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  to_ = in[1];
  from_ = out[0];
}

LiveRun::~LiveRun() {
  if (status_ < 0 && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    // A killed sentry cannot unmount its view: a failed test leaves none.
    if (!mount_.empty() && IsMounted(mount_)) umount2(mount_.c_str(), MNT_DETACH);
  }
  if (to_ >= 0) close(to_);
  if (from_ >= 0) close(from_);
  unlink(err_path_.c_str());
}

std::string LiveRun::ReadLine() {
  for (;;) {
    if (const std::size_t nl = buffered_.find('\n'); nl != std::string::npos) {
      std::string line = buffered_.substr(0, nl);
      buffered_.erase(0, nl + 1);
      return line;
    }
    char buf[256];
    const ssize_t n = read(from_, buf, sizeof buf);
    if (n <= 0) return std::exchange(buffered_, {});
    buffered_.append(buf, static_cast<std::size_t>(n));
  }
}

void LiveRun::WriteLine(const std::string& line) const {
  const std::string text = line + "\n";
  if (write(to_, text.data(), text.size()) != static_cast<ssize_t>(text.size())) std::abort();
}

int LiveRun::Finish() {
  if (to_ >= 0) {
    close(to_);
    to_ = -1;
  }
  if (status_ < 0) Await();
  return ShellExitCode(status_);
}

int LiveRun::Signal(int signo) {
  kill(pid_, signo);
  Await();  // the workload's stdin stays open: only the signal ends it
  return ShellExitCode(status_);
}

void LiveRun::Await() {
  // A stuck run fails the test with its tasks' state, not the test's timeout.
  if (!EndsWithinTheRunLimit(pid_, pid_, "sentry run")) kill(-pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  status_ = status;
}

std::string LiveRun::Stderr() const {
  return Slurp(err_path_);
}

std::vector<int> ListedPids(const std::string& mount) {
  std::vector<int> pids;
  DIR* dir = opendir(mount.c_str());
  if (dir == nullptr) return pids;
  while (dirent* e = readdir(dir)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (*end == '\0' && pid > 0) pids.push_back(static_cast<int>(pid));
  }
  closedir(dir);
  return pids;
}

bool IsMounted(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, point;
    fields >> id >> parent >> dev >> root >> point;
    if (point == path) return true;
  }
  return false;
}

std::string AwaitHeld(const std::string& mount) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  bool mounted = false;
  while (std::chrono::steady_clock::now() < deadline) {
    std::string state = Slurp(mount + "/sentry/step");
    if (state.starts_with("held after:")) return state;
    const bool now = IsMounted(mount);
    if (mounted && !now) break;
    mounted = mounted || now;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return {};
}

bool SayToStep(const std::string& mount, std::string_view words) {
  const int fd = ::open((mount + "/sentry/step").c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool taken = ::write(fd, words.data(), words.size()) == static_cast<ssize_t>(words.size());
  const int error = errno;
  ::close(fd);
  errno = error;
  return taken;
}

}  // namespace sentry::fusefs::testing
