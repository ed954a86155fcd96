// The exit path: exit initiation, zombies, exit notification, reaping and
// reparenting (gVisor task_exit.go; Linux kernel/exit.c).
//
// The sentry's own ptrace attachment is invisible to the workload, so only
// the parent side of gVisor's exit notification is modelled: a non-leader is
// released as soon as it is a zombie; a leader stays a zombie until its group
// is otherwise empty, then notifies its parent and waits to be reaped (or is
// reaped at once when the parent ignores SIGCHLD or set SA_NOCLDWAIT).
#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>

#include "sentry/kernel/abi.h"
#include "sentry/kernel/kernel.h"

namespace sentry::kernel {

void Kernel::On(const ExitBegin& o) {
  Task* t = Lookup(o.tid, "exit");
  if (t == nullptr) return;
  if (t->exit_state != ExitState::kNone) {
    Diverge(t, nullptr, static_cast<std::int64_t>(t->exit_state), 0,
            fmt::format("exit of tid {} reported twice", o.tid.value));
    return;
  }
  BeginExit(t, o.status, o.group);
}

void Kernel::On(const ExitEnd& o) {
  Task* t = Lookup(o.tid, "exit completion");
  if (t == nullptr) return;
  if (t->exit_state >= ExitState::kZombie) {
    Diverge(t, nullptr, static_cast<std::int64_t>(t->exit_state), 0,
            fmt::format("tid {} finished exiting twice", o.tid.value));
    return;
  }
  FinishExit(t, o.status, o.usage);
}

void Kernel::BeginExit(Task* t, const ExitStatus& status, bool group) {
  ThreadGroup* tg = t->tg;
  t->exit_state = ExitState::kInitiated;
  t->exit_status = status;
  t->sleeping = false;
  --tg->active_tasks;
  if (t->stop != StopKind::kNone) ClearInternalStop(t, t->stop);
  // Exec's de_thread kills every other thread (Linux zap_other_threads).
  const bool killed_by_exec = tg->execing != nullptr && tg->execing != t;
  Emit(RecordKind::kExitInitiated, t, nullptr, status.WaitStatus(), group ? 1 : 0).rule =
      killed_by_exec ? Rule::kKilledByExec : Rule::kNone;
  // The last thread of a namespace's init tears the namespace down inside its
  // own exit (Linux exit_notify -> find_child_reaper -> zap_pid_ns_processes),
  // and the host reports that exit only once every other task of the
  // namespace is gone: the model cannot wait for it to do the same.
  if (tg->active_tasks == 0 && IsNamespaceInit(tg)) TearDownNamespace(tg, t);
  if (group && !tg->exiting) {
    // A group exit (exit_group, fatal signal) cancels any group stop. What
    // a wait could report of the last continue ends too (WaitOnce), though
    // a wait that looked before the exit may still have reported it.
    tg->exiting = true;
    tg->exiting_since = seq_;
    tg->exit_status = status;
    tg->stop_phase = GroupStopPhase::kNone;
    tg->stop_count = 0;
    if (tg->stop_waitable) {
      tg->stop_superseded_at = seq_;
      tg->superseded_stop_signal = tg->stop_signal;
    }
    tg->stop_waitable = false;
  }
  // An exiting thread no longer takes part in a group stop; it may be the one
  // the stop was waiting for (gVisor exitThreadGroup).
  if (tg->stop_phase != GroupStopPhase::kInitiated) return;
  if (t->group_stop_acknowledged) {
    --tg->stop_count;
    t->group_stop_acknowledged = false;
    return;
  }
  if (tg->stop_count == tg->active_tasks) CompleteGroupStop(tg, t);
}

void Kernel::FinishExit(Task* t, const ExitStatus& status, const Usage& usage) {
  if (t->exit_state == ExitState::kNone) BeginExit(t, status, false);
  ThreadGroup* tg = t->tg;
  t->exit_status = status;
  t->usage = usage;
  t->exit_state = ExitState::kZombie;
  --tg->live_tasks;
  tg->reportable_since = seq_;
  Emit(RecordKind::kZombie, t, nullptr, status.WaitStatus(), 0);
  // The last sibling gone lets a pending exec proceed.
  if (tg->execing != nullptr && tg->live_tasks == 1) {
    ClearInternalStop(tg->execing, StopKind::kExec);
  }
  if (t->vfork_parent != nullptr) ReleaseVforkParent(t);
  ExitChildren(t);
  if (tg->live_tasks == 0) {
    ReleaseControllingTty(tg, t, SignalCause::kSessionLeaderExit);
    // Linux exit_notify -> kill_orphaned_pgrp(group leader, NULL): the group
    // died; if it was its group's last link to the session, the group may
    // now be orphaned.
    const bool connected = tg->counted_as_ancestor;
    Recount(tg);
    if (connected) CheckNewlyOrphaned(tg->process_group, t);
  }
  ExitNotify(t);
}

void Kernel::ExitNotify(Task* t) {
  if (t->exit_state != ExitState::kZombie) return;
  ThreadGroup* tg = t->tg;
  ReapCause cause = ReapCause::kThread;
  const Task* reaper = nullptr;
  if (!t->exit_parent_notified) {
    if (!t->IsLeader()) {
      t->exit_parent_notified = true;
      t->exit_parent_acked = true;
    } else if (tg->tasks_count == 1) {
      t->exit_parent_notified = true;
      Task* parent = t->parent;
      if (parent == nullptr) {
        t->exit_parent_acked = true;
        cause = ReapCause::kNoParent;
      } else {
        // wait(2): with SIGCHLD set to SIG_IGN or SA_NOCLDWAIT, children do
        // not become zombies. Linux applies this only when the termination
        // signal is SIGCHLD; SA_NOCLDWAIT still sends the signal.
        bool signal_parent = abi::IsValidSignal(tg->termination_signal);
        if (parent->tg->ns->exiting && IsNamespaceInit(parent->tg)) {
          // A dying init reaps every child: zap_pid_ns_processes ignores
          // SIGCHLD, then waits with __WALL until none is left.
          t->exit_parent_acked = true;
          signal_parent = signal_parent && tg->termination_signal != abi::kSIGCHLD;
          cause = ReapCause::kNamespaceExit;
          reaper = parent;
        } else if (tg->termination_signal == abi::kSIGCHLD) {
          if (parent->tg->sigchld == SigChldDisposition::kIgnore) {
            t->exit_parent_acked = true;
            signal_parent = false;
            cause = ReapCause::kIgnored;
          } else if (parent->tg->nocldwait) {
            t->exit_parent_acked = true;
            cause = ReapCause::kNoCldWait;
          }
        }
        Emit(RecordKind::kParentNotified, t, parent, signal_parent ? tg->termination_signal : 0,
             t->exit_parent_acked ? 1 : 0);
      }
    }
  }
  if (t->exit_parent_notified && t->exit_parent_acked) Reap(t, cause, reaper);
}

void Kernel::Reap(Task* t, ReapCause cause, const Task* reaper) {
  ThreadGroup* tg = t->tg;
  // Reaping resolves the exit notification, however it came about.
  t->exit_parent_notified = true;
  t->exit_parent_acked = true;
  t->exit_state = ExitState::kDead;
  Emit(RecordKind::kReaped, t, reaper, t->exit_status.WaitStatus(),
       static_cast<std::int64_t>(cause));
  tg->exited_usage.Accumulate(t->usage);
  --tg->tasks_count;
  Task* leader = tg->leader;
  const bool notify_leader = tg->tasks_count == 1 && leader != nullptr && leader != t;
  if (notify_leader) tg->reportable_since = seq_;
  FreeTask(t);  // may free tg (when t was its last task)
  // The group is now empty but for its zombie leader, which may be waited for.
  if (notify_leader) ExitNotify(leader);
}

Task* Kernel::FindReparentTarget(const Task* t, std::vector<TaskUid>& passed_over) const {
  const ThreadGroup* tg = t->tg;
  // A thread of `group` other than `except` in exit state `state`.
  auto thread_in = [](const ThreadGroup* group, ExitState state, const Task* except) -> Task* {
    for (Task* u = group->tasks.Front(); u != nullptr; u = decltype(group->tasks)::Next(u)) {
      if (u != except && u->exit_state == state) return u;
    }
    return nullptr;
  };
  // Linux find_alive_thread: a thread not PF_EXITING. A thread whose exit
  // event the tracer has seen may or may not be yet (see
  // Task::adopters_maybe_not_exiting); the model takes it as exiting, the
  // most likely case by far, and notes it.
  auto alive_thread = [&](const ThreadGroup* group, const Task* except) {
    group->tasks.ForEach([&](const Task* u) {
      if (u != except && u->exit_state == ExitState::kInitiated) passed_over.push_back(u->uid);
    });
    return thread_in(group, ExitState::kNone, except);
  };
  // 1. Another live thread of the same process.
  if (Task* sibling = alive_thread(tg, t)) return sibling;
  // 2. The nearest live subreaper ancestor in the same PID namespace
  //    (Linux find_new_reaper; gVisor lacks subreapers).
  if (tg->has_child_subreaper) {
    for (const Task* r = tg->Parent(); r != nullptr && r->ns == tg->ns; r = r->tg->Parent()) {
      if (!r->tg->is_child_subreaper) continue;
      if (Task* thread = alive_thread(r->tg, nullptr)) return thread;
    }
  }
  // 3. The namespace's init (the host's init for the root namespace, which is
  //    outside the model: nullptr). While it tears its namespace down, a dying
  //    init still adopts (Linux keeps it as child_reaper until the namespace
  //    is empty) and reaps each adoptee as it dies.
  if (tg->ns != root_ns_) {
    auto init = tg->ns->tasks.find(abi::kInitTid);
    if (init != tg->ns->tasks.end() && init->second->tg != tg) {
      ThreadGroup* init_tg = init->second->tg;
      if (Task* thread = thread_in(init_tg, ExitState::kNone, nullptr)) return thread;
      if (tg->ns->exiting) return thread_in(init_tg, ExitState::kInitiated, nullptr);
    }
  }
  return nullptr;
}

Rule Kernel::AdoptionRule(const Task* old_parent, const Task* new_parent) const {
  if (new_parent == nullptr) return Rule::kAdoptedOutside;
  if (old_parent != nullptr && old_parent->tg == new_parent->tg) return Rule::kAdoptedByThread;
  // find_new_reaper's walk up the ancestors includes the namespace's init:
  // an init that is a subreaper is found as one.
  if (new_parent->tg->is_child_subreaper) return Rule::kAdoptedBySubreaper;
  if (IsNamespaceInit(new_parent->tg)) return Rule::kAdoptedByNamespaceInit;
  return Rule::kNone;  // the host's choice, which no rule the model knows explains
}

bool Kernel::IsNamespaceInit(const ThreadGroup* tg) const {
  return tg->ns != root_ns_ && tg->leader != nullptr && tg->leader->ids.Own() == abi::kInitTid;
}

void Kernel::TearDownNamespace(ThreadGroup* init, Task* last) {
  PidNamespace* ns = init->ns;
  if (ns->exiting) return;
  ns->exiting = true;
  // pid_namespaces(7): "If the init process of a PID namespace terminates,
  // the kernel terminates all of the processes in the namespace via SIGKILL."
  std::unordered_set<ThreadGroupUid> predicted;
  for (auto& [id, task] : ns->tasks) {
    ThreadGroup* tg = task->tg;
    if (tg == init || tg->live_tasks == 0 || !predicted.insert(tg->uid).second) continue;
    Predict(tg, abi::kSIGKILL, SignalCause::kNamespaceInit, last);
  }
  // zap_pid_ns_processes then sets init's SIGCHLD to SIG_IGN, so that each
  // child is reaped as it dies, and reaps the zombies it already has.
  SetSigChld(init, last, SigChldDisposition::kIgnore, /*nocldwait=*/false);
  std::vector<TaskUid> zombies;
  init->tasks.ForEach([&](Task* u) {
    u->children.ForEach([&](Task* child) {
      if (child->exit_parent_notified && !child->exit_parent_acked) zombies.push_back(child->uid);
    });
  });
  for (TaskUid uid : zombies) {
    if (Task* zombie = FindByUid(uid)) Reap(zombie, ReapCause::kNamespaceExit, last);
  }
}

void Kernel::ExitChildren(Task* t) {
  std::vector<TaskUid> passed_over;
  Task* new_parent = FindReparentTarget(t, passed_over);
  t->children.ForEach([&](Task* child) {
    // PR_SET_PDEATHSIG fires when the parent *thread* exits, even when the
    // child is only handed to a sibling thread.
    child->tg->tasks.ForEach([&](Task* u) {
      if (u->parent_death_signal != 0 && u->exit_state == ExitState::kNone) {
        Predict(child->tg, u->parent_death_signal, SignalCause::kParentDeath, t);
      }
    });
    child->adopters_maybe_not_exiting = passed_over;
    Reparent(child, new_parent);  // may free child
  });
}

void Kernel::Reparent(Task* child, Task* new_parent, bool host_answer) {
  Task* old = child->parent;
  if (old == new_parent) return;
  if (old != nullptr) {
    old->children.Remove(child);
    if (new_parent == nullptr || new_parent->tg != old->tg) old->tg->child_left_at = seq_;
  }
  child->parent = new_parent;
  child->child_since = seq_;
  if (new_parent != nullptr) new_parent->children.PushBack(child);
  ThreadGroup* tg = child->tg;
  Emit(RecordKind::kReparented, child, new_parent, old != nullptr ? old->Tid().value : 0,
       host_answer ? 1 : 0)
      .rule = AdoptionRule(old, new_parent);
  Recount(tg);
  if (old != nullptr && new_parent != nullptr && old->tg == new_parent->tg) return;
  // Linux reparent_leader: a new parent process means SIGCHLD, a fresh exit
  // notification for a zombie, and a check whether the child's group has
  // just lost its last link to the session through the old parent.
  tg->termination_signal = abi::kSIGCHLD;
  if (old != nullptr && tg->process_group != nullptr) {
    const ProcessGroup* old_pg = old->tg->process_group;
    if (old_pg != tg->process_group && old_pg != nullptr &&
        old_pg->session == tg->process_group->session) {
      CheckNewlyOrphaned(tg->process_group, old);
    }
  }
  if (child->exit_parent_notified && !child->exit_parent_acked) {
    child->exit_parent_notified = false;
    ExitNotify(child);  // may reap (and free) child
  }
}

Task* Kernel::FindByUid(TaskUid uid) const {
  auto found = tasks_.find(uid);
  return found != tasks_.end() ? found->second.get() : nullptr;
}

Task* Kernel::ForceExitGroup(ThreadGroup* tg, const ExitStatus& status) {
  // Finishing an exit can release tasks (and, through the parent's
  // disposition, the leader itself), so go by uid rather than by pointer.
  const TaskUid leader_uid = tg->leader->uid;
  std::vector<TaskUid> unfinished;
  tg->tasks.ForEach([&](const Task* u) {
    if (u->uid != leader_uid && u->exit_state < ExitState::kZombie) unfinished.push_back(u->uid);
  });
  for (TaskUid uid : unfinished) {
    if (Task* u = FindByUid(uid)) FinishExit(u, status, Usage{});
  }
  Task* leader = FindByUid(leader_uid);
  if (leader != nullptr && leader->exit_state < ExitState::kZombie) {
    FinishExit(leader, status, leader->usage);
    leader = FindByUid(leader_uid);
  }
  return leader != nullptr && leader->exit_state == ExitState::kZombie ? leader : nullptr;
}

void Kernel::On(const ParentObserved& o) {
  Task* t = Lookup(o.tid, "parent check");
  if (t == nullptr) return;
  Task* leader = t->tg->leader;
  std::vector<TaskUid> passed_over;
  passed_over.swap(leader->adopters_maybe_not_exiting);
  const Task* model_parent = leader->parent;
  const std::int32_t model_ppid = model_parent != nullptr ? model_parent->tg->leader->ids.root : 0;
  if (model_ppid == o.parent.value) return;
  auto host = root_ns_->tasks.find(o.parent.value);
  Task* host_parent = host != root_ns_->tasks.end() ? host->second : nullptr;
  // An exiting adopter the model passed over had not yet been marked
  // exiting on the host when the old parent exited: the host's choice.
  if (host_parent != nullptr && host_parent->exit_state == ExitState::kInitiated &&
      std::ranges::find(passed_over, host_parent->uid) != passed_over.end()) {
    Reparent(leader, host_parent, /*host_answer=*/true);
    return;
  }
  Diverge(leader, host_parent, model_ppid, o.parent.value,
          fmt::format("parent of {}: model has {}, host has {}", leader->ids.root, model_ppid,
                      o.parent.value));
  // Follow the host, unless its story is one Linux cannot tell (a zombie
  // adopting, or a process becoming its own ancestor): the model's walks up
  // the tree rely on neither happening. (An exiting task that is not yet a
  // zombie may adopt: see Task::adopters_maybe_not_exiting.)
  if (host_parent != nullptr && host_parent->exit_state > ExitState::kInitiated) return;
  for (const Task* a = host_parent; a != nullptr; a = a->tg->Parent()) {
    if (a->tg == leader->tg) return;
  }
  Reparent(leader, host_parent);
}

}  // namespace sentry::kernel
