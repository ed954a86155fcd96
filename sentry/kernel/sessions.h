// Sessions and process groups.
//
// Both are named by the id of their originator in each namespace, and outlive
// their originator: a group disappears with its last member thread group, a
// session with its last group. Written under Kernel::mu_ (exclusive).
#pragma once

#include <cstdint>

#include "sentry/kernel/intrusive_list.h"
#include "sentry/kernel/pid_namespace.h"
#include "sentry/kernel/thread_group.h"

namespace sentry::kernel {

struct Session;

struct ProcessGroup {
  NsIds ids;  // the originator's tgid in each namespace
  PidNamespace* ns = nullptr;
  Session* session = nullptr;
  // Member thread groups whose parent is in another group of the same session
  // (and which have not all exited). Zero means orphaned (POSIX).
  std::uint32_t ancestors = 0;
  IntrusiveList<ThreadGroup, &ThreadGroup::pg_node> members;
  ListNode<ProcessGroup> session_node;

  bool IsOrphan() const { return ancestors == 0; }
  ProcessGroupId Id() const { return ProcessGroupId(ids.root); }
};

struct Session {
  NsIds ids;  // the leader's tgid in each namespace
  PidNamespace* ns = nullptr;
  // The leader; nullptr once its thread group is gone (the session lives on).
  ThreadGroup* leader = nullptr;
  ThreadGroupUid leader_uid;
  IntrusiveList<ProcessGroup, &ProcessGroup::session_node> groups;
  std::int32_t tty_nr = 0;  // controlling terminal; 0 = none
  // The terminal's foreground group, by id: like Linux's tty->pgrp it keeps
  // naming the group after the group has emptied.
  NsIds foreground_ids;
  // nullptr: no foreground group. Holds a reference (Kernel::SetForeground).
  PidNamespace* foreground_ns = nullptr;

  SessionId Id() const { return SessionId(ids.root); }
};

}  // namespace sentry::kernel
