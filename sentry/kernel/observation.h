// Observation: one fact the host showed, as a plain value.
//
// The platform turns ptrace stops into Observations; Kernel::Apply folds them
// into the model. Thread ids are the host's (the model's root PID namespace is
// the namespace the sentry runs in). Syscall results are the host's: 0 or a
// positive value on success, -errno on failure.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "sentry/kernel/exit_status.h"
#include "sentry/kernel/ids.h"
#include "sentry/kernel/record.h"

namespace sentry::kernel {

// A task that already exists when observation starts (the sentry itself, or a
// process attached to). Creates its thread group, process group and session
// as needed. parent may be 0 (outside the model); pgid and sid are 0 when
// their leader is in an ancestor PID namespace (the host's getsid says 0).
struct TaskExisting {
  ThreadId tid;
  ThreadId tgid;
  ThreadId parent;
  ProcessGroupId pgid;
  SessionId sid;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  bool subreaper = false;
  std::string comm;
  std::vector<std::string> argv;

  bool operator==(const TaskExisting&) const = default;
};

// clone/clone3/fork/vfork. On failure (error != 0) no child exists.
struct Clone {
  ThreadId parent;  // the calling thread
  ThreadId child;   // root-namespace tid of the new task (0 on failure)
  std::uint64_t flags = 0;
  int exit_signal = 0;  // ignored with CLONE_THREAD
  // The child's ids in nested PID namespaces, outermost first (empty when the
  // child lives in the root namespace, or when the platform could not tell:
  // then the model allocates them as Linux would).
  std::vector<std::int32_t> nested_tids;
  int error = 0;  // errno the host (or the sentry) returned; 0 on success
  // The process group (root id) the host forked the child into, when the
  // platform looked: a setpgid that moved the creator was told between the
  // fork and its event, or the child is told as adopted, its creator gone
  // without an event; 0: the creator's, as the model has it.
  std::int32_t pgid = 0;
  // The child's name when the platform gave it one before it ran anything of
  // its own (the sentry's session leader); empty: its creator's, as fork does.
  // (The braces keep GCC's -Wmissing-field-initializers quiet where a
  // designated initializer leaves it out.)
  std::string comm{};  // NOLINT(readability-redundant-member-init)

  bool operator==(const Clone&) const = default;
};

// execve on thread `tid` is about to replace the image (the seccomp stop). If
// other threads are live, the thread waits for them in an exec stop.
struct ExecStart {
  ThreadId tid;

  bool operator==(const ExecStart&) const = default;
};

// execve completed. `tid` is the exec-ing thread's tid before the exec; after
// it the thread has the thread group's id (it differs for a non-leader exec).
struct Exec {
  ThreadId tid;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::string comm;
  std::vector<std::string> argv;

  bool operator==(const Exec&) const = default;
};

// The vfork child released its parent's memory (PTRACE_EVENT_VFORK_DONE).
struct VforkDone {
  ThreadId parent;

  bool operator==(const VforkDone&) const = default;
};

// The thread entered the exit path (PTRACE_EVENT_EXIT). `group` is true for
// exit_group and fatal signals: the whole thread group is exiting.
struct ExitBegin {
  ThreadId tid;
  ExitStatus status;
  bool group = false;

  bool operator==(const ExitBegin&) const = default;
};

// The thread finished exiting (the tracer's waitpid saw it exit): it is now a
// zombie until reaped (leaders) or gone (non-leaders).
struct ExitEnd {
  ThreadId tid;
  ExitStatus status;
  Usage usage;

  bool operator==(const ExitEnd&) const = default;
};

// A thread entered a group stop because of stop signal `signo`.
struct GroupStop {
  ThreadId tid;
  int signo = 0;

  bool operator==(const GroupStop&) const = default;
};

// SIGCONT ended a (possibly incomplete) group stop of the thread group of `tid`.
struct GroupContinue {
  ThreadId tid;

  bool operator==(const GroupContinue&) const = default;
};

// The receiver's disposition of a signal when it was delivered
// (/proc/PID/status SigIgn, SigCgt); kUnknown when the platform did not look.
enum class SignalDisposition : std::uint8_t { kUnknown, kDefault, kIgnore, kHandler };

// A signal reached `tid` (signal-delivery stop). sender (si_pid) is as the
// receiver's namespace names it; 0 for the kernel or a sender outside it.
struct SignalDelivered {
  ThreadId tid;
  int signo = 0;
  int code = 0;  // si_code
  ThreadId sender;
  SignalDisposition disposition = SignalDisposition::kUnknown;

  bool operator==(const SignalDelivered&) const = default;
};

struct SetSid {
  ThreadId tid;
  std::int64_t result = 0;  // new sid, or -errno

  bool operator==(const SetSid&) const = default;
};

// setpgid(pid, pgid) as passed by the caller (0s not yet resolved).
struct SetPgid {
  ThreadId tid;
  std::int32_t pid = 0;
  std::int32_t pgid = 0;
  std::int64_t result = 0;

  bool operator==(const SetPgid&) const = default;
};

// A wait4/waitid call. idtype/id use waitid's encoding (P_ALL, P_PID,
// P_PGID; id 0 with P_PGID means the caller's group); options are Linux's.
// P_PIDFD's id is not the descriptor but the pid it refers to, as the
// caller's namespace numbers it (0: none), and a nonblocking pidfd's WNOHANG
// is in options (Linux kernel_waitid), both read by the platform.
struct WaitRequest {
  int idtype = 0;
  std::int32_t id = 0;
  std::uint32_t options = 0;

