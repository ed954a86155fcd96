// Observer: the observe platform. Runs the workload without ptrace and feeds
// the model from the kernel's tracepoints (bpf/observe.bpf.c), read from one
// BPF ring buffer in the order its records were reserved (docs/design.md,
// "Tracepoint facts").
//
// What it sees: every clone (task_newtask), exec (sched_process_exec), exit
// (sched_process_exit, with the status and whether the whole group goes)
// and end (the thread's last switch, after exit_notify), wait
// (sched_process_wait at a blocking one's start, the sys_exit of
// wait4/waitid with what the caller got), setpgid, setsid, SIGCHLD's
// disposition, PR_SET_CHILD_SUBREAPER and PR_SET_PDEATHSIG (their
// sys_exits), each signal a task takes (signal_deliver), and each SIGCONT,
// fatal signal and child's CLD_STOPPED sent (signal_generate).
//
// Where the host's order is not the ring's, each is told when the host
// shows it:
// - A thread's end: at its last switch, or before a wait (or the sentry's
//   reap, or an ECHILD) that shows it past exit_notify (pending_ends_).
// - A group stop: the stop signal's delivery is seen, and the model's verdict
//   on it (Rule::kSignalStops); each thread's stop is told when the host
//   shows it complete (pending_stops_): a wait or the parent's CLD_STOPPED
//   reporting it, a SIGCONT that finds it complete or under way, /proc's
//   state T, read every millisecond while a stop is pending.
// - A fatal signal makes the group exit where it is sent (complete_signal):
//   the target's exit is told there (exit_told_).
//
// What it cannot do:
// - Hold a task: no --step, no freeze, no --max-tasks; the checks that need
//   a task held at a stop (the host's parent and group read from /proc at
//   that stop) are off.
// - See a failed clone, or a WNOHANG wait that found nothing (counted in the
//   program, not recorded: a poller in a loop would fill the ring), or the
//   order of events on different CPUs beyond the ring's reservation order.
// - Lose nothing when the ring is full: that is counted and said at the end.
//
// The shape is the ptrace tracer's: the sentry (subreaper), its session
// leader, the first process; the first process's exit ends the rest unless
// --wait-all. One thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "platform/bpf_ring.h"
#include "platform/observe_events.h"
#include "platform/platform.h"
#include "platform/tracer.h"
#include "platform/unique_fd.h"
#include "sentry/kernel/kernel.h"

namespace sentry::platform {

class Observer final : public Platform {
 public:
  Observer(kernel::Kernel& model, RunOptions options);
  ~Observer() override;
  Observer(const Observer&) = delete;
  Observer& operator=(const Observer&) = delete;

  int Run() override;
  int TerminationSignal() const override { return root_signal_; }
  bool AskedToEnd() const override { return asked_to_end_; }
  bool CanHold() const override { return false; }
  void RequestFreeze(bool /*frozen*/) override {}
  std::string_view Name() const override { return "observe"; }

 private:
  std::span<const kernel::Record> Apply(kernel::ObservationBody body);
  // Reads the ring to its end (or to a record another CPU is still writing:
  // then true) and tells the model each event.
  bool Drain();
  void Handle(ObservedEvent event);
  void OnClone(const kernel::Clone& clone);
  void OnExit(const ObservedExit& exit);
  // Tells the end of `tid`, if it began to exit and its end is not told.
  void TellPendingEnd(pid_t tid);
  // A wait (or the sentry's wait4) reported zombie `pid`: its end happened,
  // and so did its former parents' ends that handed it to the waiter.
  void TellEndsBeforeReap(pid_t pid);
  // A wait by `waiter` found none of them: its exiting children's ends
  // came first.
  void TellEndsOfChildren(kernel::ThreadId waiter);
  void OnWaitDone(const kernel::WaitDone& done);
  void OnSignal(const kernel::SignalDelivered& delivered);
  void OnContinue(const ObservedContinue& sigcont);
  void OnGroupExit(const ObservedGroupExit& exit);
  // The group stops of process `tgid`'s threads, inferred at the stop
  // signal's delivery, told now that the host shows them complete.
  void TellPendingStops(pid_t tgid);
  // Those of its threads that /proc shows stopped, once the ring is read.
  void TellStopsTheHostShows();
  // The sentry's own wait4: its children (the session leader) and the
  // orphans it adopted as subreaper. False once it has none left.
  bool ReapChildren();
  void RecordSentryReap(pid_t pid, int status);
  // The first process is gone: so goes the rest (not with --wait-all).
  void KillLeftovers();
  void OnSentrySignal(int signo);
  void SignalGroup(std::int32_t pgid, int signo, kernel::SignalCause why);
  void Warn(const std::string& message) const;

  kernel::Kernel& model_;
  RunOptions options_;
  std::unique_ptr<BpfObject> bpf_;
  pid_t self_ = 0;
  pid_t session_leader_ = 0;
  pid_t root_ = 0;  // the first process
  bool root_done_ = false;
  bool asked_to_end_ = false;
  int root_signal_ = 0;
  int exit_code_ = 0;
  bool exit_code_known_ = false;  // from the session leader's wait for the first process
  int interrupts_ = 0;
  UniqueFd exec_report_;
  UniqueFd release_;
  // Threads a stop signal's delivery is to stop (tid -> signal), not told
  // yet: the host's stop completes later (do_signal_stop), and a wait in
  // between sees nothing. Told when the host shows it (a wait reporting
  // it, the parent's CLD_STOPPED, SIGCONT finding the stop complete,
  // /proc's T), dropped if the thread exits or is continued first.
  std::unordered_map<pid_t, int> pending_stops_;
  // By process: the thread whose stop signal's delivery began its stop.
  std::unordered_map<pid_t, pid_t> stop_takers_;
  // Threads past their exit's start whose end is not told yet, with it.
  std::unordered_map<pid_t, kernel::ExitEnd> pending_ends_;
  // Threads whose exit was told at the fatal signal sent to them (the
  // group exit began there): their own exit record tells only the end.
  std::unordered_set<pid_t> exit_told_;
  std::uint64_t observations_ = 0;
};

}  // namespace sentry::platform
