#include "platform/doorbell.h"

#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <utility>

namespace sentry::platform {

std::expected<Doorbell, std::string> Doorbell::Start() {
  const pid_t parent = ::getpid();
  // clone with no flags and no stack is fork() with no exit signal; raw,
  // since the sentry's threads make glibc's fork wrappers unsafe here.
  const auto pid = static_cast<pid_t>(::syscall(SYS_clone, 0UL, 0, 0, 0, 0));
  if (pid < 0) return std::unexpected(std::string("clone: ") + std::strerror(errno));
  if (pid == 0) {
    // Async-signal-safe from here on. A process group of its own: a SIGCONT
    // to the sentry's group (timeout(1) sends one after each signal it
    // forwards, to its own group, the sentry's) would continue a rung
    // doorbell before the loop collects its stop, and the ring is lost.
    ::setpgid(0, 0);
    sigset_t all;
    sigfillset(&all);
    ::sigprocmask(SIG_BLOCK, &all, nullptr);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (::getppid() != parent) ::_exit(0);  // the sentry died already
    ::prctl(PR_SET_NAME, "sentry-doorbell", 0, 0, 0);
    ::syscall(SYS_close_range, 0U, ~0U, 0U);
    for (;;) ::pause();  // SIGSTOP stops it, SIGCONT continues it, SIGKILL ends it
  }
  ::setpgid(pid, pid);  // either may run first; the group is set before any ring
  return Doorbell(pid);
}

Doorbell::Doorbell(Doorbell&& other) noexcept : pid_(std::exchange(other.pid_, 0)) {}

Doorbell& Doorbell::operator=(Doorbell&& other) noexcept {
  if (this != &other) {
    Reset();
    pid_ = std::exchange(other.pid_, 0);
  }
  return *this;
}

Doorbell::~Doorbell() {
  Reset();
}

void Doorbell::Reset() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  while (::waitpid(pid_, nullptr, __WALL) < 0 && errno == EINTR) {
  }
  pid_ = 0;
}

void Doorbell::Ring(pid_t pid) {
  if (pid > 0) ::kill(pid, SIGSTOP);
}

void Doorbell::Rearm() const {
  if (pid_ > 0) ::kill(pid_, SIGCONT);
}

}  // namespace sentry::platform
