// Lesson stop-signals: SIGCONT acts when sent, even blocked; a stop signal
// discards a pending SIGCONT; SIGTSTP does nothing in an orphaned group.
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  int go[2];
  pipe(go);
  const pid_t child = fork();
  if (child == 0) {
    // A session of its own: its group has no parent in another group of the
    // same session, so it is orphaned (no shell could continue it).
    setsid();
    sigset_t cont;
    sigemptyset(&cont);
    sigaddset(&cont, SIGCONT);
    sigprocmask(SIG_BLOCK, &cont, NULL);  // SIGCONT will stay pending
    raise(SIGSTOP);
    char c;
    read(go[0], &c, 1);
    raise(SIGTSTP);  // Ctrl-Z's signal, in an orphaned group
    printf("child: SIGTSTP did nothing, and here I am\n");
    return 0;
  }
  int status = 0;
  waitpid(child, &status, WUNTRACED);
  kill(child, SIGCONT);  // continues it at once, though blocked
  waitpid(child, &status, WCONTINUED);
  kill(child, SIGSTOP);  // stops it again, and discards the pending SIGCONT
  waitpid(child, &status, WUNTRACED);
  kill(child, SIGCONT);
  waitpid(child, &status, WCONTINUED);
  write(go[1], "x", 1);
  waitpid(child, &status, 0);
  return 0;
}
