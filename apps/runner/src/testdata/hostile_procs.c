/*
 * Hostile uses of processes and threads; the first argument picks one.
 *   clone-stack  children whose stack pointer lies in the kernel half (where
 *                tsv keeps its ring-0 stub and the physical-memory map) or is
 *                not canonical: each dies of SIGSEGV at its first push, the
 *                parent goes on
 *   tls          a TLS base outside the user half: EPERM from clone and arch_prctl
 *   fork-bomb    every process forks forever; the first one stops at EAGAIN,
 *                SIGKILLs the rest (kill -1) and exits 0
 *   zombies N    up to N children that exit at once and are never waited for;
 *                prints how many were made before EAGAIN
 *   cleartid-exit  threads blocked on the CLONE_CHILD_CLEARTID word of a
 *                thread that exits: the kernel clears it and wakes one of them
 *   robust-exit  a robust mutex held by a thread that exits while others
 *                wait for it: one of them gets EOWNERDEAD, the others the lock
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define ARCH_SET_FS 0x1002

/* clone(flags, stack): the child pushes onto its new stack, then exits 0 if it could. */
static long clone_and_push(unsigned long flags, unsigned long stack) {
  long ret;
  __asm__ volatile(
      "syscall\n\t"
      "test %%rax, %%rax\n\t"
      "jnz 1f\n\t"
      "push %%rax\n\t"
      "mov $60, %%eax\n\t"
      "xor %%edi, %%edi\n\t"
      "syscall\n\t"
      "1:"
      : "=a"(ret)
      : "0"((long)SYS_clone), "D"(flags), "S"(stack), "d"(0L)
      : "rcx", "r11", "memory");
  return ret;
}

static int clone_stack(void) {
  static const struct { const char *what; unsigned long sp; } stacks[] = {
      {"the kernel half's first page", 0xffff800000001000UL},
      {"the ring-0 stub", 0xffffff8000002000UL},
      {"the physical-memory map", 0xffffff0000010000UL},
      {"the top of memory", 0xfffffffffffff000UL},
      {"just past the user half (non-canonical)", 0x0000800000001000UL},
      {"the middle of the hole (non-canonical)", 0x8000000000000000UL},
  };
  for (size_t i = 0; i < sizeof stacks / sizeof stacks[0]; i++) {
    for (int shared = 0; shared < 2; shared++) {
      long c = clone_and_push((shared ? CLONE_VM : 0) | SIGCHLD, stacks[i].sp);
      if (c < 0) {
        printf("stack in %s%s: clone %s\n", stacks[i].what, shared ? ", CLONE_VM" : "", strerrorname_np((int)-c));
        continue;
      }
      int st;
      waitpid((pid_t)c, &st, 0);
      printf("stack in %s%s: child %s\n", stacks[i].what, shared ? ", CLONE_VM" : "",
             WIFSIGNALED(st) ? sigabbrev_np(WTERMSIG(st)) : "exited");
    }
  }
  printf("parent alive\n");
  return 0;
}

static int tls(void) {
  static const unsigned long bases[] = {0x0000800000000000UL, 0x8000000000000000UL, 0xffffff8000000000UL, (1UL << 47) - 4096};
  for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
    errno = 0;
    long r = syscall(SYS_clone, CLONE_SETTLS | SIGCHLD, 0L, 0L, 0L, bases[i]);
    if (r == 0) _exit(99); /* never: the TLS base is refused */
    if (r > 0) waitpid((pid_t)r, NULL, 0);
    printf("clone TLS %#lx: %s\n", bases[i], r < 0 ? strerrorname_np(errno) : "child made");
    errno = 0;
    r = syscall(SYS_arch_prctl, ARCH_SET_FS, bases[i]);
    printf("arch_prctl SET_FS %#lx: %s\n", bases[i], r < 0 ? strerrorname_np(errno) : "ok");
  }
  return 0;
}

static int fork_bomb(void) {
  pid_t first = getpid();
  long refused = 0;
  for (;;) {
    pid_t c = fork();
    if (c < 0 && getpid() == first && errno == EAGAIN && ++refused == 100) break;
    if (c < 0) sched_yield();
  }
  kill(-1, SIGKILL); /* every other process: all of them are the bomb's */
  while (wait(NULL) > 0) {}
  printf("fork: EAGAIN\n");
  return 0;
}

