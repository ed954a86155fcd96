// Sessions and process groups: setsid, setpgid, orphaned groups, terminals.
//
// Rules follow Linux (kernel/sys.c setsid/setpgid, kernel/exit.c
// kill_orphaned_pgrp), which gVisor's sessions.go mirrors; where they differ
// the host is Linux, so Linux wins (e.g. setpgid on a session leader is EPERM
// even when the group would not change).
#include <fmt/format.h>

#include <mutex>

#include "sentry/kernel/abi.h"
#include "sentry/kernel/kernel.h"

namespace sentry::kernel {

template <class Fn>
void Kernel::ForEachChildGroup(const ThreadGroup* tg, Fn&& fn) {
  tg->tasks.ForEach([&](Task* t) { t->children.ForEach([&](Task* child) { fn(child->tg); }); });
}

ProcessGroup* Kernel::NewProcessGroup(ThreadGroup* originator, Session* session) {
  auto owned = std::make_unique<ProcessGroup>();
  ProcessGroup* pg = owned.get();
  pg->session = session;
  session->groups.PushBack(pg);
  if (originator != nullptr) {
    pg->ns = originator->ns;
    pg->ids = originator->leader->ids;
    for (PidNamespace* level = pg->ns; level != nullptr; level = level->parent) {
      level->process_groups[pg->ids.At(level->depth)] = pg;
    }
  } else {
    pg->ns = root_ns_;  // pre-existing: the caller sets the root id and mapping
  }
  process_groups_.emplace(pg, std::move(owned));
  return pg;
}

Session* Kernel::NewSession(ThreadGroup* leader) {
  auto owned = std::make_unique<Session>();
  Session* s = owned.get();
  s->leader = leader;
  if (leader != nullptr) {
    s->leader_uid = leader->uid;
    s->ns = leader->ns;
    s->ids = leader->leader->ids;
    for (PidNamespace* level = s->ns; level != nullptr; level = level->parent) {
      level->sessions[s->ids.At(level->depth)] = s;
    }
  } else {
    s->ns = root_ns_;
  }
  sessions_.emplace(s, std::move(owned));
  return s;
}

bool Kernel::ConnectsGroup(const ThreadGroup* tg) const {
  if (tg->live_tasks == 0 || tg->process_group == nullptr) return false;
  const Task* parent = tg->Parent();
  // A group whose parent is outside the model is held by the outside world
  // (gVisor counts init's missing parent the same way).
  if (parent == nullptr) return true;
  const ProcessGroup* ppg = parent->tg->process_group;
  return ppg != tg->process_group && ppg != nullptr && ppg->session == tg->process_group->session;
}

void Kernel::Uncount(ThreadGroup* tg) {
  if (tg->counted_as_ancestor && tg->process_group != nullptr) --tg->process_group->ancestors;
  tg->counted_as_ancestor = false;
}

void Kernel::Recount(ThreadGroup* tg) {
  Uncount(tg);
  if (!ConnectsGroup(tg)) return;  // also false without a group
  ++tg->process_group->ancestors;
  tg->counted_as_ancestor = true;
}

void Kernel::MoveToProcessGroup(ThreadGroup* tg, ProcessGroup* pg) {
  ProcessGroup* old = tg->process_group;
  if (old == pg) return;
  Uncount(tg);
  ForEachChildGroup(tg, [this](ThreadGroup* child) { Uncount(child); });
  if (old != nullptr) old->members.Remove(tg);
  tg->process_group = pg;
  tg->pgrp_since = seq_;
  pg->members.PushBack(tg);
  Recount(tg);
  ForEachChildGroup(tg, [this](ThreadGroup* child) { Recount(child); });
  if (old != nullptr && old->members.empty()) DestroyProcessGroup(old);
}

void Kernel::LeaveProcessGroup(ThreadGroup* tg) {
  ProcessGroup* pg = tg->process_group;
  if (pg == nullptr) return;
  Uncount(tg);
  if (pg->session->leader == tg) pg->session->leader = nullptr;
  pg->members.Remove(tg);
  tg->process_group = nullptr;
  if (pg->members.empty()) DestroyProcessGroup(pg);
}

void Kernel::DestroyProcessGroup(ProcessGroup* pg) {
  Session* s = pg->session;
  for (PidNamespace* level = pg->ns; level != nullptr; level = level->parent) {
    auto it = level->process_groups.find(pg->ids.At(level->depth));
    if (it != level->process_groups.end() && it->second == pg) level->process_groups.erase(it);
  }
  s->groups.Remove(pg);
  Emit(RecordKind::kProcessGroupGone, nullptr, nullptr, pg->ids.root, s->ids.root);
  process_groups_.erase(pg);
  if (!s->groups.empty()) return;
  for (PidNamespace* level = s->ns; level != nullptr; level = level->parent) {
    auto it = level->sessions.find(s->ids.At(level->depth));
    if (it != level->sessions.end() && it->second == s) level->sessions.erase(it);
  }
  Emit(RecordKind::kSessionGone, nullptr, nullptr, s->ids.root, 0);
  SetForeground(s, {}, nullptr);
  sessions_.erase(s);
}

void Kernel::SetForeground(Session* s, const NsIds& ids, PidNamespace* ns) {
  // Linux's tty->pgrp holds a reference on its struct pid, which holds its
  // PID namespace: the group may empty and the namespace's last task exit
  // (a --pidns init in the foreground), and the id is still readable.
  if (ns != nullptr) ++ns->refs;
  PidNamespace* before = s->foreground_ns;
  s->foreground_ids = ids;
  s->foreground_ns = ns;
  UnrefNamespace(before);
}

bool Kernel::HasStoppedMember(const ProcessGroup* pg) const {
  for (const ThreadGroup* tg = pg->members.Front(); tg != nullptr;
       tg = decltype(pg->members)::Next(tg)) {
    if (tg->stop_phase == GroupStopPhase::kComplete) return true;
  }
  return false;
}

void Kernel::Predict(ThreadGroup* receiver, int signo, SignalCause cause, const Task* cause_task) {
  predictions_.push_back(Prediction{.receiver = receiver->uid, .signo = signo});
  Emit(RecordKind::kSignalPredicted, receiver->leader, cause_task, signo,
       static_cast<std::int64_t>(cause));
}

void Kernel::CheckNewlyOrphaned(ProcessGroup* pg, const Task* cause) {
  if (!pg->IsOrphan() || !HasStoppedMember(pg)) return;
  // POSIX: a newly orphaned group with a stopped member gets SIGHUP, then SIGCONT.
  pg->members.ForEach([&](ThreadGroup* tg) {
    if (tg->live_tasks == 0) return;
    Predict(tg, abi::kSIGHUP, SignalCause::kOrphanedGroup, cause);
    Predict(tg, abi::kSIGCONT, SignalCause::kOrphanedGroup, cause);
  });
}

// ---- setsid

int Kernel::SetSidErrno(const ThreadGroup* tg) const {
  if (tg->process_group != nullptr && tg->process_group->session->leader == tg) return abi::kEPERM;
  if (tg->ns->process_groups.contains(tg->leader->ids.Own())) return abi::kEPERM;
  return 0;
}

int Kernel::CreateSession(ThreadGroup* tg) {
  Session* s = NewSession(tg);
  ProcessGroup* pg = NewProcessGroup(tg, s);
  const std::int32_t old_pgid = tg->process_group != nullptr ? tg->process_group->ids.root : 0;
  MoveToProcessGroup(tg, pg);
  Emit(RecordKind::kSessionCreated, tg->leader, nullptr, s->ids.root, 0);
  Emit(RecordKind::kProcessGroupCreated, tg->leader, nullptr, pg->ids.root, s->ids.root);
  Emit(RecordKind::kProcessGroupJoined, tg->leader, nullptr, pg->ids.root, old_pgid);
  return 0;
}

void Kernel::On(const SetSid& o) {
  Task* t = Lookup(o.tid, "setsid");
  if (t == nullptr) return;
  ThreadGroup* tg = t->tg;
  const int predicted = SetSidErrno(tg);
  const int host = o.result < 0 ? static_cast<int>(-o.result) : 0;
  // Linux setsid: EPERM when a process group with the caller's id exists
  // (it leads one; a session leader always does).
  Emit(RecordKind::kSyscallResult, t, nullptr, o.result,
       static_cast<std::int64_t>(SyscallKind::kSetSid))
      .rule = host == abi::kEPERM && predicted == host ? Rule::kSetSidGroupLeader : Rule::kNone;
  if (predicted != host) {
    Diverge(t, nullptr, predicted == 0 ? tg->leader->ids.Own() : -predicted, o.result,
            fmt::format("setsid: model predicted {}, host returned {}", abi::ErrnoName(predicted),
                        abi::ErrnoName(host)));
  }
  if (host != 0) return;
  // The host made a new session. If the model thought it impossible, follow
  // the host anyway: the old session loses its leader; a clashing group id
  // is remapped to the new group by NewProcessGroup.
  if (predicted != 0 && tg->process_group != nullptr && tg->process_group->session->leader == tg) {
    tg->process_group->session->leader = nullptr;
  }
  CreateSession(tg);
}

// ---- setpgid

Kernel::SetPgidPlan Kernel::PlanSetPgid(const Task* caller, std::int32_t pid,
                                        std::int32_t pgid) const {
  const ThreadGroup* ctg = caller->tg;
  const PidNamespace* ns = ctg->ns;
  if (pid == 0) pid = ctg->leader->ids.Own();
  if (pgid == 0) pgid = pid;
  if (pgid < 0) return {.error = abi::kEINVAL, .rule = Rule::kSetPgidNegative};
  auto it = ns->tasks.find(pid);
  if (it == ns->tasks.end()) return {.error = abi::kESRCH, .rule = Rule::kSetPgidNoSuchProcess};
  const Task* p = it->second;
  if (!p->IsLeader()) return {.error = abi::kEINVAL, .rule = Rule::kSetPgidNotAProcess};
  ThreadGroup* target = p->tg;
  const Session* caller_session = ctg->process_group->session;
  const Task* target_parent = target->Parent();
  if (target_parent != nullptr && target_parent->tg == ctg) {
    if (target->process_group->session != caller_session)
      return {.error = abi::kEPERM, .rule = Rule::kSetPgidChildInOtherSession};
    if (target->execed) return {.error = abi::kEACCES, .rule = Rule::kSetPgidChildExeced};
  } else if (target != ctg) {
    return {.error = abi::kESRCH, .rule = Rule::kSetPgidNotChild};
  }
  if (caller_session->leader == target)
    return {.error = abi::kEPERM, .rule = Rule::kSetPgidSessionLeader};
  ProcessGroup* join = nullptr;
  if (auto pg = ns->process_groups.find(pgid); pg != ns->process_groups.end()) join = pg->second;
  if (pgid != pid && (join == nullptr || join->session != caller_session)) {
    return {.error = abi::kEPERM, .rule = Rule::kSetPgidGroupElsewhere};
  }
  return {.error = 0, .rule = Rule::kNone, .target = target, .join = join};
}

void Kernel::On(const SetPgid& o) {
  Task* t = Lookup(o.tid, "setpgid");
  if (t == nullptr) return;
  SetPgidPlan plan = PlanSetPgid(t, o.pid, o.pgid);
  const int host = o.result < 0 ? static_cast<int>(-o.result) : 0;
  // The call as the caller wrote it; the rule only where the model agrees.
  Emit(RecordKind::kSyscallResult, t, plan.target != nullptr ? plan.target->leader : nullptr,
       o.result, static_cast<std::int64_t>(SyscallKind::kSetPgid),
       fmt::format("setpgid({}, {})", o.pid, o.pgid))
      .rule = host != 0 && plan.error == host ? plan.rule : Rule::kNone;
  if (plan.error != host) {
    Diverge(t, plan.target != nullptr ? plan.target->leader : nullptr, -plan.error, o.result,
            fmt::format("setpgid({}, {}): model predicted {}, host returned {}", o.pid, o.pgid,
                        abi::ErrnoName(plan.error), abi::ErrnoName(host)));
  }
  if (host != 0) return;
  if (plan.error != 0) {
    // Follow the host as far as the model can name the target and group.
    const std::int32_t pid = o.pid != 0 ? o.pid : t->tg->leader->ids.Own();
    auto it = t->ns->tasks.find(pid);
    if (it == t->ns->tasks.end()) return;
    plan.target = it->second->tg;
    const std::int32_t pgid = o.pgid != 0 ? o.pgid : pid;
    auto pg = t->ns->process_groups.find(pgid);
    plan.join = pg != t->ns->process_groups.end() ? pg->second : nullptr;
    if (plan.join == nullptr && pgid != plan.target->leader->ids.Own()) return;
  }
  ThreadGroup* target = plan.target;
  const std::int32_t old_pgid = target->process_group->ids.root;
  ProcessGroup* pg = plan.join;
  if (pg == nullptr) {
    pg = NewProcessGroup(target, target->process_group->session);
    Emit(RecordKind::kProcessGroupCreated, target->leader, t, pg->ids.root, pg->session->ids.root);
  }
  if (pg == target->process_group) return;
  MoveToProcessGroup(target, pg);
  Emit(RecordKind::kProcessGroupJoined, target->leader, t, pg->ids.root, old_pgid);
}

std::optional<int> Kernel::PredictSetSid(ThreadId caller) const {
  std::shared_lock lock(mu_);
  auto it = root_ns_->tasks.find(caller.value);
  if (it == root_ns_->tasks.end()) return std::nullopt;
  return SetSidErrno(it->second->tg);
}

std::optional<int> Kernel::PredictSetPgid(ThreadId caller, std::int32_t pid,
                                          std::int32_t pgid) const {
  std::shared_lock lock(mu_);
  auto it = root_ns_->tasks.find(caller.value);
  if (it == root_ns_->tasks.end()) return std::nullopt;
  return PlanSetPgid(it->second, pid, pgid).error;
}

// ---- terminals

void Kernel::On(const ControllingTty& o) {
  Task* t = Lookup(o.tid, "TIOCSCTTY");
  if (t == nullptr) return;
  Session* s = t->tg->process_group->session;
  s->tty_nr = o.tty_nr;
  SetForeground(s, t->tg->process_group->ids, t->tg->process_group->ns);
  Emit(RecordKind::kForegroundChanged, t, nullptr, s->foreground_ids.root, o.tty_nr);
}

void Kernel::On(const DropControllingTty& o) {
  Task* t = Lookup(o.tid, "TIOCNOTTY");
  if (t == nullptr) return;
  // Only the session leader's gives the terminal up for the session; anyone
  // else drops just its own process's link, which the model does not keep.
  ReleaseControllingTty(t->tg, t, SignalCause::kTerminalDropped);
}

void Kernel::ReleaseControllingTty(ThreadGroup* leader, const Task* cause, SignalCause why) {
  if (leader->process_group == nullptr) return;
  Session* s = leader->process_group->session;
  if (s->leader != leader || s->tty_nr == 0) return;
  // For a pty (the sentry's terminals are): SIGHUP to the foreground group,
  // then SIGCONT unless the leader is exiting. Other terminals hang up the
  // whole session when their leader exits instead.
  const bool exiting = why == SignalCause::kSessionLeaderExit;
  if (s->foreground_ns != nullptr) {
    auto it = s->foreground_ns->process_groups.find(s->foreground_ids.Own());
    if (it != s->foreground_ns->process_groups.end()) {
      it->second->members.ForEach([&](ThreadGroup* tg) {
        if (tg->live_tasks == 0) return;
        Predict(tg, abi::kSIGHUP, why, cause);
        if (!exiting) Predict(tg, abi::kSIGCONT, why, cause);
      });
    }
  }
  s->tty_nr = 0;
  SetForeground(s, {}, nullptr);
  Emit(RecordKind::kForegroundChanged, cause, nullptr, 0, 0);
}

void Kernel::On(const ForegroundGroup& o) {
  Task* t = Lookup(o.tid, "tcsetpgrp");
  if (t == nullptr) return;
  Session* s = t->tg->process_group->session;
  auto it = t->ns->process_groups.find(o.pgid.value);
  if (it == t->ns->process_groups.end() || it->second->session != s) {
    Diverge(
        t, nullptr, 0, o.pgid.value,
        fmt::format("tcsetpgrp({}): no such process group in the caller's session", o.pgid.value));
    return;
  }
  SetForeground(s, it->second->ids, it->second->ns);
  // Records name every id as the root namespace sees it.
  Emit(RecordKind::kForegroundChanged, t, nullptr, it->second->ids.root, s->tty_nr);
}

}  // namespace sentry::kernel
