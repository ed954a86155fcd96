// Tracer: what is collected before a workload's wait result is judged.
//
// The host decides a wait inside the syscall; the tracer sees the result at
// the syscall's exit stop, but the events that decided it (a child's stop,
// exit or death) may still sit in waitpid's queue, or not be reported yet at
// all. Each function here brings the model up to what the host knew, from
// the children's own reports, before the model checks the answer.
#include <sys/wait.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <optional>
#include <vector>

#include "platform/proc_files.h"
#include "platform/tracer.h"
#include "sentry/kernel/abi.h"

namespace sentry::platform {

namespace abi = kernel::abi;
using kernel::ThreadId;

std::int32_t Tracer::PidSeenBy(pid_t viewer, pid_t child) const {
  const auto ns = model_.NamespaceOf(ThreadId(viewer));
  const auto seen = ns ? model_.FindTaskByHostTid(ThreadId(child), *ns) : std::nullopt;
  return seen ? seen->tid : child;
}

void Tracer::ResolvePidfd(pid_t pid, kernel::WaitRequest& request) const {
  // Read at the seccomp stop, before the wait runs: the descriptor may be
  // closed by the time its result comes. A descriptor that is no pidfd (the
  // host fails the wait with EBADF or EINVAL), or one whose process was
  // reaped, names no child (id 0).
  const auto target = ReadPidfd(pid, request.id);
  request.id = 0;
  if (!target) return;
  // Linux kernel_waitid: a nonblocking pidfd makes the wait WNOHANG.
  if (target->nonblocking) request.options |= abi::kWNOHANG;
  if (target->pid <= 0) return;
  const auto ns = model_.NamespaceOf(ThreadId(pid));
  const auto seen = ns ? model_.FindTaskByHostTid(ThreadId(target->pid), *ns) : std::nullopt;
  if (seen) request.id = seen->tid;
}

void Tracer::OnWaitResult(pid_t waiter, const TaskState& st, const kernel::WaitDone& done) {
  // Under --pidns the result is an id in the waiter's namespace.
  const auto child = static_cast<pid_t>(
      model_.RootIdSeenBy(ThreadId(waiter), static_cast<std::int32_t>(done.result))
          .value_or(static_cast<std::int32_t>(done.result)));
  // An adoptee: the exit of its former parent, which handed it over, may not
  // be collected yet (a SIGKILL leaves no exit event to announce it).
  if (const auto info = model_.FindTask(ThreadId(child));
      info && info->ppid > 0 && info->ppid != st.tgid && info->ppid != self_) {
    const auto former = static_cast<pid_t>(info->ppid);
    DrainPending(former);
    // A zombie on the host: its exit is over (exit_notify handed its children
    // over and made it a zombie in one step), but a leader's report waits
    // for its other threads' (Linux delay_group_leader).
    if (const auto stat = tasks_.contains(former) ? ReadProcStat(former) : std::nullopt;
        stat && stat->state == 'Z') {
      AwaitReport(former);
    }
  }
  // A child the tracer still follows may have stops not yet collected.
  if (!tasks_.contains(child)) return;
  DrainPending(child);
  if (done.code == abi::kCLD_STOPPED || done.code == abi::kCLD_CONTINUED) {
    AwaitChildEvent(waiter, child, done);
  }
}

void Tracer::CatchUpWithAdoptees(pid_t waiter, const kernel::WaitDone& done) {
  // A creator killed inside clone leaves its child with no clone event to
  // name it: held at its first stop (AnnounceOverdueChildren tells it after
  // kHeldChildPatience), or not stopped yet, or stopped with a report wait4
  // cannot collect yet (measured: up to 85 ms, and more while the tracer
  // waits for it alone). Its creator's exit hands it to an adopter (a
  // subreaper, a namespace's init), whose wait sees it at once. A child of
  // the waiter's process on the host that the model lacks was made by a
  // thread of that process still in clone, or adopted: the other threads'
  // reports are collected first, and if none is still in clone, it was
  // adopted, and is told so.
  const auto poller = model_.FindTask(ThreadId(waiter));
  const bool adopts =
      poller && (poller->subreaper || (!poller->nspid.empty() && poller->nspid.back() == 1));
  if (!adopts) return;
  const auto prediction = model_.PredictWait(ThreadId(waiter), done.request);
  if (!prediction || !prediction->echild) return;
  const pid_t tgid = TgidOf(waiter);
  const std::vector<pid_t> threads = ThreadsOnTheHost(tgid);
  for (const pid_t thread : threads) {
    if (thread != waiter) DrainPending(thread);
  }
  // A fellow thread may be inside clone (clone is not trapped by default:
  // its event stop is the first sign of it), or running where the host does
  // not say: then the child may be its own, and the model's check decides.
  const bool cloning = std::ranges::any_of(
      threads, [&](pid_t thread) { return thread != waiter && InCloneOrRunning(thread); });
  if (cloning) return;
  std::vector<pid_t> adopted;
  for (const pid_t child : ChildrenOnTheHost(tgid)) {
    // Alive and still the sentry's tracee: a zombie the tracer has reaped
    // already is its parent's alone, and not a task to tell as new.
    const bool unseen =
        !tasks_.contains(child) && !model_.FindTask(ThreadId(child)) && LiveTraceeOf(child, self_);
    if (unseen || held_.contains(child) || running_unknown_.contains(child)) {
      adopted.push_back(child);
    }
  }
  for (const pid_t child : adopted) {
    const auto it = tasks_.find(child);
    if (it == tasks_.end() || !it->second.known) {
      AnnounceHeldChild(child, tgid, tgid, /*adopted=*/true);
    }
  }
}

void Tracer::AwaitChildEvent(pid_t waiter, pid_t child, const kernel::WaitDone& done) {
  // The host told the parent of a stop or continue: for a stop, every thread
  // is already in its ptrace stop with its report queued (the last one
  // notifies the parent from inside ptrace_stop); a continue is waitable
  // from the SIGCONT itself (prepare_signal sets SIGNAL_STOP_CONTINUED),
  // before any thread wakes to tell its tracer.
  CatchUpWithGroup(child, [&] {
    const auto prediction = model_.PredictWait(ThreadId(waiter), done.request);
    return !prediction || std::any_of(prediction->candidates.begin(), prediction->candidates.end(),
                                      [&](const kernel::WaitCandidate& c) {
                                        return c.pid == done.result && c.code == done.code;
                                      });
  });
}

void Tracer::CatchUpWithGroup(pid_t tgid, const std::function<bool()>& settled) {
  // Bounded: each round collects a report; a handful covers every thread's.
  constexpr int kMaxRounds = 8;
  for (int round = 0; round < kMaxRounds && !settled(); ++round) {
    const std::vector<pid_t> threads = ThreadsOf(tgid);
    // Looked at before the queue is drained: a thread seen running that
    // enters its stop meanwhile has its report drained now, or waited for.
    const pid_t next = ThreadOnItsWay(threads);
    bool collected = false;
    for (pid_t tid : threads) {
      while (CollectReport(tid, WNOHANG) > 0) collected = true;
    }
    if (collected) continue;
    // Nothing queued: block only for a thread that must report next.
    if (next == 0 || !tasks_.contains(next) || AwaitReport(next) != next) return;
  }
}

pid_t Tracer::ThreadOnItsWay(const std::vector<pid_t>& threads) {
  for (pid_t tid : threads) {
    const auto st = tasks_.find(tid);
    if (st == tasks_.end()) continue;
    const auto stat = ReadProcStat(tid);
    if (!stat || stat->state == 'Z' || stat->state == 'X') continue;
    // Resumed with a stop signal that stops it: Linux do_signal_stop
    // completes the group stop, which the parent's wait sees at once,
    // before the thread reaches ptrace_stop to tell its tracer. Its report
    // is next, whatever /proc shows meanwhile.
    if (st->second.stopping) return tid;
    // In a ptrace stop: its report is queued (and was just drained) or it
    // is listening; either way it is not on its way. A zombie's last report
    // may wait for others (a leader's, for its whole group).
    if (stat->state == 't' || stat->state == 'T') continue;
    // A leader past its exit event (or exiting unseen) reports only once
    // every other thread is reaped (Linux delay_group_leader), and those may
    // be waiting for the tracer: never wait for it while they are there,
    // known to the model or not (a thread whose clone event never came).
    const bool exiting_leader = tid == st->second.tgid &&
                                (exiting_.contains(tid) || DyingOnTheHost(tid)) &&
                                (threads.size() > 1 || stat->num_threads > 1);
    if (exiting_leader) continue;
    // Held in PTRACE_LISTEN and running: SIGCONT or SIGKILL woke it, and it
    // stops to tell (its continue notification, or its exit event).
    if (st->second.listening) return tid;
    // SIGKILL queued or taken: its exit event (or exit report) is next.
    if (DyingOnTheHost(tid)) return tid;
  }
  return 0;
}

namespace {

// The certain stop or continue candidate for `child` (all children: 0) of
// a wait, if any: the one a "nothing to report" answer contradicts.
const kernel::WaitCandidate* MissedCandidate(const kernel::WaitPrediction& prediction,
                                             std::int32_t child = 0) {
  for (const kernel::WaitCandidate& c : prediction.candidates) {
    if (c.certain && c.event != kernel::WaitEvent::kExit && (child == 0 || c.pid == child)) {
      return &c;
    }
  }
  return nullptr;
}

}  // namespace

void Tracer::CatchUpBeforeNothing(pid_t waiter, const kernel::WaitDone& done) {
  // Linux changes what a wait can report the moment a signal is sent, not
  // when its target runs: SIGKILL sets SIGNAL_GROUP_EXIT in complete_signal
  // (no stop or continue is reportable after it), SIGCONT ends the stop in
  // prepare_signal. The target tells its tracer only when it next runs: its
  // exit event, or under PTRACE_LISTEN its continue notification. A wait in
  // between sees the new state; collect the target's reports first.
  constexpr int kMaxChildren = 8;
  for (int i = 0; i < kMaxChildren; ++i) {
    const auto prediction = model_.PredictWait(ThreadId(waiter), done.request);
    const kernel::WaitCandidate* missed = prediction ? MissedCandidate(*prediction) : nullptr;
    if (missed == nullptr) return;
    const std::int32_t pid = missed->pid;
    const auto child = static_cast<pid_t>(model_.RootIdSeenBy(ThreadId(waiter), pid).value_or(pid));
    CatchUpWithGroup(child, [&] {
      const auto now = model_.PredictWait(ThreadId(waiter), done.request);
      return !now || MissedCandidate(*now, pid) == nullptr;
    });
    const auto after = model_.PredictWait(ThreadId(waiter), done.request);
    if (after && MissedCandidate(*after, pid) != nullptr) return;  // the model's check decides
  }
}

void Tracer::CollectWhileOnItsWay(pid_t task, const std::function<bool()>& settled,
                                  const std::function<bool()>& on_its_way) {
  // What is queued, one report at a time: the report that settles it
  // resumes the task, which may stop again at once (its next trapped
  // syscall) and be collected here too, before the change the caller holds
  // back for it is told. A P_PGID poll right after a setpgid was judged
  // without the target's own setpgid, held here, and diverged.
  DrainPending(task, settled);
  constexpr int kMaxReports = 4;
  for (int i = 0; i < kMaxReports && !settled(); ++i) {
    // Looked at before its queue is drained (a stop entered in between is
    // then collected, not waited for).
    if (!on_its_way()) return;
    if (CollectReport(task, WNOHANG) > 0) continue;
    const auto stat = ReadProcStat(task);
    if (!stat) continue;
    // In its stop (t) or on its way to it: /proc may show the stop well
    // before wait4 can collect it (design fact 21), so waited for either way;
    // four rounds of looking again without waiting gave up too soon under
    // load (an exec's EACCES told before the exec, 1 stress run in 1,000).
    if (AwaitReport(task, kAwaitLimit) != task) return;
  }
}

void Tracer::CatchUpWithSender(pid_t sender) {
  const auto in_ioctl = [&] {
    const auto it = tasks_.find(sender);
    return it != tasks_.end() && it->second.exit_pending && it->second.trap == Trap::kTerminal;
  };
  if (!in_ioctl()) return;
  // Resumed with PTRACE_SYSCALL, it stops at the ioctl's exit before
  // anything else (the ioctls trapped never block).
  CollectWhileOnItsWay(
      sender, [] { return false; }, in_ioctl);
}

void Tracer::CatchUpBeforeEchild(pid_t waiter, const kernel::WaitDone& done) {
  // ECHILD while the model has eligible children: a child left the set the
  // wait looks at (setpgid or setsid for a P_PGID wait) in a syscall whose
  // exit the host ran before the wait, and whose exit stop is still to come;
  // or another process's setpgid moved the child, or the waiter itself (a
  // P_PGID 0 wait looks at the waiter's group as it is when the wait runs).
  const pid_t waiter_tgid = TgidOf(waiter);
  constexpr int kMaxReports = 8;
  for (int i = 0; i < kMaxReports; ++i) {
    const auto prediction = model_.PredictWait(ThreadId(waiter), done.request);
    if (!prediction || prediction->echild) return;
    bool collected = false;
    pid_t on_its_way = 0;
    std::vector<pid_t> moved = {waiter_tgid};
    for (std::int32_t pid : prediction->eligible) {
      const auto child =
          static_cast<pid_t>(model_.RootIdSeenBy(ThreadId(waiter), pid).value_or(pid));
      while (CollectReport(child, WNOHANG) > 0) collected = true;
      if (on_its_way == 0 && OnItsWayFromSessionCall(child)) on_its_way = child;
      moved.push_back(child);
    }
    if (collected) continue;
    for (const pid_t setter : setpgid_in_flight_) {
      if (on_its_way != 0) break;
      const auto target = SetPgidTarget(setter);
      // Parked by a freeze, it is not on its way anywhere.
      if (target && std::ranges::find(moved, *target) != moved.end() && !parked_.contains(setter)) {
        on_its_way = setter;
      }
    }
    if (on_its_way == 0 || AwaitReport(on_its_way) != on_its_way) return;
  }
}

}  // namespace sentry::platform
