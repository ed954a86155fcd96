// Task: one thread of the workload, as the model knows it.
//
// All fields are written only by the tracer thread inside Kernel::Apply with
// Kernel::mu_ held exclusively; readers hold it shared.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sentry/kernel/exit_status.h"
#include "sentry/kernel/ids.h"
#include "sentry/kernel/intrusive_list.h"
#include "sentry/kernel/pid_namespace.h"
#include "sentry/kernel/task_stop.h"

namespace sentry::kernel {

struct ThreadGroup;

// The steps of the exit path (gVisor's TaskExitState).
enum class ExitState : std::uint8_t {
  kNone = 0,       // not exiting
  kInitiated = 1,  // in the exit path (Linux PF_EXITING): out of group stops
  kZombie = 2,     // resources released; waiting to be reaped
  kDead = 3,       // reaped: ids released (the Task object is freed with it)
};

std::string_view ExitStateName(ExitState state);

struct Task {
  TaskUid uid;
  NsIds ids;  // tid in each namespace, root first
  PidNamespace* ns = nullptr;
  ThreadGroup* tg = nullptr;

  // The real parent (a thread). Meaningful for thread group leaders; other
  // threads report to their leader's parent. nullptr: outside the model.
  Task* parent = nullptr;
  // Thread group leaders whose real parent is this thread.
  ListNode<Task> sibling_node;
  IntrusiveList<Task, &Task::sibling_node> children;
  // Membership in tg->tasks.
  ListNode<Task> tg_node;

  ExitState exit_state = ExitState::kNone;
  ExitStatus exit_status;
  Usage usage;
  // Exit notification to the parent (the sentry's ptrace is invisible to the
  // workload, so there is no tracer notification to model).
  bool exit_parent_notified = false;
  bool exit_parent_acked = false;

  StopKind stop = StopKind::kNone;
  int external_stops = 0;  // includes the task set's pauses
  bool group_stop_acknowledged = false;
  bool sleeping = false;  // blocked in wait
  // The observation of its wait's entry (0: none seen). The host decides a
  // WNOHANG wait somewhere between entry and result.
  std::uint64_t wait_started = 0;
  // A P_PGID wait for its own group (wait4(0), waitid(P_PGID, 0)): that
  // group's id when the wait began. Linux resolves it once, at the syscall's
  // entry (kernel_wait4/kernel_waitid: get_task_pid(current, PIDTYPE_PGID)),
  // so a setpgid that moves the caller later does not change what it waits for.
  std::int32_t wait_own_pgid = 0;
  // The observation that made it its parent's child (its clone, or its last
  // reparenting): a wait that began earlier may not have seen it there.
  std::uint64_t child_since = 0;
  // Exiting tasks its last reparenting passed over as adopters. Linux marks a
  // task PF_EXITING (which find_alive_thread skips) only after its exit event
  // stop (do_exit: ptrace_event(PTRACE_EVENT_EXIT) before exit_signals), and
  // the tracer cannot see that moment: any of them may have adopted it on the
  // host. The host's parent, read after the reparenting, decides.
  std::vector<TaskUid> adopters_maybe_not_exiting;

  int parent_death_signal = 0;
  // Set while this task's vfork child holds its memory; the child points back.
  Task* vfork_parent = nullptr;
  // The vfork child holding this task's memory (the back pointer).
  Task* vfork_child = nullptr;
  // unshare(CLONE_NEWPID): the namespace this task's next children start in
  // (holds a reference on it); nullptr means the task's own namespace.
  PidNamespace* pidns_for_children = nullptr;

  std::uint32_t uid_creds = 0;
  std::uint32_t gid_creds = 0;
  std::string comm;
  std::vector<std::string> argv;
  std::int64_t start_time_ns = 0;

  ThreadId Tid() const { return ThreadId(ids.root); }
  bool IsLeader() const;
};

}  // namespace sentry::kernel
