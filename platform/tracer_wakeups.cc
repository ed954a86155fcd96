// Tracer: how the loop sleeps and what wakes it.
//
// Reports come from wait4, which waits for children only. With a doorbell
// (doorbell.h) the loop blocks in wait4 itself, as strace and gdb do: the
// sentry's own signals (CaughtSignals) and the view's freeze requests ring
// the doorbell, whose stop wait4 returns. Without one, or while a held
// child's creator is awaited (a deadline), it polls a signalfd for SIGCHLD
// and an eventfd that the same handlers and requests write.
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "platform/tracer.h"

namespace sentry::platform {

void Tracer::TakeRequests(CaughtSignals& caught) {
  if (!CaughtSignals::Pending() && !freeze_requested_.load()) return;  // no syscall
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

void Tracer::PollForReport(int sigchld_fd) {
  std::array<pollfd, 2> fds{pollfd{.fd = sigchld_fd, .events = POLLIN, .revents = 0},
                            pollfd{.fd = freeze_wake_.Get(), .events = POLLIN, .revents = 0}};
  const bool unlooked = std::any_of(held_.begin(), held_.end(),
                                    [&](pid_t child) { return tasks_[child].creator == 0; });
  const int patience = held_.empty() ? -1
                       : unlooked    ? static_cast<int>(kHeldChildGrace.count())
                                     : static_cast<int>(kHeldChildPatience.count());
  if (::poll(fds.data(), fds.size(), patience) <= 0) return;  // a deadline, or EINTR
  if ((fds[0].revents & POLLIN) == 0) return;                 // the eventfd: TakeRequests reads it
  signalfd_siginfo si{};
  [[maybe_unused]] const ssize_t got = ::read(sigchld_fd, &si, sizeof si);
  // A ring while polling is a stop no drain collects (it is not a tracee).
  if (doorbell_) {
    int status = 0;
    if (::waitpid(doorbell_->Pid(), &status, WNOHANG | WUNTRACED | __WALL) == doorbell_->Pid()) {
      OnDoorbell(status);
    }
  }
}

void Tracer::StopDoorbell() {
  CaughtSignals::ForgetDoorbell();
  doorbell_pid_.store(0);
  doorbell_.reset();
}

}  // namespace sentry::platform
