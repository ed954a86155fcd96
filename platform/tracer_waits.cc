// Tracer: what is collected before a workload's wait result is judged.
//
// The host decides a wait inside the syscall; the tracer sees the result at
// the syscall's exit stop, but the events that decided it (a child's stop,
// exit or death) may still sit in waitpid's queue, or not be reported yet at
// all. Each function here brings the model up to what the host knew, from
// the children's own reports, before the model checks the answer.
#include <sys/wait.h>

#include <algorithm>

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

}  // namespace sentry::platform
