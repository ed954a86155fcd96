// Tracer: runs the workload under ptrace and feeds what it sees to the model.
//
// One thread: a signalfd (SIGCHLD and the signals the sentry forwards) wakes
// the loop, which drains wait4(-1, __WALL | WNOHANG) and turns each ptrace
// stop into Observations for Kernel::Apply. It decides nothing about
// semantics; the model does.
#pragma once

#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/user.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "platform/caught_signals.h"
#include "platform/doorbell.h"
#include "platform/hold_point.h"
#include "platform/job_front.h"
#include "platform/launcher.h"
#include "platform/platform.h"
#include "platform/pty_relay.h"
#include "platform/seccomp_filter.h"
#include "platform/stop_facts.h"
#include "platform/terminal.h"
#include "sentry/kernel/consumer.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/observation.h"

namespace sentry::platform {

// Syscall results the kernel restarts: not final (see DESIGN: ptrace facts).
inline bool IsRestart(std::int64_t result) {
  return result <= -512 && result >= -516;
}

// Every task stops at clone, exec and exit; seccomp traps stop too.
inline constexpr unsigned long kTracerPtraceOptions =
    PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACEVFORKDONE |
    PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT | PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACESECCOMP |
    PTRACE_O_EXITKILL;

// How long a child may wait at its first stop for its creator's clone event
// before it is taken for adopted (the event normally follows in
// microseconds). Told then as its parent's child, as the late event would
// tell it (which is then ignored); a creator the model does not know yet
// is told first (AnnounceOverdueChildren).
inline constexpr std::chrono::milliseconds kHeldChildPatience{50};
// How long a held child waits before the tracer looks for its creator in
// /proc (costly on every thread creation; the clone event usually comes
// first, and then nobody needs to look).
inline constexpr std::chrono::milliseconds kHeldChildGrace{1};
// How long AwaitReport waits for a report the host owes: far beyond what
// any report takes, even on a loaded machine; a bound, not a timing.
inline constexpr std::chrono::milliseconds kAwaitLimit{5000};
// How late a creator's clone event may come after its child was told
// without it: under load, hundreds of milliseconds. A later clone event
// naming that tid is a new child's. (Reusing a tid within it would take
// pid_max forks in a second: 32,768 here, more than the tracer sees.)
inline constexpr std::chrono::milliseconds kLateCloneEventLimit{1000};
// How long a task AwaitReport waits for may show a ptrace stop with nothing
// to collect before that is taken to mean its report was collected already.
inline constexpr std::chrono::milliseconds kTakenReportGrace{100};

// Tasks of the sentry's own in the model, not the workload's: the sentry and
// its session leader (--max-tasks and the counts leave them out).
inline constexpr std::uint64_t kSentryTasks = 2;

struct RunOptions {
  std::vector<std::string> argv;
  bool verbose = false;
  bool wait_all = false;      // wait for every task, not just the first process
  std::size_t max_tasks = 0;  // refuse clones beyond this many live tasks (0: no limit)
  bool pidns = false;         // the workload in a new PID namespace, its first process pid 1
  bool terminal = false;      // give the workload a pty of its own (stdin must be a tty)
  // Take what tracepoints tell before a stop (stop_facts.h) over reading
  // ptrace and /proc at it, when BPF can be loaded.
  bool stop_facts = true;
  // Follow the workload through BPF tracepoints, without ptrace (observer.h).
  bool observe = false;
  // Handed each observation and its records, in order, on the tracer thread.
  std::vector<kernel::RecordConsumer*> consumers;
  // Asked between reports whether to hold the workload (--step); may be null.
  HoldPoint* holder = nullptr;
  // With a terminal: the job's front (job_front.h), which holds the user's
  // terminal and its keystrokes and stops as the job; null: the sentry does.
  const JobFront* front = nullptr;
};

class Tracer final : public Platform {
 public:
  Tracer(kernel::Kernel& model, RunOptions options);
  ~Tracer() override;
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  int Run() override;
  int TerminationSignal() const override { return root_signal_; }
  bool AskedToEnd() const override { return asked_to_end_; }
  bool CanHold() const override { return true; }
  // The loop acts at once (tracer_freeze.cc).
  void RequestFreeze(bool frozen) override;
  std::string_view Name() const override { return "ptrace"; }

