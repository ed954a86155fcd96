// Tracer: threads of one process waiting for the same child.
//
// Without __WNOTHREAD every thread of a process waits for the children of
// all of them (Linux do_wait walks each thread's children), so two threads
// may wait for one child at once: one blocked in waitpid(pid, 0) while
// another polls waitpid(pid, WNOHANG), as Python's asyncio and subprocess
// do. Linux lets exactly one of them take an event: a zombie is reaped by
// the wait that wins wait_task_zombie's cmpxchg of exit_state (the others
// skip it as EXIT_DEAD: ECHILD if it was their last eligible child, else
// nothing or another child); a stop or continue by the wait that clears
// exit_code or SIGNAL_STOP_CONTINUED under the siglock. A WNOWAIT wait
// takes nothing, and sees the event only while it is still there.
//
// The tracer sees each wait's result at its exit stop, and waitpid(-1)
// reports two threads' stops in no particular order: the loser's "nothing"
// may be collected before the winner's result. Judged then, the model
// still has the event and diverges. So before a wait that found nothing
// is judged, the fellow threads' waits that may have taken the event are
// collected: each is either on its way to its exit stop (it returned, or
// was woken and looks again) or asleep in its wait (it took nothing).
// Likewise, before a wait that took an event is told, a fellow's WNOWAIT
// wait that saw the same event (so ran first) is collected.
//
// A poll let through at its entry (tracer_polls.cc) has no exit stop: when
// no trapped fellow took the event, a zombie the host no longer has was
// reaped by such a poll that noted its exit.
#include <poll.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <unordered_map>
#include <vector>

#include "platform/proc_files.h"
#include "platform/tracer.h"
#include "sentry/kernel/abi.h"

namespace sentry::platform {

namespace abi = kernel::abi;
using kernel::ThreadId;
using kernel::WaitCandidate;
using kernel::WaitEvent;

namespace {

// An event of one child, as the model's candidates name it.
struct ChildEvent {
  kernel::TaskUid task;
  WaitEvent event = WaitEvent::kExit;
};

bool Lists(const std::vector<WaitCandidate>& candidates, const ChildEvent& e) {
  return std::ranges::any_of(
      candidates, [&](const WaitCandidate& c) { return c.task == e.task && c.event == e.event; });
}

// The event a wait's CLD_* code reports (nullopt: 0, no status to say).
std::optional<WaitEvent> EventOfCode(int code) {
  switch (code) {
    case abi::kCLD_EXITED:
    case abi::kCLD_KILLED:
    case abi::kCLD_DUMPED:
      return WaitEvent::kExit;
    case abi::kCLD_STOPPED:
      return WaitEvent::kStop;
    case abi::kCLD_CONTINUED:
      return WaitEvent::kContinue;
    default:
      return std::nullopt;
  }
}

using Clock = std::chrono::steady_clock;

// Where a fellow thread's wait in flight is, as the host shows it.
enum class WaitStage : std::uint8_t {
  kAsleep,    // asleep in its wait: it took nothing (a wait that takes an
              // event returns without sleeping again; Linux do_wait)
  kOnItsWay,  // running (in its walk of the children, or returning)
  kStopped,   // in a ptrace stop: its report is collectable, or about to be
  kDone,      // gone, or a zombie: its exit report is what is left
};

// Looks at fellows over several rounds: "in its walk" needs time to be sure.
class FellowWatch {
 public:
  WaitStage Look(pid_t tid, Clock::time_point now) {
    const auto stat = ReadProcStat(tid);
    // Gone, or a zombie: its exit report is what is left to collect.
    if (!stat || stat->state == 'Z' || stat->state == 'X') return WaitStage::kDone;
    if (stat->state == 'S') {
      // S from the start of its walk, the reap included, while it still
      // runs: only a wchan says it sleeps. A host whose wchan says nothing
      // makes it count as asleep after a while.
      if (AsleepInWait(tid)) return WaitStage::kAsleep;
      const auto since = unsure_since_.try_emplace(tid, now).first->second;
      return now - since >= kTakenReportGrace ? WaitStage::kAsleep : WaitStage::kOnItsWay;
    }
    // In a ptrace stop: /proc may show it before wait4 can collect it
    // (design fact 21; over 100 ms under load, seen here). A wait in flight
    // has its exit stop's report to come (parked and held tasks, whose
    // report was taken, are left out by the callers): waited for, within
    // the callers' kAwaitLimit.
    if (stat->state == 't') return WaitStage::kStopped;
    return WaitStage::kOnItsWay;
  }

