#include "platform/caught_signals.h"

#include <sys/eventfd.h>

#include <array>
#include <atomic>
#include <cerrno>

#include "platform/doorbell.h"

namespace sentry::platform {

namespace {

// What the handler touches: lock-free atomics only.
std::atomic<int> g_wake_fd{-1};
std::atomic<pid_t> g_doorbell{0};
std::atomic<bool> g_pending{false};
std::array<std::atomic<unsigned>, NSIG> g_counts{};

static_assert(std::atomic<int>::is_always_lock_free && std::atomic<unsigned>::is_always_lock_free &&
              std::atomic<bool>::is_always_lock_free);  // pid_t is int

void Caught(int signo) {
  const int saved_errno = errno;
  g_counts[static_cast<std::size_t>(signo)].fetch_add(1);
  g_pending.store(true);
  if (const int fd = g_wake_fd.load(); fd >= 0) ::eventfd_write(fd, 1);
  Doorbell::Ring(g_doorbell.load());
  errno = saved_errno;
}

}  // namespace

CaughtSignals::CaughtSignals(std::initializer_list<int> signals, int wake_fd, pid_t doorbell)
    : signals_(signals) {
  g_wake_fd.store(wake_fd);
  g_doorbell.store(doorbell);
  struct sigaction action {};
  action.sa_handler = Caught;
  action.sa_flags = SA_RESTART;
  sigfillset(&action.sa_mask);  // one handler at a time
  sigset_t set;
  sigemptyset(&set);
  former_.resize(signals_.size());
  for (std::size_t i = 0; i < signals_.size(); ++i) {
    ::sigaction(signals_[i], &action, &former_[i]);
    sigaddset(&set, signals_[i]);
  }
  ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

CaughtSignals::~CaughtSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (const int s : signals_) sigaddset(&set, s);
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
  for (std::size_t i = 0; i < signals_.size(); ++i) ::sigaction(signals_[i], &former_[i], nullptr);
  g_doorbell.store(0);
  g_wake_fd.store(-1);
}

bool CaughtSignals::Pending() {
  return g_pending.load();
}

std::vector<int> CaughtSignals::Take() {
  std::vector<int> taken;
  g_pending.store(false);  // before the counts: one coming meanwhile stays pending
  for (const int s : signals_) {
    for (unsigned n = g_counts[static_cast<std::size_t>(s)].exchange(0); n > 0; --n) {
      taken.push_back(s);
    }
  }
  return taken;
}

void CaughtSignals::ForgetDoorbell() {
  g_doorbell.store(0);
}

}  // namespace sentry::platform
