// Tracer: setpgid racing the process it names.
//
// setpgid(pid, pgid) answers from its target's state at the moment it runs
// (Linux ksys_setpgid): EACCES once the target has exec'd (begin_new_exec
// clears PF_FORKNOEXEC), EPERM once it leads a session or sits in another;
// and a fork copies its creator's group at the moment it runs. The tracer
// sees each side at a later stop (the setpgid's exit stop; the target's exec
// event, setsid exit stop or clone event), in either order. The functions
// here let the host's own results say which ran first, and tell the model in
// that order.
#include <sys/wait.h>

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "platform/proc_files.h"
#include "platform/tracer.h"

namespace sentry::platform {

using kernel::ThreadId;

std::optional<pid_t> Tracer::SetPgidTarget(pid_t caller) const {
  const auto it = tasks_.find(caller);
  if (it == tasks_.end()) return std::nullopt;
  const auto named = static_cast<std::int32_t>(it->second.args[0]);
  if (named == 0) return it->second.tgid;
  const auto root = model_.RootIdSeenBy(ThreadId(caller), named);
  if (!root) return std::nullopt;
  return static_cast<pid_t>(*root);
}

void Tracer::ApplyAfterRacingSetPgids(pid_t tgid, kernel::ObservationBody change) {
  std::vector<pid_t> setters;
  for (const pid_t caller : setpgid_in_flight_) {
    const auto it = tasks_.find(caller);
    if (it != tasks_.end() && it->second.tgid != tgid && SetPgidTarget(caller) == tgid) {
      setters.push_back(caller);
    }
  }
  if (setters.empty()) {  // the usual case
    Apply(std::move(change));
    return;
  }
  // Each setter's exit stop is on its way (setpgid never blocks): collect it
  // first. Its handler (CatchUpBeforeSetPgid) tells `change` first when the
  // setpgid's result says the host ran `change` first; else the setpgid is
  // told first, then `change` here.
  unapplied_.insert_or_assign(tgid, std::move(change));
  for (const pid_t setter : setters) {
    CollectWhileOnItsWay(
        setter, [&] { return !setpgid_in_flight_.contains(setter); },
        [&] { return OnItsWayFromSessionCall(setter); });
  }
  ApplyUnapplied(tgid);
}

void Tracer::ApplyUnapplied(pid_t tgid) {
  auto node = unapplied_.extract(tgid);
  if (!node.empty()) Apply(std::move(node.mapped()));
}

void Tracer::CatchUpBeforeSetPgid(pid_t caller, const TaskState& st, std::int64_t result) {
  // The target changed its own state (setsid, setpgid, exec) before this
  // setpgid ran on the host: its report may still be queued, be on its way
  // (resumed with PTRACE_SYSCALL, a trapped setsid/setpgid stops at its
  // exit before anything else), or be the one whose handling collected
  // this setpgid (ApplyAfterRacingSetPgids).
  const auto pid = static_cast<std::int32_t>(st.args[0]);
  const auto pgid = static_cast<std::int32_t>(st.args[1]);
  const auto agrees = [&] {
    const auto predicted = model_.PredictSetPgid(ThreadId(caller), pid, pgid);
    return !predicted || -static_cast<std::int64_t>(*predicted) == result;
  };
  if (pid == 0 || agrees()) return;
  const auto target = SetPgidTarget(caller).value_or(0);
  if (target <= 0 || target == caller) return;
  ApplyUnapplied(target);
  CollectWhileOnItsWay(target, agrees,
                       [&] { return OnItsWayFromSessionCall(target) || OnItsWayFromExec(target); });
}

bool Tracer::OnItsWayFromSessionCall(pid_t tid) const {
  // Resumed with PTRACE_SYSCALL past its seccomp stop, it stops at the
  // syscall's exit before anything else (setsid and setpgid never block).
  const auto it = tasks_.find(tid);
  return it != tasks_.end() && it->second.exit_pending &&
         (it->second.trap == Trap::kSetSid || it->second.trap == Trap::kSetPgid);
}

bool Tracer::OnItsWayFromExec(pid_t tid) const {
  // Linux clears PF_FORKNOEXEC at exec's point of no return (begin_new_exec),
  // and setpgid's EACCES tests just that; the exec event stop follows. A
  // task the model has not seen exec, without the flag, is in between.
  const auto info = model_.FindTask(ThreadId(tid));
  const auto stat = ReadProcStat(tid);
  // Running or in uninterruptible sleep (loading the new image); a task
  // asleep otherwise is not in an exec, whatever the model missed.
  return info && !info->execed && stat && ExecedOnTheHost(*stat) &&
         (stat->state == 'R' || stat->state == 'D' || stat->state == 't');
}

void Tracer::CatchUpBeforeClone(pid_t parent_tgid, pid_t child) {
  // A fork copies its creator's process group at that moment. A setpgid on
  // the creator by another task that the host ran first, but whose exit stop
  // the tracer has not seen, shows as a child in a group the model would not
  // give it; such a setpgid never blocks, so its exit stop is on its way.
  const auto mover = [&]() -> pid_t {
    for (const pid_t caller : setpgid_in_flight_) {
      if (SetPgidTarget(caller) == parent_tgid) return caller;
    }
    return 0;
  };
  if (mover() == 0) return;  // the usual case: /proc is not read
  const auto host = ReadProcStat(child);
  if (!host) return;
  const auto in_creators_group = [&] {
    const auto creator = model_.FindTask(ThreadId(parent_tgid));
    return !creator || creator->pgid == host->pgrp;
  };
  constexpr int kMaxReports = 4;
  for (int i = 0; i < kMaxReports && !in_creators_group(); ++i) {
    const pid_t caller = mover();
    if (caller == 0 || CollectReport(caller, 0) != caller) return;
  }
}

}  // namespace sentry::platform