 private:
  std::unordered_map<pid_t, Clock::time_point> unsure_since_;
};

}  // namespace

void Tracer::CatchUpWithFellowWaiters(pid_t waiter, const kernel::WaitDone& done) {
  if (waits_in_flight_.empty() && polls_.empty()) return;
  const auto prediction = model_.PredictWait(ThreadId(waiter), done.request);
  if (!prediction) return;
  // The events the answer says were gone: for nothing found, those the
  // model is sure the wait could see; for ECHILD, every zombie (a live
  // child left eligible is CatchUpBeforeEchild's).
  std::vector<ChildEvent> missed;
  for (const WaitCandidate& c : prediction->candidates) {
    const bool contradicted = done.result < 0 ? c.event == WaitEvent::kExit : c.certain;
    if (contradicted) missed.push_back({.task = c.task, .event = c.event});
  }
  if (missed.empty()) return;
  const auto still_missed = [&] {
    const auto now = model_.PredictWait(ThreadId(waiter), done.request);
    return now && std::ranges::any_of(
                      missed, [&](const ChildEvent& e) { return Lists(now->candidates, e); });
  };
  CollectFellowWaits(
      waiter,
      [&](pid_t fellow) {
        return std::ranges::any_of(
            missed, [&](const ChildEvent& e) { return WaitMayTake(fellow, e.task, e.event); });
      },
      [&] { return !still_missed(); });
  if (!still_missed()) return;
  // No trapped fellow took it: a zombie gone from the host was reaped by a
  // fellow's poll let through at its entry.
  for (const ChildEvent& e : missed) {
    if (e.event != WaitEvent::kExit) continue;
    const auto child = model_.FindTaskByUid(e.task);
    if (child && SettleFellowPolls(waiter, static_cast<pid_t>(child->root_tid))) return;
  }
}

bool Tracer::WaitMayTake(pid_t fellow, kernel::TaskUid task, WaitEvent event) const {
  const auto it = tasks_.find(fellow);
  if (it == tasks_.end()) return false;
  const kernel::WaitRequest& request = it->second.wait_request;
  if ((request.options & abi::kWNOWAIT) != 0) return false;  // it takes nothing
  const auto theirs = model_.PredictWait(ThreadId(fellow), request);
  return theirs && Lists(theirs->candidates, {.task = task, .event = event});
}

void Tracer::CatchUpWithFellowPeeks(pid_t waiter, const kernel::WaitDone& done) {
  if (waits_in_flight_.empty() || (done.request.options & abi::kWNOWAIT) != 0) return;
  const auto root = model_.RootIdSeenBy(ThreadId(waiter), static_cast<std::int32_t>(done.result));
  if (root) CatchUpWithFellowPeeks(waiter, static_cast<pid_t>(*root), EventOfCode(done.code));
}

void Tracer::CatchUpWithFellowPeeks(pid_t waiter, pid_t taken, std::optional<WaitEvent> event) {
  if (waits_in_flight_.empty()) return;
  const auto child = model_.FindTask(ThreadId(taken));
  if (!child) return;
  const pid_t tgid = TgidOf(waiter);
  std::vector<pid_t> peekers;
  for (const pid_t tid : waits_in_flight_) {
    const auto it = tasks_.find(tid);
    if (tid == waiter || it == tasks_.end() || it->second.tgid != tgid ||
        (it->second.wait_request.options & abi::kWNOWAIT) == 0 || parked_.contains(tid)) {
      continue;
    }
    const auto theirs = model_.PredictWait(ThreadId(tid), it->second.wait_request);
    if (theirs && std::ranges::any_of(theirs->candidates, [&](const WaitCandidate& c) {
          return c.task == child->uid && (!event || c.event == *event);
        })) {
      peekers.push_back(tid);
    }
  }
  // A peek that returned the child ran before this wait took the event: it
  // is told first. One that returned anything else may have run after (an
  // ECHILD once the child is reaped), and is told after: so each peeker's
  // result is read at its exit stop before its report is collected (a
  // ptrace request needs the stop, not its report).
  const auto deadline = Clock::now() + kAwaitLimit;
  FellowWatch watch;
  while (!peekers.empty() && Clock::now() < deadline) {
    const auto now = Clock::now();
    std::erase_if(peekers, [&](pid_t tid) {
      const auto it = tasks_.find(tid);
      if (it == tasks_.end() || !it->second.exit_pending) return true;  // told meanwhile
      const WaitStage stage = watch.Look(tid, now);
      if (stage == WaitStage::kAsleep || stage == WaitStage::kDone) return true;
      if (stage == WaitStage::kOnItsWay) return false;  // looked at again
      __ptrace_syscall_info info{};
      if (::ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof info, &info) <= 0) return false;
      if (info.op != PTRACE_SYSCALL_INFO_EXIT) return true;  // stopped for something else
      // waitid (wait4 has no WNOWAIT) returns 0, the child in its siginfo.
      std::int32_t siginfo[7] = {};  // signo, errno, code, pad, pid, uid, status
      const bool saw_it = info.exit.rval == 0 && it->second.args[2] != 0 &&
                          ReadMemory(tid, it->second.args[2], siginfo, sizeof siginfo) &&
                          siginfo[4] == PidSeenBy(tid, taken);
      if (saw_it) AwaitReport(tid);
      return true;
    });
    if (!peekers.empty()) NapUntilAReport(std::chrono::milliseconds(1));
  }
}

