/*
 * A threaded program that forks: four threads keep taking a mutex and
 * calling malloc while the main thread forks; the child has one thread, can
 * use malloc, stdio and the mutex (pthread_atfork handlers run in order),
 * and starts a thread of its own.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static volatile int stop;
static char trail[16];

static void prepare(void) { strcat(trail, "P"); pthread_mutex_lock(&lock); }
static void parent(void) { strcat(trail, "p"); pthread_mutex_unlock(&lock); }
static void child(void) { strcat(trail, "c"); pthread_mutex_unlock(&lock); }

static void *churn(void *arg) {
  (void)arg;
  while (!stop) {
    pthread_mutex_lock(&lock);
    free(malloc(100));
    pthread_mutex_unlock(&lock);
  }
  return NULL;
}

static int threads_now(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  int n = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "Threads: %d", &n) == 1) break;
  if (f) fclose(f);
  return n;
}

static void *child_thread(void *arg) { return (void *)((long)arg * 2); }

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pthread_atfork(prepare, parent, child);
  pthread_t t[4];
  for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, churn, NULL);
  for (int round = 0; round < 5; round++) {
    pid_t c = fork();
    if (c == 0) {
      int n = threads_now();
      pthread_mutex_lock(&lock);
      char *p = malloc(1 << 20);
      memset(p, 1, 1 << 20);
      pthread_mutex_unlock(&lock);
      pthread_t own;
      void *ret;
      pthread_create(&own, NULL, child_thread, (void *)21L);
      pthread_join(own, &ret);
      printf("child %d: %d thread(s) after fork, atfork trail %s, its own thread returned %ld\n", round, n, trail, (long)ret);
      exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    printf("parent: child %d exit %d, trail %s\n", round, WEXITSTATUS(st), trail);
    trail[0] = 0;
  }
  stop = 1;
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  printf("parent: threads joined\n");
  return 0;
}
