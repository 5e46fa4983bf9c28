/* Says "ready", then waits; SIGTERM makes it exit 3, SIGUSR1 prints "usr1" and it waits on. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
static void on_term(int sig) { (void)sig; _exit(3); }
static void on_usr1(int sig) { (void)sig; write(1, "usr1\n", 5); }
int main(void) {
  signal(SIGTERM, on_term);
  signal(SIGUSR1, on_usr1);
  write(1, "ready\n", 6);
  for (;;) pause();
}
