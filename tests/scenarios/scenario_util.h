// Helpers shared by the scenario programs (scenarios.cc, races.cc): they
// synchronise with pipes and fail loudly (exit 99) when a call fails.
#pragma once

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace scenarios {

inline void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "scenario: %s: %s\n", what, std::strerror(errno));
    std::exit(99);
  }
}

inline void ReadByte(int fd) {
  char c;
  while (read(fd, &c, 1) < 0 && errno == EINTR) {
  }
}

inline void WriteByte(int fd) {
  Check(write(fd, "x", 1) == 1, "write");
}

// waitpid(pid) retried on EINTR; the wait status.
inline int WaitFor(pid_t pid, int options = 0) {
  int status = 0;
  pid_t got;
  do {
    got = waitpid(pid, &status, options);
  } while (got < 0 && errno == EINTR);
  Check(got == pid, "waitpid");
  return status;
}

}  // namespace scenarios
