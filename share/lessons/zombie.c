// Lesson zombie: a child that has exited, and a parent that has not yet waited.
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  const pid_t child = fork();
  if (child == 0) exit(7);
  // Wait until the child has exited, without reaping it (WNOWAIT): from now
  // until the waitpid below it is a zombie.
  siginfo_t info;
  waitid(P_PID, (id_t)child, &info, WEXITED | WNOWAIT);
  printf("child %d exited with %d and is a zombie: `ps -o pid,stat,args` shows it Z\n", child,
         info.si_status);
  int status = 0;
  waitpid(child, &status, 0);
  printf("reaped %d: exit status %d\n", child, WEXITSTATUS(status));
  return 0;
}
