// Lesson exit-status: what does a parent see of exit(-1), of a SIGKILL and of abort()?
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(pid_t child) {
  int status = 0;
  waitpid(child, &status, 0);
  if (WIFEXITED(status)) printf("child %d exited with status %d\n", child, WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    printf("child %d was killed by signal %d%s\n", child, WTERMSIG(status),
           WCOREDUMP(status) ? " (core dumped)" : "");
}

int main(void) {
  // No core file on disk: the lesson is about the status, not the file.
  const struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  pid_t child = fork();
  if (child == 0) exit(-1);
  report(child);
  child = fork();
  if (child == 0) kill(getpid(), SIGKILL);
  report(child);
  child = fork();
  if (child == 0) abort();
  report(child);
  return 0;
}
