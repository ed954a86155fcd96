// Tracer: syscalls whose result the tracer never saw. A fatal signal that
// arrives while a trapped syscall runs skips its syscall-exit stop (Linux
// ptrace_stop does not stop with a fatal signal pending), or wakes the task
// out of that stop before the tracer reads it; the syscall may still have
// done its work. At the task's exit event the host's state tells what it
// did, and the model is told as the result would have told it.
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>

#include "platform/proc_files.h"
#include "platform/tracer.h"
#include "sentry/kernel/abi.h"

namespace sentry::platform {

namespace abi = kernel::abi;
using kernel::ThreadId;

void Tracer::SettleCutShortSyscall(pid_t tid, TaskState& st) {
  if (!st.exit_pending) return;
  st.exit_pending = false;
  setpgid_in_flight_.erase(tid);
  waits_in_flight_.erase(tid);
  switch (st.trap) {
    case Trap::kWait:
      SettleCutShortWait(tid, st);
      return;
    case Trap::kSetSid:
      SettleCutShortSetSid(tid);
      return;
    case Trap::kSetPgid:
      SettleCutShortSetPgid(tid, st);
      return;
    default:
      return;  // nothing the model checks, or nothing the host's state shows
  }
}

void Tracer::SettleCutShortWait(pid_t tid, const TaskState& st) {
  // The syscall's result is still in the registers at the exit event: a
  // fatal signal ends the task on its way out of the syscall (Linux
  // get_signal, do_group_exit) and leaves them as they were. rax holds
  // wait4's child or waitid's 0 (the child then in the siginfo, which
  // waitid writes whatever it found), or -ENOSYS when a SIGKILL at the
  // seccomp stop skipped the syscall, -ERESTARTSYS when it woke the wait:
  // then nothing was taken. A stop or continue it took is the host's only
  // trace of it.
  user_regs_struct regs{};
  if (::ptrace(PTRACE_GETREGS, tid, nullptr, &regs) == 0 &&
      (static_cast<long>(regs.orig_rax) == SYS_wait4 ||
       static_cast<long>(regs.orig_rax) == SYS_waitid)) {
    const kernel::WaitDone done = ReadWaitResult(tid, st, regs);
    if (done.result <= 0) return;
    // What the host knew when it answered is collected first, as at an exit
    // stop (OnSyscallExit): the stop it took may not be told yet.
    OnWaitResult(tid, st, done);
    CatchUpWithFellowPeeks(tid, done);
    Apply(done);
    return;
  }
  // Registers unreadable: a zombie of the dying waiter's that the host no
  // longer has was reaped by that wait (which reaps one at most): at the
  // exit event the waiter still has its children (exit_notify comes later).
  const kernel::WaitRequest& request = st.wait_request;
  if ((request.options & abi::kWNOWAIT) != 0) return;
  const auto prediction = model_.PredictWait(ThreadId(tid), request);
  if (!prediction) return;
  for (const kernel::WaitCandidate& c : prediction->candidates) {
    if (c.event != kernel::WaitEvent::kExit) continue;
    const auto zombie =
        static_cast<pid_t>(model_.RootIdSeenBy(ThreadId(tid), c.pid).value_or(c.pid));
    // Still a zombie there, or never collected by the tracer: not reaped.
    if (const auto stat = ReadProcStat(zombie); stat && stat->state == 'Z') continue;
    // The host's wait names the child but, the syscall cut short, no status:
    // the model takes the status it has.
    Apply(kernel::WaitDone{
        .tid = ThreadId(tid), .request = request, .result = c.pid, .code = 0, .status = 0});
    return;
  }
}

void Tracer::SettleCutShortSetSid(pid_t tid) {
  const auto stat = ReadProcStat(tid);
  const auto known = model_.FindTask(ThreadId(tid));
  if (!stat || !known || stat->session != known->tgid || known->sid == known->tgid) return;
  // It made its session: setsid returned its id in its own namespace.
  const auto ns = model_.NamespaceOf(ThreadId(tid));
  const auto own = ns ? model_.FindTask(ThreadId(tid), *ns) : std::nullopt;
  Apply(kernel::SetSid{.tid = ThreadId(tid), .result = own ? own->tgid : known->tgid});
}

void Tracer::SettleCutShortSetPgid(pid_t tid, const TaskState& st) {
  const auto caller_pid = static_cast<std::int32_t>(st.args[0]);
  const auto caller_pgid = static_cast<std::int32_t>(st.args[1]);
  const auto known = model_.FindTask(ThreadId(tid));
  if (!known || caller_pid < 0 || caller_pgid < 0) return;
  // The caller's ids are in its namespace; /proc and the model speak root ids.
  const auto target = caller_pid == 0 ? std::optional<std::int32_t>(known->tgid)
                                      : model_.RootIdSeenBy(ThreadId(tid), caller_pid);
  if (!target) return;
  const auto pgid = caller_pgid == 0 ? target : model_.RootIdSeenBy(ThreadId(tid), caller_pgid);
  const auto stat = ReadProcStat(*target);
  const auto modelled = model_.FindTask(ThreadId(*target));
  if (!pgid || !stat || !modelled || stat->pgrp != *pgid || modelled->pgid == *pgid) return;
  Apply(kernel::SetPgid{.tid = ThreadId(tid), .pid = caller_pid, .pgid = caller_pgid, .result = 0});
}

}  // namespace sentry::platform
