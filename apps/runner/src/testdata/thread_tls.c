/* Thread-local storage: __thread variables (with and without initialiser), and pthread keys with destructors. */
#include <pthread.h>
#include <stdio.h>

enum { THREADS = 8 };
static __thread long tls_zero;
static __thread long tls_init = 1000;
static __thread char tls_big[8192];
static pthread_key_t key;
static volatile int destructors;
static long results[THREADS];
static void *addresses[THREADS];

static void destroy(void *p) { __sync_fetch_and_add(&destructors, (int)(long)p); }

static void *worker(void *arg) {
  long me = (long)arg;
  pthread_setspecific(key, (void *)(me + 1));
  for (int i = 0; i < 1000; i++) {
    tls_zero += me;
    tls_init += 1;
    tls_big[i % sizeof tls_big] += 1;
  }
  addresses[me] = &tls_init;
  results[me] = tls_zero + tls_init + tls_big[0] + (long)pthread_getspecific(key);
  return NULL;
}

int main(void) {
  pthread_key_create(&key, destroy);
  pthread_t t[THREADS];
  for (long i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, worker, (void *)i);
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  for (int i = 0; i < THREADS; i++) printf("thread %d: %ld\n", i, results[i]);
  int distinct = 1;
  for (int i = 0; i < THREADS; i++)
    for (int j = 0; j < i; j++) distinct &= addresses[i] != addresses[j];
  printf("main's copies untouched: %s\n", tls_zero == 0 && tls_init == 1000 ? "yes" : "no");
  printf("each thread had its own: %s\n", distinct ? "yes" : "no");
  printf("destructors: sum %d\n", destructors);
  return 0;
}
