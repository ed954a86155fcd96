// Tracer: the sentry's own reaps. The sentry is the first process's parent
// and, as subreaper, every orphan's adopter: its wait4 is then the reap, and
// is recorded once the model agrees the zombie is the sentry's.
#include <signal.h>

#include <algorithm>
#include <cerrno>

#include "platform/sentry_observations.h"
#include "platform/tracer.h"

namespace sentry::platform {

using kernel::ThreadId;

void Tracer::RecordSentryReap(pid_t pid, int status) {
  Apply(SentryReaped(self_, pid, status));
}

void Tracer::NoteSentryReap(pid_t pid, int status, pid_t parent_at_report) {
  // The sentry's own wait4 just reaped its children (the first process and
  // adopted orphans); for anyone else it only collected the exit.
  const auto info = model_.FindTask(ThreadId(pid));
  if (!info || !info->leader || info->exit_state != kernel::ExitState::kZombie || info->ppid == 0) {
    return;
  }
  if (parent_at_report == self_) {
    RecordSentryReap(pid, status);
    return;
  }
  // A parent whose exit was told only after this report came (collected
  // while telling this exit) was alive when the host handed this zombie
  // back to it: the report was no reap, unless the host has released it.
  // The model expects a zombie waiting for a workload parent. If the host has
  // released it, its parent died between the exit and this report, and the
  // sentry was its real parent by the time it was collected: the report was
  // the reap (wait_task_zombie hands a tracee back to its real parent only
  // when that is not the tracer). (Or the parent, already blocked in wait,
  // reaped it as soon as this report handed it back: then the parent's wait
  // tells the model, and no reap by the sentry is recorded.)
  if (::kill(pid, 0) == 0 || errno != ESRCH) return;  // still a zombie on the host
  SettleSentryReap(pid, static_cast<pid_t>(info->ppid), status);
}

void Tracer::SettleSentryReap(pid_t pid, pid_t model_parent, int status) {
  // Usually the parent's exit report is already there (its exit handed the
  // zombie over). When it is not (its group's other threads have yet to
  // finish), the reap is recorded once the model has seen that exit: never
  // block for it here, where an outer frame may hold a task in a stop.
  unsettled_reaps_[pid] = status;
  // Its parent's reports up to the one that settles it: its exit (the
  // zombie handed to the sentry), or its wait that took the zombie (the
  // usual case: the parent was blocked in it). Not all it has pending: the
  // rest comes through the loop, and a last wait4 that finds nothing is
  // saved on each reaped child.
  // Nested in another task's report (its handler drained this exit), the
  // parent's reports are left to the loop: a wait of the parent's told here
  // could report that task's event before the model has it (a child's group
  // stop, in hand up the stack: RaceTest seed 7 --pidns, under ASan). The
  // reap settles at a later exit (SettleSentryReaps), the parent's own
  // among them.
  const bool nested =
      std::any_of(in_hand_.begin(), in_hand_.end(), [&](pid_t task) { return task != pid; });
  if (model_parent != self_ && !nested) {
    DrainPending(model_parent, [&] { return !AwaitsWorkloadParent(pid); });
  }
  SettleSentryReaps();
}

bool Tracer::AwaitsWorkloadParent(pid_t pid) const {
  const auto info = model_.FindTask(ThreadId(pid));
  return info && info->exit_state == kernel::ExitState::kZombie && info->ppid != self_;
}

void Tracer::SettleSentryReaps() {
  for (auto it = unsettled_reaps_.begin(); it != unsettled_reaps_.end();) {
    const auto [pid, status] = *it;
    if (AwaitsWorkloadParent(pid)) {
      ++it;  // its parent's exit (or wait) is still to come
      continue;
    }
    it = unsettled_reaps_.erase(it);
    // Under --pidns the namespace's init adopts it instead; its own wait
    // (or its dying) tells the model.
    if (const auto info = model_.FindTask(ThreadId(pid));
        info && info->exit_state == kernel::ExitState::kZombie) {
      RecordSentryReap(pid, status);
    }
  }
}

}  // namespace sentry::platform
