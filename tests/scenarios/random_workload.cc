// A seeded random workload for stress runs (`scenarios random SEED
// [subreaper]`): processes fork, make threads, exec (from a thread too),
// vfork, change groups and sessions, stop themselves, leave orphans and
// zombies, and their parents signal them (SIGKILL, SIGTERM, SIGSTOP,
// SIGCONT) and wait for them with random options at random moments, some
// from a thread that waits for one child while the rest of the process
// waits for any. The
// seed fixes every choice; the timing, and so the interleaving, is the
// machine's. It prints one line; the sentry must record no divergence and
// end with no task the host does not have.
#include "tests/scenarios/random_workload.h"

#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <vector>

namespace scenarios {
namespace {

// xorshift64*: small, and the same sequence everywhere for a seed.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ULL + 1) {}
  std::uint64_t Next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1DULL;
  }
  int Below(int n) { return static_cast<int>(Next() % static_cast<std::uint64_t>(n)); }
  // A generator for a child: its own sequence, fixed by this one's.
  Rng Split() { return Rng(Next()); }

 private:
  std::uint64_t state_;
};

void Spin(Rng& rng) {
  for (int i = rng.Below(20000); i > 0; --i) __asm__ volatile("");
  if (rng.Below(4) == 0) sched_yield();
}

// What a thread does: returns, exits, or execs from a non-leader.
enum class ThreadDoes : std::uint8_t { kReturn, kExit, kExec };
ThreadDoes kThreadDoes[] = {ThreadDoes::kReturn, ThreadDoes::kExit, ThreadDoes::kExec};

void* ThreadBody(void* arg) {
  const ThreadDoes what = *static_cast<const ThreadDoes*>(arg);
  if (what == ThreadDoes::kExec) execl("/bin/true", "true", nullptr);
  if (what == ThreadDoes::kExit) pthread_exit(nullptr);
  return nullptr;
}

// vfork+exec+wait in a frame of its own: vfork's shared stack must not
// hold the caller's loop variables.
__attribute__((noinline)) void VforkTrue() {
  const pid_t pid = vfork();  // NOLINT: vfork is what this exercises
  if (pid == 0) {
    execl("/bin/true", "true", nullptr);
    _exit(127);
  }
  if (pid > 0) waitpid(pid, nullptr, 0);
}

int RandomSignal(Rng& rng) {
  static const int kSignals[] = {SIGKILL, SIGTERM, SIGSTOP, SIGCONT, SIGCONT};
  return kSignals[rng.Below(5)];
}

bool IsExitCode(int code) {
  return code == CLD_EXITED || code == CLD_KILLED || code == CLD_DUMPED;
}

// One wait with random options, never blocking; drops what it reaped from
// `children`.
void RandomWait(Rng& rng, std::set<pid_t>& children) {
  const std::vector<pid_t> list(children.begin(), children.end());
  const pid_t some =
      list.empty() ? 0 : list[static_cast<std::size_t>(rng.Below(static_cast<int>(list.size())))];
  if (rng.Below(2) == 0) {
    int options = WNOHANG;
    if (rng.Below(2) != 0) options |= WUNTRACED;
    if (rng.Below(2) != 0) options |= WCONTINUED;
    if (rng.Below(4) == 0) options |= __WALL;
    if (rng.Below(8) == 0) options |= __WCLONE;
    if (rng.Below(8) == 0) options |= __WNOTHREAD;
    const int pick = rng.Below(3);
    const pid_t who = pick == 0 || some == 0 ? -1 : pick == 1 ? some : 0;
    int status = 0;
    const pid_t got = waitpid(who, &status, options);
    if (got > 0 && (WIFEXITED(status) || WIFSIGNALED(status))) children.erase(got);
    return;
  }
  int options = WNOHANG;
  if (rng.Below(4) != 0) options |= WEXITED;
  if (rng.Below(2) != 0) options |= WSTOPPED;
  if (rng.Below(2) != 0) options |= WCONTINUED;
  if (rng.Below(4) == 0) options |= WNOWAIT;
  if (rng.Below(4) == 0) options |= __WALL;
  if (rng.Below(8) == 0) options |= __WNOTHREAD;
  const int pick = rng.Below(3);
  const idtype_t idtype = pick == 0 || some == 0 ? P_ALL : pick == 1 ? P_PID : P_PGID;
  const id_t id = idtype == P_PID ? static_cast<id_t>(some) : 0;
  siginfo_t info{};
  if (waitid(idtype, id, &info, options) == 0 && info.si_pid > 0 && IsExitCode(info.si_code) &&
      (options & WNOWAIT) == 0) {
    children.erase(info.si_pid);
  }
}

// A child handed to a thread of its parent's that waits for it alone (a
// blocking waitpid, waitid by pid or through a pidfd, for stops and
// continues too, after a WNOWAIT peek), while the rest of the process goes
// on waiting for any child: threads of one process racing for one child's
// events. The process no longer signals the child (once reaped, its pid
// may name another process).
struct FellowWait {
  pid_t child = 0;
  int pidfd = -1;  // waitid(P_PIDFD) through it, if open
  bool by_waitid = false;
  int options = 0;  // WSTOPPED, WCONTINUED, or neither
  bool peek_first = false;
};

