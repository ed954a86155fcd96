#include "fusefs/host_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>

namespace sentry::fusefs {

std::optional<std::string> ReadHostFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  std::array<char, 4096> buf{};
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buf.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

std::optional<std::string> ReadHostLink(const std::string& path) {
  std::array<char, 4096> buf{};
  const ssize_t n = ::readlink(path.c_str(), buf.data(), buf.size());
  if (n < 0) return std::nullopt;
  return std::string(buf.data(), static_cast<std::size_t>(n));
}

std::string HostTaskDir(int root_tid, bool thread) {
  std::string tid = std::to_string(root_tid);
  return thread ? "/proc/" + tid + "/task/" + tid : "/proc/" + tid;
}

}  // namespace sentry::fusefs
