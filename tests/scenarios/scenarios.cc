// Scenario programs for the platform tests: `scenarios MODE`. Each prints
// what it observed; run natively and under `sentry run`, the output and exit
// status must be the same. Synchronised with pipes, never with sleeps.
#include <dirent.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "tests/scenarios/fellow_waiters.h"
#include "tests/scenarios/inspect_fixture.h"
#include "tests/scenarios/races.h"
#include "tests/scenarios/random_workload.h"
#include "tests/scenarios/scenario_util.h"
#include "tests/scenarios/view_fixture.h"

namespace {

using scenarios::Check;
using scenarios::ReadByte;
using scenarios::WaitFor;
using scenarios::WriteByte;

const char* Describe(int status) {
  static char buf[64];
  if (WIFEXITED(status))
    std::snprintf(buf, sizeof buf, "exited %d", WEXITSTATUS(status));
  else if (WIFSIGNALED(status))
    std::snprintf(buf, sizeof buf, "killed by %d%s", WTERMSIG(status),
                  WCOREDUMP(status) ? " (core dumped)" : "");
  else if (WIFSTOPPED(status))
    std::snprintf(buf, sizeof buf, "stopped by %d", WSTOPSIG(status));
  else if (WIFCONTINUED(status))
    std::snprintf(buf, sizeof buf, "continued");
  return buf;
}

// fork, exec /bin/true or /bin/false, wait: in order.
int ForkExecWait() {
  for (int i = 0; i < 20; ++i) {
    const pid_t pid = fork();
    Check(pid >= 0, "fork");
    if (pid == 0) {
      execl(i % 2 ? "/bin/false" : "/bin/true", "x", nullptr);
      _exit(127);
    }
    std::printf("child %d %s\n", i, Describe(WaitFor(pid)));
  }
  return 0;
}

void* Idle(void* arg) {
  ReadByte(*static_cast<int*>(arg));
  return nullptr;
}

// 200 threads, all alive at once, then joined.
int Threads() {
  int p[2];
  Check(pipe(p) == 0, "pipe");
  std::vector<pthread_t> threads(200);
  for (auto& t : threads) Check(pthread_create(&t, nullptr, Idle, &p[0]) == 0, "pthread_create");
  for (std::size_t i = 0; i < threads.size(); ++i) WriteByte(p[1]);
  for (auto& t : threads) pthread_join(t, nullptr);
  std::printf("joined %zu threads\n", threads.size());
  return 0;
}

void* ExecFromThread(void*) {
  execl("/bin/sh", "sh", "-c", "echo exec from a thread; exit 7", nullptr);
  return nullptr;
}

// A non-leader thread execs: the process lives on with the leader's pid.
int NonLeaderExec() {
  const pid_t pid = fork();
  Check(pid >= 0, "fork");
  if (pid == 0) {
    pthread_t t;
    pthread_create(&t, nullptr, ExecFromThread, nullptr);
    pthread_join(t, nullptr);  // never returns: the exec replaces us
    _exit(1);
  }
  std::printf("child %s\n", Describe(WaitFor(pid)));
  return 0;
}

// vfork, posix_spawn and system().
int Spawn() {
  const pid_t v = vfork();  // NOLINT: vfork is what this scenario exercises
  if (v == 0) {
    execl("/bin/true", "true", nullptr);
    _exit(127);
  }
  std::printf("vfork child %s\n", Describe(WaitFor(v)));
  pid_t s;
  char* args[] = {const_cast<char*>("false"), nullptr};
  Check(posix_spawn(&s, "/bin/false", nullptr, nullptr, args, environ) == 0, "posix_spawn");
  std::printf("posix_spawn child %s\n", Describe(WaitFor(s)));
  std::printf("system -> %d\n", WEXITSTATUS(system("exit 5")));
  return 0;
}

// Job control: the child stops itself; the parent sees it stop (WUNTRACED),
// continues it and sees that (WCONTINUED), then lets it finish. (SIGSTOP: the
// workload leads its own session, so its group is orphaned and Linux would
// discard SIGTSTP; see TstpInOrphanedGroup.)
int JobControl() {
  int go[2];
  Check(pipe(go) == 0, "pipe");
  const pid_t pid = fork();
  Check(pid >= 0, "fork");
  if (pid == 0) {
    raise(SIGSTOP);
    ReadByte(go[0]);
    _exit(4);
  }
  std::printf("%s\n", Describe(WaitFor(pid, WUNTRACED)));
  kill(pid, SIGCONT);
  std::printf("%s\n", Describe(WaitFor(pid, WCONTINUED)));
  WriteByte(go[1]);
  std::printf("%s\n", Describe(WaitFor(pid)));
  return 0;
}

// In an orphaned process group, Linux discards SIGTSTP (SIGSTOP still stops).
int TstpInOrphanedGroup() {
  raise(SIGTSTP);
  std::printf("SIGTSTP discarded: still running\n");
  return 0;
}

// A job whose only link to the session dies while a member is stopped: the
// kernel sends the orphaned group SIGHUP and SIGCONT; SIGHUP kills it.
int OrphanedGroup() {
  int report[2];
  Check(pipe(report) == 0, "pipe");
  const pid_t job = fork();
  Check(job >= 0, "fork");
  if (job == 0) {
    setpgid(0, 0);
    const pid_t member = fork();
    if (member == 0) {
      close(report[0]);
      raise(SIGSTOP);
      _exit(0);  // not reached: SIGHUP kills it
    }
    WaitFor(member, WUNTRACED);
    _exit(0);  // the group is now orphaned with a stopped member
  }
  close(report[1]);
  std::printf("job %s\n", Describe(WaitFor(job)));
  ReadByte(report[0]);  // EOF once the member is gone
  std::printf("member gone\n");
  return 0;
}

// SIGCHLD ignored (or SA_NOCLDWAIT): children are reaped at once, wait ECHILDs.
int AutoReap(bool nocldwait) {
  struct sigaction sa {};
  sa.sa_handler = nocldwait ? SIG_DFL : SIG_IGN;
  sa.sa_flags = nocldwait ? SA_NOCLDWAIT : 0;
  sigaction(SIGCHLD, &sa, nullptr);
  for (int i = 0; i < 3; ++i) {
    if (fork() == 0) _exit(0);
  }
  const pid_t got = wait(nullptr);
  std::printf("wait -> %d (%s)\n", got, got < 0 ? std::strerror(errno) : "a child");
  return 0;
}

// A double-forked daemon: its parent exits at once; the grandchild is adopted
// (by the sentry under it) and reports through a pipe.
int Daemon() {
  int report[2];
  Check(pipe(report) == 0, "pipe");
  const pid_t pid = fork();
  if (pid == 0) {
    if (fork() == 0) {
      setsid();
      WriteByte(report[1]);
      _exit(0);
    }
    _exit(0);
  }
  std::printf("first child %s\n", Describe(WaitFor(pid)));
  close(report[1]);
  ReadByte(report[0]);
  std::printf("daemon reported\n");
  return 0;
}

// The parent dies leaving an unreaped zombie: the subreaper inherits it.
int AdoptedZombie() {
  const pid_t middle = fork();
  if (middle == 0) {
    const pid_t zombie = fork();
    if (zombie == 0) _exit(9);
    siginfo_t info{};
    // Wait until it is a zombie, without reaping it.
    Check(waitid(P_PID, zombie, &info, WEXITED | WNOWAIT) == 0, "waitid");
    _exit(0);
  }
  std::printf("middle %s\n", Describe(WaitFor(middle)));
  return 0;
}

int CloneChild(void*) {
  return 3;
}

// Run as a PID namespace's init (`sentry run --pidns`), it exits leaving a
// zombie child, a zombie clone child (exit signal 0), a live child and an
// adopted grandchild. The kernel kills the namespace, and the dying init
// reaps every one of them before its own exit ends.
int NamespaceTeardown() {
  if (getpid() != 1) {
    std::printf("not a namespace's init\n");
    return 2;
  }
  siginfo_t info{};
  const pid_t zombie = fork();
  if (zombie == 0) _exit(3);
  Check(waitid(P_PID, zombie, &info, WEXITED | WNOWAIT) == 0, "waitid");
  static char stack[64 * 1024];
  const pid_t clone_zombie = clone(CloneChild, stack + sizeof stack, 0, nullptr);
  Check(clone_zombie > 0, "clone");
  Check(waitid(P_PID, clone_zombie, &info, WEXITED | WNOWAIT | __WALL) == 0, "waitid __WALL");
  int ready[2];
  Check(pipe(ready) == 0, "pipe");
  if (fork() == 0) {
    WriteByte(ready[1]);
    pause();
    _exit(0);
  }
  const pid_t middle = fork();
  if (middle == 0) {
    if (fork() == 0) {
      WriteByte(ready[1]);
      pause();
      _exit(0);
    }
    _exit(0);
  }
  WaitFor(middle);  // its child is init's now
  ReadByte(ready[0]);
  ReadByte(ready[0]);
  std::printf("init leaves\n");
  return 0;
}

// clone() with exit signal 0: a "clone child", visible only to __WALL/__WCLONE.
int CloneExitSignal() {
  static char stack[64 * 1024];
  const pid_t pid = clone(CloneChild, stack + sizeof stack, 0, nullptr);
  Check(pid > 0, "clone");
  int status = 0;
  std::printf("plain waitpid -> %s\n",
              waitpid(pid, &status, 0) < 0 ? std::strerror(errno) : "child");
  Check(waitpid(pid, &status, __WALL) == pid, "waitpid __WALL");
  std::printf("__WALL: %s\n", Describe(status));
  return 0;
}

// setsid and setpgid errors.
int SessionErrors() {
  // Started as `sh -c` starts a command, it is in its parent's group: lead one.
  std::printf("setpgid to lead a group: %s\n", setpgid(0, 0) < 0 ? std::strerror(errno) : "ok");
  std::printf("setsid as group leader: %s\n", setsid() < 0 ? std::strerror(errno) : "ok");
  const pid_t pid = fork();
  if (pid == 0) {
    std::printf("child setsid: %s\n", setsid() < 0 ? std::strerror(errno) : "ok");
    std::printf("child setsid again: %s\n", setsid() < 0 ? std::strerror(errno) : "ok");
    std::fflush(stdout);
    _exit(0);
  }
  WaitFor(pid);
  const pid_t other = fork();
  if (other == 0) {
    std::printf("setpgid into another session: %s\n",
                setpgid(0, pid) < 0 ? std::strerror(errno) : "ok");
    std::fflush(stdout);
    _exit(0);
  }
  WaitFor(other);
  std::printf("setpgid of a non-child: %s\n", setpgid(1, 1) < 0 ? std::strerror(errno) : "ok");
  return 0;
}

// 1000 children at once, then reaped.
int FanOut() {
  int go[2];
  Check(pipe(go) == 0, "pipe");
  std::vector<pid_t> pids;
  for (int i = 0; i < 1000; ++i) {
    const pid_t pid = fork();
    Check(pid >= 0, "fork");
    if (pid == 0) {
      close(go[1]);
      ReadByte(go[0]);
      _exit(i % 7);
    }
    pids.push_back(pid);
  }
  close(go[1]);  // EOF releases every child
  long sum = 0;
  for (pid_t p : pids) sum += WEXITSTATUS(WaitFor(p));
  std::printf("reaped %zu, sum %ld\n", pids.size(), sum);
  return 0;
}

// Death by signal, with and without a core dump requested.
int Killed() {
  const pid_t pid = fork();
  if (pid == 0) {
    raise(SIGSEGV);
    _exit(0);
  }
  const int status = WaitFor(pid);
  std::printf("child %s\n", Describe(status));
  raise(SIGTERM);
  return 0;
}

// SIGKILL for processes that do nothing but fork: some die inside clone,
// after their child exists but before the clone's event, which the kill
// skips. Their children (which exit at once) must still be known.
int KilledInClone(bool subreaper) {
  // As a subreaper it adopts what the forkers leave, and reaps it all.
  if (subreaper) Check(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0, "PR_SET_CHILD_SUBREAPER");
  for (int round = 0; round < 20; ++round) {
    int forked[2];
    Check(pipe(forked) == 0, "pipe");
    const pid_t forker = fork();
    Check(forker >= 0, "fork");
    if (forker == 0) {
      close(forked[0]);
      for (;;) {
        if (fork() == 0) _exit(0);
        WriteByte(forked[1]);
      }
    }
    close(forked[1]);
    for (int i = 0; i < 3; ++i) ReadByte(forked[0]);
    kill(forker, SIGKILL);
    close(forked[0]);
    Check(WaitFor(forker) == SIGKILL, "forker killed");
  }
  std::printf("20 forkers killed\n");
  if (subreaper) {
    while (wait(nullptr) > 0) {
    }
    std::printf("orphans reaped: %s\n", errno == ECHILD ? "all" : std::strerror(errno));
  }
  return 0;
}

// Death by a signal that dumps core: the child dumps into a directory of
// its own (core_pattern permitting), which is removed afterwards.
int CoreDump() {
  char dir[] = "/tmp/sentry-core-XXXXXX";
  Check(mkdtemp(dir) != nullptr, "mkdtemp");
  const pid_t pid = fork();
  if (pid == 0) {
    const rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
    if (chdir(dir) != 0 || setrlimit(RLIMIT_CORE, &unlimited) != 0) _exit(99);
    raise(SIGABRT);
    _exit(0);
  }
  std::printf("child %s\n", Describe(WaitFor(pid)));
  if (DIR* d = opendir(dir)) {
    while (const dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
  }
  rmdir(dir);
  return 0;
}

void OnSignal(int) {}

// PR_SET_PDEATHSIG: the grandchild asks for SIGUSR1 when its parent dies.
int ParentDeathSignal() {
  int ready[2];
  int report[2];
  Check(pipe(ready) == 0 && pipe(report) == 0, "pipe");
  const pid_t middle = fork();
  if (middle == 0) {
    if (fork() == 0) {
      struct sigaction sa {};
      sa.sa_handler = OnSignal;
      sigaction(SIGUSR1, &sa, nullptr);
      sigset_t usr1, old;
      sigemptyset(&usr1);
      sigaddset(&usr1, SIGUSR1);
      sigprocmask(SIG_BLOCK, &usr1, &old);
      prctl(PR_SET_PDEATHSIG, SIGUSR1);
      WriteByte(ready[1]);
      sigsuspend(&old);  // returns once SIGUSR1 arrives
      const char msg[] = "got the parent death signal\n";
      Check(write(report[1], msg, sizeof msg - 1) > 0, "write");
      _exit(0);
    }
    ReadByte(ready[0]);
    _exit(0);  // the grandchild's parent dies
  }
  close(report[1]);
  WaitFor(middle);
  char buf[64] = {};
  const ssize_t n = read(report[0], buf, sizeof buf - 1);
  std::printf("%s", n > 0 ? buf : "no report\n");
  return 0;
}

// What the workload can see of the sentry: no_new_privs stays off when the
// sentry has CAP_SYS_ADMIN.
int NoNewPrivs() {
  FILE* f = std::fopen("/proc/self/status", "r");
  char line[256];
  while (f != nullptr && std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, "NoNewPrivs:", 11) == 0) std::fputs(line, stdout);
  }
  if (f != nullptr) std::fclose(f);
  return 0;
}

