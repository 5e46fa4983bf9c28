/*
 * futex between processes and between threads: FUTEX_WAIT/WAKE across a
 * fork on MAP_SHARED memory (and on one file mapped at two addresses: a
 * shared futex is keyed by the memory, not the address), private futexes
 * that stay within their process, and REQUEUE, CMP_REQUEUE, WAKE_OP and
 * WAIT_BITSET/WAKE_BITSET between threads.
 *
 * Counts are made deterministic by never racing a waiter: a wake is retried
 * until it reports the waiter, and waiters are first parked on a staging
 * futex and moved with FUTEX_REQUEUE until all of them have moved.
 */
#include "tproc.h"
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>

static long futex(volatile uint32_t *addr, int op, uint32_t val, const void *timeout_or_val2, volatile uint32_t *addr2,
                  uint32_t val3) {
  return SC(SYS_futex, addr, op, val, timeout_or_val2, addr2, val3);
}

/* Wakes (op: a WAKE or WAKE_BITSET with `bitset`) until `n` waiters have been woken in all. */
static void wake_until(volatile uint32_t *f, int op, uint32_t bitset, int n) {
  for (int woken = 0; woken < n;) {
    long r = futex(f, op, INT_MAX, NULL, NULL, bitset);
    if (r < 0) { printf("wake: -1 %s\n", ename(errno)); exit(1); }
    woken += (int)r;
    if (r == 0) sched_yield();
  }
}

/* Moves waiters from `from` to `to` with FUTEX_REQUEUE until `n` have moved: then exactly n wait on `to`. */
static void park_on(volatile uint32_t *from, volatile uint32_t *to, int n) {
  for (int moved = 0; moved < n;) {
    long r = futex(from, FUTEX_REQUEUE_PRIVATE, 0, (void *)(long)INT_MAX, to, 0);
    if (r < 0) { printf("requeue: -1 %s\n", ename(errno)); exit(1); }
    moved += (int)r;
    if (r == 0) sched_yield();
  }
}

static void across_fork(void) {
  volatile uint32_t *word = t_map(4096, MAP_SHARED);
  pid_t c = t_fork();
  if (c == 0) _exit(futex(word, FUTEX_WAIT, 0, NULL, NULL, 0) == 0 ? 0 : 1);
  wake_until(word, FUTEX_WAKE, 0, 1);
  t_reap("child waiting on shared memory woken", c);

  /* Private futexes are per process: a private wake from here never finds the child's private waiter. */
  *word = 0;
  struct t_gate ready;
  t_gate_open(&ready);
  c = t_fork();
  if (c == 0) {
    struct timespec ts = {0, 200 * 1000 * 1000};
    t_gate_pass(&ready);
    long r = futex(word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
    _exit(r == -1 && errno == ETIMEDOUT ? 0 : 1);
  }
  t_gate_wait(&ready);
  long woken = 0;
  for (int i = 0; i < 20; i++) woken += futex(word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
  printf("private wakes from another process woke: %ld\n", woken);
  t_reap("child's private wait timed out", c);
  t_gate_close(&ready);

  /* One file mapped at different addresses in parent and child: the same futex. */
  int fd = open("futex.dat", O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || ftruncate(fd, 4096)) { printf("futex.dat: -1 %s\n", ename(errno)); return; }
  volatile uint32_t *a = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  c = t_fork();
  if (c == 0) {
    volatile uint32_t *b = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0); /* elsewhere */
    _exit(b != a && futex(b, FUTEX_WAIT, 0, NULL, NULL, 0) == 0 ? 0 : 1);
  }
  wake_until(a, FUTEX_WAKE, 0, 1);
  t_reap("child waiting at another address of the same file woken", c);
  close(fd);
}

/* ---- threads ---- */

static volatile uint32_t stage, f1, f2;
static volatile int done_count;

static void *wait_stage(void *arg) {
  uint32_t bitset = (uint32_t)(uintptr_t)arg;
  long r = futex(&stage, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, bitset);
  __sync_fetch_and_add(&done_count, r == 0 ? 1 : 100);
  return NULL;
}

static void start(pthread_t *t, int n, uint32_t bitset) {
  for (int i = 0; i < n; i++) pthread_create(&t[i], NULL, wait_stage, (void *)(uintptr_t)bitset);
}
static void join(pthread_t *t, int n) {
  for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
}

static void requeue(void) {
  pthread_t t[3];
  done_count = 0;
  start(t, 3, FUTEX_BITSET_MATCH_ANY);
  park_on(&stage, &f1, 3);
  T("CMP_REQUEUE with a stale value", futex(&f1, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)1L, &f2, 5));
  T("CMP_REQUEUE wake 1, move 1", futex(&f1, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)1L, &f2, 0));
  T("WAKE on f1 (one left there)", futex(&f1, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0));
  T("WAKE on f2 (the moved one)", futex(&f2, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0));
  join(t, 3);
  printf("woken waiters: %d\n", done_count);
  T("REQUEUE with nobody waiting", futex(&f1, FUTEX_REQUEUE_PRIVATE, 1, (void *)1L, &f2, 0));
  T("CMP_REQUEUE negative count", futex(&f1, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)-1L, &f2, 0));
}

