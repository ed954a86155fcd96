// The model's read API: value snapshots for the FUSE procfs, `sentry inspect`
// and tests. Every call takes Kernel::mu_ shared, so a snapshot is consistent
// even while the tracer thread applies observations.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sentry/kernel/exit_status.h"
#include "sentry/kernel/ids.h"
#include "sentry/kernel/observation.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/task_stop.h"

namespace sentry::kernel {

// One task, with every id translated into the namespace the caller asked for
// (0 where the other party is not visible there, as Linux shows ppid 0).
struct TaskInfo {
  TaskUid uid;
  ThreadGroupUid tg_uid;
  std::int32_t root_tid = 0;  // the host's id (root namespace)
  std::int32_t tid = 0;
  std::int32_t tgid = 0;
  std::int32_t ppid = 0;
  std::int32_t parent_tid = 0;  // the parent thread (leaders' real parent); 0 if not visible
  std::int32_t pgid = 0;
  std::int32_t sid = 0;
  std::int32_t tty_nr = 0;
  std::int32_t tpgid = -1;          // foreground group of the controlling tty; -1 none
  std::vector<std::int32_t> nspid;  // ids from the view namespace down to its own
  char state = 'R';                 // R S D T t Z X, as /proc/PID/stat shows
  ExitState exit_state = ExitState::kNone;
  StopKind stop = StopKind::kNone;
  int external_stops = 0;
  bool leader = false;
  int num_threads = 0;
  std::uint32_t uid_creds = 0;
  std::uint32_t gid_creds = 0;
  std::string comm;
  std::vector<std::string> argv;
  std::int64_t start_time_ns = 0;
  ExitStatus exit_status;      // meaningful once exiting
  int termination_signal = 0;  // of the thread group
  int parent_death_signal = 0;
  int group_stop_signal = 0;
  GroupStopPhase group_stop_phase = GroupStopPhase::kNone;
  bool exit_parent_notified = false;   // the parent was told of its exit
  bool exit_parent_acked = false;      // ... and acknowledged it (a wait)
  std::vector<std::int32_t> children;  // tgids of groups whose real parent is this thread
  SigChldDisposition sigchld = SigChldDisposition::kDefault;
  bool nocldwait = false;
  bool subreaper = false;
  bool execed = false;   // its thread group exec'd since its fork
  Usage usage;           // this task
  Usage children_usage;  // reaped children of its thread group
};

// A task's credentials, as files it owns show them.
struct TaskOwner {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
};

// Who will reap a thread group when it dies, and why (Linux do_notify_parent
// and forget_original_parent, as the model sees them now).
struct ReaperInfo {
  enum class Who : std::uint8_t {
    kParent,         // its parent's wait (which may be any thread of the parent's group)
    kAutoReap,       // nobody: the parent ignores SIGCHLD or set SA_NOCLDWAIT
    kOutside,        // its parent is outside the model (the sentry's own parent)
    kAlreadyReaped,  // dead
  };
  Who who = Who::kParent;
  std::int32_t parent = 0;  // tgid of the parent's group, in the view
  bool nocldwait = false;   // with kAutoReap: SA_NOCLDWAIT rather than SIG_IGN
  // If the parent's group exits first, who adopts it (Linux
  // find_new_reaper): a live sibling thread of the parent, the nearest
  // subreaper, or the namespace's init; 0 if nobody in the view.
  std::int32_t next_parent = 0;
  enum class Adopter : std::uint8_t { kNone, kParentThread, kSubreaper, kNamespaceInit };
  Adopter adopter = Adopter::kNone;
};

struct ProcessGroupInfo {
  std::int32_t pgid = 0;
  std::int32_t sid = 0;
  std::uint32_t ancestors = 0;
  bool orphan = false;
  std::vector<std::int32_t> members;  // tgids
  // Its id names another group now: the host made a group the model thought
  // impossible (with this id), and the model followed; this one keeps its
  // members until they leave.
  bool stale = false;
};

struct SessionInfo {
  std::int32_t sid = 0;
  ThreadGroupUid leader_uid;
  bool leader_alive = false;
  std::int32_t tty_nr = 0;
  std::int32_t foreground_pgid = 0;
  std::vector<std::int32_t> groups;
  bool stale = false;  // its id names another session now (ProcessGroupInfo::stale)
};

struct KernelStats {
  std::uint64_t observations = 0;
  std::uint64_t records = 0;
  std::uint64_t divergences = 0;
  std::uint64_t tasks_seen = 0;
  std::uint64_t thread_groups_seen = 0;
  std::size_t live_tasks = 0;  // tasks not yet dead (zombies included)
  std::size_t thread_groups = 0;
  std::size_t process_groups = 0;
  std::size_t sessions = 0;
  std::size_t namespaces = 0;
  std::size_t outstanding_predictions = 0;
};

// What a wait would return now, as the model sees it.
enum class WaitEvent : std::uint8_t { kExit, kStop, kContinue };

struct WaitCandidate {
  TaskUid task;
  std::int32_t pid = 0;  // in the waiter's namespace
  WaitEvent event = WaitEvent::kExit;
  int code = 0;    // CLD_EXITED / CLD_KILLED / CLD_DUMPED / CLD_STOPPED / CLD_CONTINUED
  int status = 0;  // exit code or signal, as waitid's si_status
  std::uint32_t wait_status = 0;  // the wait4 status word
  std::uint64_t since = 0;        // the observation that made it reportable
  // Reportable before the waiter's current wait began (or no wait is under
  // way): a wait that finds nothing has missed it. One that became
  // reportable during the wait the host may or may not have seen.
  bool certain = true;
};

struct WaitPrediction {
  // ECHILD: no child could ever satisfy this wait.
  bool echild = false;
  // Every event that may be reported now (the host picks one). Empty and not
  // echild: nothing yet (WNOHANG returns 0; a blocking wait sleeps).
  std::vector<WaitCandidate> candidates;
  // The children this wait may apply to, reportable or not (waiter's ids).
  std::vector<std::int32_t> eligible;
  // One of them was so before the waiter's current wait began: a wait that
  // returns ECHILD has missed it. (A child adopted, or moved into the group
  // a wait names, while the wait ran may or may not have been in its walk.)
  bool eligible_certain = false;
  // A child not eligible now that may have been while the wait ran: a
  // zombie without WEXITED (until the tracer collects a traced zombie,
  // Linux counts it as something to wait for whatever the options:
  // wait_consider_task clears notask_error for a zombie it may not reap
  // yet), a child that left the process group a wait names, or one that
  // left the waiter's children (reaped by a fellow thread's wait).
  bool eligible_during_wait = false;
  // A consuming wait on an exit reports the group exit status when the group
  // exited as a whole (Linux wait_task_zombie); candidates already carry it.
};

}  // namespace sentry::kernel
