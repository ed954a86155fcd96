// Starting the workload's first process under ptrace.
#pragma once

#include <sys/types.h>

#include <csignal>
#include <cstdint>
#include <expected>
#include <functional>
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
  // The session leader (see LaunchTraced); the first process is its child,
  // told by its fork event.
  pid_t session_leader = -1;
  // Read end of a close-on-exec pipe: EOF after a successful exec; an
  // ExecFailure if the session leader or the first process failed before it.
  UniqueFd exec_report;
  // Closing it lets the session leader exit (with the first process's shell
  // exit code): done once the rest of the workload is gone.
  UniqueFd release;
};

// What the session leader or the first process writes to exec_report when it
// fails before exec.
struct ExecFailure {
  enum Stage : std::uint8_t { kFilter = 1, kExec = 2, kTerminal = 3, kFork = 4 };
  int stage = 0;
  int error = 0;  // errno
};

// How to start the workload's first process.
struct LaunchSpec {
  std::string path;  // resolved by ResolveCommand
  std::vector<std::string> argv;
  const CompiledFilter* filter = nullptr;  // none: no filter (the observe platform)
  sigset_t child_mask{};                   // the signal mask the workload starts with
  unsigned long ptrace_options = 0;
  bool new_pid_namespace = false;  // be pid 1 of a new PID namespace
  // A terminal to make the controlling terminal of the new session (-1:
  // none) and stdin; stdout and stderr too where the flags say so.
  int terminal = -1;
  bool terminal_stdout = false;
  bool terminal_stderr = false;
  // Set: called with the session leader's pid in place of PTRACE_SEIZE, before
  // it runs anything of its own (the observe platform starts following it).
  std::function<std::expected<void, std::string>(pid_t)> follow;
};

// Resolves argv[0] like execvp: the path to run, or why it cannot run.
std::expected<std::string, LaunchError> ResolveCommand(const std::string& command);

// The shape a shell gives a command:
//   sentry ── session leader (new session; the terminal, if any, is its
//              controlling terminal)
//                 └── first process (execs spec.argv)
// With a terminal the first process leads a process group of its own, the
// terminal's foreground, as an interactive shell's job does; without one it
// stays in the session leader's group, as `sh -c CMD`'s command does.
// The session leader, a fork of the sentry named kSessionLeaderName, is
// seized before it runs anything of its own and installs the filter, so its
// setpgid, tcsetpgrp, fork and wait are observed like any workload task's. It
// reaps the first process, then waits for `release` to close and exits with
// the first process's shell exit code. The sentry stays outside the session,
// as the subreaper orphans go to (as init is natively).
std::expected<LaunchedWorkload, LaunchError> LaunchTraced(const LaunchSpec& spec);

// The session leader's name (its comm).
inline constexpr const char* kSessionLeaderName = "sentry-session";

// What a failure report means, in the shell's terms: the message for the
// user and the sentry's exit code (127 command not found, 126 not
// executable, 125 the sentry's own failure).
LaunchError ExplainExecFailure(const ExecFailure& failure, const std::string& command);

// Reads the child's failure report after it exited; nullopt if it exec'd.
std::expected<ExecFailure, std::string> ReadExecFailure(const UniqueFd& report);

}  // namespace sentry::platform
