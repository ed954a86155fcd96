// PtyRelay: copies the user's keystrokes to the workload's terminal and the
// terminal's output back, on a thread of its own so that a slow reader of the
// sentry's stdout never holds up the tracer.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "platform/unique_fd.h"

namespace sentry::platform {

class PtyRelay {
 public:
  // Relays `in` -> `master` and `master` -> `out` until Finish(). The fds
  // stay owned by the caller and must outlive the relay.
  PtyRelay(int in, int out, int master);
  ~PtyRelay();
  PtyRelay(const PtyRelay&) = delete;
  PtyRelay& operator=(const PtyRelay&) = delete;

  // Stops the thread, then copies what the terminal still holds to `out`
  // until no writer is left (EIO) or nothing arrives for a moment.
  void Finish();

  // Stops reading the user's keystrokes (output is still copied), and
  // returns once the thread no longer reads them: what the user types next
  // is for the caller (the stepper's prompt), until ResumeInput.
  void PauseInput();
  void ResumeInput();

 private:
  void Loop();
  void Stop();
  bool CopyOutput() const;  // false once the master is done (EOF, EIO)

  int in_;
  int out_;
  int master_;
  UniqueFd wake_;        // eventfd: Stop() tells the thread to return
  UniqueFd pause_wake_;  // eventfd: PauseInput/ResumeInput changed input_paused_
  std::mutex pause_mu_;
  std::condition_variable pause_cv_;
  bool input_paused_ = false;  // guarded by pause_mu_
  bool input_parked_ = false;  // the thread saw the pause (guarded by pause_mu_)
  std::string typed_;          // keystrokes the terminal has not taken yet (thread only)
  std::thread thread_;         // started last, joined by Stop()
};

}  // namespace sentry::platform
