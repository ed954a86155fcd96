// Tracer: how the loop sleeps and what wakes it.
//
// Reports come from wait4, which waits for children only. With a doorbell
// (doorbell.h) the loop blocks in wait4 itself, as strace and gdb do: the
// sentry's own signals (CaughtSignals) and the view's freeze requests ring
// the doorbell, whose stop wait4 returns. Without one, or while a held
// child's creator is awaited (a deadline), it polls a signalfd for SIGCHLD
// and an eventfd that the same handlers and requests write. A catch-up that
// needs one task's report waits for it in AwaitReport.
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>

#include "platform/proc_files.h"
#include "platform/tracer.h"

namespace sentry::platform {

bool Tracer::RequestsPending() const {
  return CaughtSignals::Pending() || freeze_requested_.load();
}

void Tracer::TakeRequests(CaughtSignals& caught) {
  if (!RequestsPending()) return;  // no syscall
  eventfd_t ignored = 0;
  ::eventfd_read(freeze_wake_.Get(), &ignored);  // non-blocking: it only wakes a poll
  for (const int signo : caught.Take()) OnSentrySignal(signo);
  if (freeze_requested_.exchange(false)) OnFreezeRequest();
}

void Tracer::WaitForReport() {
  int status = 0;
  ::rusage usage{};
  pid_t got;
  // WUNTRACED: the doorbell's stop. It changes nothing for tracees, whose
  // stops a tracer always sees, and the sentry has no other untraced child.
  do {
    got = ::wait4(-1, &status, __WALL | WUNTRACED, &usage);
  } while (got < 0 && errno == EINTR);
  if (got <= 0) return;  // ECHILD: the next drain ends the run
  if (doorbell_ && got == doorbell_->Pid()) {
    OnDoorbell(status);
    return;
  }
  HandleStatus(got, status, usage);
}

void Tracer::OnDoorbell(int status) {
  if (!doorbell_) return;
  if (WIFSTOPPED(status)) {
    doorbell_->Rearm();  // before the requests are taken: a later ring is a new stop
    return;
  }
  // Killed by someone: the loop polls from now on.
  CaughtSignals::ForgetDoorbell();
  doorbell_pid_.store(0);
  doorbell_->Forget();
  doorbell_.reset();
  if (options_.verbose) Warn("the doorbell process died: the loop polls");
}

void Tracer::PollForReport() {
  std::array<pollfd, 2> fds{pollfd{.fd = sigchld_.Get(), .events = POLLIN, .revents = 0},
                            pollfd{.fd = freeze_wake_.Get(), .events = POLLIN, .revents = 0}};
  const bool unlooked = std::any_of(held_.begin(), held_.end(),
                                    [&](pid_t child) { return tasks_[child].creator == 0; });
  const int patience = held_.empty() ? -1
                       : unlooked    ? static_cast<int>(kHeldChildGrace.count())
                                     : static_cast<int>(kHeldChildPatience.count());
  if (::poll(fds.data(), fds.size(), patience) <= 0) return;  // a deadline, or EINTR
  if ((fds[0].revents & POLLIN) == 0) return;                 // the eventfd: TakeRequests reads it
  signalfd_siginfo si{};
  [[maybe_unused]] const ssize_t got = ::read(sigchld_.Get(), &si, sizeof si);
  // A ring while polling is a stop no drain collects (it is not a tracee).
  if (doorbell_) {
    int status = 0;
    if (::waitpid(doorbell_->Pid(), &status, WNOHANG | WUNTRACED | __WALL) == doorbell_->Pid()) {
      OnDoorbell(status);
    }
  }
}

pid_t Tracer::AwaitReport(pid_t task, std::chrono::milliseconds taken_grace) {
  // A wait4 for `task` alone could block for good: its next report may wait
  // on its fellow threads, which may wait on the tracer. A leader's exit is
  // reported only once the others are reaped (Linux delay_group_leader); an
  // exec goes on only once the others are released (de_thread), which
  // happens when the tracer collects their exits, after their exit event
  // stops; and a task SIGKILLed at a ptrace stop's door skips that stop
  // (ptrace_stop returns at once when a fatal signal is pending), so what
  // was on its way may be its exit. So their reports are collected too, and
  // it sleeps on SIGCHLD, which every report sends the tracer. A report of
  // `task` handled by a nested catch-up counts as the one awaited.
  const auto reports_of_task = [&]() -> std::optional<std::uint64_t> {
    const auto it = tasks_.find(task);
    if (it == tasks_.end()) return std::nullopt;
    return it->second.reports;
  };
  // Its report taken: in hand up the stack, parked by a freeze, or held
  // for its creator's clone event.
  if (in_hand_.contains(task) || parked_.contains(task) || held_.contains(task)) return 0;
  const auto before = reports_of_task();
  const auto deadline = std::chrono::steady_clock::now() + kAwaitLimit;
  bool stopped_with_nothing = false;
  std::chrono::steady_clock::time_point stopped_since{};
  for (;;) {
    const pid_t got = CollectReport(task, WNOHANG);
    if (got != 0) return got;
    if (reports_of_task() != before) return task;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      ++awaits_given_up_;
      return 0;
    }
    // Bounded: a fellow thread that polls may report faster than a pass.
    constexpr int kReportsPerThread = 8;
    bool others = false;
    for (const pid_t tid : ThreadsOnTheHost(task)) {
      for (int i = 0; tid != task && i < kReportsPerThread && CollectReport(tid, WNOHANG) > 0;
           ++i) {
        others = true;
      }
    }
    if (others) continue;
    // In a ptrace stop with nothing to collect: its report was taken (it is
    // parked, or held for its creator). Not at once: /proc may show a stop
    // before wait4 can collect it (design fact 21).
    const auto stat = ReadProcStat(task);
    if (!stat) return CollectReport(task, WNOHANG);  // reaped meanwhile, or its last report
    if (stat->state != 't') {
      stopped_with_nothing = false;
    } else if (!stopped_with_nothing) {
      stopped_with_nothing = true;
      stopped_since = now;
    } else if (now - stopped_since >= taken_grace) {
      return 0;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    NapUntilAReport(std::clamp(left, std::chrono::milliseconds(1), std::chrono::milliseconds(10)));
  }
}

void Tracer::NapUntilAReport(std::chrono::milliseconds bound) {
  // Every report sends the tracer a SIGCHLD; a task going back to sleep, or
  // still on its way, sends nothing: hence the bound.
  pollfd fd{.fd = sigchld_.Get(), .events = POLLIN, .revents = 0};
  if (::poll(&fd, 1, static_cast<int>(bound.count())) > 0) {
    signalfd_siginfo si{};
    [[maybe_unused]] const ssize_t read = ::read(sigchld_.Get(), &si, sizeof si);
  }
}

void Tracer::StopDoorbell() {
  CaughtSignals::ForgetDoorbell();
  doorbell_pid_.store(0);
  doorbell_.reset();
}

}  // namespace sentry::platform
