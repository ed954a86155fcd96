// Lesson pidns-init: pid 1 of a new PID namespace: what it adopts, which
// signals it ignores, and what its death does to the rest.
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  // The next child starts a new PID namespace and is its pid 1 (needs root).
  if (unshare(CLONE_NEWPID) != 0) {
    perror("unshare(CLONE_NEWPID) (run as root)");
    return 1;
  }
  int ready[2];
  pipe(ready);
  const pid_t init = fork();
  if (init == 0) {
    printf("init sees itself as pid %d\n", getpid());
    // A SIGTERM from inside its namespace, with no handler: dropped.
    kill(1, SIGTERM);
    const pid_t middle = fork();
    if (middle == 0) {
      if (fork() == 0) {
        close(ready[0]);
        // pid 3 lives on: it tells init it is adopted, then waits forever.
        while (getppid() != 1) usleep(1000);
        write(ready[1], "x", 1);
        pause();
      }
      return 0;
    }
    waitpid(middle, NULL, 0);
    char c;
    read(ready[0], &c, 1);
    printf("pid 3 was adopted by init; init exits now\n");
    return 0;  // the kernel kills every other process of the namespace
  }
  close(ready[0]);
  close(ready[1]);
  int status = 0;
  waitpid(init, &status, 0);
  return 0;
}