// Says "ready <pid>" and waits for a signal (the sentry forwards its own).
int AwaitSignal() {
  std::printf("ready %d\n", getpid());
  pause();
  return 0;
}

void SayInterrupted(int) {
  const char msg[] = "interrupted\n";
  (void)!write(1, msg, sizeof msg - 1);
}

// Forks a leftover in a session of its own (in the first process's group
// it would be hung up once that group is orphaned), its stdout on /dev/null
// (the test's pipe is not held open); `body` gets the write end of `sync`
// and writes a byte there once ready. Returns the child's pid.
template <class Body>
pid_t LeaveInASessionOfItsOwn(const int (&sync)[2], const Body& body) {
  const pid_t pid = fork();
  if (pid != 0) return pid;
  close(sync[0]);
  Check(setsid() > 0, "setsid");
  const int null = open("/dev/null", O_WRONLY);
  Check(null >= 0 && dup2(null, 1) == 1, "stdout to /dev/null");
  body(sync[1]);
  _exit(0);
}

// Leaves a child stopped in a session of its own and exits once the stop is
// complete (its wait saw it), saying "ready": a leftover only a SIGCONT
// after a forwarded SIGTERM ends.
int StoppedLeftover() {
  int sync[2];
  Check(pipe(sync) == 0, "pipe");
  const pid_t child = LeaveInASessionOfItsOwn(sync, [](int ready) {
    WriteByte(ready);
    for (;;) pause();
  });
  close(sync[1]);
  ReadByte(sync[0]);
  Check(kill(child, SIGSTOP) == 0, "kill");
  Check(WIFSTOPPED(WaitFor(child, WUNTRACED)), "stopped");
  std::printf("ready\n");
  return 0;
}

