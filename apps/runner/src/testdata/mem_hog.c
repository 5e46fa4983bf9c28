/* Touches memory 1 MiB at a time until it is killed. */
#include <stdlib.h>
#include <string.h>
int main(void) {
  for (;;) {
    char *p = malloc(1 << 20);
    if (p == 0) return 3;
    memset(p, 1, 1 << 20);
  }
}
