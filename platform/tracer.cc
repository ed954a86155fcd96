#include "platform/tracer.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <sstream>
#include <utility>

#include "platform/proc_files.h"
#include "platform/sentry_observations.h"
#include "sentry/kernel/abi.h"

namespace sentry::platform {

namespace abi = kernel::abi;
using kernel::ThreadId;

namespace {

std::int64_t Now() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

kernel::Usage UsageOf(const ::rusage& ru) {
  return kernel::Usage{
      .utime_ns = ru.ru_utime.tv_sec * 1'000'000'000LL + ru.ru_utime.tv_usec * 1000LL,
      .stime_ns = ru.ru_stime.tv_sec * 1'000'000'000LL + ru.ru_stime.tv_usec * 1000LL,
      .maxrss_kb = ru.ru_maxrss};
}

}  // namespace

Tracer::Tracer(kernel::Kernel& model, RunOptions options)
    : model_(model),
      options_(std::move(options)),
      freeze_wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

Tracer::~Tracer() = default;

void Tracer::Apply(kernel::ObservationBody body) {
  // The session leader's first fork is the first process.
  if (const auto* clone = std::get_if<kernel::Clone>(&body);
      clone != nullptr && root_ == 0 && clone->parent.value == session_leader_ &&
      clone->error == 0 && (clone->flags & CLONE_THREAD) == 0) {
    root_ = clone->child.value;
  }
  const kernel::Observation obs{.time_ns = Now(), .body = std::move(body)};
  const auto records = model_.Apply(obs);
  ++observations_;
  for (kernel::RecordConsumer* consumer : options_.consumers) {
    consumer->Consume(obs, observations_, records);
  }
  for (const kernel::Record& r : records) {
    if (r.kind == kernel::RecordKind::kDivergence) {
      Warn("divergence: " + r.detail);
    }
    if (r.kind == kernel::RecordKind::kReparented) reparented_.push_back(r.tid.value);
  }
}

std::vector<pid_t> Tracer::ThreadsOf(pid_t tgid) const {
  std::vector<pid_t> threads;
  for (const auto& [tid, st] : tasks_) {
    if (st.tgid == tgid) threads.push_back(tid);
  }
  return threads;
}

pid_t Tracer::TgidOf(pid_t tid) const {
  const auto it = tasks_.find(tid);
  return it != tasks_.end() ? it->second.tgid : tid;
}

void Tracer::CheckNewParents() {
  std::vector<pid_t> children;
  children.swap(reparented_);
  for (pid_t child : children) {
    // Reaped as it was reparented (a dying namespace init's adoptee, an
    // ignoring parent's): nothing left to check; the host follows.
    const auto known = model_.FindTask(ThreadId(child));
    if (!known) continue;
    auto stat = ReadProcStat(child);
    if (!stat) continue;  // gone meanwhile
    if (stat->ppid != known->ppid && known->ppid > 0) {
      // The host may be a step ahead: the new parent's group has exited
      // too, its exit not yet collected. Collect it first.
      const auto parent_tgid = static_cast<pid_t>(known->ppid);
      CatchUpWithGroup(parent_tgid, [&] {
        const auto now = model_.FindTask(ThreadId(child));
        stat = ReadProcStat(child);
        return !now || !stat || now->ppid == stat->ppid;
      });
      if (!model_.FindTask(ThreadId(child)) || !stat) continue;
    }
    Apply(kernel::ParentObserved{.tid = ThreadId(child), .parent = ThreadId(stat->ppid)});
  }
}

int Tracer::Run() {
  self_ = ::getpid();
  auto path = ResolveCommand(options_.argv.front());
  if (!path) {
    std::fprintf(stderr, "sentry: %s\n", path.error().message.c_str());
    return path.error().exit_code;
  }
  auto filter = CompileFilter(/*trap_clone=*/options_.max_tasks != 0);
  if (!filter) {
    std::fprintf(stderr, "sentry: seccomp: %s\n", filter.error().c_str());
    return 125;
  }
  // Orphans come to the sentry, which reaps and records them.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
    std::fprintf(stderr, "sentry: prctl(PR_SET_CHILD_SUBREAPER): %s\n", std::strerror(errno));
    return 125;
  }
  // Blocked for the launch (the session leader keeps them blocked); then
  // the user's signals are caught (CaughtSignals) and SIGCHLD, which wakes a
  // loop that polls, is read from a signalfd.
  sigset_t handled;
  sigemptyset(&handled);
  for (int s : kCaughtSignals) sigaddset(&handled, s);
  sigaddset(&handled, SIGCHLD);
  sigset_t original;
  ::sigprocmask(SIG_BLOCK, &handled, &original);
  sigset_t sigchld;
  sigemptyset(&sigchld);
  sigaddset(&sigchld, SIGCHLD);
  sigchld_ = UniqueFd(::signalfd(-1, &sigchld, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sigchld_) {
    std::fprintf(stderr, "sentry: signalfd: %s\n", std::strerror(errno));
    ::sigprocmask(SIG_SETMASK, &original, nullptr);
    return 125;
  }

  if (options_.stop_facts) {
    if (auto facts = StopFacts::Open(self_); facts) {
      facts_ = std::move(*facts);
    } else if (options_.verbose) {
      Warn("no stop facts (" + facts.error() + "): each stop is read with ptrace and /proc");
    }
  }
  Apply(SentryItself(self_));
  if (options_.terminal) {
    if (auto opened = OpenTerminal(); !opened) {
      std::fprintf(stderr, "sentry: the workload's terminal: %s\n", opened.error().c_str());
      ::sigprocmask(SIG_SETMASK, &original, nullptr);
      return 125;
    }
  }
  auto launched = LaunchTraced(LaunchSpec{
      .path = *path,
      .argv = options_.argv,
      .filter = &*filter,
      .child_mask = options_.front != nullptr ? options_.front->WorkloadMask(original) : original,
      .ptrace_options = kTracerPtraceOptions,
      .new_pid_namespace = options_.pidns,
      .terminal = pty_ ? pty_->slave.Get() : -1,
      .terminal_stdout = pty_ && ::isatty(STDOUT_FILENO) == 1,
      .terminal_stderr = pty_ && ::isatty(STDERR_FILENO) == 1,
      .follow = {},
  });
  if (!launched) {
    raw_mode_.Restore();
    if (options_.front != nullptr) options_.front->RestoreTerminal();
    std::fprintf(stderr, "sentry: %s\n", launched.error().message.c_str());
    ::sigprocmask(SIG_SETMASK, &original, nullptr);
    return launched.error().exit_code;
  }
  session_leader_ = launched->session_leader;
  // Without a doorbell the loop polls: slower, as correct.
  if (auto doorbell = Doorbell::Start(); doorbell) {
    doorbell_.emplace(std::move(*doorbell));
    doorbell_pid_.store(doorbell_->Pid());
  } else if (options_.verbose) {
    Warn("no doorbell (" + doorbell.error() + "): the loop polls");
  }
  exec_report_ = std::move(launched->exec_report);
  release_ = std::move(launched->release);
  // Its setsid and terminal came before the filter: told here. What it does
  // next (the first process's fork, setpgid, tcsetpgrp, wait) is observed.
  Apply(SessionLeaderForked(self_, session_leader_));
  Apply(SessionLeaderSetsid(session_leader_));
  if (pty_) {
    Apply(kernel::ControllingTty{.tid = ThreadId(session_leader_), .tty_nr = pty_->tty_nr});
    // Started after the fork and the signal mask: the thread must not take
    // the signals meant for the signalfd.
    relay_.emplace(options_.front != nullptr ? options_.front->Keys() : STDIN_FILENO, STDOUT_FILENO,
                   pty_->master.Get());
  }
  // PTRACE_SEIZE does not stop the task: no first EVENT_STOP to wait for.
  TaskState& leader_state = tasks_[session_leader_];
  leader_state.tgid = session_leader_;
  leader_state.known = true;
  leader_state.saw_first_stop = true;

  std::optional<CaughtSignals> caught;
  caught.emplace(kCaughtSignals, freeze_wake_.Get(), doorbell_pid_.load());
  // Whether the workload may be gone: at the start, after an exit was
  // collected (only that shrinks the tracer's children), and always while
  // polling (which drains what SIGCHLD, not queued, only hints at). Not
  // while the session leader lives: it is a tracee whose report is still to
  // come, so the blocking wait4 cannot miss the end, and an empty WNOHANG
  // wait4 after every exit (one per thread of a pthread workload) is saved.
  bool may_be_gone = true;
  for (;;) {
    for (; may_be_gone;) {
      const pid_t pid = CollectReport(-1, WNOHANG);
      if (pid > 0) {
        if (HoldIfAsked()) break;  // a request first (TakeRequests, below)
        continue;
      }
      if (pid < 0 && errno == ECHILD) goto done;  // no child or tracee left
      break;
    }
    const std::uint64_t exits_before = exits_collected_;
    // A held child's creator may never report it: look again soon.
    if (!held_.empty()) AnnounceOverdueChildren();
    ReleaseSessionLeaderWhenAlone();
    TakeRequests(*caught);
    HoldIfAsked();
    // What these did may have collected exits (a forwarded SIGTERM's
    // SIGCONT, a spared process's check), the workload's last among them:
    // no report may come to wake a wait, so look again first.
    if (exits_collected_ != exits_before) {
      may_be_gone = true;
      continue;
    }
    if (doorbell_ && held_.empty()) {
      WaitForReport();
      may_be_gone =
          (exits_collected_ != exits_before && !tasks_.contains(session_leader_)) || !doorbell_;
    } else {
      PollForReport();
      may_be_gone = true;
    }
  }
done:
  // Those caught since the loop last looked are acted on, not lost.
  for (const int signo : caught->Take()) OnSentrySignal(signo);
  caught.reset();  // before the doorbell it rings
  StopDoorbell();
  if (relay_ && pty_) {
    pty_->slave.Reset();  // the workload is gone: let the terminal hang up
    relay_->Finish();
    raw_mode_.Restore();
    if (options_.front != nullptr) options_.front->RestoreTerminal();
  }
  {
    // The signals a user ends things with stay blocked: one that came too
    // late for the workload must not kill the sentry on its way out (before
    // it unmounts its view); the caller may sigwait for them.
    sigset_t after = original;
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&after, s);
    ::sigprocmask(SIG_SETMASK, &after, nullptr);
  }
  const kernel::KernelStats stats = model_.Stats();
  if (options_.verbose) {
    std::fprintf(stderr,
                 "sentry: exit status %d, tasks seen %llu, divergences %llu, empty WNOHANG polls "
                 "seen at their entry only %llu, waits for one task given up %llu\n",
                 exit_code_, static_cast<unsigned long long>(stats.tasks_seen - kSentryTasks),
                 static_cast<unsigned long long>(stats.divergences),
                 static_cast<unsigned long long>(unlogged_polls_),
                 static_cast<unsigned long long>(awaits_given_up_));
    if (facts_) {
      std::fprintf(stderr,
                   "sentry: stop facts used %llu, missed %llu, dropped by a full ring %llu\n",
                   static_cast<unsigned long long>(facts_->FactsUsed()),
                   static_cast<unsigned long long>(facts_->FactsMissed()),
                   static_cast<unsigned long long>(facts_->Dropped()));
    }
  }
  return exit_code_;
}

