// CaughtSignals: while alive, the signals a user sends the sentry (SIGINT,
// SIGTERM...) run a handler in the tracer's thread that counts them and
// wakes its loop: an eventfd for a loop that polls, the doorbell for one
// blocked in wait4 (both async-signal-safe to touch). They are unblocked in
// the creating thread only; every other thread of the sentry blocks all
// signals (StartQuietThread), so only that thread takes them. At the end
// they are blocked again (one that comes late stays pending, for the caller
// to sigwait) and their former actions restored.
//
// Handlers are process-wide: one CaughtSignals at a time.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <initializer_list>
#include <vector>

namespace sentry::platform {

class CaughtSignals {
 public:
  // Installed with SA_RESTART: a wait4 or read under way goes on.
  CaughtSignals(std::initializer_list<int> signals, int wake_fd, pid_t doorbell);
  CaughtSignals(const CaughtSignals&) = delete;
  CaughtSignals& operator=(const CaughtSignals&) = delete;
  ~CaughtSignals();

  // Whether any came since the last Take (no syscall).
  static bool Pending();
  // Those that came since the last Take, in signal-number order, each as
  // often as it came.
  std::vector<int> Take();
  // The doorbell died (it was reaped): ring nothing from now on.
  static void ForgetDoorbell();

 private:
  std::vector<int> signals_;
  std::vector<struct sigaction> former_;
};

}  // namespace sentry::platform
