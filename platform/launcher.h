// Starting the workload's first process under ptrace.
#pragma once

#include <sys/types.h>

#include <csignal>
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
  int stage = 0;  // 1: installing the filter, 2: exec
  int error = 0;  // errno
};

// Resolves argv[0] like execvp: the path to run, or why it cannot run.
std::expected<std::string, LaunchError> ResolveCommand(const std::string& command);

// Forks the workload in a session of its own (as pid 1 of a new PID namespace
// with `new_pid_namespace`), seizes it with `ptrace_options`
// before it runs anything of its own, then lets it install `filter` (with
// `child_mask` as its signal mask) and exec `path` with `argv`.
std::expected<LaunchedWorkload, LaunchError> LaunchTraced(
    const std::string& path, const std::vector<std::string>& argv, const CompiledFilter& filter,
    const sigset_t& child_mask, unsigned long ptrace_options, bool new_pid_namespace = false);

// Reads the child's failure report after it exited; nullopt if it exec'd.
std::expected<ExecFailure, std::string> ReadExecFailure(const UniqueFd& report);

}  // namespace sentry::platform
