// Lesson vfork: the parent is held until the child execs or exits.
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  const pid_t child = vfork();
  if (child == 0) {
    // The child borrows the parent's memory: it may only exec or _exit.
    execlp("true", "true", (char*)NULL);
    _exit(127);
  }
  printf("the parent runs again: its child %d has exec'd\n", child);
  waitpid(child, NULL, 0);
  return 0;
}
