#include "tests/scenarios/inspect_fixture.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "tests/scenarios/scenario_util.h"

namespace scenarios {

namespace {

// The middle process: forks the future zombie, waits until it has exited
// without reaping it, tells its pid, and exits leaving it behind.
[[noreturn]] void LeaveAZombie(int report) {
  const pid_t zombie = fork();
  Check(zombie >= 0, "fork");
  if (zombie == 0) _exit(9);
  siginfo_t info{};
  Check(waitid(P_PID, zombie, &info, WEXITED | WNOWAIT) == 0, "waitid");
  Check(write(report, &zombie, sizeof zombie) == sizeof zombie, "write");
  _exit(0);
}

// The job's leader: a group of its own, a member that stops itself (and
// holds `alive` open until it dies); once the member is stopped the leader
// exits, orphaning the group.
[[noreturn]] void OrphanAStoppedGroup(int report, int alive) {
  setpgid(0, 0);
  const pid_t member = fork();
  Check(member >= 0, "fork");
  if (member == 0) {
    raise(SIGSTOP);
    _exit(0);  // not reached: SIGHUP kills it
  }
  close(alive);
  WaitFor(member, WUNTRACED);
  Check(write(report, &member, sizeof member) == sizeof member, "write");
  _exit(0);
}

}  // namespace

int InspectQuestions() {
  Check(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0, "prctl");
  int report[2];
  Check(pipe(report) == 0, "pipe");

  const pid_t middle = fork();
  Check(middle >= 0, "fork");
  if (middle == 0) LeaveAZombie(report[1]);
  pid_t zombie = 0;
  Check(read(report[0], &zombie, sizeof zombie) == sizeof zombie, "read");
  WaitFor(middle);
  // The zombie is ours now: reap it.
  WaitFor(zombie);
  std::printf("zombie %d\nmiddle %d\n", zombie, middle);

  // No longer a subreaper: adopted by us, the job's group would keep a
  // parent in another group of the session and never be orphaned. The
  // sentry, outside the session, adopts it instead.
  Check(prctl(PR_SET_CHILD_SUBREAPER, 0) == 0, "prctl");
  int alive[2];
  Check(pipe(alive) == 0, "pipe");
  const pid_t leader = fork();
  Check(leader >= 0, "fork");
  if (leader == 0) OrphanAStoppedGroup(report[1], alive[0]);
  close(alive[1]);
  pid_t member = 0;
  Check(read(report[0], &member, sizeof member) == sizeof member, "read");
  WaitFor(leader);
  ReadByte(alive[0]);  // EOF: the member is gone
  std::printf("hupped %d\n", member);
  return 0;
}

}  // namespace scenarios