void Tracer::Warn(const std::string& message) const {
  // In raw mode the terminal no longer turns "\n" into a new line.
  std::fprintf(stderr, "sentry: %s%s", message.c_str(), relay_ ? "\r\n" : "\n");
}

std::expected<void, std::string> Tracer::OpenTerminal() {
  auto pty = OpenPty(STDIN_FILENO);
  if (!pty) return std::unexpected(pty.error());
  pty_.emplace(std::move(*pty));
  if (options_.front != nullptr) {
    options_.front->TakeTerminal();  // the front holds the user's terminal
    return {};
  }
  MovePendingInput(STDIN_FILENO, pty_->master.Get());
  return raw_mode_.Enter(STDIN_FILENO);
}

void Tracer::OnTerminalIoctl(pid_t pid, const TaskState& st) {
  const auto request = static_cast<std::uint32_t>(st.args[1]);  // ioctl's request is an int
  if (request == TIOCNOTTY) {
    Apply(kernel::DropControllingTty{.tid = ThreadId(pid)});
    return;
  }
  // Both succeed only on the caller's (new) controlling terminal.
  const std::int32_t tty = TtyOf(pid, st.args[0]);
  const auto known = model_.FindTask(ThreadId(pid));
  if (!known || tty == 0) return;  // gone meanwhile
  if (request == TIOCSCTTY || known->tty_nr != tty) {
    Apply(kernel::ControllingTty{.tid = ThreadId(pid), .tty_nr = tty});
  }
  if (request != TIOCSPGRP) return;
  pid_t pgid = 0;
  if (ReadMemory(pid, st.args[2], &pgid, sizeof pgid)) {
    Apply(kernel::ForegroundGroup{.tid = ThreadId(pid), .pgid = kernel::ProcessGroupId(pgid)});
  }
}

