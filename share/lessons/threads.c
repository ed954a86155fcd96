// Lesson threads: threads are not processes: no fork, no SIGCHLD, no zombie;
// and exec from a thread that is not the main one.
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void* quick(void* arg) {
  (void)arg;
  return NULL;  // pthread_exit: this thread alone ends
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
  printf("thread joined; process %d execs from a second thread now\n", getpid());
  fflush(stdout);
  pthread_create(&t, NULL, exec_true, NULL);
  for (;;) pause();  // the main thread is killed by the other thread's exec
}
