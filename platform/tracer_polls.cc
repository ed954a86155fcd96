// Tracer: WNOHANG polls that find nothing, seen at their entry only.
//
// A program that polls a live child (waitpid(pid, WNOHANG) in a loop) would
// cost two ptrace stops a poll and a log line each. For a poll that asks
// for exits only (no WSTOPPED, WCONTINUED or WNOWAIT) and that the model
// says finds nothing, the tracer lets the syscall run from its seccomp stop
// with PTRACE_CONT: one stop, nothing logged, a count (-v).
//
// Why that is safe: a traced child's exit is visible to its parent only once
// the tracer has collected it (a zombie tracee is its tracer's alone, Linux
// wait_consider_task), and the model has every exit collected so far. So the
// only thing such a poll can find is a child whose exit the tracer collects
// after the poll's entry, while the poll may still run. Each such exit is
// noted against the poll it may answer, and the poller is interrupted
// (PTRACE_INTERRUPT): at its next stop the poll is over, and if the host no
// longer has the zombie, that poll reaped it, or another wait of the
// parent's process, which is trapped: a fellow thread's wait whose result
// is still to come is collected first (tracer_fellow_waiters.cc). The reap
// is told then.
//
// Not for a subreaper or a PID namespace's init: they adopt zombies whose
// exits were collected long ago, and the host hands one over as its parent
// exits, before the tracer collects that exit. Their polls keep both stops.
#include <signal.h>
#include <sys/ptrace.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "platform/proc_files.h"
#include "platform/tracer.h"
#include "sentry/kernel/abi.h"

namespace sentry::platform {

namespace abi = kernel::abi;
using kernel::ThreadId;

bool Tracer::SkipEmptyPoll(pid_t pid, const TaskState& st) {
  const std::uint32_t options = st.wait_request.options;
  if ((options & abi::kWNOHANG) == 0 ||
      (options & (abi::kWSTOPPED | abi::kWCONTINUED | abi::kWNOWAIT)) != 0) {
    return false;
  }
  const auto poller = model_.FindTask(ThreadId(pid));
  if (!poller || poller->subreaper || (!poller->nspid.empty() && poller->nspid.back() == 1)) {
    return false;
  }
  const auto prediction = model_.PredictWait(ThreadId(pid), st.wait_request);
  if (!prediction || prediction->echild || !prediction->candidates.empty()) return false;
  polls_[pid] = PollInFlight{.tgid = st.tgid, .request = st.wait_request, .exited = {}};
  ++unlogged_polls_;
  return true;
}

void Tracer::NoteExitDuringPolls(pid_t pid) {
  const auto child = model_.FindTask(ThreadId(pid));
  if (!child || !child->leader || child->exit_state != kernel::ExitState::kZombie) return;
  for (auto& [poller, poll] : polls_) {
    if (poll.tgid != child->ppid) continue;
    // Only a poll that asks for this child can reap it (a waitpid(other,
    // WNOHANG) cannot).
    const auto prediction = model_.PredictWait(ThreadId(poller), poll.request);
    if (!prediction ||
        std::ranges::none_of(prediction->candidates, [&](const kernel::WaitCandidate& c) {
          return c.task == child->uid && c.event == kernel::WaitEvent::kExit;
        })) {
      continue;
    }
    poll.exited.push_back(pid);
    ::ptrace(PTRACE_INTERRUPT, poller, nullptr, nullptr);
  }
}

bool Tracer::ReapedOnTheHost(pid_t child) const {
  const auto known = model_.FindTask(ThreadId(child));
  // Reaped already as the model knows (another wait, seen), or still there
  // on the host: nothing to tell.
  if (!known || known->exit_state != kernel::ExitState::kZombie) return false;
  if (::kill(child, 0) != 0 && errno == ESRCH) return true;
  // Claimed by a wait (Linux wait_task_zombie makes it EXIT_DEAD, 'X', before
  // release_task lets its pid go): another wait's walk skips it already.
  const auto stat = ReadProcStat(child);
  return !stat || stat->state == 'X';
}

void Tracer::SettlePoll(pid_t pid) {
  const auto it = polls_.find(pid);
  if (it == polls_.end()) return;
  const std::vector<pid_t> exited = it->second.exited;
  for (const pid_t child : exited) {
    if (!ReapedOnTheHost(child)) continue;
    // Another thread of its process may have reaped it in a trapped wait
    // whose result is still to come (Linux lets one wait reap a zombie):
    // that result is collected first. The poll stays listed meanwhile: a
    // fellow's ECHILD judged inside may settle it (SettleFellowPolls).
    const auto known = model_.FindTask(ThreadId(child));
    if (!known) continue;
    const auto uid = known->uid;
    CollectFellowWaits(
        pid, [&](pid_t fellow) { return WaitMayTake(fellow, uid, kernel::WaitEvent::kExit); },
        [&] { return !ReapedOnTheHost(child); });
    const auto still = polls_.find(pid);
    if (still == polls_.end()) return;  // told meanwhile
    if (!ReapedOnTheHost(child)) continue;
    const kernel::WaitRequest request = still->second.request;
    polls_.erase(still);
    TellPollReap(pid, request, child);
    return;  // one poll reaps one child at most
  }
  polls_.erase(pid);
}

void Tracer::TellPollReap(pid_t pid, const kernel::WaitRequest& request, pid_t child) {
  // A fellow thread's WNOWAIT wait that saw the zombie ran before the reap.
  CatchUpWithFellowPeeks(pid, child, kernel::WaitEvent::kExit);
  const auto known = model_.FindTask(ThreadId(child));
  if (!known) return;
  // Decoded as the status word the poll returned would be (OnSyscallExit).
  const auto decoded = kernel::FromWait4Status(known->exit_status.WaitStatus());
  Apply(kernel::WaitStart{.tid = ThreadId(pid), .request = request});
  Apply(kernel::WaitDone{.tid = ThreadId(pid),
                         .request = request,
                         .result = PidSeenBy(pid, child),
                         .code = decoded.code,
                         .status = decoded.status});
}

}  // namespace sentry::platform