std::int32_t Tracer::TtyOf(pid_t pid, std::uint64_t fd) const {
  struct stat st {};
  const std::string path = "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
  if (::stat(path.c_str(), &st) != 0 || !S_ISCHR(st.st_mode)) return 0;
  if (st.st_rdev != makedev(5, 0)) return EncodeTtyNr(st.st_rdev);
  // /dev/tty stands for the caller's controlling terminal: ask the host which.
  const auto stat = ReadProcStat(pid);
  return stat ? stat->tty_nr : 0;
}

void Tracer::Resume(pid_t pid, const TaskState& st, int sig) {
  if (frozen_ && !exiting_.contains(pid)) {
    parked_[pid] = sig;  // let go when thawed
    return;
  }
  parked_.erase(pid);
  ::ptrace(st.exit_pending ? PTRACE_SYSCALL : PTRACE_CONT, pid, nullptr, sig);
}

bool Tracer::ReadMemory(pid_t pid, std::uint64_t addr, void* out, std::size_t size) const {
  iovec local{.iov_base = out, .iov_len = size};
  // An address in the tracee, only ever handed to the kernel.
  iovec remote{.iov_base = reinterpret_cast<void*>(addr),  // NOLINT(performance-no-int-to-ptr)
               .iov_len = size};
  return ::process_vm_readv(pid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(size);
}

pid_t Tracer::CollectReport(pid_t who, int options, int* status_out) {
  int status = 0;
  ::rusage usage{};
  pid_t got;
  // -1: every tracee (a tracer always sees its own) and every child that
  // reports with SIGCHLD, not the doorbell (a clone child, seen with __WALL).
  const int children = who == -1 ? 0 : __WALL;
  do {
    got = ::wait4(who, &status, children | options, &usage);
  } while (got < 0 && errno == EINTR);
  if (status_out != nullptr) *status_out = status;
  if (got > 0) HandleStatus(got, status, usage);
  return got;
}

void Tracer::DrainPending(pid_t pid, const std::function<bool()>& settled) {
  int status = 0;
  while (!(settled && settled()) && CollectReport(pid, WNOHANG, &status) > 0) {
    // Its exit is its last report: asking again would only say ECHILD (a
    // wait4 per exiting thread saved).
    if (WIFEXITED(status) || WIFSIGNALED(status)) return;
  }
}

void Tracer::DrainAllPending() {
  // From a copy: collecting reports changes tasks_.
  std::vector<pid_t> pending;
  pending.reserve(tasks_.size());
  for (const auto& [tid, st] : tasks_) pending.push_back(tid);
  for (const pid_t tid : pending) DrainPending(tid);
}

void Tracer::DrainExits(pid_t except) {
  if (draining_exits_ || exiting_.empty()) return;
  draining_exits_ = true;
  const std::vector<pid_t> pending(exiting_.begin(), exiting_.end());
  for (pid_t z : pending) {
    if (z != except) DrainPending(z);
  }
  draining_exits_ = false;
}

void Tracer::HandleStatus(pid_t pid, int status, const ::rusage& usage) {
  // In hand until this frame returns (AwaitReport does not wait for it).
  struct InHand {
    std::unordered_set<pid_t>& set;
    std::unordered_map<pid_t, int>& statuses;
    pid_t pid;
    bool inserted;
    ~InHand() {
      if (inserted) {
        set.erase(pid);
        statuses.erase(pid);
      }
    }
  } in_hand{in_hand_, in_hand_status_, pid, in_hand_.insert(pid).second};
  // What the tracepoints wrote before this report is read before it is.
  if (facts_) facts_->Drain();
  if (in_hand.inserted) in_hand_status_[pid] = status;
  if (const auto it = tasks_.find(pid); it != tasks_.end()) {
    ++it->second.reports;
    it->second.stopping = false;  // whatever the report, the stop came or was called off
  }
  // A change of this process held back for a racing setpgid
  // (ApplyAfterRacingSetPgids) came before anything it reports next.
  if (!unapplied_.empty()) {
    if (const auto it = tasks_.find(pid); it != tasks_.end()) ApplyUnapplied(it->second.tgid);
  }
  // Whatever stopped it, a poll it had under way is over.
  if (!polls_.empty() && polls_.contains(pid)) SettlePoll(pid);
  if (WIFEXITED(status) || WIFSIGNALED(status)) {
    OnExited(pid, status, usage);
    return;
  }
  if (!WIFSTOPPED(status)) return;
  const int sig = WSTOPSIG(status);
  const int event = status >> 16;
  // Exits are told first; one may end the run, and the leftovers killed
  // then must know that this task takes a signal (KillWorkload).
  if (const auto it = tasks_.find(pid);
      it != tasks_.end() && event == 0 && sig != (SIGTRAP | 0x80)) {
    it->second.taking_signal = sig;
  }
  DrainExits(pid);
  TaskState& st = tasks_[pid];
  if (st.ran_unknown && !st.known) {
    // Past its first stop and still not told: what it does waits until its
    // creator's clone event (or the lookup of an overdue one) tells it. Its
    // exit event too: told from /proc there, it could end before that clone
    // event, which would then tell it again. A SIGKILL that wakes it out of
    // the hold is told at its exit report (TellRanUnknown).
    running_unknown_.erase(pid);
    st.held_report = status;
    held_.insert(pid);
    st.held_since = std::chrono::steady_clock::now();
    return;
  }
  DispatchStop(pid, st, status);
}

void Tracer::DispatchStop(pid_t pid, TaskState& st, int status) {
  const int sig = WSTOPSIG(status);
  const int event = status >> 16;
  // A task created after the first process's end killed the rest is first
  // seen at its first stop, held until the model knows it, and killed then
  // (TellClone): killed while held, its exit would be that of a task the
  // model never knew, and nothing of it is left to tell it from.
  switch (event) {
    case PTRACE_EVENT_SECCOMP:
      OnSeccomp(pid, st);
      return;
    case PTRACE_EVENT_FORK:
    case PTRACE_EVENT_VFORK:
    case PTRACE_EVENT_CLONE:
      OnNewTask(pid, st, event);
      return;
    case PTRACE_EVENT_EXEC:
      OnExec(pid);
      return;
    case PTRACE_EVENT_EXIT:
      if (exiting_.contains(pid)) CatchUpSkippedExec(pid);
      OnExitEvent(pid, tasks_[pid]);
      return;
    case PTRACE_EVENT_VFORK_DONE:
      Apply(kernel::VforkDone{.parent = ThreadId(pid)});
      Resume(pid, st);
      return;
    case PTRACE_EVENT_STOP:
      OnEventStop(pid, st, sig);
      return;
    default:
      break;
  }
  if (sig == (SIGTRAP | 0x80)) {
    OnSyscallExit(pid, st);
  } else {
    OnSignal(pid, st, sig);
  }
}

void Tracer::TellRanUnknown(pid_t pid, TaskState& st) {
  st.held_report.reset();  // gone: nothing of that stop is left to handle
  const bool thread = (st.clone_flags & CLONE_THREAD) != 0;
  const pid_t parent = thread ? ThreadLeftIn(st.creator, st.creator) : st.creator;
  if (parent <= 0 || !model_.FindTask(ThreadId(parent))) return;
  NoteToldBeforeEvent(pid);
  TellClone(parent, st.creator, pid, st.clone_flags & ~static_cast<std::uint64_t>(CLONE_VFORK),
            st.clone_exit_signal);
}

void Tracer::OnExited(pid_t pid, int status, const ::rusage& usage) {
  ++exits_collected_;
  if (facts_) facts_->Forget(pid);
  // Killed while it ran unknown, or out of the stop it was held at.
  if (const auto it = tasks_.find(pid);
      it != tasks_.end() && it->second.ran_unknown && !it->second.known) {
    TellRanUnknown(pid, it->second);
  }
  // Whose child the model had it for when this report came: telling the
  // exit below may collect other reports (its parent's exit among them)
  // and move it on.
  const auto before = model_.FindTask(ThreadId(pid));
  const pid_t parent_at_report = before ? static_cast<pid_t>(before->ppid) : 0;
  const kernel::ExitStatus es =
      kernel::ExitStatus::FromWaitStatus(static_cast<std::uint32_t>(status));
  if (auto known = model_.FindTask(ThreadId(pid));
      known && known->exit_state == kernel::ExitState::kZombie) {
    // A second report: the zombie's first report was the tracer's; since then
    // its parent died and the sentry, as subreaper, adopted it, and this
    // wait4 reaped it (DESIGN fact 10). The parent's exit, which did the
    // handing over, is collected first (a SIGKILL leaves it no exit event to
    // announce it). Directly, as DrainExits does nothing when nested.
    DrainExits(pid);
    SettleSentryReap(pid, static_cast<pid_t>(known->ppid), status);
    return;
  }
  auto it = tasks_.find(pid);
  const pid_t tgid = it != tasks_.end() ? it->second.tgid : pid;
  if (it != tasks_.end() && !exiting_.contains(pid)) {
    AnnounceUnnamedChildren(pid, tgid);  // it had no exit event to do it at
    it = tasks_.find(pid);
  }
  if (it != tasks_.end()) tasks_.erase(it);
  exiting_.erase(pid);
  setpgid_in_flight_.erase(pid);
  waits_in_flight_.erase(pid);
  held_.erase(pid);  // killed while held
  running_unknown_.erase(pid);
  if ((pid == root_ && !root_execed_) || (pid == session_leader_ && root_ == 0)) {
    // The first process died before its exec, or the session leader before
    // making it: say why, in the shell's terms.
    if (auto failure = ReadExecFailure(exec_report_)) {
      const LaunchError said = ExplainExecFailure(*failure, options_.argv.front());
      Warn(said.message);
      exit_code_ = said.exit_code;
      root_done_ = true;
    }
  }
  if (pid == session_leader_ && root_ == 0 && !root_done_) {
    root_done_ = true;  // it never made the first process, and did not say why
    exit_code_ = 125;
  }
  Apply(kernel::ExitEnd{.tid = ThreadId(pid), .status = es, .usage = UsageOf(usage)});
  if (!polls_.empty()) NoteExitDuringPolls(pid);
  CheckNewParents();
  if (pid == tgid) {
    group_exiting_.erase(tgid);
    ending_forwarded_.erase(tgid);
  }
  NoteSentryReap(pid, status, parent_at_report);
  if (!unsettled_reaps_.empty()) SettleSentryReaps();
  if (pid == root_ && !root_done_) {
    root_done_ = true;
    exit_code_ = es.ShellExitCode();
    root_signal_ = es.Signaled() ? es.signo : 0;
    // The first process plays init: when it goes, so does everything else.
    if (!options_.wait_all) KillLeftovers();
  }
}

std::optional<unsigned long> Tracer::EventMessage(pid_t pid, int event) {
  unsigned long msg = 0;
  if (::ptrace(PTRACE_GETEVENTMSG, pid, nullptr, &msg) != 0) return std::nullopt;
  // A SIGKILL wakes a tracee from its event stop, and it may already be in
  // the next one (its exit event, whose message is its status): the message
  // read is this event's only if the task is still in this stop.
  siginfo_t si{};
  if (::ptrace(PTRACE_GETSIGINFO, pid, nullptr, &si) != 0 ||
      si.si_code != ((event << 8) | SIGTRAP)) {
    return std::nullopt;
  }
  return msg;
}

void Tracer::OnSeccomp(pid_t pid, TaskState& st) {
  // One request gives the syscall, its arguments and the filter's trap code,
  // and says whether the task is still in this seccomp stop (a SIGKILL may
  // have woken it into its exit already: then its exit report follows).
  __ptrace_syscall_info info{};
  if (::ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, &info) <= 0 ||
      info.op != PTRACE_SYSCALL_INFO_SECCOMP) {
    return;
  }
  const std::uint64_t* args = info.seccomp.args;
  std::copy(args, args + 6, st.args);
  const auto trap = static_cast<Trap>(info.seccomp.ret_data);
  st.trap = trap;
  switch (trap) {
    case Trap::kClone: {
      user_regs_struct regs{};
      if (::ptrace(PTRACE_GETREGS, pid, nullptr, &regs) != 0) return;  // killed meanwhile
      // Read after the registers: when this stop still holds, they are its own.
      if (::ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, &info) <= 0 ||
          info.op != PTRACE_SYSCALL_INFO_SECCOMP) {
        return;
      }
      DecodeClone(pid, regs, st);
      // A failed clone produces no event; seeing it would cost a syscall-exit
      // stop on every fork, so host-side clone failures go unrecorded.
      // --max-tasks: skip the syscall (orig_rax -1) and fail it with EAGAIN.
      // The sentry itself is not the workload's.
      if (options_.max_tasks != 0 &&
          model_.Stats().live_tasks - kSentryTasks >= options_.max_tasks) {
        regs.orig_rax = static_cast<unsigned long long>(-1);
        ::ptrace(PTRACE_SETREGS, pid, nullptr, &regs);
        st.clone_refused = true;
        st.exit_pending = true;
      }
      break;
    }
    case Trap::kWait: {
      const auto nr = static_cast<long>(info.seccomp.nr);
      st.wait_request = nr == SYS_wait4
                            ? kernel::WaitRequest::FromWait4(static_cast<std::int32_t>(args[0]),
                                                             static_cast<std::uint32_t>(args[2]))
                            : kernel::WaitRequest::FromWaitid(static_cast<int>(args[0]),
                                                              static_cast<std::int32_t>(args[1]),
                                                              static_cast<std::uint32_t>(args[3]));
      if (nr == SYS_waitid && static_cast<int>(args[0]) == abi::kP_PIDFD) {
        ResolvePidfd(pid, st.wait_request);
      }
      if (SkipEmptyPoll(pid, st)) break;  // resumed with PTRACE_CONT: no exit stop
      Apply(kernel::WaitStart{.tid = ThreadId(pid), .request = st.wait_request});
      st.exit_pending = true;
      waits_in_flight_.insert(pid);
      break;
    }
    case Trap::kSetPgid:
      setpgid_in_flight_.insert(pid);
      st.exit_pending = true;
      break;
    case Trap::kSetSid:
    case Trap::kUnshare:
    case Trap::kTerminal:
      st.exit_pending = true;
      break;
    case Trap::kSigaction:
      if (args[1] != 0) {
        std::uint64_t act[2] = {};  // kernel struct sigaction: handler, flags
        if (ReadMemory(pid, args[1], act, sizeof act)) {
          const auto disposition = act[0] == reinterpret_cast<std::uint64_t>(SIG_IGN)
                                       ? kernel::SigChldDisposition::kIgnore
                                   : act[0] == reinterpret_cast<std::uint64_t>(SIG_DFL)
                                       ? kernel::SigChldDisposition::kDefault
                                       : kernel::SigChldDisposition::kHandler;
          Apply(kernel::SigChldAction{.tid = ThreadId(pid),
                                      .disposition = disposition,
                                      .nocldwait = (act[1] & SA_NOCLDWAIT) != 0});
        }
      }
      break;
    case Trap::kPrctl:
      if (args[0] == PR_SET_CHILD_SUBREAPER) {
        Apply(kernel::SetSubreaper{.tid = ThreadId(pid), .enabled = args[1] != 0});
      } else {
        Apply(kernel::SetPdeathsig{.tid = ThreadId(pid), .signo = static_cast<int>(args[1])});
      }
      break;
    case Trap::kForeignAbi:
      if (!warned_foreign_abi_) {
        Warn("tid " + std::to_string(pid) + " made a syscall from a foreign ABI (i386/x32)");
        warned_foreign_abi_ = true;
      }
      break;
  }
  Resume(pid, st);
}