static void wake_op(void) {
  pthread_t t[2];
  done_count = 0;
  start(t, 1, FUTEX_BITSET_MATCH_ANY);
  park_on(&stage, &f1, 1);
  start(t + 1, 1, FUTEX_BITSET_MATCH_ANY);
  park_on(&stage, &f2, 1);
  f2 = 0;
  /* *f2 += 1; wake one on f1; and one on f2 if the old *f2 was 0. */
  T("WAKE_OP, comparison true", futex(&f1, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1L, &f2,
                                      FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0)));
  printf("f2 after ADD 1: %u\n", f2);
  join(t, 2);
  printf("woken waiters: %d\n", done_count);

  done_count = 0;
  start(t, 1, FUTEX_BITSET_MATCH_ANY);
  park_on(&stage, &f2, 1);
  T("WAKE_OP, comparison false", futex(&f1, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1L, &f2,
                                       FUTEX_OP(FUTEX_OP_OR, 4, FUTEX_OP_CMP_GT, 5)));
  printf("f2 after OR 4: %u\n", f2);
  T("WAKE f2 (still waiting)", futex(&f2, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
  join(t, 1);
  printf("woken waiters: %d\n", done_count);
  T("WAKE_OP bad op", futex(&f1, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1L, &f2, 0xf0000000u));
  f2 = 0;
}

static void bitsets(void) {
  pthread_t t[2];
  done_count = 0;
  start(t, 1, 0x1);
  start(t + 1, 1, 0x2);
  /* Only the waiter whose bitset matches wakes: 0x2 ends the second, never the first. */
  wake_until(&stage, FUTEX_WAKE_BITSET_PRIVATE, 0x2, 1);
  pthread_join(t[1], NULL);
  printf("the 0x2 waiter woke, the 0x1 waiter waits: %d\n", done_count);
  T("WAKE_BITSET 0x4 (nobody matches)", futex(&stage, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, NULL, 0x4));
  wake_until(&stage, FUTEX_WAKE_BITSET_PRIVATE, 0x1, 1);
  pthread_join(t[0], NULL);
  printf("woken waiters: %d\n", done_count);

  T("WAIT_BITSET with bitset 0", futex(&stage, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, 0));
  T("WAKE_BITSET with bitset 0", futex(&stage, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0));
  struct timespec past;
  clock_gettime(CLOCK_REALTIME, &past);
  past.tv_sec -= 1;
  T("WAIT_BITSET absolute REALTIME deadline in the past",
    futex(&stage, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, &past, NULL, FUTEX_BITSET_MATCH_ANY));
  T("WAIT with a stale value", futex(&stage, FUTEX_WAIT_PRIVATE, 1, NULL, NULL, 0));
}

int main(void) {
  t_unbuffered();
  across_fork();
  requeue();
  wake_op();
  bitsets();
  return 0;
}
