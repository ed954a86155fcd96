// Lesson job-control: a terminal's foreground group, Ctrl-Z, a read from
// the background (SIGTTIN), bg and fg. The program plays both the user at
// the keyboard (the terminal's master side) and a shell with one job.
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  const int keyboard = posix_openpt(O_RDWR | O_NOCTTY);
  grantpt(keyboard);
  unlockpt(keyboard);
  const char* terminal = ptsname(keyboard);
  int to_user[2], to_job[2];
  pipe(to_user);
  pipe(to_job);
  const pid_t shell = fork();
  if (shell == 0) {
    // The shell: a session of its own, the terminal its controlling one.
    setsid();
    const int tty = open(terminal, O_RDWR);
    ioctl(tty, TIOCSCTTY, 0);
    signal(SIGTTOU, SIG_IGN);  // so that it may hand the terminal around
    const pid_t job = fork();
    if (job == 0) {
      signal(SIGTTOU, SIG_DFL);
      setpgid(0, 0);
      char c;
      read(to_job[0], &c, 1);  // in the foreground now
      char line[64];
      const ssize_t n = read(tty, line, sizeof line);  // stopped twice on its way
      return n > 0 ? 0 : 1;
    }
    setpgid(job, job);
    tcsetpgrp(tty, job);  // the job in the foreground
    write(to_job[1], "g", 1);
    write(to_user[1], "z", 1);  // the user presses Ctrl-Z
    int status = 0;
    waitpid(job, &status, WUNTRACED);  // stopped by SIGTSTP
    tcsetpgrp(tty, getpgrp());         // the shell takes the terminal back
    kill(-job, SIGCONT);               // bg: it reads from the background...
    waitpid(job, &status, WUNTRACED);  // ...and is stopped by SIGTTIN
    tcsetpgrp(tty, job);               // fg
    kill(-job, SIGCONT);
    write(to_user[1], "t", 1);  // the user types a line
    waitpid(job, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
  }
  // The user at the keyboard.
  char c;
  read(to_user[0], &c, 1);
  write(keyboard, "\x1a", 1);  // Ctrl-Z: the line discipline sends SIGTSTP
  read(to_user[0], &c, 1);
  write(keyboard, "hello\n", 6);
  int status = 0;
  waitpid(shell, &status, 0);
  printf("the job read its line after fg; the shell exited %d\n", WEXITSTATUS(status));
  return 0;
}
