// wait4/waitid: which children a wait may report, and checking the host's
// answer against it (gVisor Task.waitOnce; Linux kernel/exit.c
// wait_consider_task, which is the reference where the two differ).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "sentry/kernel/abi.h"
#include "sentry/kernel/kernel.h"

namespace sentry::kernel {
namespace {

const char* EventName(WaitEvent e) {
  switch (e) {
    case WaitEvent::kExit:
      return "exit";
    case WaitEvent::kStop:
      return "stop";
    case WaitEvent::kContinue:
      return "continue";
  }
  return "?";
}

bool IsExitCode(int code) {
  return code == abi::kCLD_EXITED || code == abi::kCLD_KILLED || code == abi::kCLD_DUMPED;
}

// Since when a wait could see `child`'s event: the later of the event
// itself and the child's arrival among the waiter's children. Linux
// do_wait walks the children list once per wake-up, so a child adopted
// while the wait ran may or may not be in the walk.
std::uint64_t VisibleSince(const Task* child) {
  return std::max(child->tg->reportable_since, child->child_since);
}

WaitCandidate ExitCandidate(const Task* child, std::int32_t pid, const ExitStatus& es) {
  WaitCandidate c{
      .task = child->uid, .pid = pid, .event = WaitEvent::kExit, .since = VisibleSince(child)};
  if (es.Signaled()) {
    c.code = es.core ? abi::kCLD_DUMPED : abi::kCLD_KILLED;
    c.status = es.signo;
  } else {
    c.code = abi::kCLD_EXITED;
    c.status = es.code;
  }
  c.wait_status = es.WaitStatus();
  return c;
}

// What the model holds against a wait that found nothing to report (a
// WNOHANG wait's 0), if anything.
struct Objection {
  std::int64_t model = 0;
  std::string detail;
};
std::optional<Objection> AgainstNothingToReport(const WaitPrediction& p) {
  if (p.echild && !p.eligible_during_wait) {
    return Objection{.model = -abi::kECHILD,
                     .detail = "wait: host found children to wait for, the model predicted ECHILD"};
  }
  const auto c = std::find_if(p.candidates.begin(), p.candidates.end(),
                              [](const WaitCandidate& w) { return w.certain; });
  if (c == p.candidates.end()) return std::nullopt;
  return Objection{
      .model = c->pid,
      .detail = fmt::format("wait: host had nothing to report, the model had the {} of pid {}",
                            EventName(c->event), c->pid)};
}

}  // namespace

WaitPrediction Kernel::WaitOnce(const Task* waiter, const WaitRequest& request) const {
  WaitPrediction out;
  const std::uint32_t opts = request.options;
  const PidNamespace* ns = waiter->tg->ns;
  std::int32_t want_pgid = request.id;
  if (request.idtype == abi::kP_PGID && want_pgid == 0) {
    want_pgid = IdIn(waiter->tg->process_group->ids, waiter->tg->process_group->ns, ns);
  }
  // Linux do_wait walks the children under tasklist_lock, which setpgid,
  // setsid and reparenting take too: a change made while the wait ran came
  // before or after its walk.
  const auto during_wait = [&](std::uint64_t since) {
    return waiter->wait_started != 0 && since >= waiter->wait_started;
  };
  auto consider = [&](const Task* child) {
    const ThreadGroup* ctg = child->tg;
    const std::int32_t pid = IdIn(child->ids, child->ns, ns);
    // A pidfd names one child, as a pid does (Linux kernel_waitid: PIDTYPE_PID).
    if ((request.idtype == abi::kP_PID || request.idtype == abi::kP_PIDFD) && pid != request.id) {
      return;
    }
    if (request.idtype == abi::kP_PGID &&
        IdIn(ctg->process_group->ids, ctg->process_group->ns, ns) != want_pgid) {
      if (during_wait(ctg->pgrp_since)) out.eligible_during_wait = true;
      return;
    }
    const bool certain = !during_wait(child->child_since) &&
                         !(request.idtype == abi::kP_PGID && during_wait(ctg->pgrp_since));
    // Joining the group a P_PGID wait names is as late as becoming a child.
    const std::uint64_t since = request.idtype == abi::kP_PGID
                                    ? std::max(VisibleSince(child), ctg->pgrp_since)
                                    : VisibleSince(child);
    // "A clone child is one which delivers no signal, or a signal other than
    // SIGCHLD to its parent upon termination." - wait(2)
    if ((opts & abi::kWALL) == 0 &&
        ((ctg->termination_signal != abi::kSIGCHLD) != ((opts & abi::kWCLONE) != 0))) {
      return;
    }
    if (child->exit_state == ExitState::kZombie && ctg->tasks_count == 1) {
      // A reapable zombie: without WEXITED it does not even count as eligible.
      if ((opts & abi::kWEXITED) == 0) {
        if (during_wait(VisibleSince(child))) out.eligible_during_wait = true;
        return;
      }
      out.eligible.push_back(pid);
      out.eligible_certain = out.eligible_certain || certain;
      // Linux reports the group exit code when the group exited as a whole.
      out.candidates.push_back(
          ExitCandidate(child, pid, ctg->exiting ? ctg->exit_status : child->exit_status));
      out.candidates.back().since = since;
      return;
    }
    out.eligible.push_back(pid);  // live, or a zombie leader with live threads
    out.eligible_certain = out.eligible_certain || certain;
    if ((opts & abi::kWSTOPPED) != 0 && ctg->stop_waitable) {
      out.candidates.push_back(
          WaitCandidate{.task = child->uid,
                        .pid = pid,
                        .event = WaitEvent::kStop,
                        .code = abi::kCLD_STOPPED,
                        .status = ctg->stop_signal,
                        .wait_status = (static_cast<std::uint32_t>(ctg->stop_signal) << 8) | 0x7fU,
                        .since = since});
    }
    // Linux complete_signal and do_group_exit set signal->flags to
    // SIGNAL_GROUP_EXIT alone, dropping SIGNAL_STOP_CONTINUED, which
    // wait_task_continued looks at: no continue is reportable once the
    // group exits.
    if ((opts & abi::kWCONTINUED) != 0 && ctg->cont_waitable && !ctg->exiting) {
      out.candidates.push_back(WaitCandidate{.task = child->uid,
                                             .pid = pid,
                                             .event = WaitEvent::kContinue,
                                             .code = abi::kCLD_CONTINUED,
                                             .status = abi::kSIGCONT,
                                             .wait_status = 0xffffU,
                                             .since = since});
    }
  };
  // Without __WNOTHREAD a thread waits for the children of every thread in
  // its group.
  if ((opts & abi::kWNOTHREAD) != 0) {
    waiter->children.ForEach(consider);
  } else {
    waiter->tg->tasks.ForEach([&](const Task* t) { t->children.ForEach(consider); });
  }
  // A child that left the waiter's children during the wait (reaped by a
  // fellow thread's wait, or handed to another parent) may have been in
  // its walk all the same: Linux release_task and reparenting change the
  // children under tasklist_lock taken for writing, do_wait walks them
  // under it taken for reading, so the walk came before or after.
  if (during_wait(waiter->tg->child_left_at)) out.eligible_during_wait = true;
  out.echild = out.eligible.empty();
  for (WaitCandidate& c : out.candidates) {
    c.certain = waiter->wait_started == 0 || c.since < waiter->wait_started;
    // Linux counts a thread into a group stop until it is PF_EXITING, which
    // it becomes only after its exit event stop (exit_signals then completes
    // the stop for it). The model leaves a thread whose exit event it has
    // seen out of the stop: on the host that stop may not be complete yet.
    if (c.event == WaitEvent::kStop && c.certain) {
      const Task* child = FindByUid(c.task);
      bool exiting_thread = false;
      if (child != nullptr) {
        child->tg->tasks.ForEach([&](const Task* u) {
          exiting_thread = exiting_thread || u->exit_state == ExitState::kInitiated;
        });
      }
      if (exiting_thread) c.certain = false;
    }
  }
  return out;
}

void Kernel::On(const WaitStart& o) {
  Task* t = Lookup(o.tid, "wait");
  if (t == nullptr) return;
  t->sleeping = (o.request.options & abi::kWNOHANG) == 0;
  t->wait_started = seq_;
  const ProcessGroup* own = t->tg->process_group;
  t->wait_own_pgid = o.request.idtype == abi::kP_PGID && o.request.id == 0
                         ? IdIn(own->ids, own->ns, t->tg->ns)
                         : 0;
}

void Kernel::On(const WaitDone& o) {
  Task* t = Lookup(o.tid, "wait result");
  if (t == nullptr) return;
  t->sleeping = false;
  const WaitPrediction predicted = WaitOnce(t, o.request);
  // Its own group moved while the wait ran (another process's setpgid): the
  // wait looks at the group it was in at its entry, which the tracer sees
  // only as somewhere between the wait's seccomp stop and its result, so
  // before or after the move. The prediction for the group it left:
  std::optional<WaitPrediction> before_move;
  if (o.request.idtype == abi::kP_PGID && o.request.id == 0 && t->wait_started != 0 &&
      t->wait_own_pgid != 0 && t->tg->pgrp_since >= t->wait_started) {
    WaitRequest named = o.request;
    named.id = t->wait_own_pgid;
    before_move = WaitOnce(t, named);
  }
  const std::uint64_t started = std::exchange(t->wait_started, 0);
  t->wait_own_pgid = 0;
  // The host decides somewhere between the wait's entry and its result: what
  // became reportable in between it may or may not have seen.
  const auto during_wait = [started](std::uint64_t since) {
    return started != 0 && since >= started;
  };
  // Interrupted waits are restarted or fail without reporting anything.
  if (o.result == -abi::kERESTARTSYS || o.result == -abi::kEINTR) return;
  if (o.result < 0) {
    Emit(RecordKind::kWaitReturned, t, nullptr, o.result, 0);
    if (o.result == -abi::kECHILD && predicted.eligible_certain &&
        (!before_move || before_move->eligible_certain)) {
      const std::int32_t first = predicted.eligible.front();
      auto found = t->tg->ns->tasks.find(first);
      Diverge(t, found != t->tg->ns->tasks.end() ? found->second : nullptr,
              static_cast<std::int64_t>(predicted.eligible.size()), o.result,
              fmt::format("wait: host returned ECHILD but the model has eligible children: pid {}",
                          fmt::join(predicted.eligible, ", pid ")));
    }
    return;
  }
  if (o.result == 0) {
    Emit(RecordKind::kWaitReturned, t, nullptr, 0, 0);
    const auto objection = AgainstNothingToReport(predicted);
    if (objection && (!before_move || AgainstNothingToReport(*before_move))) {
      Diverge(t, nullptr, objection->model, 0, objection->detail);
    }
    return;
  }
  // The host reported a child: it must be one the model considers waitable.
  const auto pid = static_cast<std::int32_t>(o.result);
  auto task_it = t->tg->ns->tasks.find(pid);
  Task* child = task_it != t->tg->ns->tasks.end() ? task_it->second : nullptr;
  auto same_pid = std::find_if(predicted.candidates.begin(), predicted.candidates.end(),
                               [&](const WaitCandidate& c) { return c.pid == pid; });
  // Without a status pointer the host names the child but not the event:
  // take the model's.
  int code = o.code;
  int status = o.status;
  if (code == 0 && same_pid != predicted.candidates.end()) {
    code = same_pid->code;
    status = same_pid->status;
  }
  Emit(RecordKind::kWaitReturned, t, child, o.result, code);
  // A child whose exit became waitable, or whose group exit began, only
  // during the wait hides its stop or continue from the model's candidates;
  // the host may have looked first.
  const bool stop_before_exit =
      child != nullptr &&
      ((child->exit_state == ExitState::kZombie && during_wait(child->tg->reportable_since)) ||
       (child->tg->exiting && during_wait(child->tg->exiting_since))) &&
      ((code == abi::kCLD_STOPPED && child->tg->stop_waitable &&
        status == child->tg->stop_signal) ||
       (code == abi::kCLD_CONTINUED && child->tg->cont_waitable && status == abi::kSIGCONT));
  // A stop or continue superseded (a continue ended the stop, a new stop
  // or the group exit ended the continue) during the wait: Linux
  // wait_task_stopped/continued read the flags when the walk reaches the
  // child, which may have been before.
  const bool superseded_during_wait =
      child != nullptr &&
      ((code == abi::kCLD_STOPPED && during_wait(child->tg->stop_superseded_at) &&
        status == child->tg->superseded_stop_signal) ||
       (code == abi::kCLD_CONTINUED && during_wait(child->tg->cont_superseded_at) &&
        status == abi::kSIGCONT));
  const auto reports_it = [&](const WaitPrediction& p) {
    return std::any_of(p.candidates.begin(), p.candidates.end(), [&](const WaitCandidate& c) {
      return c.pid == pid && c.code == code && c.status == status;
    });
  };
  // A child that left the process group a P_PGID wait names while the wait
  // ran may have been in the walk all the same (the walk and setpgid/setsid
  // both take tasklist_lock): judge it as if the wait had named it.
  const bool left_group_during_wait = child != nullptr && o.request.idtype == abi::kP_PGID &&
                                      during_wait(child->tg->pgrp_since) && [&] {
                                        WaitRequest named = o.request;
                                        named.idtype = abi::kP_PID;
                                        named.id = pid;
                                        return reports_it(WaitOnce(t, named));
                                      }();
  const bool matched = stop_before_exit || superseded_during_wait || left_group_during_wait ||
                       reports_it(predicted) || (before_move && reports_it(*before_move));
  if (!matched) {
    Diverge(
        t, child, same_pid != predicted.candidates.end() ? same_pid->code : 0, code,
        same_pid != predicted.candidates.end()
            ? fmt::format("wait: pid {} reported code {} status {}; model had code {} status {}",
                          pid, code, status, same_pid->code, same_pid->status)
            : fmt::format("wait: pid {} reported code {} status {}; model had no such event", pid,
                          code, status));
  }
  if (child == nullptr || (o.request.options & abi::kWNOWAIT) != 0) return;
  ThreadGroup* ctg = child->tg;
  // A process is never its own child (Linux do_wait walks the caller's
  // children): a report naming the waiter's own process consumes nothing of
  // it, only the divergence above (and forcing its exit would free the
  // waiter under this call).
  if (ctg == t->tg) return;
  if (code == abi::kCLD_STOPPED) {
    ctg->stop_waitable = false;
    return;
  }
  if (code == abi::kCLD_CONTINUED) {
    ctg->cont_waitable = false;
    return;
  }
  if (!IsExitCode(code)) return;
  // The host reaped it. If the model still had live threads there, the host
  // is right: finish them first.
  if (!child->IsLeader()) child = ctg->leader;
  if (child == nullptr) return;
  ExitStatus host_status;
  if (code == abi::kCLD_EXITED) {
    host_status.code = status;
  } else {
    host_status.signo = status;
    host_status.core = code == abi::kCLD_DUMPED;
  }
  child = ForceExitGroup(ctg, host_status);
  if (child == nullptr) return;  // released on the way
  ctg = child->tg;
  // RUSAGE_CHILDREN gains the child, its exited threads and its own children.
  Usage reaped = child->usage;
  reaped.Accumulate(ctg->exited_usage);
  reaped.Accumulate(ctg->child_usage);
  t->tg->child_usage.Accumulate(reaped);
  Reap(child, ReapCause::kWait, t);
}

std::optional<WaitPrediction> Kernel::PredictWait(ThreadId waiter,
                                                  const WaitRequest& request) const {
  std::shared_lock lock(mu_);
  auto it = root_ns_->tasks.find(waiter.value);
  if (it == root_ns_->tasks.end()) return std::nullopt;
  return WaitOnce(it->second, request);
}

}  // namespace sentry::kernel
