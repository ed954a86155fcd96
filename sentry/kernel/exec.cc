// execve, including exec from a non-leader thread (gVisor task_exec.go;
// Linux fs/exec.c de_thread): the other threads are killed, and a non-leader
// exec-ing thread takes over the leader's ids while the old leader is
// released without ever being waitable.
#include "sentry/kernel/abi.h"
#include "sentry/kernel/kernel.h"

namespace sentry::kernel {

void Kernel::On(const ExecStart& o) {
  Task* t = Lookup(o.tid, "execve");
  if (t == nullptr) return;
  if (t->tg->live_tasks > 1 && t->tg->execing == nullptr) {
    t->tg->execing = t;
    SetInternalStop(t, StopKind::kExec);
  }
}

void Kernel::On(const Exec& o) {
  Task* t = Lookup(o.tid, "exec");
  if (t == nullptr) return;
  ThreadGroup* tg = t->tg;
  Task* old_leader = tg->leader;
  // The exec is itself the proof that de_thread ran, even when its start was
  // not seen (a SIGKILL pending at the old leader's exit skips that stop in
  // ptrace_stop, and the exec is the first the tracer hears): the threads it
  // ends now were killed by it.
  if (tg->execing == nullptr) tg->execing = t;
  // Every other thread is killed. Their exit reports may still arrive (the
  // host keeps them as zombies until the tracer collects them), so they stay
  // in the model as exiting threads until then.
  tg->tasks.ForEach([&](Task* u) {
    if (u != t && u != old_leader && u->exit_state == ExitState::kNone) {
      BeginExit(u, ExitStatus{}, false);
    }
  });
  const std::int32_t former_tid = t->ids.root;
  if (t != old_leader) {
    // The old leader gets no exit report: finish it here. Its children go to
    // a live sibling (t) like any exiting thread's.
    if (old_leader->exit_state < ExitState::kZombie) {
      FinishExit(
          old_leader,
          old_leader->exit_state == ExitState::kNone ? ExitStatus{} : old_leader->exit_status,
          old_leader->usage);
    }
    // t takes the leader's ids and place under the parent.
    UnmapIds(t->ids, t->ns, t);
    t->ids = old_leader->ids;
    for (PidNamespace* level = t->ns; level != nullptr; level = level->parent) {
      level->tasks[t->ids.At(level->depth)] = t;
    }
    Task* parent = old_leader->parent;
    if (parent != nullptr) {
      parent->children.Remove(old_leader);
      parent->children.PushBack(t);
    }
    old_leader->parent = nullptr;
    t->parent = parent;
    tg->leader = t;
    Reap(old_leader, ReapCause::kExec, t);
  }
  tg->execed = true;
  tg->execing = nullptr;
  ClearInternalStop(t, StopKind::kExec);
  // Exec resets the termination signal (gVisor), handlers other than SIG_IGN,
  // and every sa_flags (Linux flush_signal_handlers).
  tg->termination_signal = abi::kSIGCHLD;
  if (tg->sigchld == SigChldDisposition::kHandler) tg->sigchld = SigChldDisposition::kDefault;
  tg->nocldwait = false;
  t->uid_creds = o.uid;
  t->gid_creds = o.gid;
  t->comm = o.comm;
  t->argv = o.argv;
  if (t->vfork_parent != nullptr) ReleaseVforkParent(t);
  Emit(RecordKind::kExec, t, nullptr, former_tid, t->ids.root, o.comm);
}

}  // namespace sentry::kernel
