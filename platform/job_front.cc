#include "platform/job_front.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "platform/terminal.h"
#include "platform/write_all.h"

namespace sentry::platform {
namespace {

// What the front is sent and passes on to the back; SIGCHLD is the back's end.
constexpr std::array<int, 9> kForwarded = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT, SIGWINCH,
                                           SIGABRT, SIGUSR1, SIGUSR2, SIGALRM};

// Requests on the control socket, and the front's acknowledgement.
constexpr char kTakeTerminal = 'T';
constexpr char kSuspend = 'S';
constexpr char kRestore = 'R';
constexpr char kRestored = 'r';

// Keystrokes the front holds while the back does not read them; beyond this
// it stops reading the terminal (the kernel's queue holds the rest).
constexpr std::size_t kMaxPendingKeys = 1 << 16;

sigset_t FrontSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (const int s : kForwarded) sigaddset(&set, s);
  sigaddset(&set, SIGCHLD);
  return set;
}

// Ends the front as the back ended: its exit code, or its signal.
[[noreturn]] void EndAs(int status, RawMode& raw) {
  raw.Restore();
  if (WIFEXITED(status)) ::_exit(WEXITSTATUS(status));
  const int signo = WIFSIGNALED(status) ? WTERMSIG(status) : SIGKILL;
  ::signal(signo, SIG_DFL);
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, signo);
  ::sigprocmask(SIG_UNBLOCK, &only, nullptr);
  ::kill(::getpid(), signo);
  ::_exit(128 + signo);  // a signal that cannot kill (none of the forwarded ones)
}

// The front: relays keystrokes, forwards signals, stops as the job when the
// back asks, ends as the back does. Single-threaded; signals come through a
// signalfd (blocked since before the fork).
[[noreturn]] void RunFront(pid_t back, UniqueFd keys, UniqueFd control, const sigset_t& signals) {
  ::signal(SIGPIPE, SIG_IGN);  // a back gone mid-write: EPIPE, not death
  const UniqueFd signal_fd(::signalfd(-1, &signals, SFD_CLOEXEC));
  RawMode raw;
  std::string pending;
  bool reading = false;  // from the back's kTakeTerminal on
  bool taken = false;
  for (;;) {
    if (taken && !reading && pending.empty() && keys) keys.Reset();  // EOF for the back
    std::array<pollfd, 4> fds{
        pollfd{.fd = reading && pending.size() < kMaxPendingKeys ? STDIN_FILENO : -1,
               .events = POLLIN,
               .revents = 0},
        pollfd{.fd = !pending.empty() ? keys.Get() : -1, .events = POLLOUT, .revents = 0},
        pollfd{.fd = control.Get(), .events = POLLIN, .revents = 0},
        pollfd{.fd = signal_fd.Get(), .events = POLLIN, .revents = 0}};
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      ::_exit(125);
    }
    if (fds[0].revents != 0) {
      std::array<char, 4096> buf{};
      const ssize_t n = ::read(STDIN_FILENO, buf.data(), buf.size());
      if (n > 0) {
        pending.append(buf.data(), static_cast<std::size_t>(n));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        reading = false;  // the terminal is gone (EOF, EIO on hang-up)
      }
    }
    if (fds[1].revents != 0) {
      const ssize_t n = ::write(keys.Get(), pending.data(), pending.size());
      if (n > 0) {
        pending.erase(0, static_cast<std::size_t>(n));
      } else if (n < 0 && errno != EINTR && errno != EAGAIN) {
        pending.clear();  // the back reads no more
        reading = false;
      }
    }
    if (fds[2].revents != 0) {
      char request = 0;
      const ssize_t n = ::read(control.Get(), &request, 1);
      if (n <= 0) {
        control.Reset();  // the back is ending: its SIGCHLD follows
      } else if (request == kTakeTerminal && !taken) {
        // Lines typed before the start go to the workload first (the pty has
        // the terminal's settings by now), then the terminal goes raw.
        taken = true;
        MovePendingInput(STDIN_FILENO, keys.Get());
        ::fcntl(keys.Get(), F_SETFL, O_NONBLOCK);
        (void)raw.Enter(STDIN_FILENO);  // not a terminal after all: keys still flow
        reading = true;
      } else if (request == kSuspend) {
        // SIGTSTP, not SIGSTOP: in an orphaned group (no shell with job
        // control) the kernel discards it and the job goes on at once.
        raw.Restore();
        ::kill(::getpid(), SIGTSTP);
        // Continued (fg). In the background (bg) this stops it again
        // (SIGTTOU), as a job that wants its terminal.
        (void)raw.Enter(STDIN_FILENO);
        ::kill(back, SIGCONT);
      } else if (request == kRestore) {
        // The run is over: what the user types next is their shell's.
        raw.Restore();
        reading = false;
        WriteAll(control.Get(), &kRestored, 1);
      }
    }
    if (fds[3].revents != 0) {
      signalfd_siginfo info{};
      if (::read(signal_fd.Get(), &info, sizeof info) != static_cast<ssize_t>(sizeof info)) {
        continue;
      }
      const auto signo = static_cast<int>(info.ssi_signo);
      if (signo != SIGCHLD) {
        ::kill(back, signo);
        // A hang-up continues the foreground job it ends (Linux
        // tty_vhangup: SIGHUP then SIGCONT), and `kill`, `timeout` and
        // systemd follow SIGTERM with SIGCONT: a back stopped by hand gets
        // the same chance to end.
        if (signo == SIGHUP || signo == SIGTERM) ::kill(back, SIGCONT);
        continue;
      }
      int status = 0;
      pid_t got = 0;
      do {
        got = ::waitpid(back, &status, WNOHANG);
      } while (got < 0 && errno == EINTR);
      if (got == back) EndAs(status, raw);
    }
  }
}

