// The read API: consistent value snapshots under the shared lock.
#include <algorithm>
#include <mutex>

#include "sentry/kernel/abi.h"
#include "sentry/kernel/kernel.h"

namespace sentry::kernel {

std::string_view ExitStateName(ExitState state) {
  switch (state) {
    case ExitState::kNone:
      return "none";
    case ExitState::kInitiated:
      return "initiated";
    case ExitState::kZombie:
      return "zombie";
    case ExitState::kDead:
      return "dead";
  }
  return "?";
}

namespace {

// The procfs state letter (gVisor Task.StateStatus): zombies and dead tasks
// first, then stops, then what the task is doing.
char StateLetter(const Task* t) {
  switch (t->exit_state) {
    case ExitState::kZombie:
      return 'Z';
    case ExitState::kDead:
      return 'X';
    default:
      break;
  }
  switch (t->stop) {
    case StopKind::kGroupStop:
      return 'T';
    case StopKind::kTrace:
      return 't';
    case StopKind::kVfork:
    case StopKind::kExec:
      return 'D';
    case StopKind::kNone:
      break;
  }
  if (t->external_stops > 0) return 'D';
  return t->sleeping ? 'S' : 'R';
}

}  // namespace

const PidNamespace* Kernel::ViewNamespace(NamespaceUid ns) const {
  if (!ns) return root_ns_;
  auto it = namespaces_.find(ns);
  return it != namespaces_.end() ? it->second.get() : nullptr;
}

TaskInfo Kernel::Describe(const Task* t, const PidNamespace* view) const {
  const ThreadGroup* tg = t->tg;
  TaskInfo info;
  info.uid = t->uid;
  info.tg_uid = tg->uid;
  info.root_tid = t->ids.root;
  info.tid = IdIn(t->ids, t->ns, view);
  if (tg->leader != nullptr) info.tgid = IdIn(tg->leader->ids, tg->ns, view);
  if (const Task* parent = tg->Parent(); parent != nullptr && parent->tg->leader != nullptr) {
    info.ppid = IdIn(parent->tg->leader->ids, parent->tg->ns, view);
    info.parent_tid = IdIn(parent->ids, parent->ns, view);
  }
  t->children.ForEach([&](const Task* child) {
    if (const std::int32_t id = IdIn(child->ids, child->ns, view); id != 0) {
      info.children.push_back(id);
    }
  });
  std::sort(info.children.begin(), info.children.end());
  if (const ProcessGroup* pg = tg->process_group; pg != nullptr) {
    info.pgid = IdIn(pg->ids, pg->ns, view);
    const Session* s = pg->session;
    info.sid = IdIn(s->ids, s->ns, view);
    info.tty_nr = s->tty_nr;
    if (s->tty_nr != 0 && s->foreground_ns != nullptr) {
      info.tpgid = IdIn(s->foreground_ids, s->foreground_ns, view);
    }
  }
  for (int d = view->depth; d <= t->ids.depth(); ++d) info.nspid.push_back(t->ids.At(d));
  info.state = StateLetter(t);
  info.exit_state = t->exit_state;
  info.stop = t->stop;
  info.external_stops = t->external_stops;
  info.leader = t->IsLeader();
  info.num_threads = tg->tasks_count;
  info.uid_creds = t->uid_creds;
  info.gid_creds = t->gid_creds;
  info.comm = t->comm;
  info.argv = t->argv;
  info.start_time_ns = t->start_time_ns;
  info.exit_status = t->exit_status;
  info.termination_signal = tg->termination_signal;
  info.parent_death_signal = t->parent_death_signal;
  info.group_stop_signal = tg->stop_phase != GroupStopPhase::kNone ? tg->stop_signal : 0;
  info.group_stop_phase = tg->stop_phase;
  info.exit_parent_notified = t->exit_parent_notified;
  info.exit_parent_acked = t->exit_parent_acked;
  info.sigchld = tg->sigchld;
  info.nocldwait = tg->nocldwait;
  info.subreaper = tg->is_child_subreaper;
  info.execed = tg->execed;
  info.usage = t->usage;
  info.children_usage = tg->child_usage;
  return info;
}

std::optional<TaskInfo> Kernel::FindTask(ThreadId tid, NamespaceUid ns) const {
  std::shared_lock lock(mu_);
  const PidNamespace* view = ViewNamespace(ns);
  if (view == nullptr) return std::nullopt;
  auto it = view->tasks.find(tid.value);
  if (it == view->tasks.end()) return std::nullopt;
  return Describe(it->second, view);
}

const Task* Kernel::VisibleTask(TaskUid uid, const PidNamespace* view) const {
  const Task* t = FindByUid(uid);
  if (view == nullptr || t == nullptr || IdIn(t->ids, t->ns, view) == 0) return nullptr;
  return t;
}

const Task* Kernel::VisibleLeader(ThreadGroupUid uid, const PidNamespace* view) const {
  auto it = thread_groups_.find(uid);
  if (view == nullptr || it == thread_groups_.end()) return nullptr;
  const Task* leader = it->second->leader;
  if (leader == nullptr || IdIn(leader->ids, leader->ns, view) == 0) return nullptr;
  return leader;
}

std::optional<TaskInfo> Kernel::FindTaskByUid(TaskUid uid, NamespaceUid ns) const {
  std::shared_lock lock(mu_);
  const PidNamespace* view = ViewNamespace(ns);
  const Task* t = VisibleTask(uid, view);
  if (t == nullptr) return std::nullopt;
  return Describe(t, view);
}

std::optional<TaskInfo> Kernel::FindProcessByUid(ThreadGroupUid uid, NamespaceUid ns) const {
  std::shared_lock lock(mu_);
  const PidNamespace* view = ViewNamespace(ns);
  const Task* leader = VisibleLeader(uid, view);
  if (leader == nullptr) return std::nullopt;
  return Describe(leader, view);
}

std::optional<TaskOwner> Kernel::FindProcessOwner(ThreadGroupUid uid, NamespaceUid ns) const {
  std::shared_lock lock(mu_);
  const Task* leader = VisibleLeader(uid, ViewNamespace(ns));
  if (leader == nullptr) return std::nullopt;
  return TaskOwner{.uid = leader->uid_creds, .gid = leader->gid_creds};
}

std::optional<TaskOwner> Kernel::FindTaskOwner(TaskUid uid, NamespaceUid ns) const {
  std::shared_lock lock(mu_);
  const Task* t = VisibleTask(uid, ViewNamespace(ns));
  if (t == nullptr) return std::nullopt;
  return TaskOwner{.uid = t->uid_creds, .gid = t->gid_creds};
}

std::optional<TaskInfo> Kernel::FindTaskByHostTid(ThreadId root_tid, NamespaceUid ns) const {
  std::shared_lock lock(mu_);
  const PidNamespace* view = ViewNamespace(ns);
  auto it = root_ns_->tasks.find(root_tid.value);
  if (view == nullptr || it == root_ns_->tasks.end()) return std::nullopt;
  return Describe(it->second, view);
}

std::optional<ReaperInfo> Kernel::Reaper(ThreadGroupUid uid, NamespaceUid ns) const {
  std::shared_lock lock(mu_);
  const PidNamespace* view = ViewNamespace(ns);
  auto it = thread_groups_.find(uid);
  if (view == nullptr || it == thread_groups_.end()) return std::nullopt;
  const ThreadGroup* tg = it->second.get();
  ReaperInfo info;
  const Task* parent = tg->Parent();
  if (tg->leader == nullptr || tg->leader->exit_state == ExitState::kDead) {
    info.who = ReaperInfo::Who::kAlreadyReaped;
    return info;
  }
  if (parent == nullptr) {
    info.who = ReaperInfo::Who::kOutside;
    return info;
  }
  const ThreadGroup* ptg = parent->tg;
  if (ptg->leader != nullptr) info.parent = IdIn(ptg->leader->ids, ptg->ns, view);
  // Linux do_notify_parent: an ignoring parent (SIG_IGN or SA_NOCLDWAIT) has
  // its children reaped at exit, unless it is a traced child (not modelled).
  if (ptg->sigchld == SigChldDisposition::kIgnore || ptg->nocldwait) {
    info.who = ReaperInfo::Who::kAutoReap;
    info.nocldwait = ptg->sigchld != SigChldDisposition::kIgnore;
  }
  // Who adopts it if its parent goes first (FindReparentTarget follows
  // Linux find_new_reaper: a live thread of the parent's group first).
  std::vector<TaskUid> passed_over;
  if (const Task* next = FindReparentTarget(parent, passed_over); next != nullptr) {
    info.next_parent =
        IdIn(next->tg->leader != nullptr ? next->tg->leader->ids : next->ids, next->tg->ns, view);
    if (next->tg == ptg) {
      info.adopter = ReaperInfo::Adopter::kParentThread;
    } else if (IsNamespaceInit(next->tg)) {
      info.adopter = ReaperInfo::Adopter::kNamespaceInit;
    } else {
      info.adopter = ReaperInfo::Adopter::kSubreaper;
    }
  }
  return info;
}

std::vector<TaskInfo> Kernel::Processes(NamespaceUid ns) const {
  std::shared_lock lock(mu_);
  std::vector<TaskInfo> out;
  const PidNamespace* view = ViewNamespace(ns);
  if (view == nullptr) return out;
  for (const auto& [id, task] : view->tasks) {
    if (task->IsLeader()) out.push_back(Describe(task, view));
  }
  std::sort(out.begin(), out.end(),
            [](const TaskInfo& a, const TaskInfo& b) { return a.tgid < b.tgid; });
  return out;
}

std::vector<TaskInfo> Kernel::Threads(ThreadId tgid, NamespaceUid ns) const {
  std::shared_lock lock(mu_);
  std::vector<TaskInfo> out;
  const PidNamespace* view = ViewNamespace(ns);
  if (view == nullptr) return out;
  auto it = view->tasks.find(tgid.value);
  if (it == view->tasks.end() || !it->second->IsLeader()) return out;
  it->second->tg->tasks.ForEach([&](const Task* t) { out.push_back(Describe(t, view)); });
  std::sort(out.begin(), out.end(),
            [](const TaskInfo& a, const TaskInfo& b) { return a.tid < b.tid; });
  return out;
}

std::vector<ProcessGroupInfo> Kernel::ProcessGroups(NamespaceUid ns) const {
  std::shared_lock lock(mu_);
  std::vector<ProcessGroupInfo> out;
  const PidNamespace* view = ViewNamespace(ns);
  if (view == nullptr) return out;
  // Every group the view can see, not only those its ids name: where the
  // host made a group the model thought impossible, the model followed it,
  // and the stale group with the same id keeps its members until they go.
  std::vector<std::pair<const ProcessGroup*, bool>> groups;  // and whether its id names it
  for (const auto& [pg, owned] : process_groups_) {
    if (!view->IsSelfOrAncestor(pg->ns)) continue;
    const auto named = view->process_groups.find(IdIn(pg->ids, pg->ns, view));
    groups.emplace_back(pg, named != view->process_groups.end() && named->second == pg);
  }
  for (const auto& [pg, named] : groups) {
    ProcessGroupInfo info{.pgid = IdIn(pg->ids, pg->ns, view),
                          .sid = IdIn(pg->session->ids, pg->session->ns, view),
                          .ancestors = pg->ancestors,
                          .orphan = pg->IsOrphan(),
                          .members = {}};
    pg->members.ForEach([&](const ThreadGroup* tg) {
      if (tg->leader != nullptr) info.members.push_back(IdIn(tg->leader->ids, tg->ns, view));
    });
    std::sort(info.members.begin(), info.members.end());
    info.stale = !named;
    out.push_back(std::move(info));
  }
  // By id; a stale group after the one its id names.
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::pair(a.pgid, a.stale) < std::pair(b.pgid, b.stale);
  });
  return out;
}

