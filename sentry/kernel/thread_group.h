// ThreadGroup: a process (Linux's signal_struct), as the model knows it.
//
// Written by the tracer thread under Kernel::mu_ (exclusive); read shared.
#pragma once

#include <cstdint>

#include "sentry/kernel/exit_status.h"
#include "sentry/kernel/ids.h"
#include "sentry/kernel/intrusive_list.h"
#include "sentry/kernel/observation.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/task_stop.h"

namespace sentry::kernel {

struct ProcessGroup;

struct ThreadGroup {
  ThreadGroupUid uid;
  PidNamespace* ns = nullptr;
  Task* leader = nullptr;
  IntrusiveList<Task, &Task::tg_node> tasks;  // every task not yet dead

  // Counts (gVisor's tasksCount / liveTasks / activeTasks):
  int tasks_count = 0;   // not dead
  int live_tasks = 0;    // not zombie or dead
  int active_tasks = 0;  // not exiting at all

  // Group stop state (Linux: SIGNAL_STOP_* flags and group_stop_count).
  GroupStopPhase stop_phase = GroupStopPhase::kNone;
  int stop_signal = 0;
  int stop_count = 0;             // active threads that acknowledged the stop
  bool stop_waitable = false;     // WUNTRACED may report the stop
  bool cont_notify = false;       // parent to be told CLD_CONTINUED / CLD_STOPPED
  bool cont_interrupted = false;  // the SIGCONT ended an initiated (incomplete) stop
  bool cont_waitable = false;     // WCONTINUED may report the continue
  // The observation that last gave the parent something new to wait for
  // (an exit, a stop, a continue).
  std::uint64_t reportable_since = 0;
  // The observation at which a stop (a continue) a wait could report was
  // superseded, not consumed: by a continue, or a group exit (by a new
  // stop). A wait under way then may still report it.
  std::uint64_t stop_superseded_at = 0;
  int superseded_stop_signal = 0;
  std::uint64_t cont_superseded_at = 0;
  // The observation that last moved it to another process group.
  std::uint64_t pgrp_since = 0;
  // The observation at which a child last left its threads' children (was
  // reaped, or handed to a parent outside the group): a wait under way in
  // one of its threads may have walked the children before.
  std::uint64_t child_left_at = 0;

  bool exiting = false;             // group exit in progress (SIGNAL_GROUP_EXIT)
  std::uint64_t exiting_since = 0;  // the observation that began it
  ExitStatus exit_status;
  int termination_signal = 0;  // sent to the parent when the leader exits

  ProcessGroup* process_group = nullptr;
  ListNode<ThreadGroup> pg_node;  // membership in process_group->members
  // Whether this group is currently counted in process_group->ancestors.
  bool counted_as_ancestor = false;
  bool execed = false;      // exec since fork: setpgid by the parent gets EACCES
  Task* execing = nullptr;  // the thread in an exec stop, if any

  SigChldDisposition sigchld = SigChldDisposition::kDefault;
  bool nocldwait = false;
  bool is_child_subreaper = false;
  bool has_child_subreaper = false;  // inherited: some ancestor is a subreaper

  Usage exited_usage;  // exited threads of this group
  Usage child_usage;   // reaped children (RUSAGE_CHILDREN)

  // Is the group's parent (the leader's parent) in the model?
  Task* Parent() const { return leader != nullptr ? leader->parent : nullptr; }
};

inline bool Task::IsLeader() const {
  return tg != nullptr && tg->leader == this;
}

}  // namespace sentry::kernel
