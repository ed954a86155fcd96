// Lesson orphan-init: who adopts an orphan when no ancestor is a subreaper?
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  int told[2];
  pipe(told);
  const pid_t middle = fork();
  if (middle == 0) {
    const pid_t me = getpid();
    if (fork() == 0) {
      close(told[0]);
      while (getppid() == me) usleep(1000);  // until the middle process has gone
      printf("grandchild %d: parent was %d, now %d\n", getpid(), me, getppid());
      const pid_t self = getpid();
      write(told[1], &self, sizeof self);
      return 0;
    }
    return 0;
  }
  close(told[1]);
  waitpid(middle, NULL, 0);
  pid_t grandchild = 0;
  read(told[0], &grandchild, sizeof grandchild);
  // Not ours to wait for: its pid is freed when its new parent reaps it.
  while (grandchild > 0 && kill(grandchild, 0) == 0) usleep(1000);
  return 0;
}
