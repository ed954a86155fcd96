#include "platform/terminal.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace sentry::platform {
namespace {

std::string Failed(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
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
  if (::tcsetattr(fd, TCSADRAIN, &raw) != 0) return std::unexpected(Failed("tcsetattr"));
  fd_ = fd;
  return {};
}

void RawMode::Restore() {
  if (fd_ < 0) return;
  ::tcsetattr(fd_, TCSADRAIN, &saved_);
  fd_ = -1;
}

}  // namespace sentry::platform