void Tracer::OnSyscallExit(pid_t pid, TaskState& st) {
  user_regs_struct regs{};
  // A SIGKILL woke it out of this stop before the result could be read: the
  // syscall stays pending, for its exit event to settle (SettleCutShortWait).
  if (::ptrace(PTRACE_GETREGS, pid, nullptr, &regs) != 0) return;
  setpgid_in_flight_.erase(pid);
  // The catch-ups below collect other reports, and with them, if a SIGKILL
  // woke this task meanwhile, its own exit (which erases `st`): then the
  // syscall, still pending, was settled from the host at its exit event.
  const auto still_held = [&] {
    const auto it = tasks_.find(pid);
    return it != tasks_.end() && &it->second == &st;
  };
  const auto result = static_cast<std::int64_t>(regs.rax);
  switch (st.trap) {
    case Trap::kClone:
      if (st.clone_refused) {
        st.clone_refused = false;
        regs.rax = static_cast<unsigned long long>(-EAGAIN);
        ::ptrace(PTRACE_SETREGS, pid, nullptr, &regs);
        Apply(kernel::Clone{.parent = ThreadId(pid),
                            .child = ThreadId(0),
                            .flags = st.clone_flags,
                            .exit_signal = st.clone_exit_signal,
                            .nested_tids = {},
                            .error = EAGAIN});
      }
      break;
    case Trap::kWait:
      if (!TellWaitExit(pid, st, regs)) return;
      break;
    case Trap::kSetSid:
      in_hand_status_.erase(pid);  // told from here on: not to be read early again
      if (std::exchange(st.change_told, false)) {
        ApplyUnapplied(st.tgid);  // read and held for a racing setpgid (TellTargetInHand)
      } else if (!IsRestart(result)) {
        // A setpgid naming this process may have run first on the host (and
        // made it a group leader: EPERM here) or after (and failed).
        ApplyAfterRacingSetPgids(st.tgid, kernel::SetSid{.tid = ThreadId(pid), .result = result});
        if (!still_held()) return;
      }
      break;
    case Trap::kSetPgid:
      // Told already, by a racing change's catch-up while this stop was in hand.
      if (!IsRestart(result) && !std::exchange(st.setpgid_told, false)) {
        OnSetPgidExit(pid, st, result);
        if (!still_held()) return;
      }
      break;
    case Trap::kUnshare:
      if (result == 0) Apply(kernel::UnsharePidNamespace{.tid = ThreadId(pid)});
      break;
    case Trap::kTerminal:
      if (result == 0) OnTerminalIoctl(pid, st);
      break;
    default:
      break;
  }
  if (!still_held()) return;
  st.exit_pending = false;
  Resume(pid, st);
}

