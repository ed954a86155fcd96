// Kernel: the model of the workload's task tree, a deterministic fold over
// Observations.
//
// Apply() is called by one thread (the tracer); it takes mu_ exclusively. The
// read API (view.h) takes mu_ shared, so FUSE threads see consistent
// snapshots. The same Apply runs live and in replay: feeding a run's stored
// observations to a fresh Kernel rebuilds the model, record for record.
//
// Where the host did something the model did not predict, the model records
// a divergence and then follows the host. Apply never aborts.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "sentry/kernel/ids.h"
#include "sentry/kernel/observation.h"
#include "sentry/kernel/pid_namespace.h"
#include "sentry/kernel/record.h"
#include "sentry/kernel/rw_lock.h"
#include "sentry/kernel/sessions.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/kernel/view.h"

namespace sentry::kernel {

class Kernel {
 public:
  Kernel();
  ~Kernel();
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  // Applies one observation and returns the records it produced. The span is
  // valid until the next call to Apply. Called by the tracer thread only.
  std::span<const Record> Apply(const Observation& obs);

  // ---- Read API (any thread). `ns` names the namespace whose ids are shown;
  // a default NamespaceUid means the root namespace.
  std::optional<TaskInfo> FindTask(ThreadId tid, NamespaceUid ns = {}) const;
  // The task with this never-reused id, if it is still in the model and
  // visible in ns.
  std::optional<TaskInfo> FindTaskByUid(TaskUid uid, NamespaceUid ns = {}) const;
  // The leader of this thread group, if it is still in the model and visible in ns.
  std::optional<TaskInfo> FindProcessByUid(ThreadGroupUid uid, NamespaceUid ns = {}) const;
  // Only the credentials of a process (its leader) or task that is still in
  // the model and visible in ns: what a file's owner needs, without a copy
  // of the whole TaskInfo.
  std::optional<TaskOwner> FindProcessOwner(ThreadGroupUid uid, NamespaceUid ns = {}) const;
  std::optional<TaskOwner> FindTaskOwner(TaskUid uid, NamespaceUid ns = {}) const;
  // The task the host calls `root_tid`, with ids shown in ns.
  std::optional<TaskInfo> FindTaskByHostTid(ThreadId root_tid, NamespaceUid ns = {}) const;
  // Who will reap thread group `uid` when it dies, and why.
  std::optional<ReaperInfo> Reaper(ThreadGroupUid uid, NamespaceUid ns = {}) const;
  // Thread group leaders visible in ns, by tgid.
  std::vector<TaskInfo> Processes(NamespaceUid ns = {}) const;
  // Threads of the thread group tgid (in ns), by tid.
  std::vector<TaskInfo> Threads(ThreadId tgid, NamespaceUid ns = {}) const;
  std::vector<ProcessGroupInfo> ProcessGroups(NamespaceUid ns = {}) const;
  std::vector<SessionInfo> Sessions(NamespaceUid ns = {}) const;
  // The namespace task `tid` (root id) lives in; nullopt if unknown.
  std::optional<NamespaceUid> NamespaceOf(ThreadId tid) const;
  NamespaceUid RootNamespace() const;
  // The root id of the task that `viewer` (root id) calls `id` in its own
  // namespace (as a wait result names it); nullopt if either is unknown.
  std::optional<std::int32_t> RootIdSeenBy(ThreadId viewer, std::int32_t id) const;
  KernelStats Stats() const;
  // What wait `request` by thread `waiter` (root id) could return right now.
  std::optional<WaitPrediction> PredictWait(ThreadId waiter, const WaitRequest& request) const;
  // The errno setsid / setpgid(pid, pgid) by `caller` would get now (0:
  // success); nullopt if the caller is unknown.
  std::optional<int> PredictSetSid(ThreadId caller) const;
  std::optional<int> PredictSetPgid(ThreadId caller, std::int32_t pid, std::int32_t pgid) const;

