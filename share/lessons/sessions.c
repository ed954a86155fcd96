// Lesson sessions: setsid fails for a group leader; a child can start one.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  setpgid(0, 0);  // lead a process group, as a shell's job does
  if (setsid() < 0) printf("setsid as a group leader: %s\n", strerror(errno));
  const pid_t child = fork();
  if (child == 0) {
    // The child is in its parent's group but does not lead it.
    printf("child: setsid returned %d\n", setsid());
    return 0;
  }
  waitpid(child, NULL, 0);
  return 0;
}
