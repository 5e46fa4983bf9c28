/* A SIGCHLD handler that reaps with waitpid(WNOHANG) as children end; the main loop sleeps in sigsuspend. */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

enum { KIDS = 10 };
static volatile int reaped, status_sum, handler_runs;

static void on_chld(int sig, siginfo_t *si, void *uc) {
  (void)sig, (void)si, (void)uc;
  handler_runs++;
  for (int st; waitpid(-1, &st, WNOHANG) > 0;) {
    reaped++;
    status_sum += WEXITSTATUS(st);
  }
}

int main(void) {
  struct sigaction sa = {.sa_sigaction = on_chld, .sa_flags = SA_SIGINFO | SA_RESTART};
  sigaction(SIGCHLD, &sa, NULL);
  sigset_t chld, old;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, &old);
  for (int i = 0; i < KIDS; i++)
    if (fork() == 0) {
      usleep(1000 * (KIDS - i));
      _exit(i);
    }
  while (reaped < KIDS) sigsuspend(&old);
  printf("reaped %d children, statuses sum %d, handler ran: %s\n", reaped, status_sum, handler_runs > 0 ? "yes" : "no");
  return 0;
}
