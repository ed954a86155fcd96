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
// noted against the poll, and the poller is interrupted (PTRACE_INTERRUPT):
// at its next stop the poll is over, and if the host no longer has the
// zombie, nobody but that poll can have reaped it (any other wait of the
// parent's group is trapped and seen). The reap is told then.
//
// Not for a subreaper or a PID namespace's init: they adopt zombies whose
// exits were collected long ago, and the host hands one over as its parent
// exits, before the tracer collects that exit. Their polls keep both stops.
#include <signal.h>
#include <sys/ptrace.h>

#include <cerrno>

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
    poll.exited.push_back(pid);
    ::ptrace(PTRACE_INTERRUPT, poller, nullptr, nullptr);
  }
}

void Tracer::SettlePoll(pid_t pid) {
  const auto node = polls_.extract(pid);
  const PollInFlight& poll = node.mapped();
  for (const pid_t child : poll.exited) {
    const auto known = model_.FindTask(ThreadId(child));
    // Reaped meanwhile as the model knows (another wait, seen), or still a
    // zombie on the host: not this poll's.
    if (!known || known->exit_state != kernel::ExitState::kZombie) continue;
    if (::kill(child, 0) == 0 || errno != ESRCH) continue;
    // The result as the poller's namespace names the child.
    const auto ns = model_.NamespaceOf(ThreadId(pid));
    const auto seen = ns ? model_.FindTaskByHostTid(ThreadId(child), *ns) : std::nullopt;
    // Decoded as the status word the poll returned would be (OnSyscallExit).
    const auto decoded = kernel::FromWait4Status(known->exit_status.WaitStatus());
    Apply(kernel::WaitStart{.tid = ThreadId(pid), .request = poll.request});
    Apply(kernel::WaitDone{.tid = ThreadId(pid),
                           .request = poll.request,
                           .result = seen ? seen->tid : child,
                           .code = decoded.code,
                           .status = decoded.status});
    return;  // one poll reaps one child at most
  }
}

}  // namespace sentry::platform
