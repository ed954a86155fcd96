// The floor under the sentry's overhead: the workload is started exactly as
// `sentry run` starts it (same launcher, seccomp filter and ptrace options),
// so it makes the same ptrace stops, but this tracer only resumes them. It
// reads no registers, no /proc and keeps no model: whatever it costs, every
// tracer that sees the same events pays. (It waits for every trapped wait's
// exit stop; the sentry skips it for a WNOHANG poll its model knows finds
// nothing, so on polls the floor is above the sentry.)
//
//   floor_tracer CMD [ARGS...]     exits with CMD's shell exit code
#include <sys/ptrace.h>
#include <sys/wait.h>

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "platform/launcher.h"
#include "platform/seccomp_filter.h"
#include "platform/tracer.h"

namespace {

using sentry::platform::Trap;

// The traps whose result the sentry reads at the syscall-exit stop.
bool SentryWaitsForExit(Trap trap) {
  switch (trap) {
    case Trap::kWait:
    case Trap::kSetSid:
    case Trap::kSetPgid:
    case Trap::kUnshare:
    case Trap::kTerminal:
      return true;
    default:
      return false;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: floor_tracer CMD [ARGS...]\n");
    return 2;
  }
  const std::vector<std::string> command(argv + 1, argv + argc);
  auto path = sentry::platform::ResolveCommand(command.front());
  auto filter = sentry::platform::CompileFilter(/*trap_clone=*/false);
  if (!path || !filter) {
    std::fprintf(stderr, "floor_tracer: cannot start %s\n", argv[1]);
    return 125;
  }
  sigset_t mask;
  ::sigprocmask(SIG_SETMASK, nullptr, &mask);
  auto launched =
      sentry::platform::LaunchTraced({.path = *path,
                                      .argv = command,
                                      .filter = &*filter,
                                      .child_mask = mask,
                                      .ptrace_options = sentry::platform::kTracerPtraceOptions});
  if (!launched) {
    std::fprintf(stderr, "floor_tracer: %s\n", launched.error().message.c_str());
    return launched.error().exit_code;
  }
  // The session leader may exit as soon as it has reaped the first process,
  // with its shell exit code: the floor keeps no count of what is left.
  launched->release.Reset();
  int exit_code = 0;
  for (;;) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, __WALL);
    if (pid < 0) break;  // ECHILD: nothing left
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      if (pid == launched->session_leader) exit_code = WEXITSTATUS(status);
      continue;
    }
    const int sig = WSTOPSIG(status);
    const int event = status >> 16;
    if (event == PTRACE_EVENT_SECCOMP) {
      unsigned long trap = 0;
      ::ptrace(PTRACE_GETEVENTMSG, pid, nullptr, &trap);
      const bool to_exit = SentryWaitsForExit(static_cast<Trap>(trap));
      ::ptrace(to_exit ? PTRACE_SYSCALL : PTRACE_CONT, pid, nullptr, 0);
    } else if (event == PTRACE_EVENT_STOP &&
               (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)) {
      ::ptrace(PTRACE_LISTEN, pid, nullptr, 0);  // a group stop
    } else if (event != 0 || sig == (SIGTRAP | 0x80)) {
      ::ptrace(PTRACE_CONT, pid, nullptr, 0);
    } else {
      ::ptrace(PTRACE_CONT, pid, nullptr, sig);  // signal-delivery stop: deliver it
    }
  }
  return exit_code;
}