// Leaves a child in a session of its own that blocks SIGTERM, says "ready"
// (by exiting) and, once a SIGTERM is pending, stops itself, then unblocks
// it: glibc's raise() blocks every signal around its tgkill, so a stop that
// comes just after the kill is this one. Only a SIGCONT after the stop ends
// it.
int StopsAfterTheSigterm() {
  int sync[2];
  Check(pipe(sync) == 0, "pipe");
  LeaveInASessionOfItsOwn(sync, [](int ready) {
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    Check(sigprocmask(SIG_BLOCK, &term, nullptr) == 0, "sigprocmask");
    // Readable once SIGTERM is pending; polling it takes nothing.
    pollfd pending{.fd = signalfd(-1, &term, SFD_CLOEXEC), .events = POLLIN, .revents = 0};
    Check(pending.fd >= 0, "signalfd");
    WriteByte(ready);
    while (poll(&pending, 1, -1) != 1) {
    }
    raise(SIGSTOP);
    sigprocmask(SIG_UNBLOCK, &term, nullptr);
  });
  close(sync[1]);
  ReadByte(sync[0]);
  std::printf("ready\n");
  return 0;
}

// Leaves two children in sessions of their own: one stopping itself over
// and over, one continuing it over and over; exits once both run, saying
// "ready". A SIGTERM forwarded to each finds the first at any point of its
// stop, signal-delivery stop included.
int StopCyclingLeftovers() {
  int sync[2];
  Check(pipe(sync) == 0, "pipe");
  const pid_t stopper = LeaveInASessionOfItsOwn(sync, [](int ready) {
    WriteByte(ready);
    for (;;) raise(SIGSTOP);
  });
  LeaveInASessionOfItsOwn(sync, [stopper](int ready) {
    WriteByte(ready);
    for (;;) kill(stopper, SIGCONT);
  });
  close(sync[1]);
  ReadByte(sync[0]);
  ReadByte(sync[0]);
  std::printf("ready\n");
  return 0;
}

