// The workload's own terminal: a pseudo-terminal pair set up like the user's
// terminal, and the user's terminal put in raw mode while the sentry relays.
#pragma once

#include <sys/types.h>
#include <termios.h>

#include <cstdint>
#include <expected>
#include <string>

#include "platform/unique_fd.h"

namespace sentry::platform {

struct Pty {
  UniqueFd master;
  // The sentry keeps the slave open for the whole run, so the master never
  // reads EIO before the workload has opened it; the workload gets a copy.
  UniqueFd slave;
  std::int32_t tty_nr = 0;  // the slave's device as /proc/PID/stat's tty_nr encodes it
};

// Opens a pty whose slave has `like`'s settings and window size.
std::expected<Pty, std::string> OpenPty(int like);

// Moves what terminal `from` holds before it is put in raw mode into `to`:
// lines typed ahead, and an end of file (^D; script(1) sends one when its
// own input ends) as `from`'s end-of-file character (the workload's pty has
// `from`'s settings; `to` may be a pipe to it). In raw mode Linux hands a
// pending end of file over as a NUL byte, and the end would be lost.
// Never blocks.
void MovePendingInput(int from, int to);

// Copies the window size of terminal `from` to terminal `to` (the kernel
// sends SIGWINCH to `to`'s foreground group).
void CopyWindowSize(int from, int to);

// Linux's new_encode_dev, as tty_nr appears in /proc/PID/stat.
std::int32_t EncodeTtyNr(dev_t device);

// Puts a terminal in raw mode and restores its settings when destroyed (or
// the sentry crashes: SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT): the keys
// (Ctrl-C, Ctrl-Z) go through to the workload's terminal, which turns them
// into signals for its foreground group. One at a time.
class RawMode {
 public:
  RawMode() = default;
  ~RawMode();
  RawMode(const RawMode&) = delete;
  RawMode& operator=(const RawMode&) = delete;

  std::expected<void, std::string> Enter(int fd);
  void Restore();

 private:
  int fd_ = -1;
  termios saved_{};
};

}  // namespace sentry::platform
