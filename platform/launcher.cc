#include "platform/launcher.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <utility>

#include "platform/write_all.h"

namespace sentry::platform {
namespace {

bool IsExecutableFile(const std::string& path, int& err) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    err = errno;
    return false;
  }
  if (S_ISDIR(st.st_mode) || ::access(path.c_str(), X_OK) != 0) {
    err = EACCES;
    return false;
  }
  return true;
}

// In the session leader, after setsid: make `terminal` its controlling
// terminal and standard streams. Async-signal-safe; returns 0 or an errno.
int AttachTerminal(const LaunchSpec& spec) {
  if (spec.terminal < 0) return 0;
  if (::ioctl(spec.terminal, TIOCSCTTY, 0) != 0) return errno;
  const bool targets[3] = {true, spec.terminal_stdout, spec.terminal_stderr};
  for (int fd = 0; fd < 3; ++fd) {
    if (targets[fd] && ::dup2(spec.terminal, fd) < 0) return errno;
  }
  return 0;
}

// A close-on-exec pipe: read end, write end.
std::optional<std::pair<UniqueFd, UniqueFd>> Pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return std::nullopt;
  return std::make_pair(UniqueFd(fds[0]), UniqueFd(fds[1]));
}

// The sentry's own descriptors (close-on-exec: the mount, the database, the
// signalfd, the pty's master...) but `keep`: the session leader never execs,
// so it closes them itself. A descriptor another sentry thread opens after
// this scan stays open in it, harmlessly; the workload's inherited ones
// (not close-on-exec) are the workload's.
std::vector<int> SentryFdsExcept(std::initializer_list<int> keep) {
  std::vector<int> fds;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return fds;
  const int scanning = ::dirfd(dir);
  while (const dirent* entry = ::readdir(dir)) {
    const int fd = std::atoi(entry->d_name);
    if (entry->d_name[0] == '.' || fd == scanning ||
        std::find(keep.begin(), keep.end(), fd) != keep.end())
      continue;
    const int flags = ::fcntl(fd, F_GETFD);
    if (flags >= 0 && (flags & FD_CLOEXEC) != 0) fds.push_back(fd);
  }
  ::closedir(dir);
  return fds;
}

struct SessionLeaderFds {
  int go;              // read: the sentry has seized us
  int report;          // write: an ExecFailure
  int release;         // read: EOF when the sentry lets us exit
  int first_go_read;   // the first process waits on it ...
  int first_go_write;  // ... for us to set its group and the foreground
};

// Whether a byte came (not EOF or an error).
bool ReadByte(int fd) {
  char byte = 0;
  ssize_t n;
  do {
    n = ::read(fd, &byte, 1);
  } while (n < 0 && errno == EINTR);
  return n == 1;
}

[[noreturn]] void Fail(int report, ExecFailure::Stage stage, int error, int code) {
  const ExecFailure failure{.stage = stage, .error = error};
  WriteAll(report, &failure, sizeof failure);
  ::_exit(code);
}

// The first process, in the session leader's fork: waits until it leads its
// own group (the terminal's foreground), then execs. Async-signal-safe.
[[noreturn]] void RunFirstProcess(const LaunchSpec& spec, char* const* argv,
                                  const SessionLeaderFds& fds) {
  ::close(fds.first_go_write);
  if (!ReadByte(fds.first_go_read)) ::_exit(125);  // the session leader gave up on us
  ::sigprocmask(SIG_SETMASK, &spec.child_mask, nullptr);
  ::execv(spec.path.c_str(), argv);
  const int err = errno;
  Fail(fds.report, ExecFailure::kExec, err, err == ENOENT ? 127 : 126);
}