// Survives SIGINT, saying so each time.
int SurviveInterrupts() {
  struct sigaction sa {};
  sa.sa_handler = SayInterrupted;
  sigaction(SIGINT, &sa, nullptr);
  std::printf("ready\n");
  for (;;) pause();
}

// The first process exits while its grandchild still runs; the grandchild
// finishes once the first process is gone (its pipe reaches EOF).
int OutlivedByGrandchild() {
  int hold[2];
  Check(pipe(hold) == 0, "pipe");
  const pid_t child = fork();
  if (child == 0) {
    if (fork() == 0) {
      close(hold[1]);
      ReadByte(hold[0]);
      std::printf("grandchild done\n");
      _exit(0);
    }
    _exit(0);
  }
  WaitFor(child);
  return 6;
}

// Forks children (held on a pipe) until fork fails.
int ForkUntilFailure() {
  int go[2];
  Check(pipe(go) == 0, "pipe");
  int made = 0;
  for (; made < 100; ++made) {
    const pid_t pid = fork();
    if (pid < 0) {
      std::printf("fork %d failed: %s\n", made + 1, std::strerror(errno));
      break;
    }
    if (pid == 0) {
      close(go[1]);
      ReadByte(go[0]);
      _exit(0);
    }
  }
  close(go[1]);
  while (wait(nullptr) > 0) {
  }
  return 0;
}