 private:
  // Per-tid ptrace bookkeeping (the model holds the semantics).
  struct TaskState {
    pid_t tgid = 0;
    bool known = false;  // the model has been told about this task
    pid_t creator = 0;   // held: the process that cloned it (from /proc; 0: not looked yet)
    bool saw_first_stop = false;  // auto-attached tasks start with an EVENT_STOP
    std::uint64_t reports = 0;    // reports of it handled (AwaitReport watches it)
    int first_stop_signal = 0;    // held: its first stop's (a stop signal: a group stop's)
    // Resumed from its first stop before the model knew it (OnEventStop):
    // its clone's flags were read there, and a later stop is held with its
    // report kept here until the model knows it (TellClone handles it then).
    bool ran_unknown = false;
    std::optional<int> held_report;
    bool listening = false;     // in a group stop, resumed with PTRACE_LISTEN
    bool exit_pending = false;  // resume with PTRACE_SYSCALL to see the result
    bool wait_told = false;     // its wait's exit stop, in hand, was told early (TellWaitInHand)
    // Its setpgid's exit stop, in hand, was told early (TellSetPgidInHand).
    bool setpgid_told = false;
    // Its exec event or setsid exit stop, in hand, was read early and its
    // change held in unapplied_ for a racing setpgid (TellTargetInHand).
    bool change_told = false;
    bool clone_refused = false;  // --max-tasks: the clone was skipped; make it EAGAIN
    // Leader: another task's setpgid moved its group; its next fork may have
    // come first (its child's group is read from /proc).
    bool moved_by_other = false;
    // Resumed from a signal-delivery stop with a signal that ends it.
    bool dying_of_signal = false;
    // In a signal-delivery stop for this signal, being handled (0: not).
    int taking_signal = 0;
    // Resumed with a stop signal, no report since: on its way into a group
    // stop the model has not seen yet (Forward).
    bool stopping = false;
    Trap trap{};  // the syscall whose exit we wait for
    std::uint64_t args[6] = {};
    std::uint64_t clone_flags = 0;
    int clone_exit_signal = 0;
    kernel::WaitRequest wait_request;
    // Held: since when (its clone event is overdue after kHeldChildPatience).
    std::chrono::steady_clock::time_point held_since;
  };

