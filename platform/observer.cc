#include "platform/observer.h"

#include <poll.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "platform/caught_signals.h"
#include "platform/launcher.h"
#include "platform/proc_files.h"
#include "platform/sentry_observations.h"
#include "sentry/kernel/abi.h"

#ifdef SENTRY_HAVE_BPF
#include "observe.skel.h"
#endif

namespace sentry::platform {

namespace abi = kernel::abi;
using kernel::ThreadId;

namespace {

// Room for ~4,000 exec records, or ~200,000 others, between two drains.
constexpr std::uint32_t kRingBytes = 16U << 20;
// How long the loop sleeps at most while it waits for the host: the ring
// wakes it when a record comes, but a record another CPU was still writing
// at the last drain wakes nobody when it is finished, and a stop pending
// on the host (pending_stops_) is looked for in /proc.
constexpr int kBehindPollMs = 1;
// How long the loop lets records gather once the ring woke it: a fork+exec
// loop ran 1.17 times native with 0.5 ms, 1.09 with 2 ms, 1.07 with 5 ms
// (four runs each); 2 ms keeps the view and the log that close.
constexpr useconds_t kCoalesceUs = 2000;
// The signals a user sends the sentry, forwarded to the workload.
constexpr std::initializer_list<int> kCaughtSignals = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

std::int64_t Now() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::expected<std::unique_ptr<BpfObject>, std::string> LoadObservePrograms() {
#ifdef SENTRY_HAVE_BPF
  std::size_t elf_size = 0;
  const void* elf = observe_bpf::elf_bytes(&elf_size);
  observe_bpf::observe_bpf__rodata constants{};
  constants.format_version = 1;
  return BpfObject::Load(BpfObjectSpec{
      .name = "observe_bpf",
      .elf = std::span(static_cast<const std::uint8_t*>(elf), elf_size),
      .rodata = std::span(reinterpret_cast<const std::uint8_t*>(&constants), sizeof constants),
      .ring_map = "events",
      .ring_bytes = kRingBytes});
#else
  return std::unexpected(CanUseBpf().error());
#endif
}

// The programs' counters: records the ring had no room for, and empty
// WNOHANG polls left out.
struct Counters {
  std::uint64_t dropped = 0;
  std::uint64_t empty_polls = 0;
};

Counters CountersOf(const BpfObject& bpf) {
#ifdef SENTRY_HAVE_BPF
  const auto* bss = static_cast<const observe_bpf::observe_bpf__bss*>(bpf.Bss());
  if (bss == nullptr) return {};
  // Written by the programs on any CPU: each read once, whole.
  return Counters{.dropped = __atomic_load_n(&bss->dropped, __ATOMIC_RELAXED),
                  .empty_polls = __atomic_load_n(&bss->empty_polls, __ATOMIC_RELAXED)};
#else
  (void)bpf;
  return {};
#endif
}

}  // namespace

Observer::Observer(kernel::Kernel& model, RunOptions options)
    : model_(model), options_(std::move(options)) {}

Observer::~Observer() = default;

void Observer::Warn(const std::string& message) const {
  std::fprintf(stderr, "sentry: %s\n", message.c_str());
}

std::span<const kernel::Record> Observer::Apply(kernel::ObservationBody body) {
  const kernel::Observation obs{.time_ns = Now(), .body = std::move(body)};
  const auto records = model_.Apply(obs);
  ++observations_;
  for (kernel::RecordConsumer* consumer : options_.consumers) {
    consumer->Consume(obs, observations_, records);
  }
  for (const kernel::Record& r : records) {
    if (r.kind == kernel::RecordKind::kDivergence) Warn("divergence: " + r.detail);
  }
  return records;
}

int Observer::Run() {
  self_ = ::getpid();
  auto path = ResolveCommand(options_.argv.front());
  if (!path) {
    Warn(path.error().message);
    return path.error().exit_code;
  }
  auto loaded = LoadObservePrograms();
  if (!loaded) {
    Warn("--observe needs BPF tracepoints, and they cannot be loaded here (" + loaded.error() +
         "); without --observe the workload runs under ptrace");
    return 125;
  }
  bpf_ = std::move(*loaded);
  // Orphans come to the sentry, which reaps and records them.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
    Warn(std::string("prctl(PR_SET_CHILD_SUBREAPER): ") + std::strerror(errno));
    return 125;
  }
  sigset_t handled;
  sigemptyset(&handled);
  for (int s : kCaughtSignals) sigaddset(&handled, s);
  sigaddset(&handled, SIGCHLD);
  sigset_t original;
  ::sigprocmask(SIG_BLOCK, &handled, &original);
  sigset_t sigchld;
  sigemptyset(&sigchld);
  sigaddset(&sigchld, SIGCHLD);
  UniqueFd sigchld_fd(::signalfd(-1, &sigchld, SFD_CLOEXEC | SFD_NONBLOCK));
  UniqueFd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!sigchld_fd || !wake) {
    Warn(std::string("signalfd: ") + std::strerror(errno));
    ::sigprocmask(SIG_SETMASK, &original, nullptr);
    return 125;
  }
  Apply(SentryItself(self_));
  BpfObject* bpf = bpf_.get();
  auto launched = LaunchTraced(LaunchSpec{
      .path = *path,
      .argv = options_.argv,
      .filter = nullptr,
      .child_mask = original,
      .ptrace_options = 0,
      .new_pid_namespace = false,
      .terminal = -1,
      .terminal_stdout = false,
      .terminal_stderr = false,
      .follow = [bpf](pid_t leader) -> std::expected<void, std::string> {
        const unsigned char one = 1;
        if (!bpf->Put("followed", &leader, &one)) {
          return std::unexpected(std::string("cannot follow the session leader: ") +
                                 std::strerror(errno));
        }
        return {};
      },
  });
  if (!launched) {
    Warn(launched.error().message);
    ::sigprocmask(SIG_SETMASK, &original, nullptr);
    return launched.error().exit_code;
  }
  session_leader_ = launched->session_leader;
  exec_report_ = std::move(launched->exec_report);
  release_ = std::move(launched->release);
  // Its setsid, made before the sentry may have begun to follow it, is told
  // here, as the tracer does (seen too, it is left out: Handle).
  Apply(SessionLeaderForked(self_, session_leader_));
  Apply(SessionLeaderSetsid(session_leader_));

  {
    CaughtSignals caught(kCaughtSignals, wake.Get(), 0);
    for (;;) {
      const bool behind = Drain();
      const bool children_left = ReapChildren();
      for (const int signo : caught.Take()) OnSentrySignal(signo);
      if (!children_left) break;
      // Every task of the workload but the session leader gone: it may go.
      if (release_ && root_done_) {
        const auto processes = model_.Processes();
        const bool alone = std::ranges::none_of(processes, [&](const kernel::TaskInfo& p) {
          return p.tgid != self_ && p.tgid != session_leader_ &&
                 p.exit_state == kernel::ExitState::kNone;
        });
        if (alone) release_.Reset();
      }
      std::array<pollfd, 3> fds{pollfd{.fd = bpf_->RingFd(), .events = POLLIN, .revents = 0},
                                pollfd{.fd = sigchld_fd.Get(), .events = POLLIN, .revents = 0},
                                pollfd{.fd = wake.Get(), .events = POLLIN, .revents = 0}};
      // A pending stop is looked for in /proc, once everything before it
      // in the ring is told.
      if (!behind && !pending_stops_.empty()) TellStopsTheHostShows();
      ::poll(fds.data(), fds.size(), behind || !pending_stops_.empty() ? kBehindPollMs : -1);
      // Woken by the ring: its records come in bursts (a fork+exec makes
      // eight), and the ring wakes its reader only when that has read
      // everything. Reading a moment later takes a burst in one wakeup:
      // context switches were most of the sentry's time per fork+exec.
      if ((fds[0].revents & POLLIN) != 0) ::usleep(kCoalesceUs);
      signalfd_siginfo si{};
      while (::read(sigchld_fd.Get(), &si, sizeof si) > 0) {
      }
      std::uint64_t count = 0;
      [[maybe_unused]] const ssize_t n = ::read(wake.Get(), &count, sizeof count);
    }
    for (const int signo : caught.Take()) OnSentrySignal(signo);
  }
  // The workload is gone on the host: what the ring still holds is told,
  // and the ends whose last switch was not recorded yet with it.
  Drain();
  for (auto& [tid, end] : std::exchange(pending_ends_, {})) Apply(end);
  {
    // The signals a user ends things with stay blocked: one that came too
    // late for the workload must not kill the sentry on its way out.
    sigset_t after = original;
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&after, s);
    ::sigprocmask(SIG_SETMASK, &after, nullptr);
  }
  const Counters counters = CountersOf(*bpf_);
  if (counters.dropped > 0) {
    Warn("the ring buffer was full " + std::to_string(counters.dropped) +
         " times: events were lost, and the model may be wrong from there on");
  }
  if (options_.verbose) {
    const kernel::KernelStats stats = model_.Stats();
    std::fprintf(stderr,
                 "sentry: exit status %d, tasks seen %llu, divergences %llu, empty WNOHANG polls "
                 "left out %llu, events lost %llu (observe platform)\n",
                 exit_code_, static_cast<unsigned long long>(stats.tasks_seen - kSentryTasks),
                 static_cast<unsigned long long>(stats.divergences),
                 static_cast<unsigned long long>(counters.empty_polls),
                 static_cast<unsigned long long>(counters.dropped));
  }
  return exit_code_;
}