// What terminal the process has: which standard streams are terminals,
// whether it has a controlling terminal, and whether it is in its foreground.
int TtyReport() {
  const char* names[] = {"stdin", "stdout", "stderr"};
  for (int fd = 0; fd < 3; ++fd) {
    std::printf("%s %s\n", names[fd], isatty(fd) == 1 ? "is a terminal" : "is not a terminal");
  }
  const int tty = open("/dev/tty", O_RDWR | O_CLOEXEC);
  std::printf("controlling terminal: %s\n", tty >= 0 ? "yes" : "no");
  if (tty >= 0) {
    std::printf("foreground: %s\n", tcgetpgrp(tty) == getpgrp() ? "own group" : "other");
  }
  std::printf("session leader: %s\n", getsid(0) == getpid() ? "yes" : "no");
  std::printf("group leader: %s\n", getpgrp() == getpid() ? "yes" : "no");
  return 0;
}

// Where the shell puts a command: whether it leads its session or group, and
// whether its parent leads the session.
int Shape() {
  std::printf("session leader: %s\n", getsid(0) == getpid() ? "yes" : "no");
  std::printf("group leader: %s\n", getpgrp() == getpid() ? "yes" : "no");
  std::printf("parent leads the session: %s\n", getsid(0) == getppid() ? "yes" : "no");
  std::printf("parent's group: %s\n", getpgid(getppid()) == getpgrp() ? "yes" : "no");
  return 0;
}

