// The floor under the sentry's overhead: the workload is started exactly as
// `sentry run` starts it (same launcher, seccomp filter and ptrace options),
// so it makes the same ptrace stops, but this tracer only resumes them. It
// reads no registers, no /proc and keeps no model: whatever it costs, every
// tracer that sees the same events pays. (It waits for every trapped wait's
// exit stop; the sentry skips it for a WNOHANG poll its model knows finds
// nothing, so on polls the floor is above the sentry.)
//
// With --read it also reads, at each stop, what a model of the task tree
// cannot do without, and keeps nothing of it: at a fork, vfork or clone
// event the new task's id and the clone's flags and exit signal (clone3's
// from the caller's memory), at an exit event the status and whether the
// task called exit_group. The sentry reads these the same way.
//
//   floor_tracer [--read] CMD [ARGS...]     exits with CMD's shell exit code
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
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

// What a model needs from a clone event: the new task, the clone's flags and
// exit signal.
void ReadCloneEvent(pid_t pid) {
  unsigned long child = 0;
  user_regs_struct regs{};
  ::ptrace(PTRACE_GETEVENTMSG, pid, nullptr, &child);
  if (::ptrace(PTRACE_GETREGS, pid, nullptr, &regs) != 0) return;
  if (static_cast<long>(regs.orig_rax) == SYS_clone3) {
    std::uint64_t clone_args[5] = {};  // flags, pidfd, child_tid, parent_tid, exit_signal
    iovec local{.iov_base = clone_args, .iov_len = sizeof clone_args};
    iovec remote{
        .iov_base = reinterpret_cast<void*>(regs.rdi),  // NOLINT(performance-no-int-to-ptr)
        .iov_len = sizeof clone_args};
    ::process_vm_readv(pid, &local, 1, &remote, 1, 0);
  }
}

// What a model needs from an exit event: the status, and exit or exit_group.
void ReadExitEvent(pid_t pid) {
  unsigned long status = 0;
  user_regs_struct regs{};
  ::ptrace(PTRACE_GETEVENTMSG, pid, nullptr, &status);
  ::ptrace(PTRACE_GETREGS, pid, nullptr, &regs);
}

}  // namespace

int main(int argc, char** argv) {
  const bool read = argc > 1 && std::string(argv[1]) == "--read";
  if (argc < (read ? 3 : 2)) {
    std::fprintf(stderr, "usage: floor_tracer [--read] CMD [ARGS...]\n");
    return 2;
  }
  const std::vector<std::string> command(argv + (read ? 2 : 1), argv + argc);
  auto path = sentry::platform::ResolveCommand(command.front());
  auto filter = sentry::platform::CompileFilter(/*trap_clone=*/false);
  if (!path || !filter) {
    std::fprintf(stderr, "floor_tracer: cannot start %s\n", command.front().c_str());
    return 125;
  }
  sigset_t mask;
  ::sigprocmask(SIG_SETMASK, nullptr, &mask);
  auto launched =
      sentry::platform::LaunchTraced({.path = *path,
                                      .argv = command,
                                      .filter = &*filter,
                                      .child_mask = mask,
                                      .ptrace_options = sentry::platform::kTracerPtraceOptions,
                                      .follow = {}});
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
      if (read && (event == PTRACE_EVENT_CLONE || event == PTRACE_EVENT_FORK ||
                   event == PTRACE_EVENT_VFORK)) {
        ReadCloneEvent(pid);
      } else if (read && event == PTRACE_EVENT_EXIT) {
        ReadExitEvent(pid);
      }
      ::ptrace(PTRACE_CONT, pid, nullptr, 0);
    } else {
      ::ptrace(PTRACE_CONT, pid, nullptr, sig);  // signal-delivery stop: deliver it
    }
  }
  return exit_code;
}
