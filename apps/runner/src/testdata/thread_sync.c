/*
 * Eight pthreads: a mutex-protected counter, a bounded queue with two
 * condition variables (4 producers, 4 consumers), and a barrier crossed in
 * phases where every thread must see every other's work of the phase before.
 */
#include <pthread.h>
#include <stdio.h>

enum { THREADS = 8, ROUNDS = 20000, ITEMS = 5000, PHASES = 10, QCAP = 16 };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *count(void *arg) {
  (void)arg;
  for (int i = 0; i < ROUNDS; i++) {
    pthread_mutex_lock(&lock);
    counter++;
    pthread_mutex_unlock(&lock);
  }
  return NULL;
}

static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER, not_empty = PTHREAD_COND_INITIALIZER;
static int queue[QCAP], head, tail, size;
static long consumed_sum, consumed_count;

static void *produce(void *arg) {
  long base = (long)arg * ITEMS;
  for (int i = 1; i <= ITEMS; i++) {
    pthread_mutex_lock(&qlock);
    while (size == QCAP) pthread_cond_wait(&not_full, &qlock);
    queue[tail] = (int)(base + i);
    tail = (tail + 1) % QCAP;
    size++;
    pthread_cond_signal(&not_empty);
    pthread_mutex_unlock(&qlock);
  }
  return NULL;
}

static void *consume(void *arg) {
  (void)arg;
  for (int i = 0; i < ITEMS; i++) {
    pthread_mutex_lock(&qlock);
    while (size == 0) pthread_cond_wait(&not_empty, &qlock);
    consumed_sum += queue[head];
    consumed_count++;
    head = (head + 1) % QCAP;
    size--;
    pthread_cond_signal(&not_full);
    pthread_mutex_unlock(&qlock);
  }
  return NULL;
}

static pthread_barrier_t barrier;
static volatile int work[THREADS];
static volatile int mismatches;

static void *phases(void *arg) {
  long me = (long)arg;
  for (int p = 1; p <= PHASES; p++) {
    work[me] = p;
    pthread_barrier_wait(&barrier);
    for (int t = 0; t < THREADS; t++)
      if (work[t] < p) __sync_fetch_and_add(&mismatches, 1);
    pthread_barrier_wait(&barrier);
  }
  return NULL;
}

static void run(void *(*fn)(void *), pthread_t *t, int from, int n) {
  for (int i = 0; i < n; i++) pthread_create(&t[from + i], NULL, fn, (void *)(long)(from + i));
}

int main(void) {
  pthread_t t[THREADS];
  run(count, t, 0, THREADS);
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  printf("mutex counter: %ld (expected %d)\n", counter, THREADS * ROUNDS);

  run(produce, t, 0, THREADS / 2);
  run(consume, t, THREADS / 2, THREADS / 2);
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  printf("condvar queue: %ld items, sum %ld\n", consumed_count, consumed_sum);

  pthread_barrier_init(&barrier, NULL, THREADS);
  run(phases, t, 0, THREADS);
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  printf("barrier: %d phases, %d threads saw a stale phase\n", PHASES, mismatches);
  return 0;
}
