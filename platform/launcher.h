// Starting the workload's first process under ptrace.
#pragma once

#include <sys/types.h>

#include <csignal>
#include <cstdint>
#include <expected>
#include <string>
#include <vector>

#include "platform/seccomp_filter.h"
#include "platform/unique_fd.h"

namespace sentry::platform {

// Why the launch failed, with the exit code the sentry should use.
struct LaunchError {
  int exit_code = 125;  // 127 not found, 126 not executable, 125 the sentry's own failure
  std::string message;
};

struct LaunchedWorkload {
  pid_t pid = -1;
  // Read end of a close-on-exec pipe: EOF after a successful exec; an
  // ExecFailure if the child could not install the filter or exec.
  UniqueFd exec_report;
};

// What the child writes to exec_report when it fails before exec.
struct ExecFailure {
  enum Stage : std::uint8_t { kFilter = 1, kExec = 2, kTerminal = 3 };
  int stage = 0;
  int error = 0;  // errno
};

// How to start the workload's first process.
struct LaunchSpec {
  std::string path;  // resolved by ResolveCommand
  std::vector<std::string> argv;
  const CompiledFilter* filter = nullptr;
  sigset_t child_mask{};  // the signal mask the workload starts with
  unsigned long ptrace_options = 0;
  bool new_pid_namespace = false;  // be pid 1 of a new PID namespace
  // A terminal to make the controlling terminal of the new session (-1:
  // none) and stdin; stdout and stderr too where the flags say so.
  int terminal = -1;
  bool terminal_stdout = false;
  bool terminal_stderr = false;
};

// Resolves argv[0] like execvp: the path to run, or why it cannot run.
std::expected<std::string, LaunchError> ResolveCommand(const std::string& command);

// Forks the workload in a session of its own (with its terminal, if any),
// seizes it before it runs anything of its own, then lets it install the
// filter and exec.
std::expected<LaunchedWorkload, LaunchError> LaunchTraced(const LaunchSpec& spec);

// Reads the child's failure report after it exited; nullopt if it exec'd.
std::expected<ExecFailure, std::string> ReadExecFailure(const UniqueFd& report);

}  // namespace sentry::platform