bool Tracer::TellWaitExit(pid_t pid, TaskState& st, const user_regs_struct& regs) {
  const auto still_held = [&] {
    const auto it = tasks_.find(pid);
    return it != tasks_.end() && &it->second == &st;
  };
  // Its result taken: a fellow's catch-up no longer waits for it.
  waits_in_flight_.erase(pid);
  // Told already, by a fellow's catch-up while this stop was in hand.
  if (std::exchange(st.wait_told, false)) return true;
  const auto result = static_cast<std::int64_t>(regs.rax);
  const kernel::WaitDone done = ReadWaitResult(pid, st, regs);
  if (result >= 0) {
    CatchUpWithAdoptees(pid, done);
    if (!still_held()) return false;
    if (done.result > 0) {
      OnWaitResult(pid, st, done);
      if (!still_held()) return false;
      CatchUpWithFellowPeeks(pid, done);
    } else {
      CatchUpWithFellowWaiters(pid, done);
      if (!still_held()) return false;
      CatchUpBeforeNothing(pid, done);
    }
  } else if (result == -ECHILD) {
    CatchUpWithFellowWaiters(pid, done);
    if (!still_held()) return false;
    CatchUpBeforeEchild(pid, done);
  }
  if (!still_held()) return false;
  Apply(done);
  return true;
}