  // wait4(pid, options): translates the pid convention and adds WEXITED.
  static WaitRequest FromWait4(std::int32_t pid, std::uint32_t options);
  // waitid(idtype, id, options).
  static WaitRequest FromWaitid(int idtype, std::int32_t id, std::uint32_t options);
  bool operator==(const WaitRequest&) const = default;
};

// The calling thread blocks in wait (unless WNOHANG): it shows as sleeping.
struct WaitStart {
  ThreadId tid;
  WaitRequest request;

  bool operator==(const WaitStart&) const = default;
};

// What the host returned from wait4/waitid. `result` is the pid (0 for WNOHANG
// with nothing to report) or -errno. For a reported child, `code` is the CLD_*
// code and `status` the exit code or signal (waitid's si_code / si_status;
// for wait4 the platform decodes the status word with FromWait4Status).
// code 0 means the host did not say (wait4 or waitid called with no status
// or siginfo pointer): any event the model has for that pid matches.
struct WaitDone {
  ThreadId tid;
  WaitRequest request;
  std::int64_t result = 0;
  int code = 0;
  int status = 0;

  bool operator==(const WaitDone&) const = default;
};

enum class SigChldDisposition : std::uint8_t { kDefault, kIgnore, kHandler };

// rt_sigaction(SIGCHLD, …) changed the thread group's disposition.
struct SigChldAction {
  ThreadId tid;
  SigChldDisposition disposition = SigChldDisposition::kDefault;
  bool nocldwait = false;

  bool operator==(const SigChldAction&) const = default;
};

// prctl(PR_SET_CHILD_SUBREAPER).
struct SetSubreaper {
  ThreadId tid;
  bool enabled = false;

  bool operator==(const SetSubreaper&) const = default;
};

// prctl(PR_SET_PDEATHSIG).
struct SetPdeathsig {
  ThreadId tid;
  int signo = 0;

  bool operator==(const SetPdeathsig&) const = default;
};

// The host's parent of `tid` (e.g. read from /proc after a reparenting).
struct ParentObserved {
  ThreadId tid;
  ThreadId parent;

  bool operator==(const ParentObserved&) const = default;
};

// The session led by `tid` acquired controlling terminal tty_nr (TIOCSCTTY).
struct ControllingTty {
  ThreadId tid;
  std::int32_t tty_nr = 0;

  bool operator==(const ControllingTty&) const = default;
};

// TIOCNOTTY: the caller gives up its controlling terminal. Done by the
// session leader, the whole session loses it and the terminal's foreground
// group gets SIGHUP and SIGCONT (Linux disassociate_ctty(0)).
struct DropControllingTty {
  ThreadId tid;

  bool operator==(const DropControllingTty&) const = default;
};

// tcsetpgrp: the foreground process group of the caller's session's terminal.
struct ForegroundGroup {
  ThreadId tid;
  ProcessGroupId pgid;

  bool operator==(const ForegroundGroup&) const = default;
};

// unshare(CLONE_NEWPID): the caller's next children start a new namespace.
struct UnsharePidNamespace {
  ThreadId tid;

  bool operator==(const UnsharePidNamespace&) const = default;
};

// A ptrace stop that the workload's view should show as "t" (tracing stop).
struct TraceStop {
  ThreadId tid;
  bool stopped = false;

  bool operator==(const TraceStop&) const = default;
};

// An external stop (pause) of one task, or of every task when tid is 0.
struct ExternalStop {
  ThreadId tid;
  bool stopped = false;

  bool operator==(const ExternalStop&) const = default;
};

// The sentry itself sent `signo` to process `tid` (it is no traced task: its
// kill is seen nowhere else). `cause` says why (a kSentry* SignalCause): the
// records name the sentry as the sender and the reason.
struct SentrySignal {
  ThreadId sender;  // the sentry
  ThreadId tid;
  int signo = 0;
  SignalCause cause = SignalCause::kSentryFirstProcessExited;

  bool operator==(const SentrySignal&) const = default;
};

using ObservationBody =
    std::variant<TaskExisting, Clone, ExecStart, Exec, VforkDone, ExitBegin, ExitEnd, GroupStop,
                 GroupContinue, SignalDelivered, SetSid, SetPgid, WaitStart, WaitDone,
                 SigChldAction, SetSubreaper, SetPdeathsig, ParentObserved, ControllingTty,
                 ForegroundGroup, UnsharePidNamespace, TraceStop, ExternalStop, DropControllingTty,
                 SentrySignal>;

struct Observation {
  // Monotonic time of the observation in ns (0 if unknown).
  std::int64_t time_ns = 0;
  ObservationBody body;

  bool operator==(const Observation&) const = default;
};

// Decodes a wait4 status word into waitid-style (code, status).
struct DecodedWaitStatus {
  int code = 0;
  int status = 0;

  bool operator==(const DecodedWaitStatus&) const = default;
};
DecodedWaitStatus FromWait4Status(std::uint32_t wstatus);

}  // namespace sentry::kernel
