#include "sentry/kernel/narrate.h"

#include <fmt/format.h>

#include <memory>
#include <unordered_map>
#include <utility>

#include "sentry/kernel/abi.h"
#include "sentry/kernel/describe.h"
#include "sentry/kernel/exit_status.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task_stop.h"

namespace sentry::kernel {

namespace {

std::string Signal(std::int64_t signo) {
  return std::string(abi::SignalName(static_cast<int>(signo)));
}

std::string Errno(std::int64_t result) {
  return std::string(abi::ErrnoName(static_cast<int>(-result)));
}

std::uint64_t PredictionKey(std::int32_t tgid, std::int64_t signo) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(tgid)) << 8U) |
         static_cast<std::uint64_t>(signo & 0xff);
}

// Why the kernel sends a signal of its own accord (kSignalPredicted), as a
// clause: "its process group was orphaned while a member is stopped".
std::string CauseInWords(SignalCause cause) {
  switch (cause) {
    case SignalCause::kOrphanedGroup:
      return "its process group was just orphaned while a member is stopped: POSIX has the "
             "kernel send SIGHUP then SIGCONT to every member, since no job-control shell is "
             "left to continue it (kill_orphaned_pgrp)";
    case SignalCause::kParentDeath:
      return "the thread that created it exited and it asked for this signal then "
             "(PR_SET_PDEATHSIG)";
    case SignalCause::kNamespaceInit:
      return "init of its PID namespace died, and with it the whole namespace "
             "(zap_pid_ns_processes)";
    case SignalCause::kSessionLeaderExit:
      return "its session leader exited: the terminal's foreground process group is hung up "
             "(disassociate_ctty)";
    case SignalCause::kTerminalDropped:
      return "its session leader gave up the terminal (TIOCNOTTY): the foreground process "
             "group is hung up";
    case SignalCause::kSentryFirstProcessExited:
    case SignalCause::kSentryForwarded:
    case SignalCause::kSentryInterrupted:
    case SignalCause::kSentryLate:
    case SignalCause::kSentryQuitStepping:
      return std::string(SignalCauseName(cause));
  }
  return "?";
}

}  // namespace

std::string StatusInWords(std::int64_t wait_status) {
  const auto es = ExitStatus::FromWaitStatus(static_cast<std::uint32_t>(wait_status));
  if (es.Signaled()) {
    return fmt::format("killed by {}{}", abi::SignalName(es.signo),
                       es.core ? " (core dumped)" : "");
  }
  return fmt::format("exit status {}", es.code);
}

std::string RuleInWords(Rule rule) {
  switch (rule) {
    case Rule::kNone:
      return "no rule named";
    case Rule::kKilledByExec:
      return "exec kills every other thread of the process, and their exit status reads 0 "
             "(de_thread)";
    case Rule::kAdoptedByThread:
      return "an exiting thread's children go first to another live thread of the same "
             "process, so their parent process does not change (find_new_reaper)";
    case Rule::kAdoptedBySubreaper:
      return "an orphan goes to the nearest living ancestor that made itself a child "
             "subreaper (PR_SET_CHILD_SUBREAPER; find_new_reaper)";
    case Rule::kAdoptedByNamespaceInit:
      return "an orphan with no subreaper above it goes to init, pid 1 of its PID namespace "
             "(find_new_reaper)";
    case Rule::kAdoptedOutside:
      return "the adopter is outside the sandbox: init, or a subreaper the sentry does not "
             "watch";
    case Rule::kSetPgidNegative:
      return "a process group id cannot be negative (setpgid(2): EINVAL)";
    case Rule::kSetPgidNoSuchProcess:
      return "no process has that pid (setpgid(2): ESRCH)";
    case Rule::kSetPgidNotAProcess:
      return "that id is a thread's, not a process's (setpgid(2): EINVAL)";
    case Rule::kSetPgidChildInOtherSession:
      return "a child in another session cannot be moved (setpgid(2): EPERM)";
    case Rule::kSetPgidChildExeced:
      return "a parent may move its child only until the child calls exec (setpgid(2): "
             "EACCES)";
    case Rule::kSetPgidNotChild:
      return "a process may move only itself and its own children (setpgid(2): ESRCH)";
    case Rule::kSetPgidSessionLeader:
      return "a session leader cannot change its process group (setpgid(2): EPERM)";
    case Rule::kSetPgidGroupElsewhere:
      return "a process may join only a group that exists in its own session (setpgid(2): "
             "EPERM)";
    case Rule::kSetSidGroupLeader:
      return "a process that already leads a process group cannot start a session; fork, "
             "and call setsid in the child (setsid(2): EPERM)";
    case Rule::kSignalCaught:
      return "its handler runs";
    case Rule::kSignalIgnored:
      return "ignored: its disposition is SIG_IGN";
    case Rule::kSignalIgnoredByDefault:
      return "ignored: doing nothing is this signal's default action (signal(7))";
    case Rule::kSignalStops:
      return "its default action stops the process";
    case Rule::kSignalKills:
      return "its default action ends the process";
    case Rule::kSignalDumpsCore:
      return "its default action ends the process with a core dump";
    case Rule::kSignalDroppedByInit:
      return "dropped: init of a PID namespace gets no signal it has no handler for; only "
             "SIGKILL and SIGSTOP from an ancestor namespace act on it (pid_namespaces(7))";
    case Rule::kSignalStopInOrphanedGroup:
      return "discarded: SIGTSTP, SIGTTIN and SIGTTOU do nothing in an orphaned process "
             "group, where no shell could continue it (get_signal)";
  }
  return "?";
}