bool Observer::Drain() {
  // Records are copied out before they are told: telling one may make the
  // sentry act (kill leftovers), and nothing here reads the ring again
  // meanwhile.
  std::vector<std::vector<char>> records;
  const bool behind = DrainRing(bpf_->Ring(), [&](std::span<const char> record, std::uint64_t) {
    records.emplace_back(record.begin(), record.end());
  });
  for (const auto& record : records) {
    if (auto event = DecodeObserveRecord(record)) Handle(std::move(*event));
  }
  return behind;
}

void Observer::Handle(ObservedEvent event) {
  std::visit(
      [&]<typename E>(E& e) {
        if constexpr (std::is_same_v<E, kernel::Clone>) {
          OnClone(e);
        } else if constexpr (std::is_same_v<E, ObservedExit>) {
          OnExit(e);
        } else if constexpr (std::is_same_v<E, ObservedExitEnd>) {
          TellPendingEnd(e.tid);
        } else if constexpr (std::is_same_v<E, ObservedWaitStart>) {
          Apply(e.start);
        } else if constexpr (std::is_same_v<E, kernel::WaitDone>) {
          OnWaitDone(e);
        } else if constexpr (std::is_same_v<E, ObservedSignal>) {
          OnSignal(e.delivered);
        } else if constexpr (std::is_same_v<E, ObservedContinue>) {
          OnContinue(e);
        } else if constexpr (std::is_same_v<E, ObservedGroupExit>) {
          OnGroupExit(e);
        } else if constexpr (std::is_same_v<E, ObservedChildStopped>) {
          TellPendingStops(e.child);
        } else if constexpr (std::is_same_v<E, kernel::SetSid>) {
          // The session leader's own setsid, told at its launch, is seen
          // again if it ran after the sentry began to follow it.
          if (e.tid.value != session_leader_ || root_ != 0) Apply(e);
        } else {
          Apply(std::move(e));
        }
      },
      event);
}

