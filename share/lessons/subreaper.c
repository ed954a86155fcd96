// Lesson subreaper: who adopts a child whose parent exits, when an
// ancestor has made itself a subreaper?
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  int gone[2];
  pipe(gone);
  const pid_t middle = fork();
  if (middle == 0) {
    if (fork() == 0) {
      // The grandchild: wait for the middle process to exit (the pipe's
      // last writer gone), then for the adoption to show.
      close(gone[1]);
      char c;
      read(gone[0], &c, 1);
      const pid_t before = middle;
      while (getppid() == before) usleep(1000);
      printf("grandchild %d: parent was %d, now %d\n", getpid(), before, getppid());
      return 0;
    }
    return 0;  // the middle process exits at once
  }
  close(gone[0]);
  close(gone[1]);
  // The subreaper waits for its child and for the adopted grandchild.
  while (wait(NULL) > 0) {
  }
  return 0;
}
