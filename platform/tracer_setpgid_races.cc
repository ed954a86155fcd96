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
#include <sys/ptrace.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include "platform/proc_files.h"
#include "platform/tracer.h"

namespace sentry::platform {

using kernel::ThreadId;

namespace {

// The result of a setsid or setpgid whose exit stop is in hand and not
// acted on yet: the host's, read at the stop; nullopt if the task is no
// longer in it or the call is to be restarted.
std::optional<std::int64_t> ResultAtExitStop(pid_t tid) {
  __ptrace_syscall_info info{};
  if (::ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof info, &info) <= 0 ||
      info.op != PTRACE_SYSCALL_INFO_EXIT || IsRestart(info.exit.rval)) {
    return std::nullopt;
  }
  return info.exit.rval;
}

}  // namespace

std::optional<pid_t> Tracer::SetPgidTarget(pid_t caller) const {
  const auto it = tasks_.find(caller);
  if (it == tasks_.end()) return std::nullopt;
  const auto named = static_cast<std::int32_t>(it->second.args[0]);
  if (named == 0) return it->second.tgid;
  const auto root = model_.RootIdSeenBy(ThreadId(caller), named);
  if (!root) return std::nullopt;
  return static_cast<pid_t>(*root);
}

void Tracer::OnSetPgidExit(pid_t caller, const TaskState& st, std::int64_t result) {
  const auto still_held = [&] {
    const auto it = tasks_.find(caller);
    return it != tasks_.end() && &it->second == &st;
  };
  const HeldSetPgid told{.caller = caller,
                         .caller_tgid = st.tgid,
                         .body = kernel::SetPgid{.tid = ThreadId(caller),
                                                 .pid = static_cast<std::int32_t>(st.args[0]),
                                                 .pgid = static_cast<std::int32_t>(st.args[1]),
                                                 .result = result}};
  const auto target = SetPgidTarget(caller);
  // Its own group: another process's setpgid naming it may have run first.
  if (target && *target == st.tgid) {
    ApplyAfterRacingSetPgids(st.tgid, told.body);
    return;
  }
  // The target's own setsid, on its way to its exit stop, may have run
  // first on the host: this setpgid is held until that setsid's result is
  // known, and its handler tells both in the order both results explain.
  if (target) {
    const auto leader = tasks_.find(*target);
    if (leader != tasks_.end() && OnItsWayFromSessionCall(*target) &&
        leader->second.trap == Trap::kSetSid) {
      const pid_t process = *target;
      held_setpgids_.insert_or_assign(process, told);
      CollectWhileOnItsWay(
          process, [&] { return !held_setpgids_.contains(process); },
          [&] { return OnItsWayFromSessionCall(process); });
      if (held_setpgids_.erase(process) == 0) return;  // told
      if (!still_held()) return;
    }
  }
  CatchUpBeforeSetPgid(told);
  if (!still_held()) return;
  TellSetPgid(told);
}

bool Tracer::SetPgidAgrees(const HeldSetPgid& told) const {
  const auto predicted =
      model_.PredictSetPgid(ThreadId(told.caller), told.body.pid, told.body.pgid);
  return !predicted || -static_cast<std::int64_t>(*predicted) == told.body.result;
}

void Tracer::TellSetPgid(const HeldSetPgid& told) {
  Apply(told.body);
  // Another process moved: its fork, if one is under way, may have come
  // first (TellClone reads the child's group then).
  if (told.body.result == 0 && told.body.pid != 0) {
    const auto target = model_.RootIdSeenBy(ThreadId(told.caller), told.body.pid);
    if (const auto it = target ? tasks_.find(*target) : tasks_.end();
        it != tasks_.end() && it->second.tgid != told.caller_tgid) {
      it->second.moved_by_other = true;
    }
  }
}

void Tracer::ApplyAfterRacingSetPgids(pid_t tgid, kernel::ObservationBody change) {
  // A setpgid naming this process, held for this change's result.
  if (auto held = held_setpgids_.extract(tgid); !held.empty()) {
    const HeldSetPgid& told = held.mapped();
    if (HeldChangeCameFirst(change, told, SetPgidAgrees(told))) {
      Apply(std::move(change));
      TellSetPgid(told);
    } else {
      TellSetPgid(told);
      Apply(std::move(change));
    }
    return;
  }
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
    if (in_hand_.contains(setter)) {
      TellSetPgidInHand(setter);
      continue;
    }
    CollectWhileOnItsWay(
        setter, [&] { return !setpgid_in_flight_.contains(setter); },
        [&] { return OnItsWayFromSessionCall(setter); });
  }
  ApplyUnapplied(tgid);
}

void Tracer::TellSetPgidInHand(pid_t setter) {
  const auto it = tasks_.find(setter);
  if (it == tasks_.end() || !it->second.exit_pending || it->second.trap != Trap::kSetPgid ||
      it->second.setpgid_told) {
    return;
  }
  // Still in the stop its handler has not acted on: the result is the host's.
  const auto result = ResultAtExitStop(setter);
  if (!result) return;
  setpgid_in_flight_.erase(setter);
  it->second.setpgid_told = true;
  OnSetPgidExit(setter, it->second, *result);
}

