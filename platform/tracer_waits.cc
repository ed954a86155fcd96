// Tracer: what is collected before a workload's wait result is judged.
//
// The host decides a wait inside the syscall; the tracer sees the result at
// the syscall's exit stop, but the events that decided it (a child's stop,
// exit or death) may still sit in waitpid's queue, or not be reported yet at
// all. Each function here brings the model up to what the host knew, from
// the children's own reports, before the model checks the answer.
#include <sys/wait.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "platform/proc_files.h"
#include "platform/tracer.h"
#include "sentry/kernel/abi.h"

namespace sentry::platform {

namespace abi = kernel::abi;
using kernel::ThreadId;

void Tracer::OnWaitResult(pid_t waiter, const TaskState& st, const kernel::WaitDone& done) {
  // Under --pidns the result is an id in the waiter's namespace.
  const auto child = static_cast<pid_t>(
      model_.RootIdSeenBy(ThreadId(waiter), static_cast<std::int32_t>(done.result))
          .value_or(static_cast<std::int32_t>(done.result)));
  // An adoptee: the exit of its former parent, which handed it over, may not
  // be collected yet (a SIGKILL leaves no exit event to announce it).
  if (const auto info = model_.FindTask(ThreadId(child));
      info && info->ppid > 0 && info->ppid != st.tgid && info->ppid != self_) {
    DrainPending(static_cast<pid_t>(info->ppid));
  }
  // A child the tracer still follows may have stops not yet collected.
  if (!tasks_.contains(child)) return;
  DrainPending(child);
  if (done.code == abi::kCLD_STOPPED || done.code == abi::kCLD_CONTINUED) {
    AwaitChildEvent(waiter, child, done);
  }
}

void Tracer::AwaitChildEvent(pid_t waiter, pid_t child, const kernel::WaitDone& done) {
  const auto matches = [&] {
    const auto prediction = model_.PredictWait(ThreadId(waiter), done.request);
    if (!prediction) return true;
    return std::any_of(prediction->candidates.begin(), prediction->candidates.end(),
                       [&](const kernel::WaitCandidate& c) {
                         return c.pid == done.result && c.code == done.code;
                       });
  };
  // Bounded: each report moves the child on; it stops for good within a few.
  for (int i = 0; i < 4 && !matches() && tasks_.contains(child); ++i) {
    if (CollectReport(child, 0) != child) return;
  }
}

namespace {

// The certain stop or continue candidate of a wait, if any: the one a
// "nothing to report" answer contradicts.
const kernel::WaitCandidate* MissedCandidate(const kernel::WaitPrediction& prediction) {
  for (const kernel::WaitCandidate& c : prediction.candidates) {
    if (c.certain && c.event != kernel::WaitEvent::kExit) return &c;
  }
  return nullptr;
}

// Signals queued to thread `tid` or its group (SigPnd | ShdPnd); 0 if gone.
std::uint64_t PendingSignals(pid_t tid) {
  return std::strtoull(StatusField(tid, "SigPnd").c_str(), nullptr, 16) |
         std::strtoull(StatusField(tid, "ShdPnd").c_str(), nullptr, 16);
}

constexpr std::uint64_t Bit(int signo) {
  return 1ULL << (signo - 1);
}

}  // namespace

void Tracer::CatchUpBeforeNothing(pid_t waiter, const kernel::WaitDone& done) {
  // Linux changes what a wait can report the moment a signal is sent, not
  // when its target runs: SIGKILL sets SIGNAL_GROUP_EXIT in complete_signal
  // (no stop or continue is reportable after it), SIGCONT ends the stop in
  // prepare_signal. The target tells its tracer only when it next runs: its
  // exit event, or under PTRACE_LISTEN its continue notification. A wait in
  // between sees the new state; collect the target's reports first. Each
  // round collects at least one report; a handful covers every thread's.
  constexpr int kMaxRounds = 8;
  for (int round = 0; round < kMaxRounds; ++round) {
    const auto prediction = model_.PredictWait(ThreadId(waiter), done.request);
    const kernel::WaitCandidate* missed = prediction ? MissedCandidate(*prediction) : nullptr;
    if (missed == nullptr) return;
    const auto child = static_cast<pid_t>(
        model_.RootIdSeenBy(ThreadId(waiter), missed->pid).value_or(missed->pid));
    std::vector<pid_t> threads;
    for (const auto& [tid, ts] : tasks_) {
      if (ts.tgid == child) threads.push_back(tid);
    }
    bool collected = false;
    for (pid_t tid : threads) {
      while (CollectReport(tid, WNOHANG) > 0) collected = true;
    }
    if (collected) continue;
    // Nothing queued: block only for a thread the host shows on its way
    // into a stop (woken by SIGKILL, or out of its group stop by SIGCONT);
    // one still in a ptrace stop ('t') has its report queued or is
    // listening, and is looked at again next round.
    pid_t woken = 0;
    for (pid_t tid : threads) {
      const auto stat = ReadProcStat(tid);
      if (!stat || stat->state == 't' || stat->state == 'T') continue;
      const std::uint64_t pending = PendingSignals(tid);
      const bool continued =
          missed->event == kernel::WaitEvent::kStop && (pending & Bit(SIGCONT)) != 0;
      if (continued || DyingOnTheHost(tid)) {
        woken = tid;
        break;
      }
    }
    if (woken == 0) {
      if (std::none_of(threads.begin(), threads.end(), [](pid_t tid) {
            const auto stat = ReadProcStat(tid);
            return stat && stat->state == 't';
          })) {
        return;  // no sign of anything the host knew: the model's check decides
      }
      continue;
    }
    if (CollectReport(woken, 0) != woken) return;
  }
}

void Tracer::CatchUpBeforeSetPgid(pid_t caller, const TaskState& st, std::int64_t result) {
  // setpgid's answer depends on the target's own state: a session leader
  // (EPERM), exec'd (EACCES), in another session. The target changed it in
  // its own syscall or exec, which the host ran first; its report may still
  // be queued, or, for a trapped setsid/setpgid, be on its way (resumed with
  // PTRACE_SYSCALL, it stops at the syscall's exit before anything else).
  const auto pid = static_cast<std::int32_t>(st.args[0]);
  const auto pgid = static_cast<std::int32_t>(st.args[1]);
  const auto agrees = [&] {
    const auto predicted = model_.PredictSetPgid(ThreadId(caller), pid, pgid);
    return !predicted || -static_cast<std::int64_t>(*predicted) == result;
  };
  if (pid == 0 || agrees()) return;
  const auto target = static_cast<pid_t>(model_.RootIdSeenBy(ThreadId(caller), pid).value_or(0));
  if (target <= 0 || target == caller) return;
  DrainPending(target);
  constexpr int kMaxReports = 4;
  for (int i = 0; i < kMaxReports && !agrees(); ++i) {
    const auto it = tasks_.find(target);
    if (it == tasks_.end() || !it->second.exit_pending ||
        (it->second.trap != Trap::kSetSid && it->second.trap != Trap::kSetPgid)) {
      return;
    }
    if (CollectReport(target, 0) != target) return;
  }
}

}  // namespace sentry::platform
