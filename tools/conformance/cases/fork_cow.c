/*
 * fork copies memory copy-on-write: private pages diverge on the first write
 * of either side, MAP_SHARED pages stay shared, MADV_DONTFORK ranges are
 * absent in the child and MADV_WIPEONFORK ranges are zero there, and a
 * parent's writes after fork never reach the child (nor the child's the
 * parent), even while both run at once. Children report through their exit
 * status; the parent prints.
 */
#include "tproc.h"
#include <fcntl.h>

#define PAGE 4096

/* Both sides write the same private page after fork; each keeps its own byte. */
static void private_diverges(void) {
  char *p = t_map(PAGE, MAP_PRIVATE);
  char *untouched = t_map(PAGE, MAP_PRIVATE); /* never faulted in before fork */
  p[0] = 'P';
  struct t_gate child_wrote, parent_wrote;
  t_gate_open(&child_wrote);
  t_gate_open(&parent_wrote);
  pid_t c = t_fork();
  if (c == 0) {
    p[0] = 'C';
    untouched[100] = 'c';
    t_gate_pass(&child_wrote);
    t_gate_wait(&parent_wrote);
    _exit(p[0] == 'C' && untouched[100] == 'c' ? 0 : 1);
  }
  t_gate_wait(&child_wrote);
  REL("parent sees its own byte after the child wrote", p[0] == 'P');
  REL("untouched page still zero in the parent", untouched[100] == 0);
  p[0] = 'Q';
  untouched[100] = 'q';
  t_gate_pass(&parent_wrote);
  t_reap("child sees its own bytes", c);
  REL("parent keeps its write", p[0] == 'Q' && untouched[100] == 'q');
  t_gate_close(&child_wrote);
  t_gate_close(&parent_wrote);
}

/* MAP_SHARED anonymous memory is the same memory in both, whichever side writes. */
static void shared_stays_shared(void) {
  volatile int *s = t_map(PAGE, MAP_SHARED);
  s[0] = 1;
  struct t_gate parent_wrote;
  t_gate_open(&parent_wrote);
  pid_t c = t_fork();
  if (c == 0) {
    s[1] = 7;
    s[0] = 2;
    t_gate_wait(&parent_wrote);
    _exit(s[2] == 3 ? 0 : 1);
  }
  while (s[0] != 2) sched_yield();
  printf("shared after the child's write: %d %d\n", s[0], s[1]);
  s[2] = 3;
  t_gate_pass(&parent_wrote);
  t_reap("child sees the parent's shared write", c);
  t_gate_close(&parent_wrote);
}

/* MADV_DONTFORK: not mapped in the child; MADV_WIPEONFORK: zero there, intact in the parent. */
static void madvise_fork(void) {
  char *dont = t_map(2 * PAGE, MAP_PRIVATE);
  char *wipe = t_map(2 * PAGE, MAP_PRIVATE);
  memset(dont, 'd', 2 * PAGE);
  memset(wipe, 'w', 2 * PAGE);
  T("madvise DONTFORK", madvise(dont, 2 * PAGE, MADV_DONTFORK));
  T("madvise WIPEONFORK", madvise(wipe, 2 * PAGE, MADV_WIPEONFORK));
  T("madvise WIPEONFORK on shared memory", madvise(t_map(PAGE, MAP_SHARED), PAGE, MADV_WIPEONFORK));
  pid_t c = t_fork();
  if (c == 0) {
    int bad = 0;
    if (t_probe(t_read_byte, dont) != SIGSEGV) bad |= 1;
    if (t_probe(t_read_byte, dont + PAGE) != SIGSEGV) bad |= 2;
    if (wipe[0] != 0 || wipe[PAGE + 5] != 0) bad |= 4;
    wipe[0] = 'x'; /* writable, and private to the child */
    _exit(bad);
  }
  t_reap("child: DONTFORK faults, WIPEONFORK zero (0 = both)", c);
  REL("parent keeps the DONTFORK range", dont[0] == 'd' && dont[2 * PAGE - 1] == 'd');
  REL("parent keeps the WIPEONFORK range", wipe[0] == 'w' && wipe[PAGE + 5] == 'w');
  T("madvise DOFORK", madvise(dont, 2 * PAGE, MADV_DOFORK));
  c = t_fork();
  if (c == 0) _exit(dont[PAGE] == 'd' ? 0 : 1);
  t_reap("child after DOFORK sees the range", c);
}

/*
 * One side writes a private counter page over and over while the other
 * reads its own copy; a shared page carries the progress so that each loop
 * runs while the other side is running too. The page is mapped writable
 * (and used) in the parent before fork, so a stale writable translation
 * would leak the writes.
 */
enum { ROUNDS = 20000 };
struct progress { volatile int written, reader_ready; };

