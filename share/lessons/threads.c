// Lesson threads: threads are not processes: no fork, no SIGCHLD, no zombie;
// and exec from a thread that is not the main one.
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static void* quick(void* arg) {
  (void)arg;
  return NULL;  // pthread_exit: this thread alone ends
}

static int hold[2];

// A thread that forks, then ends: its child is not orphaned.
static void* fork_and_end(void* arg) {
  (void)arg;
  if (fork() == 0) {
    char c;
    read(hold[0], &c, 1);
    _exit(0);
  }
  return NULL;
}

static void* exec_true(void* arg) {
  (void)arg;
  execlp("true", "true", (char*)NULL);
  return NULL;
}

int main(void) {
  pthread_t t;
  pthread_create(&t, NULL, quick, NULL);
  pthread_join(t, NULL);
  pipe(hold);
  pthread_create(&t, NULL, fork_and_end, NULL);
  pthread_join(t, NULL);
  write(hold[1], "x", 1);
  wait(NULL);  // the main thread reaps the child another thread made
  printf("thread joined; process %d execs from a second thread now\n", getpid());
  fflush(stdout);
  pthread_create(&t, NULL, exec_true, NULL);
  for (;;) pause();  // the main thread is killed by the other thread's exec
}
