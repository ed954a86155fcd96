// Lesson daemon: the double fork, and why a daemon does it.
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  int told[2];
  pipe(told);
  const pid_t first = fork();
  if (first == 0) {
    setsid();  // a new session, without a controlling terminal
    const pid_t me = getpid();
    if (fork() == 0) {
      // The daemon: not a session leader, so it can never acquire a
      // controlling terminal by opening one.
      close(told[0]);
      while (getppid() == me) usleep(1000);  // until adopted
      printf("daemon %d: session %d, parent %d\n", getpid(), getsid(0), getppid());
      const pid_t self = getpid();
      write(told[1], &self, sizeof self);
      return 0;
    }
    return 0;
  }
  close(told[1]);
  waitpid(first, NULL, 0);
  pid_t daemon = 0;
  read(told[0], &daemon, sizeof daemon);
  // Not ours to wait for: its pid is freed when its new parent reaps it.
  while (daemon > 0 && kill(daemon, 0) == 0) usleep(1000);
  return 0;
}