  void Apply(kernel::ObservationBody body);
  // The process of thread `tid` the tracer follows (`tid` if it follows none).
  pid_t TgidOf(pid_t tid) const;
  // The tids the tracer follows in process `tgid` (a copy: collecting
  // reports changes tasks_).
  std::vector<pid_t> ThreadsOf(pid_t tgid) const;
  // Checks the model's reparenting against the host's ppid (/proc).
  void CheckNewParents();
  void HandleStatus(pid_t pid, int status, const ::rusage& usage);
  // Killed while it ran unknown (or out of the stop held for it): told as
  // its creator's, read at its first stop, before its exit is.
  void TellRanUnknown(pid_t pid, TaskState& st);
  // A stop report of `pid` (not an exit) to the handler of its kind.
  void DispatchStop(pid_t pid, TaskState& st, int status);
  // wait4(who, __WALL | options) (retried on EINTR) and handles the report;
  // returns what wait4 returned (errno set when negative), and the status
  // in `status_out` if given.
  pid_t CollectReport(pid_t who, int options, int* status_out = nullptr);
  void OnExited(pid_t pid, int status, const ::rusage& usage);
  // The sentry's own wait4(-1, __WALL) reaped `pid` (its child or adoptee).
  void RecordSentryReap(pid_t pid, int status);
  // `pid`'s exit report (status) was just applied: notes whether that wait4
  // was the sentry reaping it, to be recorded once the model agrees.
  // `parent_at_report`: its parent in the model when the report came.
  void NoteSentryReap(pid_t pid, int status, pid_t parent_at_report);
  // The sentry's wait4 reaped zombie `pid`, whose parent in the model is
  // still `model_parent`: that parent's exit is collected first if it can
  // be, and the reap is recorded once the model agrees.
  void SettleSentryReap(pid_t pid, pid_t model_parent, int status);
  // Records the noted reaps the model now agrees with (the zombie is the
  // sentry's child) and forgets those it never will (someone else reaped it).
  void SettleSentryReaps();
  // Whether the model still has zombie `pid` waiting for a workload parent
  // (its wait or its exit): a noted reap of it is not settled yet.
  bool AwaitsWorkloadParent(pid_t pid) const;
  // PTRACE_GETEVENTMSG for the `event` stop `pid` is in; nullopt if it is no
  // longer in that stop (killed out of it).
  static std::optional<unsigned long> EventMessage(pid_t pid, int event);
  void OnSeccomp(pid_t pid, TaskState& st);
  void OnSyscallExit(pid_t pid, TaskState& st);
  // A trapped wait's exit stop: its result told, after the catch-ups that
  // must come first. False if the task went away meanwhile (its exit event
  // settled the wait).
  bool TellWaitExit(pid_t pid, TaskState& st, const user_regs_struct& regs);
  // What `pid`'s trapped wait4/waitid returned, from `regs` (read at its
  // exit stop, or at its exit event when a fatal signal skipped that stop)
  // and the status or siginfo it wrote.
  kernel::WaitDone ReadWaitResult(pid_t pid, const TaskState& st,
                                  const user_regs_struct& regs) const;
  void OnNewTask(pid_t pid, TaskState& st, int event);
  // Tells the model of `child`, cloned by `parent` (of group `parent_tgid`),
  // and lets it run if it was held at its first stop. `host_pgid`: the
  // process group the host shows it in, when told without its creator
  // (adopted; 0: its creator's).
  void TellClone(pid_t parent, pid_t parent_tgid, pid_t child, std::uint64_t flags, int exit_signal,
                 std::int32_t host_pgid = 0);
  // The flags and exit signal of the clone/clone3/fork/vfork `pid` is in;
  // false (and `st` unchanged) if clone3's arguments could not be read.
  bool DecodeClone(pid_t pid, const user_regs_struct& regs, TaskState& st) const;
  // From the stop fact of the clone that made `child`: its flags and exit
  // signal into `st`, and its creator's process returned; 0 (and `st`
  // unchanged) if there is no fact to go by.
  pid_t CloneFromFact(pid_t child, TaskState& st) const;
  // When the clone's registers or arguments are out of reach: what the host
  // shows of `child` (a thread, or a process taken for a fork's).
  static void CloneFromHost(pid_t child, TaskState& st);
  // The new task's tid from `pid`'s clone event stop (flags decoded into
  // `st` too); nullopt if a SIGKILL took it out of that stop first.
  std::optional<unsigned long> CloneEventMessage(pid_t pid, int event, TaskState& st);
  void OnExec(pid_t pid);
  // Tells the model `former_tid` exec'd and is now `pid`.
  void TellExec(pid_t pid, pid_t former_tid);
  // TellExec's bookkeeping alone: `pid` (the exec'ing thread's tid now)
  // takes `former_tid`'s state; its entry is returned.
  TaskState& NoteExec(pid_t pid, pid_t former_tid);
  // The exec as the host shows it now: names and owner from /proc.
  kernel::Exec ReadExec(pid_t pid, pid_t former_tid) const;
  // A setpgid's target whose exec event or setsid exit stop is in hand up
  // the stack (collected, not yet told: DrainExits or a catch-up collected
  // the setpgid meanwhile): that change is read now and held in unapplied_,
  // for CatchUpBeforeSetPgid to order against the setpgid. False if the
  // target has no such report in hand.
  bool TellTargetInHand(pid_t target);
  // `pid`'s exit event came twice: finds the thread whose exec took its tid
  // unreported (killed before its exec event) and tells that exec first.
  void CatchUpSkippedExec(pid_t pid);
  // The non-leader whose exec took `pid` (its leader's tid) when no exec
  // event message says so; nullopt when none can be told.
  std::optional<pid_t> ThreadThatExeced(pid_t pid) const;
  void OnExitEvent(pid_t pid, TaskState& st);
  void OnEventStop(pid_t pid, TaskState& st, int sig);
  // A group-stop trap: told, and kept stopped with PTRACE_LISTEN.
  void EnterGroupStop(pid_t pid, TaskState& st, int sig);
  // Out of a new task's first stop (held until its clone was told).
  void LeaveFirstStop(pid_t pid, TaskState& st, int sig);
  // The tgid of the process that created `pid`: its own group for a thread,
  // else its parent.
  static pid_t CreatorOf(pid_t pid);
  // `tid` of group `tgid` is exiting: its clones that never got their event
  // are told to the model now, before its exit.
  void AnnounceUnnamedChildren(pid_t tid, pid_t tgid);
  // Tells the model of held `child`, made by `parent` (of `parent_tgid`), or
  // by its adopter if that creator's exit is over (or `adopted`: `parent`
  // adopted it, its creator killed inside clone), and lets it run.
  void AnnounceHeldChild(pid_t child, pid_t parent, pid_t parent_tgid, bool adopted = false);
  // Held children past kHeldChildGrace: their creator is looked up, and if it
  // is gone or dying they are told now; past kHeldChildPatience they were
  // adopted: told now, unless their creator is still to be told itself.
  void AnnounceOverdueChildren();
  // Whether `creator` (root id) is alive but not told to the model yet: a
  // child it made waits until it is (its clone event is held with it).
  bool CreatorToldFirst(pid_t creator) const;
  // Held `child`'s creator, looked up in /proc the first time it is needed.
  pid_t HeldCreator(pid_t child);
  // `pid` reached its exit event unknown to the model (killed before its
  // first stop, its creator killed inside clone): told as a clone now.
  void AnnounceUnseenTask(pid_t pid);
  // `child` is told without its creator's clone event (told_before_event_).
  void NoteToldBeforeEvent(pid_t child);
  // A thread of group `tgid` the model has not seen finish its exit,
  // `preferred` if it is one; 0 if none.
  pid_t ThreadLeftIn(pid_t tgid, pid_t preferred) const;
  void OnSignal(pid_t pid, TaskState& st, int sig);
  // Tells the model of the signal-delivery stop and lets the signal through.
  void OnSignalFrom(pid_t pid, TaskState& st, int sig, const siginfo_t& si);
  // SIGCHLD's disposition in the model's process of `pid`; nullopt if unknown.
  std::optional<kernel::SignalDisposition> ModelsSigChldDisposition(pid_t pid) const;
  // Lets a task go on from its ptrace stop (with `sig` delivered); while the
  // workload is frozen the task is parked instead, a dying one aside.
  void Resume(pid_t pid, const TaskState& st, int sig = 0);
  // tracer_freeze.cc: acts on RequestFreeze from the event loop.
  void OnFreezeRequest();
  // Holds the workload if the holder (--step) asks (tracer_freeze.cc);
  // true when a request (a signal to the sentry) waits to be seen to first.
  bool HoldIfAsked();
  // Collects stops already pending for `pid` (waitpid(-1) reports tracees out
  // of order; a wait result must be checked against up-to-date state), or
  // only until `settled` (if given) holds.
  void DrainPending(pid_t pid, const std::function<bool()>& settled = {});
  // DrainPending for every task the tracer follows.
  void DrainAllPending();
  // Collects the exit reports of tasks past PTRACE_EVENT_EXIT first: their
  // exit (reparenting, orphaned-group signals) happened before anything
  // another task shows us now.
  void DrainExits(pid_t except);
  // A parent's wait reported a stop/continue of `child` that the model has
  // not seen yet: the child is about to report it; wait for that.
  void AwaitChildEvent(pid_t waiter, pid_t child, const kernel::WaitDone& done);
  // waitid(P_PIDFD) names its child by a descriptor of `pid`'s: the request
  // gets the pid it refers to and the pidfd's nonblocking flag.
  void ResolvePidfd(pid_t pid, kernel::WaitRequest& request) const;
  // `waiter`'s wait returned a child: collects what the model must see first.
  void OnWaitResult(pid_t waiter, const TaskState& st, const kernel::WaitDone& done);
  // Collects the reports of group `tgid`'s threads until `settled` (at most
  // a few), blocking only for a thread that must report next.
  void CatchUpWithGroup(pid_t tgid, const std::function<bool()>& settled);
  // Of `threads`, one the host shows on its way into a stop it will report:
  // woken out of PTRACE_LISTEN, or dying; 0 if none.
  pid_t ThreadOnItsWay(const std::vector<pid_t>& threads);
  // `waiter`'s WNOHANG wait found nothing while the model has a stop or
  // continue it should have found: collects the reports of a child that the
  // host shows woken (SIGKILL, SIGCONT) before the model judges.
  void CatchUpBeforeNothing(pid_t waiter, const kernel::WaitDone& done);
  // ---- setpgid racing the process it names (tracer_setpgid_races.cc).
  // A setpgid told after the setsid of the process it names (or now).
  struct HeldSetPgid {
    pid_t caller = 0;
    pid_t caller_tgid = 0;
    kernel::SetPgid body;
  };
  // `caller`'s setpgid returned `result`: told to the model in the order
  // the host ran it and the named process's own setsid or exec.
  void OnSetPgidExit(pid_t caller, const TaskState& st, std::int64_t result);
  void TellSetPgid(const HeldSetPgid& told);
  // The process `caller`'s trapped setpgid names (root tgid), if known.
  std::optional<pid_t> SetPgidTarget(pid_t caller) const;
  // Tells `change` (process tgid's exec or setsid), ordered with any other
  // process's setpgid naming tgid that is on its way to its exit stop: the
  // host may have run either first, and the setpgid's result says which.
  void ApplyAfterRacingSetPgids(pid_t tgid, kernel::ObservationBody change);
  // Tells tgid's change held back by ApplyAfterRacingSetPgids, if any.
  void ApplyUnapplied(pid_t tgid);
  // A setter whose report is in hand up the stack (its handler's prologue
  // collected the change it races, DrainExits taking an exec event) cannot
  // be collected: if it is at its setpgid's exit stop, its result is told
  // now, ordered with the held change, and its handler tells it no more.
  void TellSetPgidInHand(pid_t setter);
  // `caller`'s setpgid got `result`, which the model does not predict: the
  // target's own setsid/setpgid/exec, done first on the host, may not be
  // told yet; tells or collects it.
  void CatchUpBeforeSetPgid(const HeldSetPgid& told);
  // Whether the model predicts the result this setpgid got.
  bool SetPgidAgrees(const HeldSetPgid& told) const;
  // Whether `change` (a setsid, exec or setpgid of the process `setpgid`
  // names) ran before `setpgid` on the host, given both results.
  bool HeldChangeCameFirst(const kernel::ObservationBody& change, const HeldSetPgid& setpgid,
                           bool setpgid_agrees_now) const;
  // `child` of group `parent_tgid` is about to be told: if the host put it
  // in a group other than its creator's in the model, a setpgid that moved
  // the creator before the fork is collected first.
  void CatchUpBeforeClone(pid_t parent_tgid, pid_t child);
  // Whether `tid` is between a trapped setsid/setpgid and its exit stop.
  bool OnItsWayFromSessionCall(pid_t tid) const;
  // Whether the host shows `tid` past exec's point of no return, its exec
  // event not yet seen.
  bool OnItsWayFromExec(pid_t tid) const;
  // ---- Threads of one process waiting for the same child
  // (tracer_fellow_waiters.cc). Linux lets one wait take a child's exit,
  // stop or continue; the host ran the waits in one order, the tracer may
  // collect their results in another.
  // `waiter`'s wait found nothing (ECHILD, or 0 under WNOHANG) where the
  // model has a child's event it should have found: a fellow thread's wait,
  // whose result is still to come, or a poll let through at its entry, took
  // it first. Their results are told first.
  void CatchUpWithFellowWaiters(pid_t waiter, const kernel::WaitDone& done);
  // `waiter`'s wait took `done`'s event (no WNOWAIT): a fellow's WNOWAIT
  // wait that returned the same event ran before it on the host, and is
  // told first.
  void CatchUpWithFellowPeeks(pid_t waiter, const kernel::WaitDone& done);
  // The same for child `taken` (root id) and its `event` (nullopt: any).
  void CatchUpWithFellowPeeks(pid_t waiter, pid_t taken, std::optional<kernel::WaitEvent> event);
  // `child` (root id) as task `viewer`'s namespace numbers it.
  std::int32_t PidSeenBy(pid_t viewer, pid_t child) const;
  // Collects the results of the waits in flight of `waiter`'s fellow
  // threads that `may_have` taken the event, until `settled` or none is on
  // its way to its exit stop (asleep in its wait, it took nothing).
  void CollectFellowWaits(pid_t waiter, const std::function<bool(pid_t fellow)>& may_have,
                          const std::function<bool()>& settled);
  // A fellow whose report is in hand up the stack (its handler collected
  // others first, this one among them) cannot be collected: if it is its
  // wait's exit stop, its result is told now, and its handler tells it no
  // more. Whether it was told.
  bool TellWaitInHand(pid_t fellow);
  // Whether fellow `fellow`'s wait in flight may have taken `event` of
  // child `task` (a WNOWAIT wait takes nothing).
  bool WaitMayTake(pid_t fellow, kernel::TaskUid task, kernel::WaitEvent event) const;
  // A poll let through at its entry by a thread of `waiter`'s process (not
  // `waiter`) that noted `child`'s exit, when the host no longer has the
  // child: that poll reaped it, and is told so. Whether one was.
  bool SettleFellowPolls(pid_t waiter, pid_t child);
  // ---- Other catch-ups (tracer_waits.cc).
  // A signal from `sender` reached another task: if `sender` sent it from
  // inside a trapped terminal ioctl (TIOCNOTTY hangs up the foreground),
  // that ioctl's exit stop is collected first, so the model sees the cause
  // before the effect.
  void CatchUpWithSender(pid_t sender);
  // `waiter`'s wait got ECHILD while the model has eligible children: a
  // child's own setpgid/setsid, done first on the host, is collected first.
  void CatchUpBeforeEchild(pid_t waiter, const kernel::WaitDone& done);
  // `waiter`'s wait found children where the model has none: the children
  // its process adopted from creators killed inside clone (held, or not yet
  // seen at all) are told first.
  void CatchUpWithAdoptees(pid_t waiter, const kernel::WaitDone& done);
  // Collects `task`'s reports until `settled`, while `on_its_way` says its
  // syscall's exit stop is still to come (at most a few), blocking only
  // while it runs toward that stop (tracer_waits.cc).
  void CollectWhileOnItsWay(pid_t task, const std::function<bool()>& settled,
                            const std::function<bool()>& on_its_way);
  // `tid` is at its exit event with a trapped syscall's result unread (a
  // fatal signal skipped or cut short its exit stop): what the syscall did
  // is read from the host's state and told to the model (tracer_cut_short.cc).
  void SettleCutShortSyscall(pid_t tid, TaskState& st);
  void SettleCutShortWait(pid_t tid, const TaskState& st);
  void SettleCutShortSetSid(pid_t tid);
  void SettleCutShortSetPgid(pid_t tid, const TaskState& st);
  bool ReadMemory(pid_t pid, std::uint64_t addr, void* out, std::size_t size) const;
  // tracer_sentry_signals.cc: the signals the sentry sends, each told to the
  // model (SentrySignal) so every view names the sentry and the reason.
  // SIGKILL to every task of the workload but the session leader (released
  // instead, once alone); returns how many processes that was.
  int KillWorkload(kernel::SignalCause why);
  // The first process exited: the rest goes, and the user is told.
  void KillLeftovers();
  // A signal the sentry got (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH).
  void OnSentrySignal(int signo);
  // Whether process tgid is dying of a signal it got, pending or delivered
  // (its reports collected first).
  bool DiesOfItsOwnSignal(pid_t tgid);
  // ---- Sleeping and waking (tracer_wakeups.cc).
  // The signals a user sends the sentry, caught while the loop runs.
  // SIGCONT: the job's front was continued (fg) after a SuspendLikeTheJob.
  static constexpr std::initializer_list<int> kCaughtSignals = {SIGINT,  SIGTERM,  SIGHUP,
                                                                SIGQUIT, SIGWINCH, SIGCONT};
  // Acts on the signals caught and the freeze requested since last time.
  void TakeRequests(CaughtSignals& caught);
  // Whether a signal to the sentry or a freeze request waits for the loop.
  bool RequestsPending() const;
  // Sleeps until a report comes (SIGCHLD), `bound` at most.
  void NapUntilAReport(std::chrono::milliseconds bound);
  // Blocks in wait4 for one report (or the doorbell's) and handles it.
  void WaitForReport();
  // Sleeps until SIGCHLD, a request, or a held child's deadline.
  void PollForReport();
  // Waits for `task`'s next report and handles it, collecting its fellow
  // threads' reports meanwhile (that report may wait on theirs). Returns
  // `task` once it reported, -1 once it is gone, 0 if its report was taken
  // already or did not come within kAwaitLimit. A task seen in a ptrace stop
  // with nothing to collect for `taken_grace` counts as taken (a group stop
  // the tracer left in place); a caller that knows the report is still to
  // come (a trapped setsid or setpgid resumed to its exit stop, which never
  // blocks) gives kAwaitLimit: /proc may show that stop well before wait4
  // can collect it, over 100 ms under load (design fact 21).
  pid_t AwaitReport(pid_t task, std::chrono::milliseconds taken_grace = kTakenReportGrace);
  void OnDoorbell(int status);
  void StopDoorbell();
  // The group a terminal's Ctrl-C would reach: the terminal's foreground,
  // or the first process's group (0: none).
  std::int32_t ForegroundGroup() const;
  // --wait-all, the first process gone: every process group left.
  std::set<std::int32_t> GroupsLeft() const;
  // Whether a process of `groups` would take `signo` (not ignore it).
  bool TakenByAny(const std::set<std::int32_t>& groups, int signo) const;
  // To group `pgid`; SIGTERM and SIGHUP with SIGCONT after them to a group
  // with a stopped member, as bash's kill does.
  void Forward(std::int32_t pgid, int signo);
  // SIGCONT to group `pgid` after a forwarded SIGTERM or SIGHUP: its
  // members are owed no other.
  void ContinueAfterForward(std::int32_t pgid);
  // Task `pid` of process `tgid` entered a group stop: if the SIGTERM or
  // SIGHUP forwarded to it is still pending, the SIGCONT the stop would
  // have got had it come before (DESIGN fact 23). Whether it was sent.
  bool ContinueIfAskedToEnd(pid_t pid, pid_t tgid);
  // Sends `signo` to process group `pgid` (root ids), told per member.
  void SignalGroup(std::int32_t pgid, int signo, kernel::SignalCause why);
  // The first process stopped at its terminal (Ctrl-Z): the job its user's
  // shell knows stops too (the front, or else the sentry); continued (fg),
  // the sentry continues the first process's group, as that shell would
  // have. With a front the loop goes on meanwhile; its SIGCONT says when.
  void SuspendLikeTheJob();
  void ContinueLikeTheJob();
  // tracer_polls.cc: exit-only WNOHANG waits the model knows will find
  // nothing are let through at their entry, unlogged (counted); a child's
  // exit collected while one may still run is settled at the poller's next
  // stop. Returns whether `pid`'s wait (st.wait_request) is such a poll.
  bool SkipEmptyPoll(pid_t pid, const TaskState& st);
  // Child `pid`'s exit was just collected: a poll of its parent's under way
  // may reap it; the poller is interrupted, to settle that at once.
  void NoteExitDuringPolls(pid_t pid);
  // `pid` stopped (or ended): its poll is over. A child noted meanwhile that
  // the host no longer has was reaped by it, unless a fellow thread's wait,
  // whose result is collected first, did: told to the model now.
  void SettlePoll(pid_t pid);
  // Tells the model `pid`'s poll (let through at its entry) reaped `child`.
  void TellPollReap(pid_t pid, const kernel::WaitRequest& request, pid_t child);
  // Whether the model has `child` a zombie and the host has it no more.
  bool ReapedOnTheHost(pid_t child) const;
  // Tells the model the sentry sends `signo` to process `tgid`, and why.
  void TellSentrySignal(pid_t tgid, int signo, kernel::SignalCause why);
  // A leftover spared as dying of its own signal that lives on is killed.
  void KillSparedIfTheyLive();
  // Closes `release_` once the session leader is the last task left.
  void ReleaseSessionLeaderWhenAlone();
  // A message on stderr while the workload runs (the user's terminal may be raw).
  void Warn(const std::string& message) const;
  // The workload's terminal: a pty like the user's, which is put in raw mode.
  std::expected<void, std::string> OpenTerminal();
  // tcsetpgrp, TIOCSCTTY or TIOCNOTTY succeeded: the session's terminal and
  // foreground.
  void OnTerminalIoctl(pid_t pid, const TaskState& st);
  // The tty_nr of the terminal `fd` of `pid` names (0: not a terminal);
  // /dev/tty names pid's controlling terminal.
  std::int32_t TtyOf(pid_t pid, std::uint64_t fd) const;