kernel::WaitDone Tracer::ReadWaitResult(pid_t pid, const TaskState& st,
                                        const user_regs_struct& regs) const {
  kernel::WaitDone done{.tid = ThreadId(pid),
                        .request = st.wait_request,
                        .result = static_cast<std::int64_t>(regs.rax),
                        .code = 0,
                        .status = 0};
  if (done.result < 0) return done;
  if (static_cast<long>(regs.orig_rax) == SYS_wait4) {
    std::uint32_t wstatus = 0;
    if (done.result > 0 && st.args[1] != 0 &&
        ReadMemory(pid, st.args[1], &wstatus, sizeof wstatus)) {
      const auto decoded = kernel::FromWait4Status(wstatus);
      done.code = decoded.code;
      done.status = decoded.status;
    }
  } else {
    // waitid returns 0; the child is in the siginfo (si_pid 0: nothing yet).
    std::int32_t info[7] = {};  // signo, errno, code, pad, pid, uid, status
    if (st.args[2] != 0 && ReadMemory(pid, st.args[2], info, sizeof info)) {
      done.result = info[4];
      done.code = info[2];
      done.status = info[6];
    }
  }
  return done;
}

void Tracer::OnExec(pid_t pid) {
  // Read and held already for a racing setpgid (TellTargetInHand).
  if (const auto it = tasks_.find(pid); it != tasks_.end() && it->second.change_told) {
    it->second.change_told = false;
    ApplyUnapplied(pid);
    Resume(pid, it->second);
    return;
  }
  in_hand_status_.erase(pid);  // told from here on: not to be read early again
  // A process of one thread, with no new task unaccounted for, exec'd from
  // that thread: no message to read (two ptrace calls of the sentry's 16 per
  // fork+exec). A thread that could exec has had its first stop reported,
  // so it is in the model or held_ / running_unknown_.
  if (held_.empty() && running_unknown_.empty()) {
    if (const auto info = model_.FindTask(ThreadId(pid));
        info && info->tgid == pid && info->num_threads == 1) {
      TellExec(pid, pid);
      if (const auto it = tasks_.find(pid); it != tasks_.end()) Resume(pid, it->second);
      return;
    }
  }
  // Killed out of the stop, the message is lost: the exec'ing thread is found
  // from the host (the leader's own exec when no other thread is missing).
  const auto former = EventMessage(pid, PTRACE_EVENT_EXEC);
  TellExec(pid, former ? static_cast<pid_t>(*former) : ThreadThatExeced(pid).value_or(pid));
  if (const auto it = tasks_.find(pid); it != tasks_.end()) Resume(pid, it->second);
}

void Tracer::CatchUpSkippedExec(pid_t pid) {
  // A second exit event on one tid: after the first (the old leader's,
  // killed by de_thread), a non-leader's exec took the leader's tid, and a
  // SIGKILL skipped its exec event.
  if (const auto former = ThreadThatExeced(pid)) TellExec(pid, *former);
}

