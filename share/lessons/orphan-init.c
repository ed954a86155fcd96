// Lesson orphan-init: who adopts an orphan when no ancestor is a subreaper?
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  int gone[2], done[2];
  pipe(gone);
  pipe(done);
  const pid_t middle = fork();
  if (middle == 0) {
    if (fork() == 0) {
      close(gone[1]);
      close(done[0]);
      char c;
      read(gone[0], &c, 1);  // the middle process has exited
      while (getppid() == middle) usleep(1000);
      printf("grandchild %d: parent was %d, now %d\n", getpid(), middle, getppid());
      return 0;  // closing `done` tells the first process it is over
    }
    return 0;
  }
  close(gone[0]);
  close(gone[1]);
  close(done[1]);
  waitpid(middle, NULL, 0);
  // The grandchild is not ours to wait for: its end shows as the pipe's.
  char c;
  read(done[0], &c, 1);
  return 0;
}