void Tracer::ApplyUnapplied(pid_t tgid) {
  auto node = unapplied_.extract(tgid);
  if (!node.empty()) Apply(std::move(node.mapped()));
}

void Tracer::CatchUpBeforeSetPgid(const HeldSetPgid& told) {
  // The target changed its own state (setsid, setpgid, exec) before this
  // setpgid ran on the host: its report may still be queued, be on its way
  // (resumed with PTRACE_SYSCALL, a trapped setsid/setpgid stops at its
  // exit before anything else), or be the one whose handling collected
  // this setpgid (ApplyAfterRacingSetPgids).
  if (told.body.pid == 0) return;
  const auto target = SetPgidTarget(told.caller).value_or(0);
  if (target <= 0 || target == told.caller) return;
  if (!unapplied_.contains(target)) TellTargetInHand(target);
  if (const auto held = unapplied_.find(target); held != unapplied_.end()) {
    if (HeldChangeCameFirst(held->second, told, SetPgidAgrees(told))) ApplyUnapplied(target);
    return;
  }
  const auto agrees = [&] { return SetPgidAgrees(told); };
  if (agrees()) return;
  CollectWhileOnItsWay(target, agrees,
                       [&] { return OnItsWayFromSessionCall(target) || OnItsWayFromExec(target); });
}

bool Tracer::TellTargetInHand(pid_t target) {
  const auto status = in_hand_status_.find(target);
  const auto it = tasks_.find(target);
  if (status == in_hand_status_.end() || it == tasks_.end() || !it->second.known ||
      it->second.change_told || !WIFSTOPPED(status->second)) {
    return false;
  }
  // Its exec event: a SIGKILL may have taken it out of the stop, which the
  // event message then no longer belongs to (EventMessage).
  if (status->second >> 16 == PTRACE_EVENT_EXEC) {
    const auto former = EventMessage(target, PTRACE_EVENT_EXEC);
    if (!former) return false;
    const auto former_tid = static_cast<pid_t>(*former);
    TaskState& st = NoteExec(target, former_tid);
    unapplied_.insert_or_assign(target, ReadExec(target, former_tid));
    if (target == root_) root_execed_ = true;
    st.change_told = true;
    return true;
  }
  // Its setsid's exit stop, still held: the result is the host's.
  TaskState& st = it->second;
  if (WSTOPSIG(status->second) != (SIGTRAP | 0x80) || !st.exit_pending ||
      st.trap != Trap::kSetSid) {
    return false;
  }
  const auto result = ResultAtExitStop(target);
  if (!result) return false;
  unapplied_.insert_or_assign(st.tgid, kernel::SetSid{.tid = ThreadId(target), .result = *result});
  st.change_told = true;
  return true;
}

bool Tracer::HeldChangeCameFirst(const kernel::ObservationBody& change, const HeldSetPgid& setpgid,
                                 bool setpgid_agrees_now) const {
  // Each order must explain both results; where both do, they leave the same
  // state behind, but for two setpgids that both moved the process.
  const std::int64_t setpgid_result = setpgid.body.result;
  if (const auto* setsid = std::get_if<kernel::SetSid>(&change)) {
    // setsid first: it answers from the state now; if it succeeded, the
    // target leads a session and setpgid on it fails (EPERM); if it failed,
    // it changed nothing.
    const auto predicted = model_.PredictSetSid(setsid->tid);
    const bool setsid_agrees_now =
        !predicted || *predicted == (setsid->result < 0 ? -setsid->result : 0);
    const bool explained = setsid->result >= 0 ? setpgid_result == -EPERM : setpgid_agrees_now;
    return setsid_agrees_now && explained;
  }
  if (const auto* own = std::get_if<kernel::SetPgid>(&change)) {
    // The process's own setpgid. Both moved it: whichever ran last left it
    // in its group, which the host shows now (both are past their exit
    // stops, and the process is held in its own).
    if (own->result == 0 && setpgid_result == 0) {
      const auto group = [&](const kernel::SetPgid& call, std::int32_t process) {
        const std::int32_t id = call.pgid != 0 ? call.pgid : call.pid != 0 ? call.pid : process;
        return model_.RootIdSeenBy(call.tid, id).value_or(id);
      };
      const auto target = model_.RootIdSeenBy(setpgid.body.tid, setpgid.body.pid);
      const auto stat = target ? ReadProcStat(static_cast<pid_t>(*target)) : std::nullopt;
      const auto own_task = model_.FindTask(own->tid);
      const std::int32_t own_process = own_task ? own_task->tgid : 0;
      return stat && stat->pgrp == group(setpgid.body, 0) && stat->pgrp != group(*own, own_process);
    }
    return !setpgid_agrees_now;
  }
  // exec first: setpgid on a child that has exec'd never succeeds (EACCES,
  // or an error found before that one).
  return setpgid_result != 0;
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
    // A setpgid never blocks: its exit stop is to come.
    if (caller == 0 || AwaitReport(caller, kAwaitLimit) != caller) return;
  }
}

}  // namespace sentry::platform
