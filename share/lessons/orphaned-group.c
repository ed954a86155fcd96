// Lesson orphaned-group: a stopped process whose group becomes orphaned
// gets SIGHUP, then SIGCONT.
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  int gone[2];
  pipe(gone);
  const pid_t middle = fork();
  if (middle == 0) {
    const pid_t job = fork();
    if (job == 0) {
      close(gone[0]);  // keeps gone[1] open until it dies
      setpgid(0, 0);   // a group of its own, in the same session
      raise(SIGSTOP);
      return 0;
    }
    int status = 0;
    waitpid(job, &status, WUNTRACED);  // it is stopped
    return 0;                          // its group loses its last link: orphaned
  }
  close(gone[1]);
  waitpid(middle, NULL, 0);
  char c;
  read(gone[0], &c, 1);  // end of file: the stopped job has died
  return 0;
}
