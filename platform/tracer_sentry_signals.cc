// Tracer: the signals the sentry itself sends. It stands in for the shell
// that would run the workload: what a user sends the sentry goes to the
// workload's foreground process group, as a terminal's Ctrl-C does; the
// first process's exit ends the rest, as a PID namespace's init's does.
// The sentry is no traced task, so each kill is told to the model
// (SentrySignal): every view names the sentry as the sender, and why.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "platform/proc_files.h"
#include "platform/tracer.h"

namespace sentry::platform {

using kernel::SignalCause;
using kernel::ThreadId;

void Tracer::TellSentrySignal(pid_t tgid, int signo, SignalCause why) {
  Apply(kernel::SentrySignal{
      .sender = ThreadId(self_), .tid = ThreadId(tgid), .signo = signo, .cause = why});
}

int Tracer::KillWorkload(SignalCause why) {
  spared_.clear();
  // By process, from a copy: the spare check collects reports, which
  // change tasks_.
  std::set<pid_t> processes;
  for (const auto& [tid, st] : tasks_) {
    // Never kill(0) or kill(-1): that would be the sentry's group, or everyone.
    if (tid > 0 && st.tgid > 0 && st.tgid != session_leader_) processes.insert(st.tgid);
  }
  // Some thread not yet past its exit event.
  const auto live = [&](pid_t tgid) {
    return std::ranges::any_of(ThreadsOf(tgid), [&](pid_t tid) { return !exiting_.contains(tid); });
  };
  int killed = 0;
  for (const pid_t tgid : processes) {
    // Already dying of a signal it got first (the one that ended the first
    // process, sent to its whole group): its own end, not the sentry's.
    if (live(tgid) && why == SignalCause::kSentryFirstProcessExited && DiesOfItsOwnSignal(tgid)) {
      spared_.insert(tgid);
      continue;
    }
    const std::vector<pid_t> threads = ThreadsOf(tgid);
    const bool known = std::ranges::any_of(threads, [&](pid_t tid) { return tasks_[tid].known; });
    if (live(tgid)) {  // all past their exit events: not counted, not told
      ++killed;
      // Unknown to the model yet (held: its creator is told of it later, and
      // TellClone kills it then): killed, not told.
      if (known && model_.FindTask(ThreadId(tgid))) TellSentrySignal(tgid, SIGKILL, why);
    }
    for (const pid_t tid : threads) ::kill(tid, SIGKILL);
  }
  return killed;
}

bool Tracer::DiesOfItsOwnSignal(pid_t tgid) {
  const auto dying = [&] {
    for (const pid_t tid : ThreadsOf(tgid)) DrainPending(tid);
    for (const auto& [tid, st] : tasks_) {
      if (st.tgid != tgid) continue;
      if (st.dying_of_signal) return true;
      // In a signal-delivery stop being handled up the stack (its exits
      // drained first ended the run): resumed with the signal next.
      if (st.taking_signal != 0 && EndsByADeliveredSignal(tid, st.taking_signal)) return true;
    }
    return EndsByAPendingSignal(tgid);
  };
  // A signal taken is no longer pending: the task is in its signal-delivery
  // stop, collected (resumed with the signal, it dies of it) or not yet.
  // Linux dequeues it and enters that stop under one hold of its siglock,
  // which /proc's pending sets are read under too, so when they show it
  // gone, the stop's report can be collected: once more.
  if (dying()) return true;
  return dying();
}

void Tracer::KillLeftovers() {
  // Those already dying (the signal that ended the first process may have
  // ended them too) are not the sentry's to kill: their reports first.
  DrainAllPending();
  const int killed = KillWorkload(SignalCause::kSentryFirstProcessExited);
  if (killed == 0) return;
  Warn(std::string("the first process exited; killed the ") +
       (killed == 1 ? "process" : std::to_string(killed) + " processes") +
       " it left running (--wait-all waits for them instead)");
}

void Tracer::OnSentrySignal(int signo) {
  if (signo == SIGWINCH) {
    if (pty_) CopyWindowSize(STDIN_FILENO, pty_->master.Get());
    return;
  }
  if (signo == SIGCONT) {
    // The front, continued: the job is. Any other SIGCONT changes nothing.
    if (std::exchange(suspended_, false)) ContinueLikeTheJob();
    return;
  }
  // An interrupt ends a --step run's holding: the workload must go on to
  // take it (tracer_freeze.cc).
  if (options_.holder != nullptr) options_.holder->StopHolding();
  if (frozen_) {
    // Whoever signals the sentry wants the workload to hear it: thaw first.
    freeze_wanted_.store(false);
    OnFreezeRequest();
  }
  // Where it goes: the foreground while the first process lives; with
  // --wait-all, every group left once it is gone (else the leftovers are
  // being killed already).
  std::set<std::int32_t> groups;
  if (!root_done_) {
    if (const std::int32_t pgid = ForegroundGroup(); pgid > 0) groups.insert(pgid);
  } else if (options_.wait_all) {
    groups = GroupsLeft();
  }
  if (signo == SIGINT) {
    ++interrupts_;
    // A first interrupt every process it reaches ignores (a non-interactive
    // shell's background jobs ignore SIGINT) would end nothing, and a
    // second may never come: timeout(1) forwards one SIGINT (twice, to the
    // sentry and to its group: they may merge into one), then ignores its
    // own. It ends the run, as a second one does.
    const bool second = interrupts_ >= 2;
    if (second || !TakenByAny(groups, SIGINT)) {
      Warn(second ? "second interrupt: killing the workload"
                  : "interrupt: the workload ignores SIGINT: killing it");
      KillWorkload(SignalCause::kSentryInterrupted);
      return;
    }
  }
  if (root_done_ && (signo == SIGINT || signo == SIGTERM)) asked_to_end_ = true;
  for (const std::int32_t pgid : groups) Forward(pgid, signo);
}

std::int32_t Tracer::ForegroundGroup() const {
  // The terminal's foreground (an interactive shell in the workload may have
  // put another job there); without a terminal, the first process's group.
  if (const auto leader = model_.FindTask(ThreadId(session_leader_)); leader && leader->tpgid > 0) {
    return leader->tpgid;
  }
  if (const auto first = root_ != 0 ? model_.FindTask(ThreadId(root_)) : std::nullopt) {
    return first->pgid;
  }
  return 0;
}

std::set<std::int32_t> Tracer::GroupsLeft() const {
  std::set<std::int32_t> groups;
  const std::int32_t own = ::getpgrp();
  for (const kernel::TaskInfo& p : model_.Processes()) {
    if (p.exit_state == kernel::ExitState::kNone && p.pgid != own) groups.insert(p.pgid);
  }
  return groups;
}

bool Tracer::TakenByAny(const std::set<std::int32_t>& groups, int signo) const {
  if (groups.empty()) return true;  // nowhere to go: nothing to decide
  for (const kernel::TaskInfo& p : model_.Processes()) {
    // The session leader blocks every signal (SignalGroup): not a taker.
    if (!groups.contains(p.pgid) || p.exit_state != kernel::ExitState::kNone ||
        p.tgid == session_leader_) {
      continue;
    }
    if (!IgnoresSignal(static_cast<pid_t>(p.root_tid), signo)) return true;
  }
  return false;
}

void Tracer::Forward(std::int32_t pgid, int signo) {
  SignalGroup(pgid, signo, SignalCause::kSentryForwarded);
  // Asked to end (not a key a terminal turns into a signal), a stopped
  // process would keep it pending for good: SIGCONT after it, as bash's
  // kill does for a stopped job.
  if (signo != SIGTERM && signo != SIGHUP) return;
  std::set<pid_t> in_group;
  for (const kernel::TaskInfo& p : model_.Processes()) {
    // The session leader blocks it (SignalGroup): never owed a SIGCONT.
    if (p.pgid != pgid || p.exit_state != kernel::ExitState::kNone || p.tgid == session_leader_) {
      continue;
    }
    in_group.insert(p.root_tid);
    ending_forwarded_[static_cast<pid_t>(p.root_tid)] = signo;
  }
  // A stop the tracer has not collected yet counts: the reports are
  // collected first (DESIGN fact 22). A stop signal taken before the kill is
  // in its signal-delivery stop by then, and one resumed into its group stop
  // is marked stopping. A stop that comes after the kill, with the signal
  // still pending, is continued when it comes (ContinueIfAskedToEnd).
  DrainAllPending();
  // Continued meanwhile (a stop collected just now), or every member has
  // taken the signal or is gone: no SIGCONT is owed.
  if (std::ranges::none_of(in_group,
                           [&](pid_t tgid) { return ending_forwarded_.contains(tgid); })) {
    return;
  }
  bool stopped = false;
  for (const kernel::TaskInfo& p : model_.Processes()) {
    if (p.pgid != pgid || !in_group.contains(static_cast<pid_t>(p.root_tid))) continue;
    stopped |= p.state == 'T' || p.group_stop_phase != kernel::GroupStopPhase::kNone;
  }
  for (const auto& [tid, st] : tasks_) stopped |= st.stopping && in_group.contains(st.tgid);
  if (stopped) ContinueAfterForward(pgid);
}

void Tracer::ContinueAfterForward(std::int32_t pgid) {
  for (const kernel::TaskInfo& p : model_.Processes()) {
    if (p.pgid == pgid) ending_forwarded_.erase(static_cast<pid_t>(p.root_tid));
  }
  SignalGroup(pgid, SIGCONT, SignalCause::kSentryForwarded);
}

bool Tracer::ContinueIfAskedToEnd(pid_t pid, pid_t tgid) {
  const auto it = ending_forwarded_.find(tgid);
  if (it == ending_forwarded_.end()) return false;
  const auto task = model_.FindTask(ThreadId(pid));
  // Taken already (another thread's report of it is to come): no SIGCONT.
  if (!task || !IsPending(pid, it->second)) {
    ending_forwarded_.erase(it);
    return false;
  }
  ContinueAfterForward(task->pgid);
  return true;
}

void Tracer::SignalGroup(std::int32_t pgid, int signo, SignalCause why) {
  for (const kernel::TaskInfo& p : model_.Processes()) {
    // The session leader blocks what a user ends things with, as a login
    // shell outlives its job: it is released instead.
    if (p.pgid != pgid || p.tgid == session_leader_ || p.exit_state != kernel::ExitState::kNone) {
      continue;
    }
    TellSentrySignal(p.tgid, signo, why);
  }
  ::kill(-pgid, signo);
}

void Tracer::SuspendLikeTheJob() {
  if (!model_.FindTask(ThreadId(root_))) return;
  if (options_.front != nullptr) {
    // Only the front stops: the view, the log and the loop go on.
    suspended_ = true;
    options_.front->Suspend();
    return;
  }
  raw_mode_.Restore();
  // SIGTSTP, not SIGSTOP: if the sentry's own group is orphaned (no shell
  // with job control runs it), the kernel discards it and the job goes on.
  ::kill(::getpid(), SIGTSTP);
  // Continued: the user's terminal is ours again.
  if (auto entered = raw_mode_.Enter(STDIN_FILENO); !entered) Warn(entered.error());
  ContinueLikeTheJob();
}

void Tracer::ContinueLikeTheJob() {
  const auto first = model_.FindTask(ThreadId(root_));
  if (!first) return;
  if (pty_) CopyWindowSize(STDIN_FILENO, pty_->master.Get());
  SignalGroup(first->pgid, SIGCONT, SignalCause::kSentryForwarded);
}

void Tracer::KillSparedIfTheyLive() {
  // From a copy: the check collects reports, which change tasks_.
  const std::vector<pid_t> spared(spared_.begin(), spared_.end());
  for (const pid_t tgid : spared) {
    const bool gone = !tasks_.contains(tgid) || exiting_.contains(tgid);
    // Gone: it did die of its own signal. Still there, and no fatal signal
    // pending or taken (it caught or blocked it after all): the sentry's
    // SIGKILL after all.
    if (!gone && DiesOfItsOwnSignal(tgid)) continue;
    spared_.erase(tgid);
    if (gone || !tasks_.contains(tgid)) continue;
    if (tasks_[tgid].known && model_.FindTask(ThreadId(tgid))) {
      TellSentrySignal(tgid, SIGKILL, SignalCause::kSentryFirstProcessExited);
    }
    for (const pid_t tid : ThreadsOf(tgid)) ::kill(tid, SIGKILL);
  }
}

void Tracer::ReleaseSessionLeaderWhenAlone() {
  if (!spared_.empty()) KillSparedIfTheyLive();
  if (!release_ || !root_done_) return;
  std::vector<pid_t> gone;
  for (const auto& [tid, st] : tasks_) {
    if (st.tgid == session_leader_) continue;
    // A task still ours (alive, or a zombie whose exit is not collected)
    // keeps it. An entry whose task the host no longer has (a report this
    // bookkeeping missed) does not: gone tasks have no reports to come.
    if (::kill(tid, 0) == 0 && std::atoi(StatusField(tid, "TracerPid").c_str()) == self_) return;
    gone.push_back(tid);
  }
  for (const pid_t tid : gone) tasks_.erase(tid);
  release_.Reset();  // EOF: it exits with the first process's code
}

}  // namespace sentry::platform
