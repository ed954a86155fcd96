#include "tests/scenarios/view_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "tests/scenarios/scenario_util.h"

namespace scenarios {

namespace {

int g_hold[2];  // threads and children block reading this until the end

void* Sleeper(void*) {
  ReadByte(g_hold[0]);
  return nullptr;
}

// Forks a child that runs `body` and exits with its result.
template <class Fn>
pid_t Child(Fn body) {
  const pid_t pid = fork();
  Check(pid >= 0, "fork");
  if (pid == 0) {
    close(g_hold[1]);  // only the first process holds it: its close ends the holds
    _exit(body());
  }
  return pid;
}

bool WaitForLine() {
  char buf[64];
  return fgets(buf, sizeof buf, stdin) != nullptr;
}

}  // namespace

int ViewFixture() {
  Check(pipe(g_hold) == 0, "pipe");
  pthread_t threads[2];
  for (pthread_t& t : threads) Check(pthread_create(&t, nullptr, Sleeper, nullptr) == 0, "thread");

  int ready[2];
  Check(pipe(ready) == 0, "pipe");
  // A stopped job in a group of its own.
  const pid_t job = Child([] {
    setpgid(0, 0);
    raise(SIGSTOP);
    return 0;
  });
  setpgid(job, job);
  WaitFor(job, WUNTRACED);
  // A zombie.
  const pid_t zombie = Child([] { return 3; });
  siginfo_t info{};
  Check(waitid(P_PID, zombie, &info, WEXITED | WNOWAIT) == 0, "waitid");
  // A second session with a child of its own, and an orphan.
  const pid_t leader = Child([&] {
    setsid();
    const pid_t inner = Child([&] {
      ReadByte(g_hold[0]);
      return 0;
    });
    const pid_t middle = Child([&] {
      Child([&] {
        ReadByte(g_hold[0]);
        return 0;
      });
      return 0;  // its child is orphaned
    });
    WaitFor(middle);
    WriteByte(ready[1]);
    ReadByte(g_hold[0]);
    WaitFor(inner);
    return 0;
  });
  ReadByte(ready[0]);

  std::printf("ready\n");
  std::fflush(stdout);
  WaitForLine();

  close(g_hold[1]);  // everyone blocked on it wakes up and ends
  kill(job, SIGKILL);
  WaitFor(job);
  WaitFor(zombie);
  WaitFor(leader);
  for (pthread_t t : threads) pthread_join(t, nullptr);
  return 0;
}

int ViewStepper() {
  std::printf("ready\n");
  std::fflush(stdout);
  char line[64];
  while (fgets(line, sizeof line, stdin) != nullptr) {
    if (std::strncmp(line, "quit", 4) == 0) break;
    if (std::strncmp(line, "fork", 4) == 0) {
      const pid_t child = Child([] { return 7; });
      siginfo_t info{};
      Check(waitid(P_PID, child, &info, WEXITED | WNOWAIT) == 0, "waitid");
      std::printf("zombie %d\n", child);
      std::fflush(stdout);
      if (fgets(line, sizeof line, stdin) == nullptr) break;
      WaitFor(child);
      std::printf("reaped %d\n", child);
      std::fflush(stdout);
    }
  }
  return 0;
}

int ViewSpinner() {
  const pid_t child = fork();
  Check(child >= 0, "fork");
  if (child == 0) {
    volatile unsigned long spins = 0;
    for (;;) {
      const unsigned long next = spins + 1;
      spins = next;
    }
  }
  std::printf("ready %d\n", child);
  std::fflush(stdout);
  char line[64];
  while (fgets(line, sizeof line, stdin) != nullptr) {
    if (std::strncmp(line, "check", 5) == 0) {
      int status = 0;
      std::printf("%d\n", static_cast<int>(waitpid(child, &status, WNOHANG | WUNTRACED)));
      std::fflush(stdout);
    } else if (std::strncmp(line, "quit", 4) == 0) {
      break;
    }
  }
  kill(child, SIGKILL);
  WaitFor(child);
  return 0;
}

int ViewStuckPipeline() {
  // Only its own descriptors: one inherited from the test's runner (ctest's
  // log, still being written) would move while the tools compare.
  Check(close_range(3, ~0U, 0) == 0, "close_range");
  Check(pipe(g_hold) == 0, "pipe");
  pthread_t threads[2];
  for (int i = 0; i < 2; ++i) {
    Check(pthread_create(&threads[i], nullptr, Sleeper, nullptr) == 0, "thread");
    Check(pthread_setname_np(threads[i], i == 0 ? "worker-1" : "worker-2") == 0, "setname");
  }
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  Check(listener >= 0, "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  Check(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0, "bind");
  Check(listen(listener, 1) == 0, "listen");
  int pair[2];
  Check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0, "socketpair");
  const int log = open("/dev/null", O_WRONLY | O_APPEND | O_CLOEXEC);
  Check(log >= 0, "open");

  int pipeline[2];
  Check(pipe(pipeline) == 0, "pipe");
  const pid_t reader = Child([&] {
    close(pipeline[1]);
    raise(SIGSTOP);  // stopped before it reads anything: the writer stalls
    char buf[4096];
    while (read(pipeline[0], buf, sizeof buf) > 0) {
    }
    return 0;
  });
  WaitFor(reader, WUNTRACED);
  int filled[2];
  Check(pipe(filled) == 0, "pipe");
  const pid_t writer = Child([&] {
    close(pipeline[0]);
    close(filled[0]);
    // Full once the pipe's 64 KiB are written; says so, then blocks.
    const int flags = fcntl(pipeline[1], F_GETFL);
    fcntl(pipeline[1], F_SETFL, flags | O_NONBLOCK);
    char block[4096] = {};
    while (write(pipeline[1], block, sizeof block) > 0) {
    }
    fcntl(pipeline[1], F_SETFL, flags);
    WriteByte(filled[1]);
    for (;;) {
      if (write(pipeline[1], block, sizeof block) < 0) return 0;  // EPIPE at the end
    }
  });
  close(pipeline[0]);
  close(pipeline[1]);
  close(filled[1]);
  ReadByte(filled[0]);

  std::printf("ready %d %d\n", writer, reader);
  std::fflush(stdout);
  WaitForLine();

  close(g_hold[1]);
  kill(reader, SIGKILL);  // the writer then gets EPIPE
  WaitFor(reader);
  WaitFor(writer);
  for (pthread_t t : threads) pthread_join(t, nullptr);
  close(listener);
  close(pair[0]);
  close(pair[1]);
  close(log);
  return 0;
}

}  // namespace scenarios