// ---- names

void Narrator::Name(TaskUid task, std::string comm) {
  tasks_[task.value].comm = std::move(comm);
}

void Narrator::NoteCloneFlags(TaskUid task, std::uint64_t flags) {
  tasks_[task.value].clone_flags = flags;
}

Narrator::TaskNote& Narrator::Note(TaskUid task, std::int32_t tid) {
  TaskNote& n = tasks_[task.value];
  if (n.tid == 0) n.tid = tid;
  return n;
}

Narrator::ProcessNote& Narrator::Process(std::int32_t tgid) {
  return processes_[tgid];
}

bool Narrator::IsSentry(TaskUid task) const {
  return sentry_ && task == sentry_;
}

std::int32_t Narrator::ProcessIdOf(TaskUid task, std::int32_t tid) const {
  const auto it = tasks_.find(task.value);
  return it != tasks_.end() && it->second.tgid != 0 ? it->second.tgid : tid;
}

std::optional<std::int32_t> Narrator::Shown(std::int32_t host_id, TaskUid task) const {
  if (!namespace_ids_) return host_id;
  const std::int32_t id = namespace_ids_(task, host_id);
  if (id == 0) return std::nullopt;
  return id;
}

std::string IdInWords(std::optional<std::int32_t> shown, std::int64_t host_id) {
  return shown ? std::to_string(*shown) : fmt::format("{} (a host id)", host_id);
}

std::string Narrator::Id(std::int64_t host_id, TaskUid task) const {
  return IdInWords(Shown(static_cast<std::int32_t>(host_id), task), host_id);
}

TaskUid Narrator::ByTask(TaskUid task) const {
  const auto it = tasks_.find(task.value);
  return it != tasks_.end() && it->second.took_leaders_ids ? TaskUid{} : task;
}

std::string Narrator::ProcessName(TaskUid task, std::int32_t tid) const {
  return ProcessName(task, tid, Find(task));
}

const Narrator::TaskNote* Narrator::Find(TaskUid task) const {
  const auto it = tasks_.find(task.value);
  return it != tasks_.end() ? &it->second : nullptr;
}

// ProcessName with the task's note looked up once (every record names one
// or two tasks: this is the narrator's most frequent work).
std::string Narrator::ProcessName(TaskUid task, std::int32_t tid, const TaskNote* note) const {
  const std::int32_t process = note != nullptr && note->tgid != 0 ? note->tgid : tid;
  // The task is its process's main thread when the ids agree.
  const TaskUid by_task = note != nullptr && note->took_leaders_ids ? TaskUid{} : task;
  const auto pid = Shown(process, process == tid ? by_task : TaskUid{});
  if (IsSentry(task)) return pid ? fmt::format("{} (the sentry)", *pid) : "the sentry";
  std::string looked_up;
  std::string_view comm = note != nullptr ? std::string_view(note->comm) : std::string_view();
  if (comm.empty() && lookup_ && task) comm = looked_up = lookup_(task);
  // Outside the namespace it has no number the workload could use.
  if (!pid) return fmt::format("{} (outside the namespace)", comm.empty() ? "a process" : comm);
  std::string name = std::to_string(*pid);
  if (!comm.empty()) {
    name += " (";
    name += comm;
    name += ')';
  }
  return name;
}

std::string Narrator::Who(TaskUid task, std::int32_t tid) const {
  if (!task) return tid != 0 ? fmt::format("pid {} (outside the sandbox)", tid) : "nobody";
  const TaskNote* note = Find(task);
  if (note != nullptr && note->tgid != 0 && note->tgid != tid) {
    return fmt::format("thread {} of {}", Id(tid, note->took_leaders_ids ? TaskUid{} : task),
                       ProcessName(task, tid, note));
  }
  return ProcessName(task, tid, note);
}

std::string Narrator::Line(const Sentence& s) {
  return fmt::format("#{} {}", s.seq, s.text);
}

