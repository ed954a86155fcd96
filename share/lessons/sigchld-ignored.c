// Lesson sigchld-ignored: a parent that ignores SIGCHLD has no zombies, and
// nothing to wait for.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  signal(SIGCHLD, SIG_IGN);
  if (fork() == 0) return 4;
  int status = 0;
  // Blocks until no child is left, then fails: there is nothing to reap.
  if (wait(&status) < 0) printf("wait: %s\n", strerror(errno));
  // SA_NOCLDWAIT: the same, while SIGCHLD itself is still sent.
  struct sigaction nocldwait = {0};
  nocldwait.sa_handler = SIG_DFL;
  nocldwait.sa_flags = SA_NOCLDWAIT;
  sigaction(SIGCHLD, &nocldwait, NULL);
  if (fork() == 0) return 5;
  if (wait(&status) < 0) printf("wait: %s\n", strerror(errno));
  return 0;
}
