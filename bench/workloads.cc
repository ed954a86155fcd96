// Workloads for the trace benchmark: `workloads forkexec N` forks, execs
// /bin/true and waits N times; `workloads syscalls N` makes N cheap syscalls
// that the seccomp filter lets through (no lifecycle syscalls); `workloads
// threads N` creates and joins N threads one after another; `workloads
// pollwait N` polls a live child with waitpid(WNOHANG) N times.
#include <pthread.h>
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
  if (std::strcmp(argv[1], "threads") == 0) {
    for (long i = 0; i < n; ++i) {
      pthread_t thread{};
      if (pthread_create(
              &thread, nullptr, [](void*) -> void* { return nullptr; }, nullptr) != 0) {
        return 1;
      }
      pthread_join(thread, nullptr);
    }
    return 0;
  }
  if (std::strcmp(argv[1], "pollwait") == 0) {
    int gate[2];
    if (pipe(gate) != 0) return 1;
    const pid_t child = fork();
    if (child == 0) {
      close(gate[1]);
      char byte = 0;
      (void)!read(gate[0], &byte, 1);  // until the parent is done polling
      _exit(0);
    }
    close(gate[0]);
    long found = 0;
    for (long i = 0; i < n; ++i) found += waitpid(child, nullptr, WNOHANG);
    close(gate[1]);
    int status = 0;
    waitpid(child, &status, 0);
    return found == 0 ? 0 : 1;
  }
  if (std::strcmp(argv[1], "syscalls") == 0) {
    long sum = 0;
    for (long i = 0; i < n; ++i) sum += syscall(SYS_getppid);
    return sum == 0 ? 1 : 0;
  }
  return 2;
}