void Observer::OnClone(const kernel::Clone& clone) {
  // The session leader's first fork is the first process.
  const bool thread = (clone.flags & CLONE_THREAD) != 0;
  if (root_ == 0 && clone.parent.value == session_leader_ && !thread) root_ = clone.child.value;
  Apply(clone);
  // Made after the first process's end, which killed the rest: it goes too,
  // as the tracer's held children do.
  if (root_done_ && !options_.wait_all && !thread) {
    Apply(kernel::SentrySignal{.sender = ThreadId(self_),
                               .tid = clone.child,
                               .signo = SIGKILL,
                               .cause = kernel::SignalCause::kSentryFirstProcessExited});
    ::kill(clone.child.value, SIGKILL);
  }
}

void Observer::OnExit(const ObservedExit& exit) {
  pending_stops_.erase(exit.tid);
  // The exec killing this thread is told first, so that the model knows why
  // it dies (the ptrace tracer sees the exec'ing thread wait in execve).
  if (exit.exec_killer != 0) Apply(kernel::ExecStart{.tid = ThreadId(exit.exec_killer)});
  if (!exit_told_.erase(exit.tid)) {
    Apply(kernel::ExitBegin{.tid = ThreadId(exit.tid), .status = exit.status, .group = exit.group});
  }
  // The old leader killed by an exec gets no end of its own: the exec
  // releases it (de_thread), and the Exec tells that.
  if (exit.exec_killer == 0 || exit.tid != exit.tgid) {
    pending_ends_[exit.tid] =
        kernel::ExitEnd{.tid = ThreadId(exit.tid), .status = exit.status, .usage = exit.usage};
  }
  if (exit.tgid == root_ && exit.last_thread && !root_done_) {
    root_done_ = true;
    // The first process plays init: when it goes, so does everything else.
    if (!options_.wait_all) KillLeftovers();
  }
}

