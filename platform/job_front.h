// JobFront: with a terminal, the process the user's shell started, and
// waits for, is a small front that plays the job: it holds the user's
// terminal (raw mode, keystrokes) and stops and continues as the shell
// tells it. The sentry proper (tracer, view, log) runs in a child of it, in
// a process group of its own, so that a stopped job (Ctrl-Z) stops only the
// front: the view still answers, its events stream stays open and freeze
// still works. The shell's job control never reaches the back; the front
// forwards what the user sends it (SIGINT, SIGTERM, SIGHUP, SIGQUIT,
// SIGWINCH, SIGABRT...) and ends as the back ends, exit code or signal.
//
// Without a terminal there is no front: the shell's job is the sentry.
#pragma once

#include <sys/types.h>

#include <csignal>
#include <expected>
#include <string>

#include "platform/unique_fd.h"

namespace sentry::platform {

class JobFront {
 public:
  // Forks. In the calling process, the front, it never returns: it ends as
  // the back does. In the child, the back, it returns the link to the front.
  // Call it before the process has threads. stdin must be a terminal.
  static std::expected<JobFront, std::string> Split();

  // Asks the front to put the user's terminal in raw mode and relay its
  // keystrokes (after the workload's pty has copied its settings).
  void TakeTerminal() const;

  // The user's keystrokes, as the front reads them off the terminal (typed
  // ahead before TakeTerminal included); EOF once the terminal is gone.
  int Keys() const { return keys_.Get(); }

  // Asks the front to stop as the job (the terminal restored first). Once
  // the shell continues it (fg), the front sends this process SIGCONT.
  void Suspend() const;

  // The terminal as the user had it (not raw), before this returns.
  void RestoreTerminal() const;

  // The back blocks SIGTTOU (its writes to the terminal come from a
  // background group); the workload gets it as it was before the split.
  sigset_t WorkloadMask(sigset_t sentry_mask) const;

 private:
  JobFront(UniqueFd keys, UniqueFd control, bool ttou_blocked_before)
      : keys_(std::move(keys)),
        control_(std::move(control)),
        ttou_blocked_before_(ttou_blocked_before) {}
  UniqueFd keys_;
  UniqueFd control_;  // a socket: requests to the front, its acknowledgements
  bool ttou_blocked_before_;
};

}  // namespace sentry::platform