void* FellowWaiter(void* arg) {
  const FellowWait w = *static_cast<FellowWait*>(arg);
  delete static_cast<FellowWait*>(arg);
  if (w.peek_first) {
    siginfo_t info{};
    waitid(P_PID, static_cast<id_t>(w.child), &info, WEXITED | WNOWAIT);
  }
  for (;;) {
    bool exited = false;
    if (w.pidfd >= 0 || w.by_waitid) {
      siginfo_t info{};
      const idtype_t idtype = w.pidfd >= 0 ? static_cast<idtype_t>(3) /* P_PIDFD */ : P_PID;
      const auto id = static_cast<id_t>(w.pidfd >= 0 ? w.pidfd : w.child);
      if (waitid(idtype, id, &info, WEXITED | w.options) != 0) {
        if (errno == EINTR) continue;
        break;  // ECHILD: another wait of the process reaped it
      }
      exited = IsExitCode(info.si_code);
    } else {
      int status = 0;
      // waitpid's WUNTRACED is WSTOPPED.
      if (waitpid(w.child, &status, w.options) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      exited = WIFEXITED(status) || WIFSIGNALED(status);
    }
    if (exited) break;
  }
  if (w.pidfd >= 0) close(w.pidfd);
  return nullptr;
}

void HandToAFellowWaiter(Rng& rng, std::set<pid_t>& children) {
  if (children.empty()) return;
  const std::vector<pid_t> list(children.begin(), children.end());
  const pid_t child = list[static_cast<std::size_t>(rng.Below(static_cast<int>(list.size())))];
  children.erase(child);
  auto* w = new FellowWait{.child = child,
                           .pidfd = -1,
                           .by_waitid = rng.Below(2) == 0,
                           .options = rng.Below(2) == 0 ? 0 : WSTOPPED | WCONTINUED,
                           .peek_first = rng.Below(4) == 0};
  // Opened before the handing over: until then only this thread reaps it.
  if (rng.Below(3) == 0) w->pidfd = static_cast<int>(syscall(SYS_pidfd_open, child, 0));
  pthread_t t;
  if (pthread_create(&t, nullptr, FellowWaiter, w) == 0) {
    pthread_detach(t);
  } else {
    if (w->pidfd >= 0) close(w->pidfd);
    delete w;
  }
}

void IgnoreHangup(int) {}

[[noreturn]] void Life(Rng rng, int depth) {
  signal(SIGHUP, SIG_DFL);  // the first process's survival is its own
  std::set<pid_t> children;
  const int steps = 1 + rng.Below(6);
  for (int step = 0; step < steps; ++step) {
    Spin(rng);
    switch (rng.Below(13)) {
      case 0:
        setpgid(0, 0);
        break;
      case 1:
        setsid();
        break;
      case 2:
      case 3:
        if (depth < 3) {
          Rng child_rng = rng.Split();
          const pid_t pid = fork();
          if (pid == 0) Life(child_rng, depth + 1);
          if (pid > 0) children.insert(pid);
        }
        break;
      case 4: {
        pthread_t t;
        ThreadDoes* what = &kThreadDoes[rng.Below(6) == 0 ? 2 : rng.Below(2)];
        if (pthread_create(&t, nullptr, ThreadBody, what) == 0) pthread_detach(t);
        break;
      }
      case 5:
        VforkTrue();
        break;
      case 6:
        if (rng.Below(3) == 0) {
          execl("/bin/sh", "sh", "-c", rng.Below(2) == 0 ? "exit 3" : "exit 0", nullptr);
        }
        break;
      case 7:
        raise(SIGSTOP);
        break;
      case 8:
      case 9:
        RandomWait(rng, children);
        break;
      case 10:
        if (!children.empty()) {
          const std::vector<pid_t> list(children.begin(), children.end());
          kill(list[static_cast<std::size_t>(rng.Below(static_cast<int>(list.size())))],
               RandomSignal(rng));
        }
        break;
      case 11:
        HandToAFellowWaiter(rng, children);
        break;
      default:
        if (rng.Below(3) == 0) _exit(rng.Below(4));  // leaves its children to be adopted
        break;
    }
  }
  _exit(rng.Below(4));
}

}  // namespace

int RandomWorkload(unsigned long seed, bool subreaper) {
  if (subreaper && prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    std::perror("PR_SET_CHILD_SUBREAPER");
    return 99;
  }
  // Its group, orphaned from the start (it leads its own session), gets
  // SIGHUP whenever a stopped child's exit leaves it so: the first process
  // survives that to go on with the run; its children do not.
  signal(SIGHUP, IgnoreHangup);
  Rng rng(seed);
  std::set<pid_t> children;
  for (int step = 0; step < 40; ++step) {
    Spin(rng);
    const std::vector<pid_t> list(children.begin(), children.end());
    const pid_t some =
        list.empty() ? 0 : list[static_cast<std::size_t>(rng.Below(static_cast<int>(list.size())))];
    switch (rng.Below(9)) {
      case 0:
      case 1: {
        Rng child_rng = rng.Split();
        const pid_t pid = fork();
        if (pid == 0) Life(child_rng, 1);
        if (pid > 0) children.insert(pid);
        break;
      }
      case 2:
      case 3:
        if (some != 0) kill(some, RandomSignal(rng));
        break;
      case 4:
      case 5:
        RandomWait(rng, children);
        break;
      case 6:
        if (some != 0) setpgid(some, rng.Below(2) == 0 ? some : getpgrp());
        break;
      case 7:
        HandToAFellowWaiter(rng, children);
        break;
      default: {
        pthread_t t;
        if (pthread_create(&t, nullptr, ThreadBody, &kThreadDoes[1]) == 0) pthread_join(t, nullptr);
        break;
      }
    }
  }
  // Every child left is killed and reaped; what they left behind (orphans,
  // stopped grandchildren) ends with the run.
  for (pid_t pid : children) {
    kill(pid, SIGKILL);
    while (waitpid(pid, nullptr, __WALL) < 0 && errno == EINTR) {
    }
  }
  std::printf("seed %lu done\n", seed);
  return 0;
}

}  // namespace scenarios
