// Freezing the workload (the view's `sentry/freeze`, like cgroup.freeze):
// every task is held in a ptrace stop, new ones included, until thawed.
// And holding it between two events for `sentry run --step` (HoldIfAsked,
// hold_point.h): the loop itself waits, so nothing further is collected.
//
// A running task is stopped with PTRACE_INTERRUPT; a task in any ptrace
// stop is simply not resumed (Resume parks it, remembering the signal it
// was to get). A task in a group stop (PTRACE_LISTEN) is already stopped
// and is left as it is. A dying task (past PTRACE_EVENT_EXIT) is never held:
// SIGKILL ends a frozen task, as it does under cgroup v2's freezer. The
// workload cannot tell a freeze from being descheduled: ptrace stops are
// never reported to a real parent's wait, so WUNTRACED sees nothing. The
// model records one external stop of the whole task set.
#include <sys/eventfd.h>
#include <sys/ptrace.h>

#include <chrono>

#include "platform/tracer.h"

namespace sentry::platform {

using kernel::ThreadId;

void Tracer::RequestFreeze(bool frozen) {
  freeze_wanted_.store(frozen);
  freeze_requested_.store(true);
  // Wakes the loop, whether it polls or blocks in wait4 (tracer_wakeups.cc).
  ::eventfd_write(freeze_wake_.Get(), 1);
  Doorbell::Ring(doorbell_pid_.load());
}

void Tracer::OnFreezeRequest() {
  const bool wanted = freeze_wanted_.load();
  // Once the first process is gone the run is ending: nothing new is frozen.
  if (wanted == frozen_ || (wanted && root_done_)) return;
  frozen_ = wanted;
  Apply(kernel::ExternalStop{.tid = ThreadId(0), .stopped = wanted});
  if (wanted) {
    for (const auto& [pid, st] : tasks_) {
      // Held children and listeners are stopped already; the dying go on.
      if (st.listening || held_.contains(pid) || exiting_.contains(pid)) continue;
      ::ptrace(PTRACE_INTERRUPT, pid, nullptr, nullptr);
    }
    return;
  }
  std::unordered_map<pid_t, int> parked;
  parked.swap(parked_);
  for (const auto& [pid, sig] : parked) {
    if (const auto it = tasks_.find(pid); it != tasks_.end()) Resume(pid, it->second, sig);
  }
}

bool Tracer::HoldIfAsked() {
  if (options_.holder == nullptr || !options_.holder->WantsHold()) return false;
  // The wake holds a count no request may be behind (TakeRequests reads it
  // only for one): drained, then the requests looked at, which the loop
  // sees to before the holder is asked again.
  eventfd_t stale = 0;
  ::eventfd_read(freeze_wake_.Get(), &stale);
  if (RequestsPending()) {
    ::eventfd_write(freeze_wake_.Get(), 1);
    return true;
  }
  const auto start = std::chrono::steady_clock::now();
  if (relay_) relay_->PauseInput();
  const bool end_run = options_.holder->Hold(freeze_wake_.Get());
  if (relay_) relay_->ResumeInput();
  // A held child's creator had no chance to report while the loop held.
  const auto held = std::chrono::steady_clock::now() - start;
  for (const pid_t child : held_) tasks_[child].held_since += held;
  if (end_run) {
    Warn("quit while stepping: killing the workload");
    KillWorkload(kernel::SignalCause::kSentryQuitStepping);
  }
  // Woken by a request (an interrupt for the workload): seen to before the
  // loop collects anything more.
  return RequestsPending();
}

}  // namespace sentry::platform
