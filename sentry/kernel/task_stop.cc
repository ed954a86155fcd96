// Stops: group stops and continues, vfork and exec waits, trace stops and
// external pauses (gVisor task_stop.go, task_signals.go; Linux
// kernel/signal.c do_signal_stop / prepare_signal(SIGCONT)).
#include <fmt/format.h>

#include "sentry/kernel/abi.h"
#include "sentry/kernel/kernel.h"

namespace sentry::kernel {

std::string_view StopKindName(StopKind kind) {
  switch (kind) {
    case StopKind::kNone:
      return "none";
    case StopKind::kGroupStop:
      return "group_stop";
    case StopKind::kVfork:
      return "vfork";
    case StopKind::kExec:
      return "exec";
    case StopKind::kTrace:
      return "trace";
  }
  return "?";
}

void Kernel::SetInternalStop(Task* t, StopKind kind) {
  if (t->stop == kind) return;
  t->stop = kind;
  Emit(RecordKind::kStopChanged, t, nullptr, static_cast<std::int64_t>(kind), t->external_stops);
}

void Kernel::ClearInternalStop(Task* t, StopKind kind) {
  if (t->stop != kind) return;
  t->stop = StopKind::kNone;
  Emit(RecordKind::kStopChanged, t, nullptr, static_cast<std::int64_t>(StopKind::kNone),
       t->external_stops);
}

void Kernel::CompleteGroupStop(ThreadGroup* tg, const Task* last) {
  tg->stop_phase = GroupStopPhase::kComplete;
  tg->stop_waitable = true;
  tg->reportable_since = seq_;
  tg->cont_notify = false;
  if (tg->cont_waitable) tg->cont_superseded_at = seq_;
  tg->cont_waitable = false;
  // The parent is sent SIGCHLD with CLD_STOPPED.
  Emit(RecordKind::kGroupStopCompleted, last, tg->Parent(), tg->stop_signal, 0);
}

void Kernel::ContinueGroup(ThreadGroup* tg) {
  if (tg->stop_phase == GroupStopPhase::kNone) return;
  // Linux prepare_signal(SIGCONT): a SIGCONT during an incomplete stop is
  // reported as if the stop had completed and the continue was lost.
  tg->cont_notify = true;
  tg->cont_interrupted = tg->stop_phase == GroupStopPhase::kInitiated;
  tg->cont_waitable = true;
  tg->reportable_since = seq_;
  if (tg->stop_waitable) {
    tg->stop_superseded_at = seq_;
    tg->superseded_stop_signal = tg->stop_signal;
  }
  tg->stop_waitable = false;
  tg->stop_phase = GroupStopPhase::kNone;
  tg->stop_count = 0;
  tg->tasks.ForEach([this](Task* t) {
    t->group_stop_acknowledged = false;
    ClearInternalStop(t, StopKind::kGroupStop);
  });
  Emit(RecordKind::kGroupContinued, tg->leader, tg->Parent(), tg->cont_interrupted ? 1 : 0, 0);
}

void Kernel::On(const GroupStop& o) {
  Task* t = Lookup(o.tid, "group stop");
  if (t == nullptr) return;
  ThreadGroup* tg = t->tg;
  if (t->exit_state != ExitState::kNone) {
    Diverge(t, nullptr, static_cast<std::int64_t>(t->exit_state), o.signo,
            fmt::format("exiting tid {} entered a group stop", o.tid.value));
    return;
  }
  if (tg->stop_phase == GroupStopPhase::kNone) {
    tg->stop_phase = GroupStopPhase::kInitiated;
    tg->stop_signal = o.signo;
    tg->stop_count = 0;
    tg->tasks.ForEach([](Task* u) { u->group_stop_acknowledged = false; });
    Emit(RecordKind::kGroupStopInitiated, t, nullptr, o.signo, 0);
  }
  if (!t->group_stop_acknowledged) {
    t->group_stop_acknowledged = true;
    ++tg->stop_count;
  }
  SetInternalStop(t, StopKind::kGroupStop);
  if (tg->stop_phase == GroupStopPhase::kInitiated && tg->stop_count >= tg->active_tasks) {
    CompleteGroupStop(tg, t);
  }
}

void Kernel::On(const GroupContinue& o) {
  Task* t = Lookup(o.tid, "group continue");
  if (t == nullptr) return;
  ContinueGroup(t->tg);
}

// Linux get_signal, after the tracer let the signal through: SIG_IGN
// discards it, a handler runs, and the default action is taken unless the
// signal is ignored by default, the receiver is a PID namespace's init
// (SIGNAL_UNKILLABLE: only SIGKILL and SIGSTOP act), or it is a terminal's
// stop signal in an orphaned process group (nobody could continue it).
Rule Kernel::DeliveryRule(const Task* t, const SignalDelivered& o) const {
  switch (o.disposition) {
    case SignalDisposition::kUnknown:
      return Rule::kNone;
    case SignalDisposition::kIgnore:
      return Rule::kSignalIgnored;
    case SignalDisposition::kHandler:
      return Rule::kSignalCaught;
    case SignalDisposition::kDefault:
      break;
  }
  const int sig = o.signo;
  if (abi::IsIgnoredByDefault(sig)) return Rule::kSignalIgnoredByDefault;
  if (IsNamespaceInit(t->tg) && sig != abi::kSIGKILL && sig != abi::kSIGSTOP)
    return Rule::kSignalDroppedByInit;
  if (abi::IsStopSignal(sig)) {
    const ProcessGroup* pg = t->tg->process_group;
    return sig != abi::kSIGSTOP && pg != nullptr && pg->IsOrphan()
               ? Rule::kSignalStopInOrphanedGroup
               : Rule::kSignalStops;
  }
  return abi::DumpsCoreByDefault(sig) ? Rule::kSignalDumpsCore : Rule::kSignalKills;
}

void Kernel::On(const SignalDelivered& o) {
  Task* t = Lookup(o.tid, "signal delivery");
  if (t == nullptr) return;
  Task* sender = nullptr;
  if (o.sender) {
    // si_pid: the sender as seen from the receiver's namespace (0 when it is
    // outside it).
    auto it = t->ns->tasks.find(o.sender.value);
    if (it != t->ns->tasks.end()) sender = it->second;
  }
  Emit(RecordKind::kSignalDelivered, t, sender, o.signo, o.code).rule = DeliveryRule(t, o);
  // A sender outside the workload (a user's kill) is still named, by its id.
  if (sender == nullptr && o.sender) out_.back().other_tid = o.sender;
  const ThreadGroupUid receiver = t->tg->uid;
  auto predicted = std::find_if(predictions_.begin(), predictions_.end(), [&](const Prediction& p) {
    return p.receiver == receiver && p.signo == o.signo;
  });
  if (predicted != predictions_.end()) predictions_.erase(predicted);
  // SIGCONT's side effect happened when it was sent: by delivery time any
  // group stop of the receiver is over.
  if (o.signo == abi::kSIGCONT) ContinueGroup(t->tg);
}

void Kernel::ReleaseVforkParent(Task* child) {
  Task* parent = child->vfork_parent;
  child->vfork_parent = nullptr;
  if (parent == nullptr) return;
  parent->vfork_child = nullptr;
  ClearInternalStop(parent, StopKind::kVfork);
}

void Kernel::On(const VforkDone& o) {
  Task* t = Lookup(o.parent, "vfork done");
  if (t == nullptr) return;
  if (t->vfork_child != nullptr) {
    ReleaseVforkParent(t->vfork_child);
  } else {
    ClearInternalStop(t, StopKind::kVfork);  // already released by exec or exit
  }
}

void Kernel::On(const TraceStop& o) {
  Task* t = Lookup(o.tid, "trace stop");
  if (t == nullptr) return;
  if (o.stopped) {
    SetInternalStop(t, StopKind::kTrace);
  } else {
    ClearInternalStop(t, StopKind::kTrace);
  }
}

void Kernel::On(const ExternalStop& o) {
  const int delta = o.stopped ? 1 : -1;
  if (!o.tid) {
    if (!o.stopped && task_set_stops_ == 0) {
      Diverge(nullptr, nullptr, 0, -1, "task set resumed without a pause");
      return;
    }
    task_set_stops_ += delta;
    for (auto& [uid, task] : tasks_) task->external_stops += delta;
    Emit(RecordKind::kStopChanged, nullptr, nullptr, static_cast<std::int64_t>(StopKind::kNone),
         task_set_stops_, "task set");
    return;
  }
  Task* t = Lookup(o.tid, "external stop");
  if (t == nullptr) return;
  if (!o.stopped && t->external_stops == 0) {
    Diverge(t, nullptr, 0, -1, fmt::format("tid {} resumed without a pause", o.tid.value));
    return;
  }
  t->external_stops += delta;
  Emit(RecordKind::kStopChanged, t, nullptr, static_cast<std::int64_t>(t->stop), t->external_stops);
}

}  // namespace sentry::kernel
