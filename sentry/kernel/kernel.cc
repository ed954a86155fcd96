// Kernel: observation dispatch, records, and the creation and release of
// tasks, thread groups and namespaces.
#include "sentry/kernel/kernel.h"

#include <fmt/format.h>

#include <mutex>
#include <utility>

#include "sentry/kernel/abi.h"

namespace sentry::kernel {
namespace {

// Linux's default pid_max range; the model's allocator wraps like Linux's.
constexpr std::int32_t kPidMax = 4194304;
constexpr std::int32_t kPidWrapTo = 300;  // RESERVED_PIDS

}  // namespace

Kernel::Kernel() {
  root_ns_ = NewNamespace(nullptr);
}

Kernel::~Kernel() = default;

std::span<const Record> Kernel::Apply(const Observation& obs) {
  std::unique_lock lock(mu_);
  out_.clear();
  ++seq_;
  now_ns_ = obs.time_ns;
  std::visit([this](const auto& body) { On(body); }, obs.body);
  records_ += out_.size();
  return out_;
}

Record& Kernel::Emit(RecordKind kind, const Task* subject, const Task* other, std::int64_t value,
                     std::int64_t value2, std::string detail) {
  Record& r = out_.emplace_back();
  r.seq = seq_;
  r.time_ns = now_ns_;
  r.kind = kind;
  if (subject != nullptr) {
    r.task = subject->uid;
    r.tid = subject->Tid();
  }
  if (other != nullptr) {
    r.other_task = other->uid;
    r.other_tid = other->Tid();
  }
  r.value = value;
  r.value2 = value2;
  r.detail = std::move(detail);
  return r;
}

void Kernel::Diverge(const Task* subject, const Task* other, std::int64_t model, std::int64_t host,
                     std::string detail) {
  ++divergences_;
  Emit(RecordKind::kDivergence, subject, other, model, host, std::move(detail));
}

Task* Kernel::Lookup(ThreadId tid, const char* what) {
  auto it = root_ns_->tasks.find(tid.value);
  if (it != root_ns_->tasks.end()) return it->second;
  Diverge(nullptr, nullptr, 0, tid.value,
          fmt::format("{}: tid {} is unknown to the model", what, tid.value));
  return nullptr;
}

PidNamespace* Kernel::NewNamespace(PidNamespace* parent) {
  auto ns = std::make_unique<PidNamespace>();
  ns->uid = NamespaceUid(next_uid_++);
  ns->parent = parent;
  ns->depth = parent == nullptr ? 0 : parent->depth + 1;
  if (parent != nullptr) ++parent->refs;
  PidNamespace* raw = ns.get();
  namespaces_.emplace(raw->uid, std::move(ns));
  return raw;
}

void Kernel::UnrefNamespace(PidNamespace* ns) {
  while (ns != nullptr && ns != root_ns_ && --ns->refs == 0) {
    PidNamespace* parent = ns->parent;
    namespaces_.erase(ns->uid);
    ns = parent;
  }
}

NsIds Kernel::AssignIds(PidNamespace* ns, ThreadId root_tid,
                        const std::vector<std::int32_t>& nested) {
  NsIds ids;
  ids.root = root_tid.value;
  if (ns->depth == 0) return ids;
  const bool host_knows = nested.size() == static_cast<std::size_t>(ns->depth);
  if (!nested.empty() && !host_knows) {
    Diverge(nullptr, nullptr, ns->depth, static_cast<std::int64_t>(nested.size()),
            fmt::format("tid {}: host gave {} nested ids for a task at namespace depth {}",
                        root_tid.value, nested.size(), ns->depth));
  }
  ids.nested.resize(static_cast<std::size_t>(ns->depth));
  // Walk from the task's own namespace up to depth 1.
  for (PidNamespace* level = ns; level->depth > 0; level = level->parent) {
    auto& slot = ids.nested[static_cast<std::size_t>(level->depth - 1)];
    if (host_knows) {
      slot = nested[static_cast<std::size_t>(level->depth - 1)];
      continue;
    }
    std::int32_t id = level->last_allocated;
    do {
      id = id + 1 >= kPidMax ? kPidWrapTo : id + 1;
    } while (level->tasks.contains(id));
    level->last_allocated = id;
    slot = id;
  }
  return ids;
}

Task* Kernel::NewTask(ThreadGroup* tg, PidNamespace* ns, NsIds ids) {
  auto owned = std::make_unique<Task>();
  Task* t = owned.get();
  t->uid = TaskUid(next_uid_++);
  t->ids = std::move(ids);
  t->ns = ns;
  t->tg = tg;
  t->start_time_ns = now_ns_;
  t->child_since = seq_;
  t->external_stops = task_set_stops_;
  ++ns->refs;
  for (PidNamespace* level = ns; level != nullptr; level = level->parent) {
    auto [it, inserted] = level->tasks.try_emplace(t->ids.At(level->depth), t);
    if (!inserted) {
      // The host reused an id the model still holds: the host is right, so the
      // stale task loses its id mapping here.
      Diverge(it->second, nullptr, it->second->ids.At(level->depth), 0,
              fmt::format("id {} reused by the host while the model still held it",
                          t->ids.At(level->depth)));
      it->second = t;
    }
    if (level->depth == ns->depth) level->last_allocated = t->ids.At(level->depth);
  }
  tg->tasks.PushBack(t);
  ++tg->tasks_count;
  ++tg->live_tasks;
  ++tg->active_tasks;
  if (tg->leader == nullptr) tg->leader = t;
  ++tasks_seen_;
  tasks_.emplace(t->uid, std::move(owned));
  return t;
}

ThreadGroup* Kernel::NewThreadGroup(PidNamespace* ns) {
  auto owned = std::make_unique<ThreadGroup>();
  ThreadGroup* tg = owned.get();
  tg->uid = ThreadGroupUid(next_uid_++);
  tg->ns = ns;
  ++ns->refs;
  ++thread_groups_seen_;
  thread_groups_.emplace(tg->uid, std::move(owned));
  return tg;
}

void Kernel::UnmapIds(const NsIds& ids, PidNamespace* ns, Task* t) {
  for (PidNamespace* level = ns; level != nullptr; level = level->parent) {
    auto it = level->tasks.find(ids.At(level->depth));
    if (it != level->tasks.end() && it->second == t) level->tasks.erase(it);
  }
}

void Kernel::FreeTask(Task* t) {
  ThreadGroup* tg = t->tg;
  // Children were handed on when t finished exiting; none can remain.
  t->children.ForEach([&](Task* child) {
    Diverge(child, t, 0, 0, fmt::format("{} freed while still a parent", t->ids.root));
    Reparent(child, nullptr);
  });
  UnmapIds(t->ids, t->ns, t);
  tg->tasks.Remove(t);
  if (t->parent != nullptr) {
    t->parent->children.Remove(t);
    t->parent->tg->child_left_at = seq_;
  }
  if (t->vfork_child != nullptr) t->vfork_child->vfork_parent = nullptr;
  if (t->vfork_parent != nullptr) ReleaseVforkParent(t);
  if (t->pidns_for_children != nullptr) UnrefNamespace(t->pidns_for_children);
  PidNamespace* ns = t->ns;
  tasks_.erase(t->uid);
  UnrefNamespace(ns);
  if (tg->tasks.empty()) {
    LeaveProcessGroup(tg);
    std::erase_if(predictions_, [tg](const Prediction& p) { return p.receiver == tg->uid; });
    PidNamespace* tg_ns = tg->ns;
    thread_groups_.erase(tg->uid);
    UnrefNamespace(tg_ns);
  } else if (tg->leader == t) {
    tg->leader = nullptr;  // only via exec's leader swap, which sets a new one
  }
}

void Kernel::On(const TaskExisting& o) {
  auto existing = root_ns_->tasks.find(o.tid.value);
  if (existing != root_ns_->tasks.end()) {
    Diverge(existing->second, nullptr, 0, o.tid.value,
            fmt::format("task {} reported as pre-existing twice", o.tid.value));
    return;
  }
  ThreadGroup* tg = nullptr;
  if (o.tgid && o.tgid != o.tid) {
    auto leader = root_ns_->tasks.find(o.tgid.value);
    if (leader != root_ns_->tasks.end()) tg = leader->second->tg;
  }
  const bool new_group = tg == nullptr;
  if (new_group) tg = NewThreadGroup(root_ns_);
  Task* t = NewTask(tg, root_ns_, NsIds{.root = o.tid.value, .nested = {}});
  t->uid_creds = o.uid;
  t->gid_creds = o.gid;
  t->comm = o.comm;
  t->argv = o.argv;
  if (!new_group) {
    Emit(RecordKind::kTaskCreated, t, tg->leader, tg->leader->Tid().value, 0, "pre-existing");
    return;
  }
  tg->termination_signal = abi::kSIGCHLD;
  tg->is_child_subreaper = o.subreaper;
  if (o.parent) {
    auto parent = root_ns_->tasks.find(o.parent.value);
    if (parent != root_ns_->tasks.end()) {
      t->parent = parent->second;
      t->parent->children.PushBack(t);
      const ThreadGroup* ptg = t->parent->tg;
      tg->has_child_subreaper = ptg->has_child_subreaper || ptg->is_child_subreaper;
    }
  }
  // Session and group: found by id, or made for the occasion. An id of 0 is
  // the host's own answer (getsid, getpgid: pid_vnr) when the leader lives in
  // an ancestor PID namespace, as in a container entered without setsid: the
  // model says 0 too, and never finds that group or session by its id.
  const std::int32_t sid = o.sid.value;
  const std::int32_t pgid = o.pgid.value;
  Session* session = nullptr;
  if (auto it = root_ns_->sessions.find(sid); sid != 0 && it != root_ns_->sessions.end()) {
    session = it->second;
  } else {
    session = NewSession(sid == o.tid.value ? tg : nullptr);
    session->ids = NsIds{.root = sid, .nested = {}};
    if (sid != 0) root_ns_->sessions[sid] = session;
    Emit(RecordKind::kSessionCreated, t, nullptr, sid, 0, "pre-existing");
  }
  ProcessGroup* pg = nullptr;
  if (auto it = root_ns_->process_groups.find(pgid);
      pgid != 0 && it != root_ns_->process_groups.end()) {
    pg = it->second;
  } else {
    pg = NewProcessGroup(nullptr, session);
    pg->ids = NsIds{.root = pgid, .nested = {}};
    if (pgid != 0) root_ns_->process_groups[pgid] = pg;
    Emit(RecordKind::kProcessGroupCreated, t, nullptr, pgid, sid, "pre-existing");
  }
  MoveToProcessGroup(tg, pg);
  Emit(RecordKind::kTaskCreated, t, t->parent, o.tid.value, tg->termination_signal, "pre-existing");
}

void Kernel::On(const Clone& o) {
  Task* caller = Lookup(o.parent, "clone");
  if (caller == nullptr) return;
  if (o.error != 0) {
    Emit(RecordKind::kCloneFailed, caller, nullptr, o.error, static_cast<std::int64_t>(o.flags),
         std::string(abi::ErrnoName(o.error)));
    return;
  }
  // A task id is positive (Linux alloc_pid): a clone naming none is no
  // story the host can tell (a damaged log).
  if (o.child.value <= 0) {
    Diverge(caller, nullptr, 0, o.child.value,
            fmt::format("clone by tid {} names no child (tid {})", o.parent.value, o.child.value));
    return;
  }
  // A clone can be told after its caller's exit began: a fatal signal that
  // arrives inside clone skips the clone's event, and the child is told
  // late. It was still made before that exit, whose end reparents it. After
  // that end the story is impossible.
  if (caller->exit_state > ExitState::kInitiated) {
    Diverge(caller, nullptr, static_cast<std::int64_t>(caller->exit_state), o.child.value,
            fmt::format("clone by tid {}, which has exited", o.parent.value));
    return;
  }
  if (auto stale = root_ns_->tasks.find(o.child.value); stale != root_ns_->tasks.end()) {
    // The host reused an id the model still holds: the old task must have
    // been reaped unseen. Follow the host and release it, unless the host's
    // story is impossible outright (a task creating itself or a sibling).
    Task* old = stale->second;
    Diverge(old, caller, old->ids.root, o.child.value,
            fmt::format("clone: tid {} reused by the host while the model still held it",
                        o.child.value));
    if (old->tg == caller->tg) return;
    if (Task* leader = ForceExitGroup(old->tg, ExitStatus{})) {
      Reap(leader, ReapCause::kForced, nullptr);
    }
    const TaskUid caller_uid = caller->uid;
    caller = FindByUid(caller_uid);  // releasing can reach far; be sure
    if (caller == nullptr) return;
  }
  const bool thread = (o.flags & abi::kCLONE_THREAD) != 0;
  const bool inherit_parent = thread || (o.flags & abi::kCLONE_PARENT) != 0;

  // A thread stays in its group's namespace; a process starts in the one
  // unshare(CLONE_NEWPID) prepared, or in a new one for CLONE_NEWPID.
  PidNamespace* ns = caller->ns;
  if (!thread) {
    if (caller->pidns_for_children != nullptr) ns = caller->pidns_for_children;
    if ((o.flags & abi::kCLONE_NEWPID) != 0) ns = NewNamespace(ns);
  }
  const bool first_in_new_ns = ns != caller->ns && ns->tasks.empty();

  ThreadGroup* tg = thread ? caller->tg : NewThreadGroup(ns);
  Task* t = NewTask(tg, ns, AssignIds(ns, o.child, o.nested_tids));
  t->uid_creds = caller->uid_creds;
  t->gid_creds = caller->gid_creds;
  t->comm = o.comm.empty() ? caller->comm : o.comm;
  t->argv = caller->argv;

  Task* parent = nullptr;
  if (!thread) {
    const ThreadGroup* ctg = caller->tg;
    parent = inherit_parent ? ctg->Parent() : caller;
    // Linux copy_process: CLONE_PARENT takes the caller's leader's exit signal.
    tg->termination_signal = inherit_parent ? ctg->termination_signal : o.exit_signal;
    tg->sigchld = ctg->sigchld;
    tg->nocldwait = ctg->nocldwait;
    tg->has_child_subreaper = ctg->has_child_subreaper || ctg->is_child_subreaper;
    t->parent = parent;
    if (parent != nullptr) parent->children.PushBack(t);
    // A fork copies the group its creator is in at that moment. A setpgid
    // that moved the creator just after the fork may reach the model first:
    // the host's group, when the platform says so, is the one it was forked
    // into (it can only be a group of the creator's session).
    ProcessGroup* pg = ctg->process_group;
    if (o.pgid != 0 && o.pgid != pg->ids.root) {
      auto forked_into = root_ns_->process_groups.find(o.pgid);
      if (forked_into != root_ns_->process_groups.end() &&
          forked_into->second->session == pg->session) {
        pg = forked_into->second;
      }
    }
    MoveToProcessGroup(tg, pg);
  }
  if ((o.flags & abi::kCLONE_VFORK) != 0 && caller->vfork_child == nullptr) {
    t->vfork_parent = caller;
    caller->vfork_child = t;
    SetInternalStop(caller, StopKind::kVfork);
  }
  Emit(RecordKind::kTaskCreated, t, thread ? caller : parent, tg->leader->Tid().value,
       thread ? 0 : tg->termination_signal);
  if (first_in_new_ns) {
    Emit(RecordKind::kNamespaceCreated, t, caller, ns->depth, 0);
  }
}

void Kernel::On(const SigChldAction& o) {
  Task* t = Lookup(o.tid, "rt_sigaction(SIGCHLD)");
  if (t == nullptr) return;
  SetSigChld(t->tg, t, o.disposition, o.nocldwait);
}

void Kernel::SetSigChld(ThreadGroup* tg, const Task* by, SigChldDisposition disposition,
                        bool nocldwait) {
  tg->sigchld = disposition;
  tg->nocldwait = nocldwait;
  Emit(RecordKind::kDispositionChanged, tg->leader, by, static_cast<std::int64_t>(disposition),
       nocldwait ? 1 : 0);
}

void Kernel::On(const SetSubreaper& o) {
  Task* t = Lookup(o.tid, "prctl(PR_SET_CHILD_SUBREAPER)");
  if (t == nullptr) return;
  t->tg->is_child_subreaper = o.enabled;
  Emit(RecordKind::kSubreaperChanged, t->tg->leader, t, o.enabled ? 1 : 0, 0);
}

void Kernel::On(const SentrySignal& o) {
  // Nothing changes yet: what the signal does shows in the receiver's own
  // reports (its stop, its exit). The record keeps who sent it and why.
  Task* t = Lookup(o.tid, "the sentry's kill");
  if (t == nullptr) return;
  const auto sender = root_ns_->tasks.find(o.sender.value);
  Emit(RecordKind::kSignalPredicted, t->tg->leader,
       sender != root_ns_->tasks.end() ? sender->second : nullptr, o.signo,
       static_cast<std::int64_t>(o.cause));
}

void Kernel::On(const SetPdeathsig& o) {
  Task* t = Lookup(o.tid, "prctl(PR_SET_PDEATHSIG)");
  if (t == nullptr) return;
  t->parent_death_signal = o.signo;
  Emit(RecordKind::kPdeathsigChanged, t, nullptr, o.signo, 0);
}

void Kernel::On(const UnsharePidNamespace& o) {
  Task* t = Lookup(o.tid, "unshare(CLONE_NEWPID)");
  if (t == nullptr || t->pidns_for_children != nullptr) return;
  t->pidns_for_children = NewNamespace(t->ns);
  ++t->pidns_for_children->refs;  // held by the task until it exits
}

}  // namespace sentry::kernel
