// Observer: the observe platform. Runs the workload without ptrace and feeds
// the model from the kernel's tracepoints (bpf/observe.bpf.c), read from one
// BPF ring buffer in the order its records were reserved.
//
// What it sees: every clone (task_newtask), exec (sched_process_exec), exit
// (sched_process_exit, with the status and whether the whole group goes),
// wait (sched_process_wait at its start, the sys_exit of wait4/waitid with
// the status the caller got), setpgid, setsid, SIGCHLD's disposition,
// PR_SET_CHILD_SUBREAPER and PR_SET_PDEATHSIG (their sys_exits), each
// signal a task takes (signal_deliver) and each SIGCONT sent
// (signal_generate).
//
// What it cannot see, and so does differently from the ptrace tracer:
// - It holds nothing: no --step, no freeze, no --max-tasks; the checks that
//   need a task held at a stop (the host's parent and group read from /proc
//   at that stop) are off.
// - A thread's exit and its end (exit_notify) are one event: the tracepoint
//   fires before exit_notify, which follows without a wait.
// - A group stop: only the signal's delivery is seen; the model's verdict on
//   it (Rule::kSignalStops) stands for the stop of every thread, whose
//   joining no tracepoint shows.
// - Failed clones (no task_newtask), and the order of events on different
//   CPUs beyond the ring's reservation order.
// - A full ring loses records: counted (Dropped) and said at the end.
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
