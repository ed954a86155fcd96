// Threads of one process waiting for the same child (`scenarios
// fellow-waiters [REPORT]`): each round a thread blocks in a wait for the
// child while the main thread polls for it with WNOHANG, each with a call
// of its own (waitpid, wait4(-1), waitid with P_ALL, P_PID, P_PGID or
// P_PIDFD), and the child exits, is killed, or stops and continues first.
// Linux lets exactly one wait take each event (a reap, a stop, a continue);
// the other finds nothing or ECHILD. A WNOWAIT peek takes nothing.
//
// It prints one line, the same whoever wins; with REPORT it writes there
// one line per reap, "CHILD REAPER_TID", for a test to check that the
// sentry names the same reaper.
#include "tests/scenarios/fellow_waiters.h"

#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "tests/scenarios/scenario_util.h"

namespace scenarios {
namespace {

#ifndef P_PIDFD
constexpr idtype_t P_PIDFD = static_cast<idtype_t>(3);
#endif

// How a wait names the child.
enum class Call : std::uint8_t { kWaitpid, kWait4Any, kWaitidAll, kWaitidPid, kWaitidPgid, kPidfd };
constexpr int kCalls = 6;

// What a wait got: the child's pid with its CLD_* code, 0 (nothing yet) or
// -errno.
struct Got {
  pid_t pid = 0;
  int code = 0;
};

Got WaitOnce(Call call, pid_t child, int pidfd, int options) {
  if (call == Call::kWaitpid || call == Call::kWait4Any) {
    // waitpid's options: WUNTRACED is WSTOPPED's value; exits are implied.
    const int wait4_options = options & ~WEXITED;
    int status = 0;
    const pid_t got = call == Call::kWaitpid ? waitpid(child, &status, wait4_options)
                                             : wait4(-1, &status, wait4_options, nullptr);
    if (got <= 0) return {got < 0 ? -errno : 0, 0};
    const int code = WIFEXITED(status)     ? CLD_EXITED
                     : WIFSIGNALED(status) ? CLD_KILLED
                     : WIFSTOPPED(status)  ? CLD_STOPPED
                                           : CLD_CONTINUED;
    return {got, code};
  }
  siginfo_t info{};
  idtype_t idtype = P_ALL;
  id_t id = 0;
  if (call == Call::kWaitidPid) {
    idtype = P_PID;
    id = static_cast<id_t>(child);
  } else if (call == Call::kWaitidPgid) {
    idtype = P_PGID;  // 0: the caller's group, the child's too
  } else if (call == Call::kPidfd) {
    idtype = P_PIDFD;
    id = static_cast<id_t>(pidfd);
  }
  if (waitid(idtype, id, &info, options) != 0) return {-errno, 0};
  return {info.si_pid, info.si_code};
}

// wait4 has no WNOWAIT: a peek names the child the same way through waitid.
Call PeekCall(Call call) {
  if (call == Call::kWaitpid) return Call::kWaitidPid;
  if (call == Call::kWait4Any) return Call::kWaitidAll;
  return call;
}

bool IsExit(int code) {
  return code == CLD_EXITED || code == CLD_KILLED || code == CLD_DUMPED;
}

// One round's shared state: the blocking thread's calls and what it got.
struct Round {
  pid_t child = 0;
  int pidfd = -1;
  Call call = Call::kWaitpid;
  int options = WEXITED;  // its first wait's
  bool peek_first = false;
  std::atomic<pid_t> reaper{0};  // the tid whose wait reaped the child
  std::atomic<int> events{0};    // stops and continues it took
  std::atomic<bool> done{false};
};

pid_t Tid() {
  return static_cast<pid_t>(syscall(SYS_gettid));
}

// The blocking waiter: waits (WNOWAIT first, if asked) until it reaps the
// child or finds it gone (ECHILD: the main thread reaped it).
void* Blocker(void* arg) {
  Round& r = *static_cast<Round*>(arg);
  if (r.peek_first) {
    const Got peek = WaitOnce(PeekCall(r.call), r.child, r.pidfd, WEXITED | WNOWAIT);
    Check(peek.pid == r.child || peek.pid == -ECHILD, "a blocking WNOWAIT wait");
  }
  for (;;) {
    const Got got = WaitOnce(r.call, r.child, r.pidfd, r.options);
    if (got.pid == -EINTR) continue;
    if (got.pid == -ECHILD) break;
    Check(got.pid == r.child, "the blocking wait's child");
    if (IsExit(got.code)) {
      r.reaper = Tid();
      break;
    }
    ++r.events;
  }
  r.done = true;
  return nullptr;
}

}  // namespace

int FellowWaiters(const char* report_path) {
  constexpr int kRounds = 240;
  std::vector<std::string> report;
  for (int round = 0; round < kRounds; ++round) {
    const Call blocker_call = static_cast<Call>(round % kCalls);
    const Call poller_call = static_cast<Call>((round / kCalls) % kCalls);
    // How the child ends: it exits, it is killed, or it stops (and, every
    // other time, is continued) before it is killed.
    const int ending = (round / (kCalls * kCalls)) % 4;
    const bool stops = ending >= 2;
    const bool continues = ending == 3;
    int go[2];
    Check(pipe(go) == 0, "pipe");
    const pid_t child = fork();
    Check(child >= 0, "fork");
    if (child == 0) {
      close(go[1]);
      ReadByte(go[0]);
      if (ending == 0) _exit(round % 7);
      if (stops) raise(SIGSTOP);
      pause();
      _exit(0);
    }
    close(go[0]);
    Round r;
    r.child = child;
    r.pidfd = static_cast<int>(syscall(SYS_pidfd_open, child, 0));
    Check(r.pidfd >= 0, "pidfd_open");
    r.call = blocker_call;
    r.options = WEXITED | (stops ? WSTOPPED : 0) | (continues ? WCONTINUED : 0);
    r.peek_first = round % 5 == 4 && !stops;
    pthread_t thread;
    Check(pthread_create(&thread, nullptr, Blocker, &r) == 0, "pthread_create");
    WriteByte(go[1]);
    close(go[1]);
    // The main thread polls for the same events; a round of its own in
    // five it only peeks (WNOWAIT), and the blocking thread reaps.
    const bool peeks = round % 5 == 1 && !stops;
    const int poll_options = WNOHANG | (peeks ? WNOWAIT : 0) | WEXITED | (stops ? WSTOPPED : 0) |
                             (continues ? WCONTINUED : 0);
    int taken = 0;  // stops and continues the main thread took
    bool continued = false;
    bool killed = ending == 0;
    for (;;) {
      // The child goes on once each event was reported, to either waiter:
      // its stop, then (continued) its continue, then its SIGKILL.
      const int reported = taken + r.events;
      if (!killed && (!stops || reported >= 1)) {
        if (continues && !continued) {
          Check(kill(child, SIGCONT) == 0, "SIGCONT");
          continued = true;
        } else if (!continues || reported >= 2) {
          Check(kill(child, SIGKILL) == 0, "SIGKILL");
          killed = true;
        }
      }
      const Got got =
          WaitOnce(peeks ? PeekCall(poller_call) : poller_call, child, r.pidfd, poll_options);
      if (got.pid == -ECHILD || (got.pid == child && peeks && IsExit(got.code))) break;
      if (got.pid < 0) Check(got.pid == -EINTR, "the polling wait");
      if (got.pid != child) continue;
      if (IsExit(got.code)) {
        r.reaper = Tid();
        break;
      }
      ++taken;  // a stop or a continue
    }
    Check(pthread_join(thread, nullptr) == 0, "pthread_join");
    close(r.pidfd);
    Check(r.reaper != 0, "a waiter reaped the child");
    report.push_back(std::to_string(child) + " " + std::to_string(r.reaper.load()));
  }
  if (report_path != nullptr) {
    FILE* out = std::fopen(report_path, "w");
    Check(out != nullptr, "the report");
    for (const std::string& line : report) std::fprintf(out, "%s\n", line.c_str());
    std::fclose(out);
  }
  std::printf("%d children, each reaped by one of two waiting threads\n", kRounds);
  return 0;
}

}  // namespace scenarios
