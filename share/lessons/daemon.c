// Lesson daemon: the double fork, and why a daemon does it.
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  int done[2];
  pipe(done);
  const pid_t first = fork();
  if (first == 0) {
    setsid();  // a new session, without a controlling terminal
    if (fork() == 0) {
      // The daemon: not a session leader, so it can never acquire a
      // controlling terminal by opening one.
      close(done[0]);
      char c;
      while (getppid() == first) usleep(1000);  // wait until adopted
      printf("daemon %d: session %d, parent %d\n", getpid(), getsid(0), getppid());
      (void)c;
      return 0;  // closing `done` tells the first process
    }
    return 0;
  }
  close(done[1]);
  waitpid(first, NULL, 0);
  char c;
  read(done[0], &c, 1);
  return 0;
}