std::vector<SessionInfo> Kernel::Sessions(NamespaceUid ns) const {
  std::shared_lock lock(mu_);
  std::vector<SessionInfo> out;
  const PidNamespace* view = ViewNamespace(ns);
  if (view == nullptr) return out;
  // Every session the view can see, stale ones too (ProcessGroups says why).
  for (const auto& [s, owned] : sessions_) {
    if (!view->IsSelfOrAncestor(s->ns)) continue;
    const std::int32_t id = IdIn(s->ids, s->ns, view);
    const auto named = view->sessions.find(id);
    SessionInfo info{.sid = id,
                     .leader_uid = s->leader_uid,
                     .leader_alive = s->leader != nullptr,
                     .tty_nr = s->tty_nr,
                     .foreground_pgid = s->foreground_ns != nullptr
                                            ? IdIn(s->foreground_ids, s->foreground_ns, view)
                                            : 0,
                     .groups = {}};
    s->groups.ForEach(
        [&](const ProcessGroup* pg) { info.groups.push_back(IdIn(pg->ids, pg->ns, view)); });
    std::sort(info.groups.begin(), info.groups.end());
    info.stale = named == view->sessions.end() || named->second != s;
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::pair(a.sid, a.stale) < std::pair(b.sid, b.stale);
  });
  return out;
}

