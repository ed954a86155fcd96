// Race scenarios (issue: the model stays right under races). Each one makes
// a kill land at the moment the tracer cannot see directly: inside clone,
// between a wait's reap and its return, on a stopped child a wait is about
// to poll, during a subreaper's poll, and while threads exit on their own;
// and two syscalls whose order the tracer sees only through their results:
// a setpgid and the setsid or exec of the process it names, and an orphan's
// adoption by a subreaper that is itself exiting; and adoptions a
// subreaper's poll sees before the tracer has what explains them (a fork
// cut short, a parent whose report waits for its threads').
// They loop enough rounds to hit the window; the output is the same natively
// and under the sentry, and the sentry must record no divergence.
#include "tests/scenarios/races.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/scenarios/scenario_util.h"

namespace scenarios {
namespace {

void* Nothing(void*) {
  return nullptr;
}

}  // namespace

// Case 1: processes that do nothing but create threads are SIGKILLed; some
// die inside clone, after the new thread exists but before the clone's
// event, and the new thread dies before it ever ran.
int KilledMakingThreads() {
  constexpr int kRounds = 30;
  for (int round = 0; round < kRounds; ++round) {
    int started[2];
    Check(pipe(started) == 0, "pipe");
    const pid_t maker = fork();
    Check(maker >= 0, "fork");
    if (maker == 0) {
      close(started[0]);
      for (int i = 0;; ++i) {
        pthread_t t;
        if (pthread_create(&t, nullptr, Nothing, nullptr) == 0) pthread_detach(t);
        if (i == 3) WriteByte(started[1]);
      }
    }
    close(started[1]);
    ReadByte(started[0]);
    close(started[0]);
    kill(maker, SIGKILL);
    Check(WaitFor(maker) == SIGKILL, "maker killed");
  }
  std::printf("%d thread makers killed\n", kRounds);
  return 0;
}

// Case 2: C blocks in wait for its child G; G exits and, as soon as G is a
// zombie, C's parent SIGKILLs C: C's wait may reap G and never return. G
// must not stay a zombie in the model (nobody has it on the host), nor,
// with a subreaper, be counted among the subreaper's children.
namespace {
// Whether `pid` is a zombie or gone (host /proc: the workload's own view).
bool ZombieOrGone(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  FILE* f = std::fopen(path, "r");
  if (f == nullptr) return true;
  char buf[512] = {};
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  const char* close = std::strrchr(buf, ')');
  return n == 0 || close == nullptr || close[2] == 'Z' || close[2] == 'X';
}
}  // namespace

int KilledAfterReap(bool subreaper) {
  if (subreaper) Check(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0, "PR_SET_CHILD_SUBREAPER");
  constexpr int kRounds = 100;
  for (int round = 0; round < kRounds; ++round) {
    int named[2];
    Check(pipe(named) == 0, "pipe");
    const pid_t c = fork();
    Check(c >= 0, "fork");
    if (c == 0) {
      close(named[0]);
      const pid_t g = fork();
      if (g == 0) _exit(3);
      Check(write(named[1], &g, sizeof g) == sizeof g, "write");
      waitpid(g, nullptr, 0);
      for (;;) pause();  // killed here if not before
    }
    close(named[1]);
    pid_t g = 0;
    Check(read(named[0], &g, sizeof g) == sizeof g, "read");
    close(named[0]);
    while (!ZombieOrGone(g)) {
    }
    kill(c, SIGKILL);
    Check(WaitFor(c) == SIGKILL, "C killed");
    if (subreaper) {
      // G, if C's wait did not reap it, is ours now: reap what is there.
      while (waitpid(-1, nullptr, WNOHANG) > 0) {
      }
    }
  }
  std::printf("%d waiters killed\n", kRounds);
  if (subreaper) {
    while (wait(nullptr) > 0) {
    }
    std::printf("orphans reaped: %s\n", errno == ECHILD ? "all" : std::strerror(errno));
  }
  return 0;
}

// Case 3: a stopped child (its stop seen with WNOWAIT), or a continued one,
// is SIGKILLed; the parent then polls it with WNOHANG. The kill ends the
// stop's (or continue's) reportability the moment it is sent.
int KillStopped(bool continue_first) {
  constexpr int kRounds = 40;
  for (int round = 0; round < kRounds; ++round) {
    const pid_t c = fork();
    Check(c >= 0, "fork");
    if (c == 0) {
      kill(getpid(), SIGSTOP);
      for (;;) pause();
    }
    siginfo_t info{};
    Check(waitid(P_PID, c, &info, WSTOPPED | WNOWAIT) == 0, "waitid stopped");
    int options = WNOHANG | WUNTRACED;
    if (continue_first) {
      kill(c, SIGCONT);
      Check(waitid(P_PID, c, &info, WCONTINUED | WNOWAIT) == 0, "waitid continued");
      options = WNOHANG | WCONTINUED;
    }
    kill(c, SIGKILL);
    int status = 0;
    for (;;) {
      const pid_t got = waitpid(c, &status, options);
      Check(got >= 0, "waitpid");
      if (got == c) break;  // else nothing yet: poll again
    }
    Check(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child killed");
  }
  std::printf("%d %s children killed\n", kRounds, continue_first ? "continued" : "stopped");
  return 0;
}

// WNOHANG polls the sentry lets through at their entry (tracer_polls.cc)
// while children exit: each child's exit is collected while a poll may be
// running, and whichever poll reaps it must be the one recorded.
int PollWhileChildrenExit() {
  constexpr int kRounds = 200;
  long polls = 0;
  for (int round = 0; round < kRounds; ++round) {
    const pid_t c = fork();
    Check(c >= 0, "fork");
    if (c == 0) _exit(round % 7);
    int status = 0;
    for (;;) {
      ++polls;
      const pid_t got =
          round % 2 == 0 ? waitpid(c, &status, WNOHANG) : wait4(-1, &status, WNOHANG, nullptr);
      Check(got >= 0, "waitpid");
      if (got == c) break;
    }
    Check(WIFEXITED(status) && WEXITSTATUS(status) == round % 7, "child's status");
  }
  std::printf("%d children reaped by polls\n", kRounds);
  return polls > 0 ? 0 : 1;
}

// Case 4: a subreaper polls with WNOHANG while a middle process dies leaving
// a zombie, which the subreaper adopts during one of its polls.
int AdoptDuringPoll() {
  Check(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0, "PR_SET_CHILD_SUBREAPER");
  constexpr int kRounds = 100;
  for (int round = 0; round < kRounds; ++round) {
    const pid_t middle = fork();
    Check(middle >= 0, "fork");
    if (middle == 0) {
      const pid_t zombie = fork();
      if (zombie == 0) _exit(5);
      siginfo_t info{};
      // A zombie before its parent goes, without reaping it.
      Check(waitid(P_PID, zombie, &info, WEXITED | WNOWAIT) == 0, "waitid");
      _exit(0);
    }
    int reaped = 0;
    while (reaped < 2) {
      const pid_t got = waitpid(-1, nullptr, WNOHANG);
      Check(got >= 0, "waitpid");
      if (got > 0) ++reaped;
    }
  }
  std::printf("%d zombies adopted and reaped\n", kRounds);
  return 0;
}

// Case 5: threads exit on their own while the process exits as a whole:
// a thread already in its exit gets the group's SIGKILL, and the kernel
// skips its PTRACE_EVENT_EXIT stop.
namespace {
void* ExitAtOnce(void*) {
  pthread_exit(nullptr);
}
}  // namespace

int ThreadsExitWithTheProcess() {
  constexpr int kRounds = 100;
  for (int round = 0; round < kRounds; ++round) {
    const pid_t c = fork();
    Check(c >= 0, "fork");
    if (c == 0) {
      for (int i = 0; i < 4; ++i) {
        pthread_t t;
        if (pthread_create(&t, nullptr, ExitAtOnce, nullptr) == 0) pthread_detach(t);
      }
      std::exit(round % 7);  // exit_group while the threads exit
    }
    const int status = WaitFor(c);
    Check(WIFEXITED(status) && WEXITSTATUS(status) == round % 7, "exit status");
  }
  std::printf("%d processes exited with their threads\n", kRounds);
  return 0;
}

namespace {
struct Reaper {
  pid_t child;
};
void* ReapOne(void* arg) {
  WaitFor(static_cast<Reaper*>(arg)->child);
  return nullptr;
}
}  // namespace

// A parent's setpgid on its child races the child's own setsid (or exec):
// the host runs one first, and its results say which (setsid first: the
// setpgid fails, EPERM; setpgid first: it succeeds, and a setsid then fails
// if it made the child a group leader). Exec: EACCES once it has run.
// `beside_exit`: another child exits at the same moment, reaped at once by
// a thread of the parent. The tracer drains that exit before it acts on
// the next stop; the reap collects the parent's reports, the setpgid's exit
// among them, while the child's setsid exit stop (or exec event) waits in
// hand: the setpgid was judged without it (stress: "setpgid(C, ...): model
// predicted 0, host returned EPERM", 3 runs in 2,000 under load; EACCES for
// an exec).
int SetPgidRacingTheChild(bool exec, bool beside_exit) {
  const int rounds = beside_exit ? 300 : 200;
  for (int round = 0; round < rounds; ++round) {
    int go[2];
    Check(pipe(go) == 0, "pipe");
    pthread_t reaping{};
    Reaper reaper{0};
    if (beside_exit) {
      reaper.child = fork();
      Check(reaper.child >= 0, "fork");
      if (reaper.child == 0) {
        close(go[1]);
        ReadByte(go[0]);
        _exit(0);
      }
      Check(pthread_create(&reaping, nullptr, ReapOne, &reaper) == 0, "pthread_create");
    }
    const pid_t c = fork();
    Check(c >= 0, "fork");
    if (c == 0) {
      close(go[1]);
      ReadByte(go[0]);
      if (exec) {
        execl("/bin/true", "true", static_cast<char*>(nullptr));
        _exit(98);
      }
      _exit(setsid() < 0 ? 1 : 0);
    }
    close(go[0]);
    if (beside_exit) {
      close(go[1]);  // both children go at once
    } else {
      WriteByte(go[1]);
    }
    // A delay that varies from round to round spreads the setpgid over the
    // child's change (an exec takes far longer than a setsid). The longest
    // lets a traced child's setsid, a seccomp stop away, go first (with a
    // tenth of it, a quiet machine once ran 200 rounds without that).
    const int spin = (round % 20) * (exec ? 100000 : 5000);
    for (int i = 0; i < spin; ++i) {
      asm volatile("" ::: "memory");  // kept by the optimiser
    }
    // Into the parent's group, or a group of its own (then a setsid after
    // it fails).
    const int moved = setpgid(c, round % 2 == 0 ? 0 : getpgrp());
    Check(moved == 0 || errno == EPERM || errno == EACCES, "setpgid");
    if (beside_exit) {
      Check(pthread_join(reaping, nullptr) == 0, "pthread_join");
    } else {
      close(go[1]);
    }
    const int status = WaitFor(c);
    Check(WIFEXITED(status) && WEXITSTATUS(status) <= 1, "child's status");
  }
  std::printf("%d setpgids raced their child's %s%s\n", rounds, exec ? "exec" : "setsid",
              beside_exit ? " beside an exit" : "");
  return 0;
}

// A parent's setpgid moving its child into the parent's group races the
// child's own setpgid(0, 0), and the parent then polls its group with a
// P_PGID wait: ECHILD exactly when the child's setpgid ran last. The tracer
// may see the child's setpgid first and hold it until the parent's result
// says which ran first; the parent, resumed meanwhile, may already be past
// its poll.
int SetPgidRacingTheChildsThenPoll() {
  constexpr int kRounds = 1500;
  for (int round = 0; round < kRounds; ++round) {
    int go[2];
    Check(pipe(go) == 0, "pipe");
    const pid_t c = fork();
    Check(c >= 0, "fork");
    if (c == 0) {
      close(go[1]);
      Check(setpgid(0, 0) == 0, "the child's setpgid");
      ReadByte(go[0]);
      _exit(0);
    }
    close(go[0]);
    Check(setpgid(c, getpgrp()) == 0 || errno == EACCES, "setpgid");
    siginfo_t info{};
    const int polled = waitid(P_PGID, 0, &info, WNOHANG | WEXITED | WCONTINUED);
    Check(polled == 0 || errno == ECHILD, "the poll");
    WriteByte(go[1]);
    close(go[1]);
    Check(WaitFor(c) == 0, "child's status");
  }
  std::printf("%d setpgids raced their child's own, each polled\n", kRounds);
  return 0;
}

// A thread execs and its process is SIGKILLed as soon as the exec is done:
// the kill can wake the exec'ing thread out of its exec event stop before
// the tracer reads which thread it was (and the old leader, killed by
// de_thread, makes no exit event).
namespace {
void* ExecTrue(void*) {
  execl("/bin/true", "true", static_cast<char*>(nullptr));
  return nullptr;
}
}  // namespace

// A parent's setpgid on its child, again and again, races the exec a thread
// other than the child's main one makes (the main thread gone first with
// pthread_exit, or waiting): the setpgids succeed until exec's point of no
// return, then fail with EACCES. The exec event comes on the old leader's
// tid, which the tracer may take while it drains that tid's exit with a
// setpgid's exit stop in hand.
int SetPgidRacingAThreadsExec() {
  constexpr int kRounds = 300;
  for (int round = 0; round < kRounds; ++round) {
    const pid_t c = fork();
    Check(c >= 0, "fork");
    if (c == 0) {
      pthread_t t;
      Check(pthread_create(&t, nullptr, ExecTrue, nullptr) == 0, "pthread_create");
      if (round % 2 == 0) pthread_exit(nullptr);
      pause();
      _exit(97);
    }
    while (setpgid(c, c) == 0) {
    }
    Check(errno == EACCES, "setpgid");
    Check(WaitFor(c) == 0, "child's status");
  }
  std::printf("%d setpgids raced a thread's exec\n", kRounds);
  return 0;
}

namespace {
// Whether this process runs under a tracer (TracerPid in its status).
bool Traced() {
  char buf[4096] = {};
  const int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  const char* line = n > 0 ? std::strstr(buf, "TracerPid:\t") : nullptr;
  return line != nullptr && line[11] != '0';
}
}  // namespace

int KilledWhileAThreadExecs() {
  const bool traced = Traced();
  // Exits all along keep the tracer busy, so that the exec's stop may wait
  // in its queue (and the kill land) while it drains them.
  const pid_t noise = fork();
  Check(noise >= 0, "fork");
  if (noise == 0) {
    for (;;) {
      const pid_t short_lived = fork();
      if (short_lived == 0) _exit(0);
      if (short_lived > 0) WaitFor(short_lived);
    }
  }
  constexpr int kRounds = 200;
  for (int round = 0; round < kRounds; ++round) {
    int ready[2];
    Check(pipe(ready) == 0, "pipe");
    const pid_t c = fork();
    Check(c >= 0, "fork");
    if (c == 0) {
      close(ready[0]);
      WriteByte(ready[1]);
      pthread_t t;
      Check(pthread_create(&t, nullptr, ExecTrue, nullptr) == 0, "pthread_create");
      pause();
      _exit(1);
    }
    close(ready[1]);
    ReadByte(ready[0]);
    close(ready[0]);
    // The kill goes the moment the exec is done: under a tracer, when the
    // exec event stop holds the process ('t'); natively, once it is renamed.
    const std::string stat_path = "/proc/" + std::to_string(c) + "/stat";
    for (;;) {
      const int fd = open(stat_path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) break;
      char stat[64] = {};
      const ssize_t n = read(fd, stat, sizeof stat - 1);
      close(fd);
      if (n <= 0) break;
      const char* state = std::strstr(stat, ") ");
      if (state == nullptr || state[2] == 'Z') break;
      if (std::strstr(stat, "(true)") != nullptr && (state[2] == 't' || !traced)) break;
    }
    kill(c, SIGKILL);
    const int status = WaitFor(c);
    Check((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) ||
              (WIFEXITED(status) && WEXITSTATUS(status) == 0),
          "killed or exec'd true");
  }
  kill(noise, SIGKILL);
  WaitFor(noise);
  std::printf("%d processes killed while a thread exec'd\n", kRounds);
  return 0;
}

// A subreaper and its child exit at once; the child's own child is orphaned
// while the subreaper may be in its exit but not yet marked exiting (Linux
// sets PF_EXITING after the exit event stop), and then the subreaper adopts.
int AdoptedByAnExitingSubreaper(bool orphan_dies) {
  // Dying at once, the orphan is a zombie when its exiting adopter hands it
  // on: to this process, a subreaper too, which reaps it.
  if (orphan_dies) Check(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0, "PR_SET_CHILD_SUBREAPER");
  constexpr int kRounds = 100;
  for (int round = 0; round < kRounds; ++round) {
    int go[2];
    int hold[2];
    int ready[2];
    Check(pipe(go) == 0 && pipe(hold) == 0 && pipe(ready) == 0, "pipe");
    const pid_t subreaper = fork();
    Check(subreaper >= 0, "fork");
    if (subreaper == 0) {
      Check(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0, "PR_SET_CHILD_SUBREAPER");
      close(go[1]);
      close(ready[0]);
      const pid_t middle = fork();
      Check(middle >= 0, "fork");
      if (middle == 0) {
        const pid_t parent = getpid();
        const pid_t orphan = fork();
        Check(orphan >= 0, "fork");
        if (orphan == 0) {
          close(hold[1]);
          close(go[0]);
          close(ready[1]);
          if (orphan_dies) {
            while (getppid() == parent) {
            }
          } else {
            ReadByte(hold[0]);  // until the round's end
          }
          _exit(0);
        }
        close(hold[0]);
        close(hold[1]);
        WriteByte(ready[1]);
        ReadByte(go[0]);
        _exit(0);
      }
      close(hold[0]);
      close(hold[1]);
      ReadByte(go[0]);
      _exit(0);
    }
    close(go[0]);
    close(ready[1]);
    close(hold[0]);
    ReadByte(ready[0]);
    close(go[1]);  // both exit at once
    const int status = WaitFor(subreaper);
    Check(WIFEXITED(status), "subreaper's status");
    close(hold[1]);  // the orphan ends, reaped by whoever adopted it last
    close(ready[0]);
    if (orphan_dies) {
      while (wait(nullptr) > 0) {
      }
    }
  }
  std::printf("%d orphans adopted while their subreaper exited\n", kRounds);
  return 0;
}

// A subreaper SIGKILLs its child as that child forks its only child: some
// kills land inside fork, and the grandchild, never announced by its
// creator's event, is adopted at once. The subreaper reaps the child and
// polls: the host sees the adoptee (nothing to report yet), not ECHILD.
int PollForAnAdopteeOfAKilledFork() {
  Check(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0, "PR_SET_CHILD_SUBREAPER");
  constexpr int kRounds = 300;
  for (int round = 0; round < kRounds; ++round) {
    int ready[2];
    int hold[2];
    Check(pipe(ready) == 0 && pipe(hold) == 0, "pipe");
    const pid_t c = fork();
    Check(c >= 0, "fork");
    if (c == 0) {
      close(ready[0]);
      close(hold[1]);
      WriteByte(ready[1]);
      if (fork() == 0) {
        ReadByte(hold[0]);  // until the round's end
        _exit(0);
      }
      pause();
      _exit(1);
    }
    close(ready[1]);
    close(hold[0]);
    ReadByte(ready[0]);
    close(ready[0]);
    kill(c, SIGKILL);
    WaitFor(c);
    siginfo_t info{};
    waitid(P_ALL, 0, &info, WEXITED | WNOHANG);  // the adoptee, alive, if the fork was done
    close(hold[1]);
    while (wait(nullptr) > 0) {
    }
  }
  // How many kills land after the fork (the poll then finds the adoptee)
  // varies from run to run, natively too (1 native run in 6 here found
  // none): not in the output a native run's is compared with. The test
  // checks from the run's records that the window was hit.
  std::printf("%d rounds\n", kRounds);
  return 0;
}

// A subreaper's wait reports the stop of a child it adopted from a parent
// with threads, which exited as a whole: the parent's exit handed the child
// over at once, but its own report waits until its threads' are collected
// (Linux delay_group_leader).
int AdoptAStopFromAThreadedParent() {
  Check(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0, "PR_SET_CHILD_SUBREAPER");
  constexpr int kRounds = 200;
  constexpr int kThreads = 4;
  for (int round = 0; round < kRounds; ++round) {
    const pid_t middle = fork();
    Check(middle >= 0, "fork");
    if (middle == 0) {
      const pid_t stopped = fork();
      Check(stopped >= 0, "fork");
      if (stopped == 0) {
        raise(SIGSTOP);
        _exit(0);
      }
      siginfo_t info{};
      Check(waitid(P_PID, stopped, &info, WSTOPPED | WNOWAIT) == 0, "waitid");
      // Threads already in their own exit skip their exit event stop when
      // the group's SIGKILL reaches them (case 5): the tracer sees them last.
      for (int i = 0; i < kThreads; ++i) {
        pthread_t t;
        if (pthread_create(&t, nullptr, ExitAtOnce, nullptr) == 0) pthread_detach(t);
      }
      _exit(0);  // exit_group while the threads exit
    }
    // The middle's exit and the adoptee's stop, in whichever order. Polled:
    // a blocking wait is woken by the middle's exit only once its tracer
    // has collected it, a poll sees the adoptee's stop the moment it is
    // handed over.
    pid_t adoptee = 0;
    for (int reports = 0; reports < 2;) {
      int status = 0;
      const pid_t got = waitpid(-1, &status, WUNTRACED | WNOHANG);
      Check(got >= 0, "waitpid");
      if (got == 0) continue;
      ++reports;
      if (got != middle) adoptee = got;
    }
    kill(adoptee, SIGKILL);
    WaitFor(adoptee);
  }
  std::printf("%d stopped children adopted from parents with threads\n", kRounds);
  return 0;
}

}  // namespace scenarios
