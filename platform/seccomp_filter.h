// The seccomp filter that makes lifecycle syscalls stop at the tracer.
//
// Only the syscalls the model needs return SECCOMP_RET_TRACE, several of them
// only for the arguments that matter (rt_sigaction for SIGCHLD, prctl for the
// options modelled, ioctl for the three terminal requests); everything else runs at native speed.
// exec and exit need no trap: PTRACE_EVENT_EXEC and PTRACE_EVENT_EXIT tell all. Syscalls from a
// foreign ABI (i386, x32) always trap, so none slips past untraced.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <vector>

namespace sentry::platform {

// The SECCOMP_RET_TRACE data: why a syscall stopped (PTRACE_GETEVENTMSG).
enum class Trap : std::uint16_t {
  kClone = 1,  // clone, clone3, fork, vfork
  kWait = 3,   // wait4, waitid
  kSetSid = 4,
  kSetPgid = 5,
  kSigaction = 6,  // rt_sigaction(SIGCHLD, ...)
  kPrctl = 7,      // prctl(PR_SET_CHILD_SUBREAPER | PR_SET_PDEATHSIG, ...)
  kUnshare = 9,    // unshare(... CLONE_NEWPID ...)
  kTerminal = 10,  // ioctl(fd, TIOCSPGRP | TIOCSCTTY | TIOCNOTTY, ...)
  kForeignAbi = 0xffff,
};

// A compiled classic-BPF program, ready for seccomp(2) in a forked child
// (where only async-signal-safe calls are allowed: no libseccomp there).
struct CompiledFilter {
  std::vector<std::uint64_t> instructions;  // struct sock_filter, 8 bytes each
};

// `trap_clone`: stop at clone/fork entry too, so that the sentry can refuse
// it (--max-tasks). Otherwise the clone event stop tells all, one stop fewer.
std::expected<CompiledFilter, std::string> CompileFilter(bool trap_clone);

// Installs the filter on the calling thread. Without CAP_SYS_ADMIN the kernel
// demands no_new_privs first; with it, no_new_privs is left alone so the
// workload sees no difference. Async-signal-safe. Returns 0 or an errno.
int InstallFilter(const CompiledFilter& filter);

}  // namespace sentry::platform
