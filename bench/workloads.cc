// Workloads for the trace benchmark: `workloads forkexec N` forks, execs
// /bin/true and waits N times; `workloads syscalls N` makes N cheap syscalls
// that the seccomp filter lets through (no lifecycle syscalls).
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  const long n = std::atol(argv[2]);
  if (std::strcmp(argv[1], "forkexec") == 0) {
    for (long i = 0; i < n; ++i) {
      const pid_t pid = fork();
      if (pid == 0) {
        execl("/bin/true", "true", nullptr);
        _exit(127);
      }
      int status = 0;
      waitpid(pid, &status, 0);
    }
    return 0;
  }
  if (std::strcmp(argv[1], "syscalls") == 0) {
    long sum = 0;
    for (long i = 0; i < n; ++i) sum += syscall(SYS_getppid);
    return sum == 0 ? 1 : 0;
  }
  return 2;
}
