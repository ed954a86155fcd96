// Tracer: the signals the sentry itself sends. It stands in for the shell
// that would run the workload: what a user sends the sentry goes to the
// workload's foreground process group, as a terminal's Ctrl-C does; the
// first process's exit ends the rest, as a PID namespace's init's does.
// The sentry is no traced task, so each kill is told to the model
// (SentrySignal): every view names the sentry as the sender, and why.
#include <signal.h>
#include <unistd.h>

#include <set>
#include <string>

#include "platform/tracer.h"

namespace sentry::platform {

using kernel::SignalCause;
using kernel::ThreadId;

int Tracer::KillWorkload(SignalCause why) {
  std::set<pid_t> processes;
  for (const auto& [tid, st] : tasks_) {
    // Never kill(0) or kill(-1): that would be the sentry's group, or everyone.
    if (tid <= 0 || st.tgid == session_leader_) continue;
    // Past its exit event, or unknown to the model yet (held: its creator is
    // told of it later, and TellClone kills it then): killed, not told.
    if (st.known && !exiting_.contains(tid) && processes.insert(st.tgid).second &&
        model_.FindTask(ThreadId(st.tgid))) {
      Apply(kernel::SentrySignal{
          .sender = ThreadId(self_), .tid = ThreadId(st.tgid), .signo = SIGKILL, .cause = why});
    }
    ::kill(tid, SIGKILL);
  }
  return static_cast<int>(processes.size());
}

void Tracer::KillLeftovers() {
  const int killed = KillWorkload(SignalCause::kSentryFirstProcessExited);
  if (killed == 0) return;
  Warn("the first process exited; killed the " + std::to_string(killed) + " process" +
       (killed == 1 ? "" : "es") + " it left running (--wait-all waits for them instead)");
}

void Tracer::OnSentrySignal(int signo) {
  if (signo == SIGWINCH) {
    if (pty_) CopyWindowSize(STDIN_FILENO, pty_->master.Get());
    return;
  }
  if (frozen_) {
    // Whoever signals the sentry wants the workload to hear it: thaw first.
    freeze_wanted_.store(false);
    OnFreezeRequest();
  }
  if (signo == SIGINT && ++interrupts_ >= 2) {
    Warn("second interrupt: killing the workload");
    KillWorkload(SignalCause::kSentryInterrupted);
    return;
  }
  if (!root_done_) {
    ForwardToForeground(signo);
  } else if (options_.wait_all) {
    ForwardToEveryGroup(signo);
  }
  // Else the leftovers are being killed already.
}

void Tracer::ForwardToForeground(int signo) {
  std::int32_t pgid = 0;
  // The terminal's foreground (an interactive shell in the workload may have
  // put another job there); without a terminal, the first process's group.
  if (const auto leader = model_.FindTask(ThreadId(session_leader_)); leader && leader->tpgid > 0) {
    pgid = leader->tpgid;
  } else if (const auto first = root_ != 0 ? model_.FindTask(ThreadId(root_)) : std::nullopt) {
    pgid = first->pgid;
  }
  if (pgid > 0) SignalGroup(pgid, signo, SignalCause::kSentryForwarded);
}

void Tracer::ForwardToEveryGroup(int signo) {
  std::set<std::int32_t> groups;
  std::set<std::int32_t> stopped;
  const std::int32_t own = ::getpgrp();
  for (const kernel::TaskInfo& p : model_.Processes()) {
    if (p.exit_state != kernel::ExitState::kNone || p.pgid == own) continue;
    groups.insert(p.pgid);
    if (p.state == 'T') stopped.insert(p.pgid);
  }
  for (const std::int32_t pgid : groups) {
    SignalGroup(pgid, signo, SignalCause::kSentryForwarded);
    // A stopped process would keep the signal pending for good.
    if (stopped.contains(pgid) && signo != SIGCONT) {
      SignalGroup(pgid, SIGCONT, SignalCause::kSentryForwarded);
    }
  }
}

void Tracer::SignalGroup(std::int32_t pgid, int signo, SignalCause why) {
  for (const kernel::TaskInfo& p : model_.Processes()) {
    // The session leader blocks what a user ends things with, as a login
    // shell outlives its job: it is released instead.
    if (p.pgid != pgid || p.tgid == session_leader_ || p.exit_state != kernel::ExitState::kNone) {
      continue;
    }
    Apply(kernel::SentrySignal{
        .sender = ThreadId(self_), .tid = ThreadId(p.tgid), .signo = signo, .cause = why});
  }
  ::kill(-pgid, signo);
}

void Tracer::SuspendLikeTheJob() {
  const auto first = model_.FindTask(ThreadId(root_));
  if (!first) return;
  raw_mode_.Restore();
  // SIGTSTP, not SIGSTOP: if the sentry's own group is orphaned (no shell
  // with job control runs it), the kernel discards it and the job goes on.
  ::kill(::getpid(), SIGTSTP);
  // Continued: the user's terminal is ours again.
  if (auto entered = raw_mode_.Enter(STDIN_FILENO); !entered) Warn(entered.error());
  CopyWindowSize(STDIN_FILENO, pty_->master.Get());
  SignalGroup(first->pgid, SIGCONT, SignalCause::kSentryForwarded);
}

void Tracer::ReleaseSessionLeaderWhenAlone() {
  if (!release_ || !root_done_) return;
  for (const auto& [tid, st] : tasks_) {
    if (st.tgid != session_leader_) return;
  }
  release_.Reset();  // EOF: it exits with the first process's code
}

}  // namespace sentry::platform