std::optional<pid_t> Tracer::ThreadThatExeced(pid_t pid) const {
  // de_thread kills every other thread: one the tracer has not reaped is
  // still in /proc (a zombie); the old leader is released by de_thread
  // itself, its tid passed to the exec'ing thread. So the exec'ing non-leader
  // is the one thread of the group the tracer still has that the host no
  // longer has under its own tid. (Whether the old leader's exit event was
  // seen does not matter: in the stress runs it sometimes was not.)
  const auto self = tasks_.find(pid);
  if (self == tasks_.end()) return std::nullopt;
  const pid_t tgid = self->second.tgid;
  pid_t former = 0;
  for (const auto& [tid, ts] : tasks_) {
    if (tid == pid || ts.tgid != tgid || !ts.known || exiting_.contains(tid)) continue;
    if (::access(("/proc/" + std::to_string(tid)).c_str(), F_OK) == 0) continue;
    if (former != 0) return std::nullopt;  // more than one: nothing certain to tell
    former = tid;
  }
  if (former == 0) return std::nullopt;
  return former;
}

Tracer::TaskState& Tracer::NoteExec(pid_t pid, pid_t former_tid) {
  if (former_tid != pid) {
    if (facts_) facts_->Forget(former_tid);  // that tid is gone, without an exit report
    // A non-leader exec'd: it now has the leader's tid (DESIGN fact 9).
    auto node = tasks_.extract(former_tid);
    if (!node.empty()) {
      node.key() = pid;
      tasks_.erase(pid);
      tasks_.insert(std::move(node));
    }
  }
  // An exit event seen on this tid was the old leader's, which has no exit
  // report to come.
  exiting_.erase(pid);
  TaskState& st = tasks_[pid];
  st.tgid = pid;
  st.exit_pending = false;
  return st;
}

kernel::Exec Tracer::ReadExec(pid_t pid, pid_t former_tid) const {
  if (facts_) {
    if (auto fact = facts_->TakeExec(pid)) {
      return kernel::Exec{.tid = ThreadId(former_tid),
                          .uid = fact->euid,
                          .gid = fact->egid,
                          .comm = std::move(fact->comm),
                          .argv = std::move(fact->argv)};
    }
    facts_->Missed(pid, StopFacts::Kind::kExec);
  }
  const std::string proc = "/proc/" + std::to_string(pid);
  std::string comm = ReadSmallFile(proc + "/comm");
  if (!comm.empty() && comm.back() == '\n') comm.pop_back();
  std::vector<std::string> argv = ReadCmdline(pid);
  struct stat owner {};
  ::stat(proc.c_str(), &owner);
  return kernel::Exec{.tid = ThreadId(former_tid),
                      .uid = owner.st_uid,
                      .gid = owner.st_gid,
                      .comm = std::move(comm),
                      .argv = std::move(argv)};
}

void Tracer::TellExec(pid_t pid, pid_t former_tid) {
  NoteExec(pid, former_tid);
  ApplyAfterRacingSetPgids(pid, ReadExec(pid, former_tid));
  if (pid == root_) root_execed_ = true;
}

void Tracer::OnExitEvent(pid_t pid, TaskState& st) {
  if (!st.known) AnnounceUnseenTask(pid);
  SettleCutShortSyscall(pid, st);
  st.listening = false;  // its next report is its exit's, not a continue
  AnnounceUnnamedChildren(pid, st.tgid);
  // Telling those children can collect other reports, and with them this
  // task's exit report if a SIGKILL woke it out of this stop (erasing `st`):
  // that report tells the whole exit.
  if (const auto it = tasks_.find(pid); it == tasks_.end() || &it->second != &st) return;
  // The syscall that ended it, if it called one (still in orig_rax at this
  // stop). Killed out of this stop: its exit report tells the whole exit.
  user_regs_struct regs{};
  if (::ptrace(PTRACE_GETREGS, pid, nullptr, &regs) != 0) return;
  const auto exit_call = static_cast<long>(regs.orig_rax);
  unsigned long msg = 0;
  if (exit_call == SYS_exit) {
    // A thread's own exit: do_exit((code & 0xff) << 8), its argument still
    // in rdi. (exit_group's status may be another thread's, which called it
    // first: read.) One syscall saved per thread.
    msg = (regs.rdi & 0xff) << 8;
  } else if (::ptrace(PTRACE_GETEVENTMSG, pid, nullptr, &msg) != 0) {
    return;
  }
  const auto status = static_cast<std::uint32_t>(msg);
  const kernel::ExitStatus es = kernel::ExitStatus::FromWaitStatus(status);
  // A fatal signal takes the whole group, as does exit_group.
  const bool called_exit_group = exit_call == SYS_exit_group;
  if (es.Signaled() || called_exit_group) group_exiting_.insert(st.tgid);
  // Neither its own exit nor a fatal signal of its own: another thread's
  // exit_group or exec killed it (zap_other_threads). An exec'ing thread
  // waits in execve meanwhile (de_thread): told first, so that the model
  // knows why this thread dies. Rare: a thread's own exit shows SYS_exit.
  if (!es.Signaled() && !called_exit_group && exit_call != SYS_exit) {
    for (const pid_t tid : ThreadsOf(st.tgid)) {
      if (tid == pid || !tasks_[tid].known || !InExecve(tid)) continue;
      Apply(kernel::ExecStart{.tid = ThreadId(tid)});
      break;
    }
  }
  // Only a fatal signal skips an exec's event (Linux ptrace_stop does not
  // stop with one pending): past exec's point of no return (begin_new_exec
  // cleared PF_FORKNOEXEC) the process did exec, and setpgid on its zombie
  // says so (EACCES). The exec is told now; a non-leader's may also show as
  // a second exit event on the leader's tid (CatchUpSkippedExec).
  TaskState* state = &st;
  if (es.Signaled() && pid == st.tgid) {
    const auto known = model_.FindTask(ThreadId(pid));
    const auto stat = known && !known->execed ? ReadProcStat(pid) : std::nullopt;
    // The exec'ing thread has the leader's tid by now: which one it was.
    // Its bookkeeping then replaces this tid's (`st` is gone).
    if (stat && ExecedOnTheHost(*stat)) {
      TellExec(pid, ThreadThatExeced(pid).value_or(pid));
      state = &tasks_[pid];
    }
  }
  Apply(kernel::ExitBegin{
      .tid = ThreadId(pid), .status = es, .group = group_exiting_.contains(state->tgid)});
  exiting_.insert(pid);
  state->exit_pending = false;
  Resume(pid, *state);
}