  kernel::Kernel& model_;
  RunOptions options_;
  pid_t self_ = 0;
  // What tracepoints told of the stops to come; null without BPF.
  std::unique_ptr<StopFacts> facts_;
  pid_t session_leader_ = 0;  // the sentry's child; the first process's parent
  UniqueFd release_;          // closed: the session leader exits
  pid_t root_ = 0;            // the first process (0 until the session leader forks it)
  int root_signal_ = 0;       // what killed it
  // Leftovers not killed when the first process exited: a fatal signal of
  // their own was pending (KillWorkload); watched until they are gone.
  std::set<pid_t> spared_;
  // Processes (tgids) sent a SIGTERM or SIGHUP by Forward and no SIGCONT
  // after it, with that signal; until they take it or exit.
  std::unordered_map<pid_t, int> ending_forwarded_;
  bool root_execed_ = false;
  bool root_done_ = false;
  int exit_code_ = 0;
  int interrupts_ = 0;
  bool asked_to_end_ = false;
  bool warned_foreign_abi_ = false;
  UniqueFd exec_report_;
  std::unordered_map<pid_t, TaskState> tasks_;
  std::unordered_set<pid_t> group_exiting_;  // tgids in exit_group / fatal signal
  // New tasks held at their first stop (it came before their parent's
  // event and takes part in a group stop), or at a later stop reached
  // before the model knew them (TaskState::held_report).
  std::unordered_set<pid_t> held_;
  // Tasks whose report a HandleStatus frame is handling (catch-ups nest):
  // nothing more of theirs is to be awaited until it returns.
  std::unordered_set<pid_t> in_hand_;
  // The status of each report in hand not acted on yet (an exec or setsid
  // being told is no longer listed): TellTargetInHand reads these.
  std::unordered_map<pid_t, int> in_hand_status_;
  // Resumed from their first stop, running, not told yet (OnEventStop): a
  // creator that dies without its clone event names them, as it does the
  // held (AnnounceUnnamedChildren).
  std::unordered_set<pid_t> running_unknown_;
  // Children told without their creator's clone event, which may still come
  // (AnnounceHeldChild, TellRanUnknown): child tid -> when. That event is
  // then theirs, even once they are gone, not a new child's (OnNewTask),
  // if it comes within kLateCloneEventLimit.
  std::unordered_map<pid_t, std::chrono::steady_clock::time_point> told_before_event_;
  // Tasks between a setpgid's seccomp stop and its exit stop.
  std::unordered_set<pid_t> setpgid_in_flight_;
  // Tasks between a trapped wait's seccomp stop and the collection of its
  // exit stop (polls let through at their entry are in polls_ instead).
  std::unordered_set<pid_t> waits_in_flight_;
  // By tgid: an exec or setsid held back while a racing setpgid is collected
  // (ApplyAfterRacingSetPgids).
  std::unordered_map<pid_t, kernel::ObservationBody> unapplied_;
  // By the tgid they name: setpgids held while that process's setsid is
  // collected (OnSetPgidExit).
  std::unordered_map<pid_t, HeldSetPgid> held_setpgids_;
  // Tasks past PTRACE_EVENT_EXIT whose exit report is not yet collected.
  std::unordered_set<pid_t> exiting_;
  bool draining_exits_ = false;
  std::vector<pid_t> reparented_;  // children the model just reparented
  // Zombies the sentry's wait4 reaped before the model saw their parent's
  // exit hand them to the sentry: pid -> wait status.
  std::unordered_map<pid_t, int> unsettled_reaps_;
  std::uint64_t observations_ = 0;
  std::uint64_t exits_collected_ = 0;  // exit reports collected (OnExited)
  // Polls let through at their entry (SkipEmptyPoll), by poller tid: its
  // group, its request, and the children whose exits were collected since.
  struct PollInFlight {
    pid_t tgid = 0;
    kernel::WaitRequest request;
    std::vector<pid_t> exited;
  };
  std::unordered_map<pid_t, PollInFlight> polls_;
  std::uint64_t unlogged_polls_ = 0;
  // Freezing: an eventfd that wakes the loop, the state asked for, the state
  // applied, and the tasks parked meanwhile (pid -> signal to resume with).
  // Wakes a loop that polls (freeze requests, caught signals).
  UniqueFd freeze_wake_;
  // SIGCHLD, blocked, read here: every report sends one to the tracer.
  UniqueFd sigchld_;
  // Waits for one task that gave up at kAwaitLimit (said with -v).
  std::uint64_t awaits_given_up_ = 0;
  std::atomic<bool> freeze_wanted_{false};
  std::atomic<bool> freeze_requested_{false};
  // Wakes a loop blocked in wait4; its pid is read by RequestFreeze's thread.
  std::optional<Doorbell> doorbell_;
  std::atomic<pid_t> doorbell_pid_{0};
  bool frozen_ = false;
  bool suspended_ = false;  // the front stops as the job; its SIGCONT is awaited
  std::unordered_map<pid_t, int> parked_;
  // Interactive runs only. Destroyed in reverse order: the relay stops
  // before the pty closes, and the user's terminal is restored last.
  RawMode raw_mode_;  // the user's terminal, when there is no front to hold it
  std::optional<Pty> pty_;
  std::optional<PtyRelay> relay_;
};

}  // namespace sentry::platform