void Observer::TellPendingEnd(pid_t tid) {
  const auto it = pending_ends_.find(tid);
  if (it == pending_ends_.end()) return;
  const kernel::ExitEnd end = it->second;
  pending_ends_.erase(it);
  Apply(end);
}

void Observer::TellEndsBeforeReap(pid_t pid) {
  if (pending_ends_.empty()) return;
  // A process is reported once every thread of it is gone (Linux
  // delay_group_leader): their ends came first.
  for (const kernel::TaskInfo& t : model_.Threads(ThreadId(pid))) {
    if (t.root_tid != pid) TellPendingEnd(t.root_tid);
  }
  TellPendingEnd(pid);
  // A parent whose end handed it on (to a subreaper, or the sentry): a
  // chain of them at most as long as the tree is deep.
  for (int depth = 0; depth < 64; ++depth) {
    const auto zombie = model_.FindTask(ThreadId(pid));
    if (!zombie || zombie->ppid <= 0) return;
    const auto parent = static_cast<pid_t>(zombie->ppid);
    if (!pending_ends_.contains(parent)) return;
    TellPendingEnd(parent);
  }
}

void Observer::TellEndsOfChildren(ThreadId waiter) {
  if (pending_ends_.empty()) return;
  const auto caller = model_.FindTask(waiter);
  if (!caller) return;
  std::vector<pid_t> ends;
  for (const auto& [tid, end] : pending_ends_) {
    const auto child = model_.FindTask(ThreadId(tid));
    if (child && child->ppid == caller->tgid) ends.push_back(tid);
  }
  for (const pid_t tid : ends) TellPendingEnd(tid);
}

void Observer::OnWaitDone(const kernel::WaitDone& done) {
  // A WNOHANG wait has no start record (it does not block), and one that
  // found nothing no record at all (the program counts it): told whole here.
  if ((done.request.options & abi::kWNOHANG) != 0) {
    Apply(kernel::WaitStart{.tid = done.tid, .request = done.request});
  }
  // A stop it reports is complete on the host; an exit it reports is past
  // exit_notify: told first.
  if (done.code == abi::kCLD_STOPPED && done.result > 0) {
    TellPendingStops(static_cast<pid_t>(done.result));
  }
  // (Code 0: the caller passed no status to say which.)
  if ((done.code == 0 || done.code == abi::kCLD_EXITED || done.code == abi::kCLD_KILLED ||
       done.code == abi::kCLD_DUMPED) &&
      done.result > 0) {
    TellEndsBeforeReap(static_cast<pid_t>(done.result));
  }
  // ECHILD, or a wait that returned with nothing: the children it no longer
  // has were released (autoreaped at their exit_notify) or handed on.
  if (done.result <= 0) TellEndsOfChildren(done.tid);
  Apply(done);
  // The session leader's wait for the first process says how it ended: the
  // sentry's own exit status.
  if (done.tid.value == session_leader_ && done.result == root_ && root_ != 0 &&
      !exit_code_known_) {
    exit_code_known_ = true;
    const bool killed = done.code == abi::kCLD_KILLED || done.code == abi::kCLD_DUMPED;
    exit_code_ = killed ? 128 + done.status : done.status;
    root_signal_ = killed ? done.status : 0;
  }
}