void NamespaceIdMemo::Note(TaskUid task, std::int32_t host_id, std::int32_t id) {
  if (task) by_task_[task.value] = id;
  by_host_[host_id] = id;
}

std::optional<std::int32_t> NamespaceIdMemo::Find(TaskUid task, std::int32_t host_id) const {
  if (const auto it = by_task_.find(task.value); task && it != by_task_.end()) return it->second;
  if (const auto it = by_host_.find(host_id); it != by_host_.end()) return it->second;
  return std::nullopt;
}

Narrator::NamespaceIds NamespaceIdsIn(const Kernel& model) {
  // What the model said, for when it no longer has the task (a sentence
  // about a reap comes after it).
  auto remembered = std::make_shared<NamespaceIdMemo>();
  return [&model, remembered](TaskUid task, std::int32_t host_id) -> std::int32_t {
    const auto t = task ? model.FindTaskByUid(task) : model.FindTaskByHostTid(ThreadId(host_id));
    if (!t) return remembered->Find(task, host_id).value_or(0);
    // nspid in the root view: the host's id, then one per namespace down.
    const std::int32_t id = t->nspid.size() > 1 ? t->nspid[1] : 0;
    remembered->Note(t->uid, t->root_tid, id);
    return id;
  };
}

// ---- one observation's records

// The records of one observation, read together: Told marks a record whose
// event an earlier sentence already told.
class Narrator::Batch {
 public:
  explicit Batch(std::span<const Record> records) : records_(records) {
    told_.assign(records.size(), false);
  }

  // The first record after i of `kind` about `task`, not yet told.
  const Record* Find(std::size_t i, RecordKind kind, TaskUid task) {
    for (std::size_t j = i + 1; j < records_.size(); ++j) {
      if (!told_[j] && records_[j].kind == kind && records_[j].task == task) return &records_[j];
    }
    return nullptr;
  }
  void Tell(const Record* r) {
    if (r == nullptr) return;
    told_[static_cast<std::size_t>(r - records_.data())] = true;
    if (r->kind == RecordKind::kReaped) reaped_ = r->task;
  }
  // The task whose reap was told since the last call, if any.
  TaskUid ToldAReap() { return std::exchange(reaped_, TaskUid{}); }
  bool Told(std::size_t i) const { return told_[i]; }

 private:
  std::span<const Record> records_;
  std::vector<bool> told_;
  TaskUid reaped_;
};

