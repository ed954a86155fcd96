// WriteAll: writes a whole buffer to a file descriptor, across short writes
// and EINTR. Async-signal-safe (the launcher's child uses it before exec).
#pragma once

#include <unistd.h>

#include <cerrno>
#include <cstddef>

namespace sentry::platform {

// False if the descriptor refused (errno says why) before all was written.
inline bool WriteAll(int fd, const void* data, std::size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace sentry::platform
