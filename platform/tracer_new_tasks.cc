// Tracer: telling the model of new tasks: clone events, and the children
// whose event never comes (their creator killed inside clone) or comes late
// (a child's first stop can precede its parent's event).
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>

#include <cerrno>
#include <cstdlib>
#include <utility>

#include "platform/proc_files.h"
#include "platform/tracer.h"
#include "sentry/kernel/abi.h"

namespace sentry::platform {

namespace abi = kernel::abi;
using kernel::ThreadId;

bool Tracer::DecodeClone(pid_t pid, const user_regs_struct& regs, TaskState& st) const {
  // At the seccomp stop and at the clone event stop alike, orig_rax is the
  // syscall and the argument registers are as the caller set them.
  const auto nr = static_cast<long>(regs.orig_rax);
  if (nr == SYS_clone) {
    st.clone_flags = regs.rdi & ~0xffULL;
    st.clone_exit_signal = static_cast<int>(regs.rdi & 0xff);
  } else if (nr == SYS_clone3) {
    std::uint64_t clone_args[5] = {};  // flags, pidfd, child_tid, parent_tid, exit_signal
    if (!ReadMemory(pid, regs.rdi, clone_args, sizeof clone_args)) return false;
    st.clone_flags = clone_args[0];
    st.clone_exit_signal = static_cast<int>(clone_args[4]);
  } else if (nr == SYS_vfork) {
    st.clone_flags = CLONE_VM | CLONE_VFORK;
    st.clone_exit_signal = SIGCHLD;
  } else {  // fork
    st.clone_flags = 0;
    st.clone_exit_signal = SIGCHLD;
  }
  // A thread has no exit signal (copy_process: -1, whatever was asked);
  // told as none, as its stop fact tells it.
  if ((st.clone_flags & CLONE_THREAD) != 0) st.clone_exit_signal = 0;
  return true;
}

pid_t Tracer::CloneFromFact(pid_t child, TaskState& st) const {
  if (!facts_) return 0;
  const auto fact = facts_->Clone(child);
  // CLONE_PARENT: the child takes its creator's leader's exit signal
  // (copy_process), not the one asked for, which the model is told; and its
  // parent is not its creator. Read from the registers.
  if (!fact || (fact->flags & CLONE_PARENT) != 0) return 0;
  st.clone_flags = fact->flags;
  st.clone_exit_signal = fact->exit_signal;
  return fact->creator_tgid;
}

void Tracer::CloneFromHost(pid_t child, TaskState& st) {
  // A SIGKILL to the group can wake a new task out of its first stop before
  // its registers are read (GETREGS: ESRCH), or clone3's arguments can be out
  // of reach. /proc still tells a thread from a process; a process's clone
  // is taken for a fork (CLONE_PARENT and CLONE_VFORK are not shown).
  const pid_t tgid = std::atoi(StatusField(child, "Tgid").c_str());
  if (tgid > 0 && tgid != child) {
    st.clone_flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD;
    st.clone_exit_signal = 0;
  } else {
    st.clone_flags = 0;
    st.clone_exit_signal = SIGCHLD;
  }
}

std::optional<unsigned long> Tracer::CloneEventMessage(pid_t pid, int event, TaskState& st) {
  // Not trapped at its seccomp stop, the clone's arguments are still in the
  // registers. Read after the message, they also prove the message this
  // event's: x86-64 keeps -ENOSYS in rax until the syscall returns, and a
  // SIGKILL that woke the task out of this stop would have let clone return
  // (rax: the child's pid) before any later stop. Saves EventMessage's check.
  if (st.trap != Trap::kClone) {
    // The new task's fact names it, whether or not a SIGKILL woke this task
    // out of the stop since: the clone was made.
    if (facts_) {
      const auto child = facts_->TakeCloneEvent(pid);
      if (child && CloneFromFact(*child, st) != 0) return static_cast<unsigned long>(*child);
      if (!child) facts_->Missed(pid, StopFacts::Kind::kCloneEvent);
    }
    unsigned long msg = 0;
    user_regs_struct regs{};
    if (::ptrace(PTRACE_GETEVENTMSG, pid, nullptr, &msg) == 0 &&
        ::ptrace(PTRACE_GETREGS, pid, nullptr, &regs) == 0 &&
        static_cast<long>(regs.rax) == -ENOSYS && DecodeClone(pid, regs, st)) {
      return msg;
    }
    // Out of this stop already: go by the event, if the message is its,
    // and by the child's /proc for a clone (a thread's or a process's).
    const auto child = EventMessage(pid, event);
    if (child && *child != 0 && event == PTRACE_EVENT_CLONE) {
      CloneFromHost(static_cast<pid_t>(*child), st);
    } else {
      st.clone_flags = event == PTRACE_EVENT_VFORK ? (CLONE_VM | CLONE_VFORK) : 0;
      st.clone_exit_signal = SIGCHLD;
    }
    return child;
  }
  return EventMessage(pid, event);
}

void Tracer::OnNewTask(pid_t pid, TaskState& st, int event) {
  const auto msg = CloneEventMessage(pid, event, st);
  if (!msg || *msg == 0) {
    // SIGKILLed in this very stop: the child, if any, is announced from its
    // own first stop (AnnounceUnnamedChildren).
    return;
  }
  const auto child = static_cast<pid_t>(*msg);
  // Told already: it was held so long it was taken for adopted, or for a
  // child whose creator's event was overdue (on a loaded machine the
  // creator can be kept off the CPU between the clone and its event stop).
  // It may be gone since (exited, its tid no longer followed): the event is
  // still that clone's, not a new child's (stress seed 4297 with a
  // subreaper, under load, told the clone twice).
  const auto told = told_before_event_.find(child);
  const bool told_first = told != told_before_event_.end() &&
                          std::chrono::steady_clock::now() - told->second < kLateCloneEventLimit;
  if (told != told_before_event_.end()) told_before_event_.erase(told);
  if (const auto known = tasks_.find(child);
      told_first || (known != tasks_.end() && known->second.known)) {
    st.trap = Trap{};
    Resume(pid, st);
    return;
  }
  st.trap = Trap{};  // this clone is told; the next one decodes afresh
  TellClone(pid, st.tgid, child, st.clone_flags, st.clone_exit_signal);
  // Telling it may collect other reports, this task's exit among them.
  if (const auto it = tasks_.find(pid); it != tasks_.end()) Resume(pid, it->second);
}

void Tracer::NoteToldBeforeEvent(pid_t child) {
  // Its creator (if any is left) may report the clone yet. Entries past the
  // limit go first: the map stays as small as the children told so.
  const auto now = std::chrono::steady_clock::now();
  std::erase_if(told_before_event_,
                [&](const auto& told) { return now - told.second >= kLateCloneEventLimit; });
  told_before_event_[child] = now;
}

void Tracer::TellClone(pid_t parent, pid_t parent_tgid, pid_t child, std::uint64_t flags,
                       int exit_signal, std::int32_t host_pgid) {
  std::int32_t forked_into = host_pgid;
  if ((flags & CLONE_THREAD) == 0) {
    if (!setpgid_in_flight_.empty()) CatchUpBeforeClone(parent_tgid, child);
    if (auto creator = tasks_.find(parent_tgid);
        creator != tasks_.end() && creator->second.moved_by_other) {
      creator->second.moved_by_other = false;
      if (const auto stat = ReadProcStat(child)) forked_into = stat->pgrp;
    }
  }
  Apply(
      kernel::Clone{.parent = ThreadId(parent),
                    .child = ThreadId(child),
                    .flags = flags,
                    .exit_signal = exit_signal,
                    .nested_tids = options_.pidns ? NestedTids(child) : std::vector<std::int32_t>{},
                    .error = 0,
                    .pgid = forked_into});
  // Made after the first process's end killed the rest (KillWorkload): it
  // goes too, or a stopped one would keep the run waiting for good.
  if (root_done_ && !options_.wait_all) {
    TellSentrySignal(child, SIGKILL, kernel::SignalCause::kSentryLate);
    ::kill(child, SIGKILL);
  }
  TaskState& cs = tasks_[child];  // may exist: its first stop came first
  cs.tgid = (flags & CLONE_THREAD) != 0 ? parent_tgid : child;
  cs.known = true;
  running_unknown_.erase(child);
  if (held_.erase(child) == 0) return;
  if (const std::optional<int> held = std::exchange(cs.held_report, std::nullopt)) {
    // Handled now, in order: whatever told it (a catch-up before a wait is
    // judged, say) may need what it did.
    DispatchStop(child, cs, *held);
  } else {
    LeaveFirstStop(child, cs, cs.first_stop_signal);
  }
}

pid_t Tracer::HeldCreator(pid_t child) {
  TaskState& st = tasks_[child];
  if (st.creator == 0) st.creator = CreatorOf(child);
  return st.creator;
}

pid_t Tracer::CreatorOf(pid_t pid) {
  // A thread's creator is its own group; a process's, its parent.
  const std::string status = ReadStatus(pid);
  const pid_t tgid = std::atoi(StatusField(status, "Tgid").c_str());
  return tgid != 0 && tgid != pid ? tgid : std::atoi(StatusField(status, "PPid").c_str());
}

void Tracer::AnnounceUnnamedChildren(pid_t tid, pid_t tgid) {
  // A fatal signal skips the clone event stop of a task it kills in clone,
  // but the child lives on, held at its first stop or resumed from it
  // (running_unknown_). Once no other thread of its creator's group is left
  // to report the clone, tell the model as the event would have: the flags
  // are in the child's registers at its first stop too.
  // The usual case: no scan of every task per exit.
  if (held_.empty() && running_unknown_.empty()) return;
  for (const auto& [other, os] : tasks_) {
    if (other != tid && os.tgid == tgid && os.known && !exiting_.contains(other)) return;
  }
  std::vector<pid_t> unnamed;
  std::vector<pid_t> held(held_.begin(), held_.end());
  held.insert(held.end(), running_unknown_.begin(), running_unknown_.end());
  for (pid_t child : held) {
    if (HeldCreator(child) == tgid) unnamed.push_back(child);
  }
  for (pid_t child : unnamed) AnnounceHeldChild(child, tid, tgid);
}

void Tracer::AnnounceHeldChild(pid_t child, pid_t parent, pid_t parent_tgid, bool adopted) {
  // The model takes a clone from a creator whose exit has begun (the clone
  // came first; that exit's end reparents the child). Once that exit is over
  // the child has been adopted already: its parent is the host's (/proc).
  const pid_t own_tgid = std::atoi(StatusField(child, "Tgid").c_str());
  if (own_tgid > 0 && own_tgid != child) {
    // A thread: made by a thread of its own group, one the model still has
    // before the end of its exit (the creator may be gone, its group not).
    parent = ThreadLeftIn(own_tgid, parent);
    parent_tgid = own_tgid;
  } else if (parent != self_ && !adopted) {
    const auto info = model_.FindTask(ThreadId(parent));
    if (!info || info->exit_state >= kernel::ExitState::kZombie) {
      parent = parent_tgid = CreatorOf(child);
      adopted = true;
    }
  }
  if (parent <= 0) return;  // gone meanwhile
  TaskState& cs = tasks_[child];
  user_regs_struct regs{};
  if (cs.ran_unknown) {
    // Decoded at its first stop; its registers are another stop's now.
  } else if (::ptrace(PTRACE_GETREGS, child, nullptr, &regs) == 0) {
    if (!DecodeClone(child, regs, cs)) CloneFromHost(child, cs);
  } else if (adopted) {
    cs.clone_flags = 0;  // not in a stop yet (its first follows): told as a fork
  } else {
    return;  // killed meanwhile
  }
  // The parent named is the child's real parent already; an adopter (or the
  // sentry, which has no threads to share) did not make it its thread, and
  // is not the vfork parent waiting for it (that one is dead).
  std::uint64_t flags = cs.clone_flags & ~static_cast<std::uint64_t>(CLONE_PARENT);
  if (adopted || parent == self_) {
    flags &= ~static_cast<std::uint64_t>(CLONE_THREAD | CLONE_VFORK);
  }
  // An adopted child's exit signal is SIGCHLD (Linux reparent_leader). Its
  // group is its dead creator's, not its adopter's: the host's.
  std::int32_t host_pgid = 0;
  if (adopted && (flags & CLONE_THREAD) == 0) {
    if (const auto stat = ReadProcStat(child)) host_pgid = stat->pgrp;
  }
  NoteToldBeforeEvent(child);
  TellClone(parent, parent_tgid, child, flags, adopted ? SIGCHLD : cs.clone_exit_signal, host_pgid);
}

pid_t Tracer::ThreadLeftIn(pid_t tgid, pid_t preferred) const {
  pid_t found = 0;
  for (const kernel::TaskInfo& t : model_.Threads(ThreadId(tgid))) {
    if (t.exit_state >= kernel::ExitState::kZombie) continue;
    if (t.tid == preferred) return preferred;
    if (found == 0) found = t.tid;
  }
  return found;
}

void Tracer::AnnounceUnseenTask(pid_t pid) {
  // A task with a fatal signal pending never makes its first stop (Linux
  // ptrace_stop returns at once when __fatal_signal_pending): a thread
  // created by a clone that a SIGKILL to its group interrupted is seen
  // first at its exit event, and its creator's clone event never comes.
  const pid_t creator = CreatorOf(pid);
  if (creator <= 0) return;  // gone already: nothing left to tell it from
  tasks_[pid].creator = creator;
  AnnounceHeldChild(pid, creator, creator);
}

bool Tracer::CreatorToldFirst(pid_t creator) const {
  const auto found = tasks_.find(creator);
  // Followed by the tracer, alive, and not told yet itself (resumed from
  // its first stop, or held): once its own creator's clone event tells it,
  // its clone event, held with it, tells the child (TellClone).
  return found != tasks_.end() && !found->second.known && !exiting_.contains(creator);
}

void Tracer::AnnounceOverdueChildren() {
  // A creator's clone event follows its child's first stop within
  // microseconds. A child still held long after was adopted (its creator
  // killed inside clone) by a parent that made no clone: a workload
  // subreaper or a namespace's init. Its parent now is the host's. A
  // creator the model does not know yet is not gone, though: on a loaded
  // machine its own clone event may come late, and it is told first.
  const auto now = std::chrono::steady_clock::now();
  std::vector<pid_t> unlooked;
  for (pid_t child : held_) {
    const TaskState& st = tasks_[child];
    if (st.creator == 0 && now - st.held_since >= kHeldChildGrace) unlooked.push_back(child);
  }
  for (pid_t child : unlooked) {
    if (!held_.contains(child)) continue;  // told meanwhile
    const pid_t creator = HeldCreator(child);
    if (creator <= 0) continue;  // gone meanwhile: its exit report follows
    if (!tasks_.contains(creator) || exiting_.contains(creator)) {
      // Its creator is gone already (it was adopted: its parent now is the
      // sentry) or dying: no clone event will come. Told now.
      AnnounceUnnamedChildren(creator, creator);
    }
  }
  std::vector<pid_t> overdue;
  for (pid_t child : held_) {
    if (now - tasks_[child].held_since >= kHeldChildPatience) overdue.push_back(child);
  }
  for (pid_t child : overdue) {
    if (!held_.contains(child)) continue;  // told meanwhile
    const pid_t parent = CreatorOf(child);
    if (parent <= 0) continue;  // gone meanwhile
    if (CreatorToldFirst(parent) && now - tasks_[child].held_since < kAwaitLimit) continue;
    AnnounceHeldChild(child, parent, parent);
  }
}

}  // namespace sentry::platform