std::vector<Sentence> Narrator::Narrate(std::span<const Record> records,
                                        const Observation* observation) {
  Batch batch(records);
  std::vector<Sentence> out;
  // What the observation tells that its records do not.
  const auto* clone = observation != nullptr ? std::get_if<Clone>(&observation->body) : nullptr;
  const auto* existing =
      observation != nullptr ? std::get_if<TaskExisting>(&observation->body) : nullptr;

  for (std::size_t i = 0; i < records.size(); ++i) {
    if (batch.Told(i)) continue;
    const Record& r = records[i];
    const std::int32_t tid = r.tid.value;
    const std::string who = Who(r.task, tid);
    const std::string other = Who(r.other_task, r.other_tid.value);
    std::string text;
    switch (r.kind) {
      case RecordKind::kTaskCreated: {
        TaskNote& note = Note(r.task, tid);
        note.tgid = static_cast<std::int32_t>(r.value);
        const bool thread = r.value != tid;
        if (r.detail == "pre-existing") {
          note.pre_existing = true;
          if (existing != nullptr && existing->tid == r.tid) note.comm = existing->comm;
          const bool first = !sentry_ && !thread;
          if (first) sentry_ = r.task;
          text = first    ? fmt::format("{} starts: it will run the workload and watch it",
                                        ProcessName(r.task, tid))
                 : thread ? fmt::format("{} was already running when the sentry started",
                                        Who(r.task, tid))
                          : fmt::format("{} was already running when the sentry started",
                                        ProcessName(r.task, tid));
          break;
        }
        // A new task starts with its creator's name.
        if (r.other_task && note.comm.empty()) {
          if (const auto c = tasks_.find(r.other_task.value); c != tasks_.end())
            note.comm = c->second.comm;
        }
        if (clone != nullptr && clone->child == r.tid) {
          note.clone_flags = clone->flags;
          if (!clone->comm.empty()) note.comm = clone->comm;
        }
        const std::uint64_t flags = note.clone_flags;
        if (thread) {
          text = fmt::format(
              "{} started thread {} (clone with CLONE_THREAD): it shares the "
              "process's pid, memory and signal handlers",
              other, Id(tid, r.task));
          break;
        }
        processes_[tid] = ProcessNote{};
        if ((flags & abi::kCLONE_VFORK) != 0) {
          text = fmt::format(
              "{} vforked child {}: the parent is held until the child calls exec "
              "or exits (CLONE_VFORK)",
              other, Id(tid, r.task));
        } else if ((flags & abi::kCLONE_PARENT) != 0 && clone != nullptr) {
          text = fmt::format(
              "{} created {} as its sibling: with CLONE_PARENT the new process's "
              "parent is its creator's parent, {}",
              Id(clone->parent.value), Id(tid, r.task), other);
        } else {
          text = fmt::format(
              "{} forked child {}: a copy of it, in the same process group and "
              "session",
              other, Id(tid, r.task));
        }
        if (r.value2 == 0) {
          text +=
              "; it will send no signal at its exit, and only waits with __WALL or "
              "__WCLONE see it";
        } else if (r.value2 != abi::kSIGCHLD) {
          text += fmt::format("; at its exit its parent gets {}, not SIGCHLD", Signal(r.value2));
        }
        break;
      }
      case RecordKind::kCloneFailed:
        text =
            fmt::format("{} could not create a task: clone failed with {}", who, Errno(-r.value));
        break;
      case RecordKind::kExec: {
        TaskNote& note = Note(r.task, tid);
        const std::string before = ProcessName(r.task, tid);
        note.comm = r.detail;
        note.tid = static_cast<std::int32_t>(r.value2);
        note.tgid = static_cast<std::int32_t>(r.value2);
        note.took_leaders_ids = note.took_leaders_ids || r.value != r.value2;
        if (r.value != r.value2) {
          text = fmt::format(
              "thread {} of {} called exec and runs {} now: it takes over the "
              "process's pid {}, and the other threads are gone (de_thread)",
              Id(r.value), before, r.detail, Id(r.value2));
        } else {
          text = fmt::format(
              "{} called exec and runs {} now: same pid, parent, process group "
              "and session; new program",
              before, r.detail);
        }
        break;
      }
      case RecordKind::kExitInitiated: {
        const bool leader = ProcessIdOf(r.task, tid) == tid;
        if (r.rule == Rule::kKilledByExec) {
          text = fmt::format("{}{} was killed: another thread called exec, and {}",
                             leader ? "the main thread of " : "", who, RuleInWords(r.rule));
        } else if (r.value2 != 0) {
          const auto es = ExitStatus::FromWaitStatus(static_cast<std::uint32_t>(r.value));
          // A thread other than the main one may be the caller or one of
          // the threads the exit_group (or fatal signal) takes with it.
          text = es.Signaled() ? fmt::format("{} is dying, {}: every thread of the process exits",
                                             who, StatusInWords(r.value))
                 : leader
                     ? fmt::format(
                           "{} exits with status {}: every thread of the process ends "
                           "(exit_group; the status is the low 8 bits of exit's value)",
                           ProcessName(r.task, tid), es.code)
                     : fmt::format("{} exits with its whole process (exit_group, exit status {})",
                                   who, es.code);
        } else {
          text = fmt::format("{} began to exit ({}): {}", who, StatusInWords(r.value),
                             leader ? "only this thread; the process ends with its last one"
                                    : "only this thread ends (pthread_exit)");
        }
        break;
      }
      case RecordKind::kZombie: {
        const Record* reaped = batch.Find(i, RecordKind::kReaped, r.task);
        const Record* notified = batch.Find(i, RecordKind::kParentNotified, r.task);
        const auto cause =
            reaped != nullptr ? static_cast<ReapCause>(reaped->value2) : ReapCause::kWait;
        const bool leader = ProcessIdOf(r.task, tid) == tid;
        // What its parent's wait will report is the main thread's status.
        if (leader) Process(tid).zombie_status = r.value;
        if (reaped != nullptr && cause == ReapCause::kExec) {
          break;  // the old main thread replaced by an exec: told with its reap
        }
        if (!leader || (reaped != nullptr && cause == ReapCause::kThread)) {
          batch.Tell(reaped);
          text = fmt::format(
              "{} finished exiting and is gone: a thread other than the main "
              "one is released at once, and nobody waits for it (exit_notify)",
              who);
          break;
        }
        if (notified == nullptr && reaped == nullptr) {
          text = fmt::format(
              "the main thread of {} finished exiting ({}); the process lives "
              "on in its other threads, and its parent can wait for it only once "
              "they have all exited (delay_group_leader)",
              ProcessName(r.task, tid), StatusInWords(r.value));
          break;
        }
        batch.Tell(notified);
        batch.Tell(reaped);
        const std::string parent =
            notified != nullptr ? Who(notified->other_task, notified->other_tid.value) : "";
        if (reaped == nullptr) {
          text = fmt::format(
              "{} exited ({}) and is a zombie: it stays in the process table, "
              "holding its pid and exit status, until its parent {} waits for it",
              who, StatusInWords(r.value), parent);
          if (notified != nullptr) {
            text += notified->value != 0
                        ? fmt::format("; {} was sent {}", parent, Signal(notified->value))
                        : fmt::format("; {} gets no signal (the child's exit signal is 0)", parent);
          }
          break;
        }
        switch (cause) {
          case ReapCause::kIgnored:
            text = fmt::format(
                "{} exited ({}) and was released at once, never a zombie: its "
                "parent {} ignores SIGCHLD (SIG_IGN), so nothing is kept for a "
                "wait, and a wait by {} fails with ECHILD once no child is left "
                "(wait(2))",
                who, StatusInWords(r.value), parent, parent);
            break;
          case ReapCause::kNoCldWait:
            text = fmt::format(
                "{} exited ({}) and was released at once, never a zombie: its "
                "parent {} set SA_NOCLDWAIT, so nothing is kept for a wait "
                "(SIGCHLD is still sent; wait(2))",
                who, StatusInWords(r.value), parent);
            break;
          case ReapCause::kNamespaceExit:
            text = fmt::format(
                "{} exited ({}) and was reaped at once by {}, the dying init of "
                "its PID namespace (zap_pid_ns_processes)",
                who, StatusInWords(r.value), Who(reaped->other_task, reaped->other_tid.value));
            break;
          case ReapCause::kNoParent:
            text = fmt::format(
                "{} exited ({}); its parent is outside the sandbox, so the "
                "sentry does not see it waited for",
                who, StatusInWords(r.value));
            break;
          default:
            text = fmt::format("{} exited ({}) and was reaped ({})", who, StatusInWords(r.value),
                               ReapCauseName(cause));
            break;
        }
        break;
      }
      case RecordKind::kParentNotified: {
        // Alone: the group's last other thread is gone, or the zombie was
        // adopted, and only now may its (new) parent wait for it.
        const Record* reaped = batch.Find(i, RecordKind::kReaped, r.task);
        const std::int64_t status = Process(tid).zombie_status;
        if (reaped != nullptr) {
          batch.Tell(reaped);
          const auto cause = static_cast<ReapCause>(reaped->value2);
          text = fmt::format("{} ({}) was released at once, never waited for: its parent {} {}",
                             who, StatusInWords(status), other,
                             cause == ReapCause::kIgnored     ? "ignores SIGCHLD (SIG_IGN)"
                             : cause == ReapCause::kNoCldWait ? "set SA_NOCLDWAIT"
                                                              : "is the dying init of its "
                                                                "PID namespace");
          break;
        }
        text = fmt::format(
            "{} is now a zombie ({}) that its parent {} can wait for{}", who, StatusInWords(status),
            other,
            r.value != 0 ? fmt::format("; {} was sent {}", other, Signal(r.value)) : std::string());
        break;
      }
      case RecordKind::kReaped: {
        const auto cause = static_cast<ReapCause>(r.value2);
        switch (cause) {
          case ReapCause::kWait:
            text = fmt::format("{} reaped {} with a wait ({}): its pid is free again", other, who,
                               StatusInWords(r.value));
            break;
          case ReapCause::kExec:
            text = fmt::format(
                "the old main thread {} of {} is gone: the thread that called "
                "exec takes over its pid, and the old main thread is released "
                "without being waited for (de_thread)",
                Id(tid, r.task), ProcessName(r.task, tid));
            break;
          case ReapCause::kThread:
            text = fmt::format("{} is gone: a thread is released as soon as it exits", who);
            break;
          case ReapCause::kForced:
            text = fmt::format("{} must have been reaped unseen: the host reused its id", who);
            break;
          case ReapCause::kNamespaceExit:
            text = fmt::format(
                "{} was reaped by {}, the dying init of its PID namespace, which "
                "reaps every child before it goes (zap_pid_ns_processes)",
                who, other);
            break;
          case ReapCause::kIgnored:
          case ReapCause::kNoCldWait:
          case ReapCause::kNoParent:
            text = fmt::format("{} was released without a wait: {}", who, ReapCauseName(cause));
            break;
        }
        break;
      }
      case RecordKind::kReparented: {
        const std::string old_parent =
            r.value != 0 ? fmt::format("its parent {}", Id(r.value)) : std::string("its parent");
        switch (r.rule) {
          case Rule::kAdoptedByThread:
            text = fmt::format("{} exited; {} now belongs to {}: {}", old_parent, who, other,
                               RuleInWords(r.rule));
            break;
          case Rule::kAdoptedBySubreaper:
            text = fmt::format(
                "{} exited; {} is adopted by {}: {}{}", old_parent, who, other, RuleInWords(r.rule),
                IsSentry(r.other_task) ? "; the sentry is one, standing in for init as the "
                                         "sandbox's reaper"
                                       : "");
            break;
          case Rule::kAdoptedByNamespaceInit:
            text = fmt::format("{} exited; {} is adopted by {}: {}", old_parent, who, other,
                               RuleInWords(r.rule));
            break;
          case Rule::kAdoptedOutside:
            text = fmt::format("{} exited; {} leaves the sandbox's tree: {}", old_parent, who,
                               RuleInWords(r.rule));
            break;
          default:
            text = fmt::format("{} was reparented from {} to {}", who, Id(r.value), other);
            break;
        }
        if (r.value2 != 0) {
          text += fmt::format(
              " (the host's answer: {} had not yet begun to exit when it "
              "adopted)",
              other);
        }
        break;
      }
      case RecordKind::kSessionCreated:
        text = r.detail == "pre-existing"
                   ? fmt::format("session {} was there before the run", Id(r.value))
                   : fmt::format("{} leads new session {}", who, Id(r.value));
        break;
      case RecordKind::kSessionGone:
        text = fmt::format("session {} is gone: its last process left it", Id(r.value));
        break;
      case RecordKind::kProcessGroupCreated:
        text =
            r.detail == "pre-existing"
                ? fmt::format("process group {} of session {} was there before the run",
                              Id(r.value), Id(r.value2))
                : fmt::format("process group {} created in session {}", Id(r.value), Id(r.value2));
        break;
      case RecordKind::kProcessGroupGone:
        text = fmt::format("process group {} is gone: its last member left it", Id(r.value));
        break;
      case RecordKind::kProcessGroupJoined:
        text = fmt::format("{} moved from process group {} to {}", who, Id(r.value2), Id(r.value));
        break;
      case RecordKind::kSyscallResult: {
        const auto kind = static_cast<SyscallKind>(r.value2);
        if (kind == SyscallKind::kSetSid) {
          if (r.value < 0) {
            text =
                fmt::format("{} called setsid, which failed with {}{}", who, Errno(r.value),
                            r.rule != Rule::kNone ? fmt::format(": {}", RuleInWords(r.rule)) : "");
            break;
          }
          const Record* session = batch.Find(i, RecordKind::kSessionCreated, r.task);
          batch.Tell(session);
          batch.Tell(batch.Find(i, RecordKind::kProcessGroupCreated, r.task));
          const Record* joined = batch.Find(i, RecordKind::kProcessGroupJoined, r.task);
          batch.Tell(joined);
          text = fmt::format(
              "{} called setsid: it leads new session {} and new process group "
              "{}, with no controlling terminal{}",
              who, Id(session != nullptr ? session->value : tid),
              Id(session != nullptr ? session->value : tid),
              joined != nullptr && joined->value2 != 0
                  ? fmt::format(" (it left process group {})", Id(joined->value2))
                  : std::string());
          break;
        }
        if (kind == SyscallKind::kSetPgid) {
          const std::string call = r.detail.empty() ? std::string("setpgid") : r.detail;
          if (r.value < 0) {
            text =
                fmt::format("{} called {}, which failed with {}{}", who, call, Errno(r.value),
                            r.rule != Rule::kNone ? fmt::format(": {}", RuleInWords(r.rule)) : "");
            break;
          }
          const Record* created = batch.Find(i, RecordKind::kProcessGroupCreated, r.other_task);
          const Record* joined = batch.Find(i, RecordKind::kProcessGroupJoined, r.other_task);
          batch.Tell(created);
          batch.Tell(joined);
          const bool self =
              r.other_task == r.task ||
              (tasks_.contains(r.task.value) && tasks_[r.task.value].tgid == r.other_tid.value);
          const std::string target = self ? "it" : other;
          if (joined == nullptr) {
            text = fmt::format("{} called {}: {} was already in that process group", who, call,
                               target);
          } else {
            text = fmt::format("{} called {}: {} moved from process group {} to {}{}", who, call,
                               target, Id(joined->value2), created != nullptr ? "new group " : "",
                               Id(joined->value));
          }
          break;
        }
        text = fmt::format("{}'s system call returned {}", who,
                           r.value < 0 ? Errno(r.value) : std::to_string(r.value));
        break;
      }
      case RecordKind::kGroupStopInitiated: {
        // A one-thread process stops at once: told with its completion.
        if (batch.Find(i, RecordKind::kGroupStopCompleted, r.task) != nullptr) break;
        bool later = false;
        for (std::size_t j = i + 1; j < records.size(); ++j) {
          later = later || records[j].kind == RecordKind::kGroupStopCompleted;
        }
        if (later) break;
        text = fmt::format("{} begins to stop ({}): each of its threads stops in turn",
                           ProcessName(r.task, tid), Signal(r.value));
        break;
      }
      case RecordKind::kGroupStopCompleted: {
        const std::int32_t pid = ProcessIdOf(r.task, tid);
        ProcessNote& p = Process(pid);
        p.stop_signal = static_cast<int>(r.value);
        text = fmt::format(
            "{} stopped ({}); its parent {} is told (SIGCHLD with CLD_STOPPED, "
            "and waits with WUNTRACED see it)",
            ProcessName(r.task, tid), Signal(r.value), other);
        if (p.continued_unseen_cont) {
          text += fmt::format(
              "; the SIGCONT that last continued it was never delivered: {} "
              "discarded it while pending (prepare_signal)",
              Signal(r.value));
          p.continued_unseen_cont = false;
        }
        break;
      }
      case RecordKind::kGroupContinued: {
        // Continued by a SIGCONT delivered in this same moment (the model
        // continues the group at its delivery when it saw no continue
        // first): that one was delivered.
        bool delivered_here = false;
        for (const Record& d : records) {
          if (d.kind != RecordKind::kSignalDelivered || d.value != abi::kSIGCONT) continue;
          delivered_here = delivered_here || ProcessIdOf(d.task, d.tid.value) == tid;
        }
        Process(tid).continued_unseen_cont = !delivered_here;
        text = fmt::format(
            "{} continued: SIGCONT resumes a stopped process the moment it is "
            "sent, before it is delivered{}",
            ProcessName(r.task, tid), r.value != 0 ? " (not every thread had stopped yet)" : "");
        break;
      }
      case RecordKind::kStopChanged: {
        // Group stops and their end are told by their own records; a ptrace
        // stop is the sentry's business. The stops a student should see:
        const auto kind = static_cast<StopKind>(r.value);
        if (!r.task) {
          text = r.value2 > 0 ? "the sentry holds every task of the workload (freeze)"
                              : "the sentry lets the workload run again";
        } else if (kind == StopKind::kVfork) {
          // The vfork's own sentence says it when the child is in this batch.
          bool told = false;
          for (const Record& c : records) {
            told = told || (c.kind == RecordKind::kTaskCreated && c.other_task == r.task);
          }
          if (!told)
            text = fmt::format("{} is held until its vfork child calls exec or exits", who);
        } else if (kind == StopKind::kExec) {
          text = fmt::format(
              "{} waits in exec for the process's other threads to die "
              "(de_thread)",
              who);
        }
        break;
      }
      case RecordKind::kSignalDelivered: {
        const std::int32_t pid = ProcessIdOf(r.task, tid);
        if (r.value == abi::kSIGCONT) Process(pid).continued_unseen_cont = false;
        std::string from;
        if (r.other_task) {
          from = other;
        } else if (r.other_tid) {
          from = fmt::format("pid {} (outside the sandbox)", r.other_tid.value);
        } else {
          from = r.value2 <= 0 ? "a process outside its PID namespace" : "the kernel";
        }
        text = fmt::format("{} got {} from {}", who, Signal(r.value), from);
        if (const auto p = predicted_.find(PredictionKey(pid, r.value)); p != predicted_.end()) {
          // The kernel's reason was told when it sent it: named shortly here.
          if (!r.other_task) text += fmt::format(" ({})", SignalCauseName(p->second));
          predicted_.erase(p);
        }
        if (r.rule == Rule::kSignalIgnoredByDefault && r.value == abi::kSIGCONT) {
          // SIGCONT acts when it is sent; its delivery has nothing left to do.
          text +=
              ": nothing more happens: SIGCONT resumed the process when it was sent, and "
              "with no handler its delivery does nothing (signal(7))";
        } else if (r.rule != Rule::kNone) {
          text += fmt::format(": {}", RuleInWords(r.rule));
        }
        if (r.rule == Rule::kSignalIgnored &&
            (r.value == abi::kSIGINT || r.value == abi::kSIGQUIT)) {
          text +=
              " (a non-interactive shell starts its background jobs with SIGINT and SIGQUIT "
              "ignored)";
        }
        break;
      }
      case RecordKind::kSignalPredicted: {
        const auto cause = static_cast<SignalCause>(r.value2);
        if (IsSentryCause(cause)) {
          text = fmt::format("the sentry sent {} to {}: {}", Signal(r.value), who,
                             SignalCauseName(cause));
          break;
        }
        const std::int32_t pid = ProcessIdOf(r.task, tid);
        predicted_[PredictionKey(pid, r.value)] = cause;
        text =
            fmt::format("the kernel sends {} to {}: {}", Signal(r.value), who, CauseInWords(cause));
        break;
      }
      case RecordKind::kWaitReturned: {
        if (r.value < 0) {
          text = fmt::format("{}'s wait failed with {}", who, Errno(r.value));
          const ProcessNote& p = Process(ProcessIdOf(r.task, tid));
          if (r.value == -10 /* ECHILD */) {
            text += p.ignores_sigchld || p.nocldwait
                        ? ": no child left to wait for, and since it ignores SIGCHLD its "
                          "children are released as they exit, never zombies (wait(2))"
                        : ": no child of its process matches the wait";
          }
          break;
        }
        if (r.value == 0) {
          text = fmt::format("{}'s wait found nothing to report yet (WNOHANG)", who);
          break;
        }
        const Record* reaped = batch.Find(i, RecordKind::kReaped, r.other_task);
        const std::string child = Who(r.other_task, r.other_tid.value);
        if (reaped != nullptr && static_cast<ReapCause>(reaped->value2) == ReapCause::kWait) {
          batch.Tell(reaped);
          text = fmt::format("{} reaped {} with a wait ({}): its pid is free again", who, child,
                             StatusInWords(reaped->value));
          break;
        }
        switch (static_cast<int>(r.value2)) {
          case abi::kCLD_STOPPED:
            text = fmt::format("{}'s wait reported {} stopped (WUNTRACED)", who, child);
            break;
          case abi::kCLD_CONTINUED:
            text = fmt::format("{}'s wait reported {} continued (WCONTINUED)", who, child);
            break;
          case abi::kCLD_EXITED:
          case abi::kCLD_KILLED:
          case abi::kCLD_DUMPED:
            text = fmt::format("{}'s wait reported {}'s exit and left it a zombie (WNOWAIT)", who,
                               child);
            break;
          default:
            text = fmt::format("{}'s wait returned {}", who, child);
            break;
        }
        break;
      }
      case RecordKind::kDispositionChanged: {
        ProcessNote& p = Process(tid);
        p.ignores_sigchld = r.value == static_cast<std::int64_t>(SigChldDisposition::kIgnore);
        p.nocldwait = r.value2 != 0;
        const std::string process = ProcessName(r.task, tid);
        if (p.ignores_sigchld) {
          text = fmt::format(
              "{} set SIGCHLD to SIG_IGN: from now on its children are released "
              "as they exit, never zombies, and its waits fail with ECHILD once "
              "none is left (wait(2))",
              process);
        } else if (p.nocldwait) {
          text = fmt::format(
              "{} set SA_NOCLDWAIT on SIGCHLD: from now on its children are "
              "released as they exit, never zombies (it still gets SIGCHLD)",
              process);
        } else if (r.value == static_cast<std::int64_t>(SigChldDisposition::kHandler)) {
          text = fmt::format("{} installed a SIGCHLD handler", process);
        } else {
          text = fmt::format(
              "{} set SIGCHLD back to SIG_DFL: its children become zombies "
              "until waited for",
              process);
        }
        break;
      }
      case RecordKind::kSubreaperChanged:
        Process(tid).subreaper = r.value != 0;
        text = r.value != 0
                   ? fmt::format(
                         "{} made itself a child subreaper (PR_SET_CHILD_SUBREAPER): "
                         "orphaned descendants go to it rather than to init",
                         ProcessName(r.task, tid))
                   : fmt::format("{} is no longer a child subreaper", ProcessName(r.task, tid));
        break;
      case RecordKind::kPdeathsigChanged:
        text = r.value != 0 ? fmt::format(
                                  "{} asked for {} when the thread that created it exits "
                                  "(PR_SET_PDEATHSIG)",
                                  who, Signal(r.value))
                            : fmt::format("{} cleared its parent death signal", who);
        break;
      case RecordKind::kForegroundChanged:
        text = r.value2 == 0 ? fmt::format("{}'s session no longer has a controlling terminal", who)
                             : fmt::format(
                                   "process group {} is now the foreground of terminal {} (it "
                                   "alone may read from it; Ctrl-C and Ctrl-Z signal it)",
                                   Id(r.value), TtyName(r.value2));
        break;
      case RecordKind::kNamespaceCreated:
        Process(tid).namespace_init = true;
        text = fmt::format(
            "{} is init (pid 1) of a new PID namespace (depth {}): orphans there "
            "go to it, and its death kills the rest of the namespace",
            ProcessName(r.task, tid), r.value);
        break;
      case RecordKind::kDivergence:
        text = fmt::format("DIVERGENCE (the host's fact won): {}", r.detail);
        break;
    }
    const TaskUid reaped = r.kind == RecordKind::kReaped ? r.task : batch.ToldAReap();
    if (text.empty()) continue;
    out.push_back(Sentence{.seq = r.seq,
                           .time_ns = r.time_ns,
                           .subject = r.task,
                           .other = r.other_task,
                           .kind = r.kind,
                           .reaps = static_cast<bool>(reaped),
                           .reaped = reaped,
                           .text = std::move(text)});
  }
  return out;
}

}  // namespace sentry::kernel