static void write_rounds(struct progress *pr, volatile long *priv) {
  while (!pr->reader_ready) sched_yield();
  for (int i = 1; i <= ROUNDS; i++) {
    priv[0] = i;
    pr->written = i;
    if (i % 64 == 0) sched_yield();
  }
}

/* Reads of a changed value while the other side writes. */
static long read_rounds(struct progress *pr, volatile long *priv) {
  pr->reader_ready = 1;
  long seen = 0;
  while (pr->written < ROUNDS) {
    if (priv[0] != 0) seen++;
    sched_yield();
  }
  return seen;
}

static void writes_never_cross(void) {
  struct progress *pr = t_map(PAGE, MAP_SHARED);
  volatile long *priv = t_map(PAGE, MAP_PRIVATE);
  priv[0] = 0;
  pid_t c = t_fork();
  if (c == 0) _exit(read_rounds(pr, priv) == 0 ? 0 : 1);
  write_rounds(pr, priv);
  t_reap("child never saw the parent's writes", c);

  memset((void *)pr, 0, sizeof *pr);
  priv[0] = 0;
  c = t_fork();
  if (c == 0) {
    write_rounds(pr, priv);
    _exit(0);
  }
  printf("parent reads of a changed value: %ld\n", read_rounds(pr, priv));
  t_reap("child writer", c);
}

/* MAP_PRIVATE file pages: the parent's write after fork stays out of the child and out of the file. */
static void private_file(void) {
  t_put("cow.dat", "file contents here\n");
  int fd = open("cow.dat", O_RDWR);
  char *f = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  if (f == MAP_FAILED) exit(90);
  struct t_gate parent_wrote;
  t_gate_open(&parent_wrote);
  pid_t c = t_fork();
  if (c == 0) {
    t_gate_wait(&parent_wrote);
    _exit(f[0] == 'f' ? 0 : 1);
  }
  f[0] = 'F';
  t_gate_pass(&parent_wrote);
  t_reap("child sees the file's byte, not the parent's", c);
  char b = 0;
  T("pread file", pread(fd, &b, 1, 0));
  printf("file byte: %c, parent's mapping: %c\n", b, f[0]);
  close(fd);
  t_gate_close(&parent_wrote);
}

/* A read-only private page made writable in the child after fork: the parent's copy is untouched. */
static void mprotect_after_fork(void) {
  char *p = t_map(PAGE, MAP_PRIVATE);
  p[0] = 'r';
  T("mprotect read-only", mprotect(p, PAGE, PROT_READ));
  pid_t c = t_fork();
  if (c == 0) {
    if (t_probe(t_write_byte, p) != SIGSEGV) _exit(2);
    if (mprotect(p, PAGE, PROT_READ | PROT_WRITE)) _exit(3);
    p[0] = 'W';
    _exit(p[0] == 'W' ? 0 : 1);
  }
  t_reap("child: write faults, then mprotect and write", c);
  REL("parent's read-only page unchanged", p[0] == 'r');
}

/* 4 MiB touched before fork; the child rewrites every page; the parent's sum is unchanged. */
static void many_pages(void) {
  enum { LEN = 4 << 20 };
  unsigned char *m = t_map(LEN, MAP_PRIVATE);
  for (size_t i = 0; i < LEN; i += PAGE) m[i] = (unsigned char)(i / PAGE);
  pid_t c = t_fork();
  if (c == 0) {
    for (size_t i = 0; i < LEN; i += PAGE) m[i] = 0xee;
    unsigned long sum = 0;
    for (size_t i = 0; i < LEN; i += PAGE) sum += m[i];
    _exit(sum == 0xeeUL * (LEN / PAGE) ? 0 : 1);
  }
  t_reap("child rewrote 1024 pages", c);
  unsigned long sum = 0;
  for (size_t i = 0; i < LEN; i += PAGE) sum += m[i];
  printf("parent's sum: %lu\n", sum);
}

/* A child forks a grandchild: three copies of one page, each written once. */
static void nested_fork(void) {
  char *p = t_map(PAGE, MAP_PRIVATE);
  p[0] = '1';
  pid_t c = t_fork();
  if (c == 0) {
    p[0] = '2';
    pid_t g = fork();
    if (g < 0) _exit(9);
    if (g == 0) _exit(p[0] == '2' ? (p[0] = '3', 0) : 1);
    int st;
    if (waitpid(g, &st, 0) != g || !WIFEXITED(st) || WEXITSTATUS(st) != 0) _exit(2);
    _exit(p[0] == '2' ? 0 : 3);
  }
  t_reap("child and grandchild each keep their byte", c);
  REL("parent keeps its byte", p[0] == '1');
}

int main(void) {
  t_unbuffered();
  private_diverges();
  shared_stays_shared();
  madvise_fork();
  writes_never_cross();
  private_file();
  mprotect_after_fork();
  many_pages();
  nested_fork();
  T("no children left", wait(NULL));
  return 0;
}
