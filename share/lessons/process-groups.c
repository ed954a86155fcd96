// Lesson process-groups: setpgid from the parent and from the child, the
#define _GNU_SOURCE
// EACCES after exec, and kill(-pgid) reaching a whole group.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>

int main(void) {
  int ready[2], hold[2];
  pipe(ready);
  pipe(hold);
  // A job's first process: it moves itself into a new group, and the
  // parent asks the same (a shell does both, whichever runs first).
  const pid_t leader = fork();
  if (leader == 0) {
    setpgid(0, 0);
    write(ready[1], "x", 1);
    char c;
    read(hold[0], &c, 1);  // until killed
    return 0;
  }
  char c;
  read(ready[0], &c, 1);
  if (setpgid(leader, leader) == 0) printf("setpgid(%d, %d): already there\n", leader, leader);
  // A second member joins that group itself.
  const pid_t member = fork();
  if (member == 0) {
    setpgid(0, leader);
    write(ready[1], "x", 1);
    read(hold[0], &c, 1);
    return 0;
  }
  read(ready[0], &c, 1);
  // A child that has exec'd can no longer be moved by its parent.
  int execd[2];
  pipe2(execd, O_CLOEXEC);
  const pid_t cat = fork();
  if (cat == 0) {
    dup2(hold[0], 0);
    close(hold[1]);  // else cat would hold its own input open
    execlp("cat", "cat", (char*)NULL);
    return 1;
  }
  close(execd[1]);
  read(execd[0], &c, 1);  // end of file: the exec closed the write end
  if (setpgid(cat, cat) < 0) printf("setpgid(%d, %d): %s\n", cat, cat, strerror(errno));
  // One signal to the whole group.
  kill(-leader, SIGTERM);
  waitpid(leader, NULL, 0);
  waitpid(member, NULL, 0);
  close(hold[1]);  // cat reads end of file and exits
  waitpid(cat, NULL, 0);
  return 0;
}
