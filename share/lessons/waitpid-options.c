// Lesson waitpid-options: WNOHANG, WUNTRACED and WCONTINUED.
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  int go[2];
  pipe(go);
  const pid_t child = fork();
  if (child == 0) {
    close(go[1]);
    char c;
    read(go[0], &c, 1);  // wait for the parent's word
    raise(SIGSTOP);      // stop; the parent continues it
    // Exit only when told: exiting at once could come before the parent's
    // WCONTINUED wait, which would then report (and reap) the exit instead.
    read(go[0], &c, 1);
    return 0;
  }
  close(go[0]);
  int status = 0;
  // Nothing to report yet: the child is running.
  printf("WNOHANG: %d\n", waitpid(child, &status, WNOHANG));
  write(go[1], "x", 1);
  waitpid(child, &status, WUNTRACED);
  printf("WUNTRACED: stopped by signal %d\n", WSTOPSIG(status));
  kill(child, SIGCONT);
  waitpid(child, &status, WCONTINUED);
  printf("WCONTINUED: continued %d\n", WIFCONTINUED(status));
  write(go[1], "x", 1);
  waitpid(child, &status, 0);
  printf("exited %d\n", WEXITSTATUS(status));
  return 0;
}