void Observer::OnSignal(const kernel::SignalDelivered& delivered) {
  const auto records = Apply(delivered);
  const bool stops = std::ranges::any_of(records, [](const kernel::Record& r) {
    return r.kind == kernel::RecordKind::kSignalDelivered && r.rule == kernel::Rule::kSignalStops;
  });
  if (!stops) return;
  // The signal stops the group (the model's verdict, the host's default
  // action): each live thread is to join the stop, told once the host
  // shows it.
  const auto taker = model_.FindTask(delivered.tid);
  if (!taker) return;
  for (const kernel::TaskInfo& t : model_.Threads(ThreadId(taker->tgid))) {
    if (t.exit_state == kernel::ExitState::kNone) pending_stops_[t.root_tid] = delivered.signo;
  }
  stop_takers_[static_cast<pid_t>(taker->tgid)] = delivered.tid.value;
}

void Observer::OnGroupExit(const ObservedGroupExit& exit) {
  if (exit.delivered) Apply(*exit.delivered);
  const auto target = model_.FindTask(ThreadId(exit.tid));
  if (!target || target->exit_state != kernel::ExitState::kNone) return;
  // The group exit begins at the send (Linux complete_signal): told as the
  // target's exit, so that the model stops reporting the group's stop or
  // continue, as the host's wait already does.
  pending_stops_.erase(exit.tid);
  Apply(
      kernel::ExitBegin{.tid = ThreadId(exit.tid),
                        .status = kernel::ExitStatus{.code = 0, .signo = exit.signo, .core = false},
                        .group = true});
  exit_told_.insert(exit.tid);
}

void Observer::TellPendingStops(pid_t tgid) {
  if (pending_stops_.empty()) return;
  for (const kernel::TaskInfo& t : model_.Threads(ThreadId(tgid))) {
    const auto it = pending_stops_.find(t.root_tid);
    if (it == pending_stops_.end()) continue;
    const int signo = it->second;
    pending_stops_.erase(it);
    Apply(kernel::GroupStop{.tid = ThreadId(t.root_tid), .signo = signo});
  }
}

void Observer::TellStopsTheHostShows() {
  std::vector<std::pair<pid_t, int>> stopped;
  for (const auto& [tid, signo] : pending_stops_) {
    if (const auto stat = ReadProcStat(tid); stat && stat->state == 'T') {
      stopped.emplace_back(tid, signo);
    }
  }
  for (const auto& [tid, signo] : stopped) {
    pending_stops_.erase(tid);
    Apply(kernel::GroupStop{.tid = ThreadId(tid), .signo = signo});
  }
}

void Observer::OnContinue(const ObservedContinue& sigcont) {
  const auto target = model_.FindTask(sigcont.continued.tid);
  if (target) {
    const auto tgid = static_cast<pid_t>(target->tgid);
    switch (sigcont.found) {
      case ObservedContinue::Found::kStopComplete:
        TellPendingStops(tgid);
        break;
      case ObservedContinue::Found::kStopUnderWay:
        // The thread that took the stop signal began the stop; the others
        // had not joined it.
        if (const auto taker = stop_takers_.find(tgid); taker != stop_takers_.end()) {
          if (const auto it = pending_stops_.find(taker->second); it != pending_stops_.end()) {
            const int signo = it->second;
            pending_stops_.erase(it);
            Apply(kernel::GroupStop{.tid = ThreadId(taker->second), .signo = signo});
          }
        }
        break;
      case ObservedContinue::Found::kNoStop:
        break;
    }
    // Continued before they stopped: no stop to tell.
    for (const kernel::TaskInfo& t : model_.Threads(ThreadId(tgid))) {
      pending_stops_.erase(t.root_tid);
    }
    stop_takers_.erase(tgid);
  }
  Apply(sigcont.continued);
}

