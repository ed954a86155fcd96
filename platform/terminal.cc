#include "platform/terminal.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "platform/write_all.h"

namespace sentry::platform {
namespace {

std::string Failed(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

// If the sentry crashes while the user's terminal is raw, the terminal is
// restored before the crash goes on (to the previous handler, or death).
// One RawMode at a time holds these; a handler only reads them.
constexpr std::array<int, 5> kCrashSignals = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
volatile sig_atomic_t g_raw_fd = -1;
termios g_saved_settings{};
std::array<struct sigaction, kCrashSignals.size()> g_previous_actions{};

void RestoreTerminalOnCrash(int signo) {
  if (g_raw_fd >= 0) ::tcsetattr(g_raw_fd, TCSANOW, &g_saved_settings);
  for (std::size_t i = 0; i < kCrashSignals.size(); ++i) {
    if (kCrashSignals[i] == signo) ::sigaction(signo, &g_previous_actions[i], nullptr);
  }
  ::raise(signo);  // delivered once this handler returns
}

void InstallCrashRestore(int fd, const termios& settings) {
  g_saved_settings = settings;
  g_raw_fd = fd;
  struct sigaction action {};
  action.sa_handler = RestoreTerminalOnCrash;
  sigemptyset(&action.sa_mask);
  for (std::size_t i = 0; i < kCrashSignals.size(); ++i) {
    ::sigaction(kCrashSignals[i], &action, &g_previous_actions[i]);
  }
}

void RemoveCrashRestore() {
  if (g_raw_fd < 0) return;
  g_raw_fd = -1;
  for (std::size_t i = 0; i < kCrashSignals.size(); ++i) {
    ::sigaction(kCrashSignals[i], &g_previous_actions[i], nullptr);
  }
}

}  // namespace

std::int32_t EncodeTtyNr(dev_t device) {
  const unsigned major_nr = major(device);
  const unsigned minor_nr = minor(device);
  return static_cast<std::int32_t>((minor_nr & 0xffU) | (major_nr << 8U) |
                                   ((minor_nr & ~0xffU) << 12U));
}

std::expected<Pty, std::string> OpenPty(int like) {
  Pty pty;
  pty.master = UniqueFd(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!pty.master) return std::unexpected(Failed("posix_openpt"));
  if (::grantpt(pty.master.Get()) != 0) return std::unexpected(Failed("grantpt"));
  if (::unlockpt(pty.master.Get()) != 0) return std::unexpected(Failed("unlockpt"));
  char name[64];
  if (::ptsname_r(pty.master.Get(), name, sizeof name) != 0) {
    return std::unexpected(Failed("ptsname"));
  }
  pty.slave = UniqueFd(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!pty.slave) return std::unexpected(Failed(name));
  termios settings{};
  if (::tcgetattr(like, &settings) == 0) ::tcsetattr(pty.slave.Get(), TCSANOW, &settings);
  CopyWindowSize(like, pty.slave.Get());
  struct stat st {};
  if (::fstat(pty.slave.Get(), &st) != 0) return std::unexpected(Failed(name));
  pty.tty_nr = EncodeTtyNr(st.st_rdev);
  return pty;
}

void MovePendingInput(int from, int to) {
  // Canonical: readable only once a whole line or an end of file is there.
  std::array<char, 4096> buf{};
  for (;;) {
    pollfd ready{.fd = from, .events = POLLIN, .revents = 0};
    if (::poll(&ready, 1, 0) != 1 || (ready.revents & POLLIN) == 0) return;
    const ssize_t n = ::read(from, buf.data(), buf.size());
    if (n > 0) {
      WriteAll(to, buf.data(), static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) {
      termios settings{};
      if (::tcgetattr(from, &settings) != 0) return;
      const char end = static_cast<char>(settings.c_cc[VEOF]);
      WriteAll(to, &end, 1);
    }
    return;
  }
}

void CopyWindowSize(int from, int to) {
  winsize size{};
  if (::ioctl(from, TIOCGWINSZ, &size) == 0) ::ioctl(to, TIOCSWINSZ, &size);
}

RawMode::~RawMode() {
  Restore();
}

std::expected<void, std::string> RawMode::Enter(int fd) {
  if (::tcgetattr(fd, &saved_) != 0) return std::unexpected(Failed("tcgetattr"));
  termios raw = saved_;
  ::cfmakeraw(&raw);
  InstallCrashRestore(fd, saved_);
  if (::tcsetattr(fd, TCSADRAIN, &raw) != 0) {
    const std::string error = Failed("tcsetattr");
    RemoveCrashRestore();
    return std::unexpected(error);
  }
  fd_ = fd;
  return {};
}

void RawMode::Restore() {
  if (fd_ < 0) return;
  ::tcsetattr(fd_, TCSADRAIN, &saved_);
  RemoveCrashRestore();
  fd_ = -1;
}

}  // namespace sentry::platform
