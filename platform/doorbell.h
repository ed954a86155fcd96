// Doorbell: a child process through which the tracer's loop is woken while
// it blocks in wait4.
//
// wait4 waits for children only, not for fds or signals; a loop that must
// also hear the sentry's own signals and the view's freeze requests would
// otherwise poll a signalfd and pay three more syscalls per report. Ringing
// the doorbell (SIGSTOP, async-signal-safe) stops it; its stop is a report
// that wait4(__WALL | WUNTRACED) returns, and a SIGCHLD for a loop that
// polls. A stop stays reportable until collected, so a ring that comes just
// before the loop blocks is not lost.
//
// It is created with no exit signal: a "clone child", which a wait4 without
// __WALL does not see (Linux eligible_child), so ECHILD there still means
// the workload is gone. It holds no fd, leads a process group of its own
// (a SIGCONT to the sentry's group must not undo a ring), blocks every
// signal it can, dies with the sentry (PR_SET_PDEATHSIG), and is killed and
// reaped by its owner.
#pragma once

#include <sys/types.h>

#include <expected>
#include <string>

namespace sentry::platform {

class Doorbell {
 public:
  static std::expected<Doorbell, std::string> Start();
  Doorbell(Doorbell&& other) noexcept;
  Doorbell& operator=(Doorbell&& other) noexcept;
  Doorbell(const Doorbell&) = delete;
  Doorbell& operator=(const Doorbell&) = delete;
  ~Doorbell();

  pid_t Pid() const { return pid_; }
  // Async-signal-safe.
  static void Ring(pid_t pid);
  // Its stop was collected: continue it, ready to ring again.
  void Rearm() const;
  // It was reaped (it died): nothing left to kill.
  void Forget() { pid_ = 0; }

 private:
  explicit Doorbell(pid_t pid) : pid_(pid) {}
  void Reset();

  pid_t pid_ = 0;
};

}  // namespace sentry::platform