bool Observer::ReapChildren() {
  for (;;) {
    int status = 0;
    const pid_t pid = ::wait4(-1, &status, WNOHANG | __WALL, nullptr);
    if (pid == 0) return true;
    if (pid < 0) {
      if (errno == EINTR) continue;
      return false;  // ECHILD: the workload is gone
    }
    // Its exit, its threads' and that of the parent whose end handed it to
    // the sentry are in the ring (sched_process_exit fires before
    // exit_notify), unless another CPU is still writing a record before
    // them: the ring is read to its end first, then up to them.
    for (int tries = 0; Drain() && tries < 1000; ++tries) {
    }
    for (int tries = 0; tries < 1000; ++tries) {
      TellEndsBeforeReap(pid);
      const auto known = model_.FindTask(ThreadId(pid));
      if (known && known->exit_state == kernel::ExitState::kZombie && known->ppid == self_) break;
      Drain();
    }
    if (pid == session_leader_) {
      // The first process never ran (its exec or the session leader failed):
      // say why, in the shell's terms.
      if (auto failure = ReadExecFailure(exec_report_)) {
        const LaunchError said = ExplainExecFailure(*failure, options_.argv.front());
        Warn(said.message);
        exit_code_ = said.exit_code;
        exit_code_known_ = true;
      } else if (!exit_code_known_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 125;
        exit_code_known_ = true;
      }
      root_done_ = true;
    }
    RecordSentryReap(pid, status);
  }
}

void Observer::RecordSentryReap(pid_t pid, int status) {
  Apply(SentryReaped(self_, pid, status));
}

void Observer::KillLeftovers() {
  for (const kernel::TaskInfo& p : model_.Processes()) {
    if (p.tgid == self_ || p.tgid == session_leader_ || p.exit_state != kernel::ExitState::kNone) {
      continue;
    }
    Apply(kernel::SentrySignal{.sender = ThreadId(self_),
                               .tid = ThreadId(p.tgid),
                               .signo = SIGKILL,
                               .cause = kernel::SignalCause::kSentryFirstProcessExited});
    ::kill(static_cast<pid_t>(p.tgid), SIGKILL);
  }
}

void Observer::SignalGroup(std::int32_t pgid, int signo, kernel::SignalCause why) {
  for (const kernel::TaskInfo& p : model_.Processes()) {
    // The session leader blocks what a user ends things with, as a login
    // shell outlives its job.
    if (p.pgid != pgid || p.tgid == session_leader_ || p.tgid == self_ ||
        p.exit_state != kernel::ExitState::kNone) {
      continue;
    }
    Apply(kernel::SentrySignal{
        .sender = ThreadId(self_), .tid = ThreadId(p.tgid), .signo = signo, .cause = why});
  }
  if (pgid > 0) ::kill(-pgid, signo);
}

void Observer::OnSentrySignal(int signo) {
  const auto first = root_ != 0 && !root_done_ ? model_.FindTask(ThreadId(root_)) : std::nullopt;
  if (signo == SIGINT && ++interrupts_ >= 2) {
    Warn("second interrupt: killing the workload");
    for (const kernel::TaskInfo& p : model_.Processes()) {
      if (p.tgid == self_ || p.exit_state != kernel::ExitState::kNone) continue;
      Apply(kernel::SentrySignal{.sender = ThreadId(self_),
                                 .tid = ThreadId(p.tgid),
                                 .signo = SIGKILL,
                                 .cause = kernel::SignalCause::kSentryInterrupted});
      ::kill(static_cast<pid_t>(p.tgid), SIGKILL);
    }
    return;
  }
  if (root_done_ && (signo == SIGINT || signo == SIGTERM)) asked_to_end_ = true;
  // Without a terminal the first process's group is the job a shell's
  // Ctrl-C would reach.
  if (!first) return;
  SignalGroup(first->pgid, signo, kernel::SignalCause::kSentryForwarded);
  // Asked to end, a stopped process would keep it pending for good: SIGCONT
  // after it, as bash's kill does for a stopped job.
  if (signo != SIGTERM && signo != SIGHUP) return;
  const auto processes = model_.Processes();
  if (std::ranges::any_of(processes, [&](const kernel::TaskInfo& p) {
        return p.pgid == first->pgid && p.tgid != session_leader_ && p.state == 'T';
      })) {
    SignalGroup(first->pgid, SIGCONT, kernel::SignalCause::kSentryForwarded);
  }
}

}  // namespace sentry::platform