static int zombies(long n) {
  long made = 0;
  for (; made < n; made++) {
    pid_t c = fork();
    if (c == 0) _exit(0);
    if (c < 0) {
      printf("fork %ld: %s\n", made + 1, strerrorname_np(errno));
      break;
    }
  }
  printf("%ld zombies made, none waited for\n", made);
  return 0;
}

/* ---- cleartid-exit ---- */

static long futex(volatile int *addr, int op, int val, volatile int *addr2, long val2) {
  return syscall(SYS_futex, addr, op, val, (void *)val2, addr2, 0);
}

static volatile int ctid, stage, go, woken;

static int exiting_thread(void *arg) {
  (void)arg;
  while (!go) sched_yield();
  return 0; /* clone()'s wrapper ends the thread with exit(2): the kernel clears ctid and wakes one waiter */
}

static void *ctid_waiter(void *arg) {
  (void)arg;
  futex(&stage, FUTEX_WAIT, 0, NULL, 0); /* shared, as glibc's join waits on a thread's tid; requeued onto it */
  __sync_fetch_and_add(&woken, 1);
  return NULL;
}

static int cleartid_exit(void) {
  enum { WAITERS = 3 };
  static char stack[1 << 16];
  int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | CLONE_CHILD_SETTID |
              CLONE_CHILD_CLEARTID;
  if (clone(exiting_thread, stack + sizeof stack, flags, NULL, NULL, NULL, &ctid) < 0) return perror("clone"), 1;
  while (ctid == 0) sched_yield();
  pthread_t w[WAITERS];
  for (int i = 0; i < WAITERS; i++) pthread_create(&w[i], NULL, ctid_waiter, NULL);
  /* Move every waiter from the staging word onto the thread's tid word, so all of them wait there. */
  for (long moved = 0; moved < WAITERS;) {
    long r = futex(&stage, FUTEX_REQUEUE, 0, &ctid, INT_MAX);
    moved += r > 0 ? r : 0;
    if (r <= 0) sched_yield();
  }
  go = 1;
  while (woken == 0) sched_yield(); /* only the thread's exit can wake one */
  long rest = futex(&ctid, FUTEX_WAKE, INT_MAX, NULL, 0);
  for (int i = 0; i < WAITERS; i++) pthread_join(w[i], NULL);
  printf("tid word after exit: %d; the exit woke %d waiter(s), %ld were left for us\n", ctid, WAITERS - (int)rest, rest);
  return 0;
}

static pthread_mutex_t robust;
static pthread_barrier_t held;
static volatile int owner_dead, plain;

static void *hold_and_exit(void *arg) {
  (void)arg;
  pthread_mutex_lock(&robust);
  pthread_barrier_wait(&held);
  return NULL; /* exits holding it */
}

static void *take(void *arg) {
  (void)arg;
  pthread_barrier_wait(&held);
  int r = pthread_mutex_lock(&robust);
  if (r == EOWNERDEAD) {
    __sync_fetch_and_add(&owner_dead, 1);
    pthread_mutex_consistent(&robust);
  } else if (r == 0) {
    __sync_fetch_and_add(&plain, 1);
  }
  pthread_mutex_unlock(&robust);
  return NULL;
}

/* ---- robust-exit ---- */

static int robust_exit(void) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&robust, &a);
  pthread_barrier_init(&held, NULL, 4);
  pthread_t t[4];
  pthread_create(&t[0], NULL, hold_and_exit, NULL);
  for (int i = 1; i < 4; i++) pthread_create(&t[i], NULL, take, NULL);
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  printf("robust mutex of a dead owner: %d EOWNERDEAD, %d plain locks\n", owner_dead, plain);
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  const char *mode = argc > 1 ? argv[1] : "";
  if (!strcmp(mode, "clone-stack")) return clone_stack();
  if (!strcmp(mode, "tls")) return tls();
  if (!strcmp(mode, "fork-bomb")) return fork_bomb();
  if (!strcmp(mode, "zombies") && argc > 2) return zombies(atol(argv[2]));
  if (!strcmp(mode, "cleartid-exit")) return cleartid_exit();
  if (!strcmp(mode, "robust-exit")) return robust_exit();
  fprintf(stderr, "usage: hostile_procs clone-stack|tls|fork-bomb|zombies N|cleartid-exit|robust-exit\n");
  return 2;
}