// A parent and its child in one process group, both waiting: says "ready"
// once both are, for a signal to the group to end them.
int ForegroundPair() {
  int ready[2];
  Check(pipe(ready) == 0, "pipe");
  const pid_t child = fork();
  Check(child >= 0, "fork");
  if (child == 0) {
    WriteByte(ready[1]);
    pause();
    _exit(0);
  }
  ReadByte(ready[0]);
  std::printf("ready\n");
  std::fflush(stdout);
  int status = 0;
  waitpid(child, &status, 0);
  std::printf("child: %s\n", Describe(status));
  std::fflush(stdout);
  pause();
  return 0;
}

volatile sig_atomic_t g_got_hangup = 0;
volatile sig_atomic_t g_got_continue = 0;

// Both are pending when the child unblocks them: whichever handler runs
// first, the kernel sent SIGHUP first.
void NoteHangup(int signo) {
  if (signo == SIGHUP) g_got_hangup = 1;
  if (signo == SIGCONT) g_got_continue = 1;
}

// A session leader drops its terminal (TIOCNOTTY) with a job in the
// foreground. The scenario makes that session itself, on a pty of its own,
// so it is the same whatever session it runs in (a terminal's, the sentry's).
void DropTerminalAsSessionLeader(const char* pty_name) {
  Check(setsid() > 0, "setsid");
  const int tty = open(pty_name, O_RDWR | O_CLOEXEC);
  Check(tty >= 0, "open the pty");
  Check(ioctl(tty, TIOCSCTTY, 0) == 0, "TIOCSCTTY");
  int ready[2];
  Check(pipe(ready) == 0, "pipe");
  sigset_t hangup;
  sigemptyset(&hangup);
  sigaddset(&hangup, SIGHUP);
  sigaddset(&hangup, SIGCONT);
  sigset_t before;
  sigprocmask(SIG_BLOCK, &hangup, &before);  // until the child waits for them
  const pid_t child = fork();
  Check(child >= 0, "fork");
  if (child == 0) {
    setpgid(0, 0);
    struct sigaction note {};
    note.sa_handler = NoteHangup;
    sigaction(SIGHUP, &note, nullptr);
    sigaction(SIGCONT, &note, nullptr);
    WriteByte(ready[1]);
    while (g_got_hangup == 0 || g_got_continue == 0) sigsuspend(&before);
    std::printf("child: SIGHUP and SIGCONT\n");
    _exit(0);
  }
  setpgid(child, child);
  ReadByte(ready[0]);
  Check(tcsetpgrp(tty, child) == 0, "tcsetpgrp");
  Check(ioctl(tty, TIOCNOTTY) == 0, "TIOCNOTTY");
  int status = 0;
  waitpid(child, &status, 0);
  std::printf("terminal dropped; child exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  std::fflush(stdout);
  _exit(0);
}

int DropTerminal() {
  const int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  Check(master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0, "posix_openpt");
  const std::string pty_name = ptsname(master);
  std::fflush(stdout);
  const pid_t leader = fork();
  Check(leader >= 0, "fork");
  if (leader == 0) DropTerminalAsSessionLeader(pty_name.c_str());
  int status = 0;
  waitpid(leader, &status, 0);
  close(master);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

// Random churn from a real shell: short-lived jobs with random exit codes,
// pipelines stopped, continued and killed (SIGKILL, SIGTERM or SIGHUP)
// while they run, orphans, new sessions, nonleader execs, and bash's own
// WNOHANG reaping racing the exits. What matters is that nothing diverges.
int Churn() {
  static const char kScript[] = R"(
exec 2>/dev/null  # bash's reports of killed jobs vary from run to run
for round in $(seq 20); do
  ( exit $((RANDOM % 3)) ) &
  quick=$!
  sh -c 'sleep 1 | cat | cat' &
  pipeline=$!
  ( sh -c 'sleep 0.02 &' ) &
  setsid sh -c 'exit 0' &
  "$1" nonleader-exec > /dev/null &
  kill -STOP $pipeline; kill -CONT $pipeline
  case $((RANDOM % 3)) in 0) kill -KILL $pipeline ;; 1) kill -TERM $pipeline ;; *) kill -HUP $pipeline ;; esac
  wait $quick
  wait