void Tracer::OnEventStop(pid_t pid, TaskState& st, int sig) {
  if (!st.known && !st.saw_first_stop && !abi::IsStopSignal(sig)) {
    // Its first stop came before its creator's clone event, which follows
    // within microseconds. Resumed at once, as a bare tracer would: held
    // here until that event, 5,000 thread create+joins took 1.12-1.18 times
    // the floor tracer's time; resumed, 0.80-1.13 (three interleaved runs).
    // The model misses nothing: what it does next stops it, and that stop
    // is held until it is told (HandleStatus). The clone's flags are read
    // now, in case its creator never reports it (AnnounceHeldChild).
    st.creator = CloneFromFact(pid, st);
    if (st.creator == 0) {
      user_regs_struct regs{};
      if (::ptrace(PTRACE_GETREGS, pid, nullptr, &regs) != 0 || !DecodeClone(pid, regs, st)) {
        CloneFromHost(pid, st);  // a SIGKILL woke it out of this stop first
      }
      // Its creator's group (a thread) or process, for an exit report that
      // comes before anything names it: the task is gone by then.
      st.creator = CreatorOf(pid);
    }
    st.ran_unknown = true;
    st.saw_first_stop = true;
    running_unknown_.insert(pid);
    Resume(pid, st);
    return;
  }
  if (!st.known) {
    // Resumed once its parent's clone event names it, or once its creator
    // has died without that event (AnnounceUnnamedChildren).
    // Its creator is looked up only if the event is not there within
    // kHeldChildGrace (AnnounceOverdueChildren).
    held_.insert(pid);
    st.held_since = std::chrono::steady_clock::now();
    st.first_stop_signal = sig;
    return;
  }
  if (!st.saw_first_stop) {
    LeaveFirstStop(pid, st, sig);
    return;
  }
  if (abi::IsStopSignal(sig)) {
    EnterGroupStop(pid, st, sig);
    return;
  }
  if (st.listening) {
    st.listening = false;
    Apply(kernel::GroupContinue{.tid = ThreadId(pid)});
  }
  Resume(pid, st);
}

void Tracer::EnterGroupStop(pid_t pid, TaskState& st, int sig) {
  // Keep it really stopped; SIGCONT will wake it and tell us.
  Apply(kernel::GroupStop{.tid = ThreadId(pid), .signo = sig});
  st.listening = true;
  ::ptrace(PTRACE_LISTEN, pid, nullptr, 0);
  if (!ending_forwarded_.empty() && ContinueIfAskedToEnd(pid, st.tgid)) return;
  // Ctrl-Z (or a read or write from the background) stopped the job.
  if (pty_ && pid == root_ && sig != SIGSTOP) SuspendLikeTheJob();
}

void Tracer::LeaveFirstStop(pid_t pid, TaskState& st, int sig) {
  st.saw_first_stop = true;
  // A new task's first trap takes part in a group stop under way (Linux
  // do_jobctl_trap: the group's stop signal, not SIGTRAP): it is its stop.
  if (abi::IsStopSignal(sig)) {
    EnterGroupStop(pid, st, sig);
    return;
  }
  Resume(pid, st);
}

std::optional<kernel::SignalDisposition> Tracer::ModelsSigChldDisposition(pid_t pid) const {
  const auto info = model_.FindTask(ThreadId(pid));
  if (!info) return std::nullopt;
  switch (info->sigchld) {
    case kernel::SigChldDisposition::kDefault:
      return kernel::SignalDisposition::kDefault;
    case kernel::SigChldDisposition::kIgnore:
      return kernel::SignalDisposition::kIgnore;
    case kernel::SigChldDisposition::kHandler:
      return kernel::SignalDisposition::kHandler;
  }
  return std::nullopt;
}

void Tracer::OnSignal(pid_t pid, TaskState& st, int sig) {
  siginfo_t si{};
  ::ptrace(PTRACE_GETSIGINFO, pid, nullptr, &si);
  const bool from_process = si.si_code <= 0;  // SI_USER, SI_QUEUE, SI_TKILL
  if (from_process && si.si_pid > 0) {
    const auto sender = model_.RootIdSeenBy(ThreadId(pid), si.si_pid);
    if (sender && *sender != pid) {
      CatchUpWithSender(static_cast<pid_t>(*sender));
      // Collecting other reports may have moved our entry (a rehash).
      const auto it = tasks_.find(pid);
      if (it == tasks_.end()) return;  // a SIGKILL ended it meanwhile
      OnSignalFrom(pid, it->second, sig, si);
      return;
    }
  }
  OnSignalFrom(pid, st, sig, si);
}

void Tracer::OnSignalFrom(pid_t pid, TaskState& st, int sig, const siginfo_t& si) {
  const bool from_process = si.si_code <= 0;
  // One read of the disposition serves the record's rule and the tracer.
  // SIGCHLD's, the most frequent, the model keeps itself (every
  // rt_sigaction of it is trapped: it decides who reaps a child): no read
  // of /proc/PID/status per child that exits.
  std::optional<kernel::SignalDisposition> modelled;
  if (sig == SIGCHLD) modelled = ModelsSigChldDisposition(pid);
  const kernel::SignalDisposition disposition = modelled ? *modelled : DispositionOf(pid, sig);
  Apply(kernel::SignalDelivered{.tid = ThreadId(pid),
                                .signo = sig,
                                .code = si.si_code,
                                .sender = ThreadId(from_process ? si.si_pid : 0),
                                .disposition = disposition});
  // No longer pending once taken: the sentry must know it dies of it
  // (KillWorkload spares it).
  if (EndsByADeliveredSignal(disposition, sig)) st.dying_of_signal = true;
  st.taking_signal = 0;
  st.stopping = abi::IsStopSignal(sig) && disposition == kernel::SignalDisposition::kDefault;
  if (const auto it = ending_forwarded_.find(st.tgid);
      it != ending_forwarded_.end() && it->second == sig) {
    ending_forwarded_.erase(it);  // taken: what it does with it is its own
  }
  Resume(pid, st, sig);
}

}  // namespace sentry::platform