 private:
  // Observation handlers (kernel.cc unless noted).
  void On(const TaskExisting& o);
  void On(const Clone& o);
  void On(const ExecStart& o);        // exec.cc
  void On(const Exec& o);             // exec.cc
  void On(const VforkDone& o);        // task_stop.cc
  void On(const ExitBegin& o);        // task_exit.cc
  void On(const ExitEnd& o);          // task_exit.cc
  void On(const GroupStop& o);        // task_stop.cc
  void On(const GroupContinue& o);    // task_stop.cc
  void On(const SignalDelivered& o);  // task_stop.cc
  void On(const SetSid& o);           // sessions.cc
  void On(const SetPgid& o);          // sessions.cc
  void On(const WaitStart& o);        // wait.cc
  void On(const WaitDone& o);         // wait.cc
  void On(const SigChldAction& o);
  void On(const SetSubreaper& o);
  void On(const SetPdeathsig& o);
  void On(const ParentObserved& o);   // task_exit.cc
  void On(const ControllingTty& o);   // sessions.cc
  void On(const ForegroundGroup& o);  // sessions.cc
  void On(const UnsharePidNamespace& o);
  void On(const TraceStop& o);           // task_stop.cc
  void On(const ExternalStop& o);        // task_stop.cc
  void On(const DropControllingTty& o);  // sessions.cc
  void On(const SentrySignal& o);

  // ---- Records.
  // The record, to set its rule (valid until the next Emit).
  Record& Emit(RecordKind kind, const Task* subject, const Task* other, std::int64_t value,
               std::int64_t value2, std::string detail = {});
  void Diverge(const Task* subject, const Task* other, std::int64_t model, std::int64_t host,
               std::string detail);
  // Looks up a root tid; an unknown tid is a divergence naming `what`.
  Task* Lookup(ThreadId tid, const char* what);

  // ---- Creation and release (kernel.cc).
  PidNamespace* NewNamespace(PidNamespace* parent);
  void UnrefNamespace(PidNamespace* ns);
  // Allocates ids at every level of ns, taking the host's where given.
  NsIds AssignIds(PidNamespace* ns, ThreadId root_tid, const std::vector<std::int32_t>& nested);
  Task* NewTask(ThreadGroup* tg, PidNamespace* ns, NsIds ids);
  ThreadGroup* NewThreadGroup(PidNamespace* ns);
  // Frees a dead task; frees its thread group with its last task.
  void FreeTask(Task* t);
  void UnmapIds(const NsIds& ids, PidNamespace* ns, Task* t);

  // ---- Sessions and process groups (sessions.cc).
  ProcessGroup* NewProcessGroup(ThreadGroup* originator, Session* session);
  Session* NewSession(ThreadGroup* leader);
  int SetSidErrno(const ThreadGroup* tg) const;
  int CreateSession(ThreadGroup* tg);
  // Predicts setpgid; on success says which group to join or create.
  struct SetPgidPlan {
    int error = 0;
    Rule rule = Rule::kNone;  // why error
    ThreadGroup* target = nullptr;
    ProcessGroup* join = nullptr;  // nullptr with no error: create a new group
  };
  SetPgidPlan PlanSetPgid(const Task* caller, std::int32_t pid, std::int32_t pgid) const;
  void MoveToProcessGroup(ThreadGroup* tg, ProcessGroup* pg);
  void LeaveProcessGroup(ThreadGroup* tg);
  void DestroyProcessGroup(ProcessGroup* pg);
  // Whether tg connects its group to the rest of the session: it is live and
  // its parent is in another group of the same session (or outside the model).
  bool ConnectsGroup(const ThreadGroup* tg) const;
  // Keep ProcessGroup::ancestors in step: Uncount before tg's group changes,
  // Recount after any change to tg's group, parent or liveness.
  void Uncount(ThreadGroup* tg);
  void Recount(ThreadGroup* tg);
  template <class Fn>
  static void ForEachChildGroup(const ThreadGroup* tg, Fn&& fn);
  bool HasStoppedMember(const ProcessGroup* pg) const;
  // Linux kill_orphaned_pgrp: predicts SIGHUP+SIGCONT for pg if the change
  // just made it orphaned while it has a stopped member.
  void CheckNewlyOrphaned(ProcessGroup* pg, const Task* cause);
  void Predict(ThreadGroup* receiver, int signo, SignalCause cause, const Task* cause_task);
  // tg's SIGCHLD disposition, set by `by` (kernel.cc).
  void SetSigChld(ThreadGroup* tg, const Task* by, SigChldDisposition disposition, bool nocldwait);
  // Linux disassociate_ctty(on_exit): the session leader's terminal hangs up
  // its foreground group (SIGHUP; SIGCONT too unless the leader is exiting)
  // and leaves the session.
  void ReleaseControllingTty(ThreadGroup* leader, const Task* cause, SignalCause why);
  // The terminal's foreground group of `s` (ns nullptr: none), holding a
  // reference on its namespace.
  void SetForeground(Session* s, const NsIds& ids, PidNamespace* ns);