done
echo churn-done
)";
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  Check(n > 0, "readlink /proc/self/exe");
  self[n] = '\0';
  execl("/bin/bash", "bash", "-c", kScript, "churn", self, nullptr);
  Check(false, "exec bash");
  return 127;
}

// A syscall of the x32 ABI (getpid with the x32 bit): the sentry must not
// let it through untraced. Kernels without x32 fail it with ENOSYS.
int ForeignAbi() {
  const long result = syscall(0x40000000L | SYS_getpid);
  std::printf("x32 getpid: %s\n", result == getpid() ? "own pid" : std::strerror(errno));
  return 0;
}

// `deny-syscall NAME CMD...`: runs CMD where syscall NAME (ptrace or seccomp)
// fails with EPERM, as under a container runtime that forbids it.
int DenySyscall(int argc, char** argv) {
  if (argc < 4) return 2;
  const std::string name = argv[2];
  const int nr = name == "ptrace" ? SYS_ptrace : SYS_seccomp;
  sock_filter program[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<unsigned>(nr), 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{.len = sizeof program / sizeof program[0], .filter = program};
  Check(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "no_new_privs");
  Check(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0, "PR_SET_SECCOMP");
  execv(argv[3], argv + 3);
  Check(false, "execv");
  return 127;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "fork-exec-wait") return ForkExecWait();
  if (mode == "threads") return Threads();
  if (mode == "nonleader-exec") return NonLeaderExec();
  if (mode == "spawn") return Spawn();
  if (mode == "job-control") return JobControl();
  if (mode == "orphaned-group") return OrphanedGroup();
  if (mode == "tstp-orphaned") return TstpInOrphanedGroup();
  if (mode == "sigchld-ign") return AutoReap(false);
  if (mode == "nocldwait") return AutoReap(true);
  if (mode == "daemon") return Daemon();
  if (mode == "adopted-zombie") return AdoptedZombie();
  if (mode == "clone-exit-signal") return CloneExitSignal();
  if (mode == "session-errors") return SessionErrors();
  if (mode == "fan-out") return FanOut();
  if (mode == "killed") return Killed();
  if (mode == "pdeathsig") return ParentDeathSignal();
  if (mode == "no-new-privs") return NoNewPrivs();
  if (mode == "await-signal") return AwaitSignal();
  if (mode == "survive-interrupts") return SurviveInterrupts();
  if (mode == "stopped-leftover") return StoppedLeftover();
  if (mode == "stop-cycling-leftovers") return StopCyclingLeftovers();
  if (mode == "stops-after-the-sigterm") return StopsAfterTheSigterm();
  if (mode == "outlived") return OutlivedByGrandchild();
  if (mode == "fork-until-failure") return ForkUntilFailure();
  if (mode == "tty-report") return TtyReport();
  if (mode == "churn") return Churn();
  if (mode == "pidns-teardown") return NamespaceTeardown();
  if (mode == "killed-in-clone") return KilledInClone(false);
  if (mode == "killed-in-clone-subreaper") return KilledInClone(true);
  if (mode == "drop-terminal") return DropTerminal();
  if (mode == "shape") return Shape();
  if (mode == "foreground-pair") return ForegroundPair();
  if (mode == "foreign-abi") return ForeignAbi();
  if (mode == "core-dump") return CoreDump();
  if (mode == "deny-syscall") return DenySyscall(argc, argv);
  if (mode == "killed-making-threads") return scenarios::KilledMakingThreads();
  if (mode == "killed-after-reap") return scenarios::KilledAfterReap(false);
  if (mode == "killed-after-reap-subreaper") return scenarios::KilledAfterReap(true);
  if (mode == "kill-stopped") return scenarios::KillStopped(false);
  if (mode == "kill-continued") return scenarios::KillStopped(true);
  if (mode == "adopt-during-poll") return scenarios::AdoptDuringPoll();
  if (mode == "poll-while-children-exit") return scenarios::PollWhileChildrenExit();
  if (mode == "fellow-waiters") return scenarios::FellowWaiters(argc >= 3 ? argv[2] : nullptr);
  if (mode == "threads-exit-with-process") return scenarios::ThreadsExitWithTheProcess();
  if (mode == "setpgid-vs-setsid") return scenarios::SetPgidRacingTheChild(false, false);
  if (mode == "setpgid-vs-exec") return scenarios::SetPgidRacingTheChild(true, false);
  if (mode == "setpgid-vs-setpgid-then-poll") return scenarios::SetPgidRacingTheChildsThenPoll();
  if (mode == "setpgid-vs-thread-exec") return scenarios::SetPgidRacingAThreadsExec();
  if (mode == "setpgid-vs-setsid-beside-exit") return scenarios::SetPgidRacingTheChild(false, true);
  if (mode == "setpgid-vs-exec-beside-exit") return scenarios::SetPgidRacingTheChild(true, true);
  if (mode == "killed-while-a-thread-execs") return scenarios::KilledWhileAThreadExecs();
  if (mode == "adopt-by-exiting-subreaper") return scenarios::AdoptedByAnExitingSubreaper(false);
  if (mode == "adopt-by-exiting-subreaper-then-die") {
    return scenarios::AdoptedByAnExitingSubreaper(true);
  }
  if (mode == "poll-for-adoptee-of-killed-fork") return scenarios::PollForAnAdopteeOfAKilledFork();
  if (mode == "adopt-stop-from-threaded-parent") return scenarios::AdoptAStopFromAThreadedParent();
  if (mode == "inspect-questions") return scenarios::InspectQuestions();
  if (mode == "view-fixture") return scenarios::ViewFixture();
  if (mode == "view-stepper") return scenarios::ViewStepper();
  if (mode == "view-spinner") return scenarios::ViewSpinner();
  if (mode == "view-stuck-pipeline") return scenarios::ViewStuckPipeline();
  if (mode == "random" && argc >= 3) {
    return scenarios::RandomWorkload(std::strtoul(argv[2], nullptr, 10),
                                     argc >= 4 && std::string(argv[3]) == "subreaper");
  }
  std::fprintf(stderr, "scenarios: unknown mode '%s'\n", mode.c_str());
  return 2;
}
