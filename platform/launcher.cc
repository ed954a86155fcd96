#include "platform/launcher.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

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

// In the child, after setsid: make `terminal` its controlling terminal and
// standard streams. Async-signal-safe; returns 0 or an errno.
int AttachTerminal(const LaunchSpec& spec) {
  if (spec.terminal < 0) return 0;
  if (::ioctl(spec.terminal, TIOCSCTTY, 0) != 0) return errno;
  const bool targets[3] = {true, spec.terminal_stdout, spec.terminal_stderr};
  for (int fd = 0; fd < 3; ++fd) {
    if (targets[fd] && ::dup2(spec.terminal, fd) < 0) return errno;
  }
  return 0;
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
  const std::string& path = spec.path;
  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls.
  std::vector<char*> child_argv;
  child_argv.reserve(spec.argv.size() + 1);
  for (const std::string& a : spec.argv) child_argv.push_back(const_cast<char*>(a.c_str()));
  child_argv.push_back(nullptr);

  int go[2];
  int report[2];
  if (::pipe2(go, O_CLOEXEC) != 0)
    return std::unexpected(LaunchError{125, std::string("pipe: ") + std::strerror(errno)});
  UniqueFd go_read(go[0]);
  UniqueFd go_write(go[1]);
  if (::pipe2(report, O_CLOEXEC) != 0)
    return std::unexpected(LaunchError{125, std::string("pipe: ") + std::strerror(errno)});
  UniqueFd report_read(report[0]);
  UniqueFd report_write(report[1]);

  // clone(CLONE_NEWPID | SIGCHLD) with no stack is fork() into a new namespace.
  const pid_t pid =
      spec.new_pid_namespace
          ? static_cast<pid_t>(::syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0))
          : ::fork();
  if (pid < 0)
    return std::unexpected(LaunchError{125, std::string("fork: ") + std::strerror(errno)});
  if (pid == 0) {
    ::setsid();
    char byte = 0;
    ssize_t n;
    do {
      n = ::read(go_read.Get(), &byte, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) ::_exit(125);  // the sentry gave up on us
    ::sigprocmask(SIG_SETMASK, &spec.child_mask, nullptr);
    ExecFailure failure{.stage = ExecFailure::kTerminal, .error = AttachTerminal(spec)};
    if (failure.error == 0) {
      failure = ExecFailure{.stage = ExecFailure::kFilter, .error = InstallFilter(*spec.filter)};
    }
    if (failure.error != 0) {
      WriteAll(report_write.Get(), &failure, sizeof failure);
      ::_exit(125);
    }
    ::execv(path.c_str(), child_argv.data());
    failure = ExecFailure{.stage = ExecFailure::kExec, .error = errno};
    WriteAll(report_write.Get(), &failure, sizeof failure);
    ::_exit(failure.error == ENOENT ? 127 : 126);
  }
  go_read.Reset();
  report_write.Reset();
  if (::ptrace(PTRACE_SEIZE, pid, nullptr, spec.ptrace_options) != 0) {
    const int err = errno;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return std::unexpected(
        LaunchError{125, std::string("ptrace(PTRACE_SEIZE) refused: ") + std::strerror(err) +
                             (err == EPERM ? " (check kernel.yama.ptrace_scope and "
                                             "CAP_SYS_PTRACE)"
                                           : "")});
  }
  const char go_byte = 1;
  WriteAll(go_write.Get(), &go_byte, 1);
  return LaunchedWorkload{.pid = pid, .exec_report = std::move(report_read)};
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