  // ---- Exit path (task_exit.cc).
  void BeginExit(Task* t, const ExitStatus& status, bool group);
  void FinishExit(Task* t, const ExitStatus& status, const Usage& usage);
  void ExitNotify(Task* t);
  void Reap(Task* t, ReapCause cause, const Task* reaper);
  void ExitChildren(Task* t);
  // Appends to passed_over the exiting tasks that may yet have adopted on
  // the host (see Task::adopters_maybe_not_exiting).
  Task* FindReparentTarget(const Task* t, std::vector<TaskUid>& passed_over) const;
  // host_answer: the host showed the adopter, which the model had passed over.
  void Reparent(Task* child, Task* new_parent, bool host_answer = false);
  bool IsNamespaceInit(const ThreadGroup* tg) const;
  // What the receiver's disposition makes of a delivered signal.
  Rule DeliveryRule(const Task* t, const SignalDelivered& o) const;
  // Which step of Linux find_new_reaper gives new_parent (kReparented's rule).
  Rule AdoptionRule(const Task* old_parent, const Task* new_parent) const;
  void TearDownNamespace(ThreadGroup* init, Task* last);
  // The host showed tg's process gone: finishes every thread's exit with
  // `status`. Returns the leader if it is now a reapable zombie, nullptr if
  // it was released on the way (finishing exits can reap).
  Task* ForceExitGroup(ThreadGroup* tg, const ExitStatus& status);
  Task* FindByUid(TaskUid uid) const;

  // ---- Stops (task_stop.cc).
  void SetInternalStop(Task* t, StopKind kind);
  void ClearInternalStop(Task* t, StopKind kind);
  void CompleteGroupStop(ThreadGroup* tg, const Task* last);
  void ContinueGroup(ThreadGroup* tg);
  void ReleaseVforkParent(Task* child);

  // ---- Wait (wait.cc).
  WaitPrediction WaitOnce(const Task* waiter, const WaitRequest& request) const;

  // ---- Reading (view.cc).
  const PidNamespace* ViewNamespace(NamespaceUid ns) const;
  TaskInfo Describe(const Task* t, const PidNamespace* view) const;
  // The task, or thread group leader, with this uid if it is visible in
  // view (nullptr otherwise, and for a null view). mu_ held.
  const Task* VisibleTask(TaskUid uid, const PidNamespace* view) const;
  const Task* VisibleLeader(ThreadGroupUid uid, const PidNamespace* view) const;

  // Exclusive for Apply, shared for the read API. Guards everything below.
  mutable WriterPreferringRwLock mu_;

  std::unordered_map<TaskUid, std::unique_ptr<Task>> tasks_;
  std::unordered_map<ThreadGroupUid, std::unique_ptr<ThreadGroup>> thread_groups_;
  std::unordered_map<const ProcessGroup*, std::unique_ptr<ProcessGroup>> process_groups_;
  std::unordered_map<const Session*, std::unique_ptr<Session>> sessions_;
  std::unordered_map<NamespaceUid, std::unique_ptr<PidNamespace>> namespaces_;
  PidNamespace* root_ns_ = nullptr;

  // Signals the model predicted and the host has not yet delivered.
  struct Prediction {
    ThreadGroupUid receiver;
    int signo = 0;
  };
  std::vector<Prediction> predictions_;

  int task_set_stops_ = 0;  // external stops applying to every task
  std::uint64_t next_uid_ = 1;
  std::uint64_t seq_ = 0;
  std::int64_t now_ns_ = 0;
  std::uint64_t records_ = 0;
  std::uint64_t divergences_ = 0;
  std::uint64_t tasks_seen_ = 0;
  std::uint64_t thread_groups_seen_ = 0;
  std::vector<Record> out_;  // records of the observation being applied
};

}  // namespace sentry::kernel
