// Lesson dispositions: a signal ignored, one caught, one taken with
// its default action.
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static int ack[2];

static void on_usr1(int sig) {
  (void)sig;
  write(ack[1], "u", 1);
}

int main(void) {
  pipe(ack);
  const pid_t child = fork();
  if (child == 0) {
    signal(SIGINT, SIG_IGN);  // as a non-interactive shell leaves a background job
    signal(SIGUSR1, on_usr1);
    write(ack[1], "r", 1);
    for (;;) pause();
  }
  char c;
  read(ack[0], &c, 1);  // ready
  kill(child, SIGINT);
  kill(child, SIGUSR1);
  read(ack[0], &c, 1);  // the handler ran
  kill(child, SIGTERM);
  int status = 0;
  waitpid(child, &status, 0);
  printf("child killed by signal %d\n", WTERMSIG(status));
  return 0;
}