// The session leader, in the sentry's fork. Async-signal-safe: the sentry
// has other threads. Its signal mask stays the sentry's (the signals a user
// ends things with blocked): like a login shell, it outlives its job.
[[noreturn]] void RunSessionLeader(const LaunchSpec& spec, char* const* argv,
                                   const std::vector<int>& sentry_fds,
                                   const SessionLeaderFds& fds) {
  ::setsid();
  ::prctl(PR_SET_NAME, kSessionLeaderName, 0, 0, 0);
  for (const int fd : sentry_fds) ::close(fd);
  if (!ReadByte(fds.go)) ::_exit(125);  // the sentry gave up on us
  ::close(fds.go);
  if (const int err = AttachTerminal(spec); err != 0)
    Fail(fds.report, ExecFailure::kTerminal, err, 125);
  if (spec.terminal >= 0) ::close(spec.terminal);  // stdin (and more) now
  if (spec.filter != nullptr) {
    if (const int err = InstallFilter(*spec.filter); err != 0)
      Fail(fds.report, ExecFailure::kFilter, err, 125);
  }
  // clone(flags | SIGCHLD) with no stack is fork(), into a new PID namespace
  // with CLONE_NEWPID; raw, since the sentry's threads make glibc's fork
  // wrappers unsafe here.
  const unsigned long flags = SIGCHLD | (spec.new_pid_namespace ? CLONE_NEWPID : 0);
  const auto first = static_cast<pid_t>(::syscall(SYS_clone, flags, 0, 0, 0, 0));
  if (first < 0) Fail(fds.report, ExecFailure::kFork, errno, 125);
  if (first == 0) RunFirstProcess(spec, argv, fds);
  ::close(fds.first_go_read);
  ::close(fds.report);
  // With a terminal, as an interactive shell does for a job: its own group,
  // the terminal's foreground. Without, as `sh -c` does: the shell's group
  // (so `setsid CMD` need not fork, as it need not natively).
  if (spec.terminal >= 0) {
    ::setpgid(first, first);
    ::tcsetpgrp(STDIN_FILENO, first);
  }
  const char byte = 1;
  WriteAll(fds.first_go_write, &byte, 1);
  ::close(fds.first_go_write);
  int status = 0;
  pid_t got;
  do {
    got = ::wait4(first, &status, 0, nullptr);
  } while (got < 0 && errno == EINTR);
  while (ReadByte(fds.release)) {
  }  // EOF: the sentry is done with the workload
  ::_exit(got != first ? 125 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

}  // namespace

std::expected<std::string, LaunchError> ResolveCommand(const std::string& command) {
  int err = ENOENT;
  if (command.find('/') != std::string::npos) {
    if (IsExecutableFile(command, err)) return command;
  } else {
    const char* path_env = std::getenv("PATH");
    std::stringstream dirs(path_env != nullptr ? path_env : "/usr/local/bin:/usr/bin:/bin");
    std::string dir;
    bool saw_unexecutable = false;
    while (std::getline(dirs, dir, ':')) {
      std::string candidate = (dir.empty() ? "." : dir) + "/" + command;
      int e = 0;
      if (IsExecutableFile(candidate, e)) return candidate;
      if (e == EACCES) saw_unexecutable = true;
    }
    err = saw_unexecutable ? EACCES : ENOENT;
  }
  if (err == ENOENT || err == ENOTDIR)
    return std::unexpected(LaunchError{127, command + ": not found"});
  return std::unexpected(LaunchError{126, command + ": cannot execute: " + std::strerror(err)});
}

std::expected<LaunchedWorkload, LaunchError> LaunchTraced(const LaunchSpec& spec) {
  // Everything the children need is built before fork: after it, only
  // async-signal-safe calls.
  std::vector<char*> child_argv;
  child_argv.reserve(spec.argv.size() + 1);
  for (const std::string& a : spec.argv) child_argv.push_back(const_cast<char*>(a.c_str()));
  child_argv.push_back(nullptr);

  auto go = Pipe();        // sentry -> session leader: seized, go on
  auto report = Pipe();    // either child -> sentry: ExecFailure
  auto release = Pipe();   // sentry -> session leader: EOF, exit now
  auto first_go = Pipe();  // session leader -> first process: exec now
  if (!go || !report || !release || !first_go) {
    return std::unexpected(LaunchError{125, std::string("pipe: ") + std::strerror(errno)});
  }
  const std::vector<int> sentry_fds =
      SentryFdsExcept({go->first.Get(), report->second.Get(), release->first.Get(),
                       first_go->first.Get(), first_go->second.Get(), spec.terminal});

  const pid_t leader = ::fork();
  if (leader < 0)
    return std::unexpected(LaunchError{125, std::string("fork: ") + std::strerror(errno)});
  if (leader == 0) {
    RunSessionLeader(spec, child_argv.data(), sentry_fds,
                     SessionLeaderFds{.go = go->first.Get(),
                                      .report = report->second.Get(),
                                      .release = release->first.Get(),
                                      .first_go_read = first_go->first.Get(),
                                      .first_go_write = first_go->second.Get()});
  }
  go->first.Reset();
  report->second.Reset();
  release->first.Reset();
  first_go->first.Reset();
  first_go->second.Reset();
  if (spec.follow) {
    if (auto followed = spec.follow(leader); !followed) {
      ::kill(leader, SIGKILL);
      ::waitpid(leader, nullptr, 0);
      return std::unexpected(LaunchError{125, followed.error()});
    }
  } else if (::ptrace(PTRACE_SEIZE, leader, nullptr, spec.ptrace_options) != 0) {
    const int err = errno;
    ::kill(leader, SIGKILL);
    ::waitpid(leader, nullptr, 0);
    return std::unexpected(
        LaunchError{125, std::string("ptrace(PTRACE_SEIZE) refused: ") + std::strerror(err) +
                             (err == EPERM ? " (check kernel.yama.ptrace_scope and "
                                             "CAP_SYS_PTRACE)"
                                           : "")});
  }
  const char go_byte = 1;
  WriteAll(go->second.Get(), &go_byte, 1);
  return LaunchedWorkload{.session_leader = leader,
                          .exec_report = std::move(report->first),
                          .release = std::move(release->second)};
}

LaunchError ExplainExecFailure(const ExecFailure& failure, const std::string& command) {
  const std::string why = std::strerror(failure.error);
  switch (failure.stage) {
    case ExecFailure::kTerminal:
      return {125, "making the pty the controlling terminal failed: " + why};
    case ExecFailure::kFilter:
      return {125, "installing the seccomp filter failed: " + why};
    case ExecFailure::kFork:
      return {125, "the session leader could not fork the first process: " + why};
    default:
      return {failure.error == ENOENT ? 127 : 126, command + ": " + why};
  }
}

std::expected<ExecFailure, std::string> ReadExecFailure(const UniqueFd& report) {
  ExecFailure failure;
  ssize_t n;
  do {
    n = ::read(report.Get(), &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof failure)) return failure;
  return std::unexpected("exec succeeded");
}

}  // namespace sentry::platform