void Tracer::CollectFellowWaits(pid_t waiter, const std::function<bool(pid_t fellow)>& may_have,
                                const std::function<bool()>& settled) {
  const pid_t tgid = TgidOf(waiter);
  const auto deadline = Clock::now() + kAwaitLimit;
  FellowWatch watch;
  while (!settled()) {
    std::vector<pid_t> fellows;
    for (const pid_t tid : waits_in_flight_) {
      const auto it = tasks_.find(tid);
      if (tid == waiter || it == tasks_.end() || it->second.tgid != tgid) continue;
      // Parked by a freeze or held for its creator: it reports nothing now.
      if (parked_.contains(tid) || held_.contains(tid)) continue;
      if (may_have(tid)) fellows.push_back(tid);
    }
    if (fellows.empty()) return;
    bool collected = false;
    for (const pid_t tid : fellows) {
      if (in_hand_.contains(tid) ? TellWaitInHand(tid) : CollectReport(tid, WNOHANG) > 0) {
        collected = true;
      }
    }
    if (collected) continue;
    // A fellow in hand that is not at its wait's exit stop has nothing to
    // collect now: not waited for.
    std::erase_if(fellows, [&](pid_t tid) { return in_hand_.contains(tid); });
    const auto now = Clock::now();
    const bool on_its_way = std::ranges::any_of(fellows, [&](pid_t tid) {
      const WaitStage stage = watch.Look(tid, now);
      return stage == WaitStage::kOnItsWay || stage == WaitStage::kStopped;
    });
    if (!on_its_way || now >= deadline) return;
    NapUntilAReport(std::chrono::milliseconds(1));
  }
}

bool Tracer::TellWaitInHand(pid_t fellow) {
  const auto it = tasks_.find(fellow);
  if (it == tasks_.end() || !it->second.exit_pending || it->second.trap != Trap::kWait ||
      it->second.wait_told) {
    return false;
  }
  // Still in the stop its handler has not acted on: the result is the host's.
  __ptrace_syscall_info info{};
  if (::ptrace(PTRACE_GET_SYSCALL_INFO, fellow, sizeof info, &info) <= 0 ||
      info.op != PTRACE_SYSCALL_INFO_EXIT) {
    return false;
  }
  user_regs_struct regs{};
  if (::ptrace(PTRACE_GETREGS, fellow, nullptr, &regs) != 0) return false;
  TaskState& st = it->second;
  if (!TellWaitExit(fellow, st, regs)) return true;  // gone meanwhile: its exit told it
  st.wait_told = true;
  return true;
}

bool Tracer::SettleFellowPolls(pid_t waiter, pid_t child) {
  if (!ReapedOnTheHost(child)) return false;
  const pid_t tgid = TgidOf(waiter);
  for (auto it = polls_.begin(); it != polls_.end(); ++it) {
    const auto& [poller, poll] = *it;
    if (poller == waiter || poll.tgid != tgid ||
        std::ranges::find(poll.exited, child) == poll.exited.end()) {
      continue;
    }
    const pid_t who = poller;
    const kernel::WaitRequest request = poll.request;
    polls_.erase(it);  // its next stop has nothing left to settle
    TellPollReap(who, request, child);
    return true;
  }
  return false;
}

}  // namespace sentry::platform