std::string Failed(const char* what) {
  return std::string("the job's front: ") + what + ": " + std::strerror(errno);
}

}  // namespace

std::expected<JobFront, std::string> JobFront::Split() {
  int keys[2];
  if (::pipe2(keys, O_CLOEXEC) != 0) return std::unexpected(Failed("pipe"));
  UniqueFd keys_read(keys[0]);
  UniqueFd keys_write(keys[1]);
  int control[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, control) != 0) {
    return std::unexpected(Failed("socketpair"));
  }
  UniqueFd front_end(control[0]);
  UniqueFd back_end(control[1]);
  // Blocked before the fork: one sent at once is the front's to forward.
  const sigset_t signals = FrontSignals();
  sigset_t before;
  ::sigprocmask(SIG_BLOCK, &signals, &before);
  const pid_t front = ::getpid();
  const pid_t back = ::fork();
  if (back < 0) {
    const std::string error = Failed("fork");
    ::sigprocmask(SIG_SETMASK, &before, nullptr);
    return std::unexpected(error);
  }
  if (back > 0) {
    keys_read.Reset();
    back_end.Reset();
    RunFront(back, std::move(keys_write), std::move(front_end), signals);
  }
  // The back's group is never the terminal's foreground: with `stty tostop`
  // what it writes there (its messages, the step prompt, the workload's
  // relayed output) would stop it with SIGTTOU. Blocked, the write goes
  // through (Linux tty_check_change lets a task that blocks or ignores
  // SIGTTOU write). Threads started later inherit the mask; the workload
  // starts with the mask from before (WorkloadMask).
  sigset_t back_mask = before;
  sigaddset(&back_mask, SIGTTOU);
  ::sigprocmask(SIG_SETMASK, &back_mask, nullptr);
  // The front's death (SIGKILL) is the sentry's, as before the split: the
  // workload goes too (PTRACE_O_EXITKILL).
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != front) ::_exit(125);
  // A group of its own: the terminal's and the shell's job control (SIGTSTP,
  // SIGCONT, SIGINT from the keyboard) reach the front only.
  if (::setpgid(0, 0) != 0) return std::unexpected(Failed("setpgid"));
  return JobFront(std::move(keys_read), std::move(back_end), sigismember(&before, SIGTTOU) == 1);
}

sigset_t JobFront::WorkloadMask(sigset_t sentry_mask) const {
  if (!ttou_blocked_before_) sigdelset(&sentry_mask, SIGTTOU);
  return sentry_mask;
}

void JobFront::TakeTerminal() const {
  WriteAll(control_.Get(), &kTakeTerminal, 1);
}

void JobFront::Suspend() const {
  WriteAll(control_.Get(), &kSuspend, 1);
}

void JobFront::RestoreTerminal() const {
  if (!WriteAll(control_.Get(), &kRestore, 1)) return;
  // A front stopped meanwhile cannot answer: not waited for long.
  pollfd answer{.fd = control_.Get(), .events = POLLIN, .revents = 0};
  if (::poll(&answer, 1, 2000) == 1) {
    char ack = 0;
    [[maybe_unused]] const ssize_t n = ::read(control_.Get(), &ack, 1);
  }
}

}  // namespace sentry::platform
