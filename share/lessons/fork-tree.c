// Lesson fork-tree: fork(); fork(); fork(); — how many processes?
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  fork();
  fork();
  fork();
  // Every process waits for the children it made, so none is left a zombie.
  while (wait(NULL) > 0) {
  }
  return 0;
}