std::optional<NamespaceUid> Kernel::NamespaceOf(ThreadId tid) const {
  std::shared_lock lock(mu_);
  auto it = root_ns_->tasks.find(tid.value);
  if (it == root_ns_->tasks.end()) return std::nullopt;
  return it->second->ns->uid;
}

std::optional<std::int32_t> Kernel::RootIdSeenBy(ThreadId viewer, std::int32_t id) const {
  std::shared_lock lock(mu_);
  auto v = root_ns_->tasks.find(viewer.value);
  if (v == root_ns_->tasks.end()) return std::nullopt;
  const PidNamespace* ns = v->second->ns;
  auto it = ns->tasks.find(id);
  if (it == ns->tasks.end()) return std::nullopt;
  return it->second->ids.root;
}

NamespaceUid Kernel::RootNamespace() const {
  std::shared_lock lock(mu_);
  return root_ns_->uid;
}

KernelStats Kernel::Stats() const {
  std::shared_lock lock(mu_);
  return KernelStats{.observations = seq_,
                     .records = records_,
                     .divergences = divergences_,
                     .tasks_seen = tasks_seen_,
                     .thread_groups_seen = thread_groups_seen_,
                     .live_tasks = tasks_.size(),
                     .thread_groups = thread_groups_.size(),
                     .process_groups = process_groups_.size(),
                     .sessions = sessions_.size(),
                     .namespaces = namespaces_.size(),
                     .outstanding_predictions = predictions_.size()};
}

}  // namespace sentry::kernel
