/*
 * Structured memory operations on the arena: map, remap (including the alias
 * form, old_size 0), advise (MADV_REMOVE, MADV_DONTNEED...), protect, unmap,
 * touch, and brk. A region's table entry follows a successful call; pages a
 * call took away are found again by faulting on them, which ends the step.
 */
#include "fuzz.h"
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>

#define MAX_REGION (256 * PAGE)

static int ok(long r) { return (unsigned long)r <= -4096UL; }

static long sub_len(const struct region *r, long off) {
  long pages = (r->len - off) / PAGE;
  return pages > 0 ? (1 + (long)below((unsigned long)pages)) * PAGE : PAGE;
}

/*
 * A slot's entry may be stale (its pages unmapped or moved by a random call),
 * so every call made from one is checked against the program's own memory
 * first, like a random call.
 */
static int mine(const struct region *r) { return r->base != NULL && !touches_self((unsigned long)r->base, (unsigned long)r->len); }

/*
 * Unmaps what slot j holds and empties it. Before the new mapping is made,
 * never after: a stale range may be where the kernel puts the new one.
 */
static void retire(int j) {
  if (mine(&regions[j])) SC2(SYS_munmap, regions[j].base, regions[j].len);
  regions[j] = (struct region){0};
}

static void store(int j, long base, long len) { regions[j] = (struct region){(char *)base, len}; }

/* Another slot than i. */
static int other(int i) { return (i + 1 + (int)below(NREGIONS - 1)) % NREGIONS; }

static void touch(const struct region *r) {
  if (r->base == NULL || r->len <= 0) return;
  volatile char *p = r->base;
  for (int i = 0, n = 1 + (int)below(8); i < n; i++) {
    long off = (long)below((unsigned long)r->len);
    if (chance(50)) p[off] = (char)rnd();
    else (void)p[off];
  }
}

static const long PROTS[] = {
  PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC, PROT_READ | PROT_WRITE | PROT_EXEC,
  PROT_WRITE, PROT_READ | PROT_GROWSDOWN, PROT_READ | PROT_WRITE | PROT_GROWSUP, 0x10,
};
static const long ADVICE[] = {
  MADV_DONTNEED, MADV_REMOVE, MADV_FREE, MADV_WILLNEED, MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL,
  MADV_DONTFORK, MADV_DOFORK, MADV_MERGEABLE, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_COLD, MADV_PAGEOUT,
  22 /* POPULATE_READ */, 23 /* POPULATE_WRITE */, 24 /* DONTNEED_LOCKED */, MADV_WIPEONFORK, 100 /* HWPOISON */, 77,
};

static void fresh(int i) {
  static const long kinds[] = {
    MAP_PRIVATE | MAP_ANONYMOUS, MAP_SHARED | MAP_ANONYMOUS, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE,
    MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, MAP_PRIVATE, MAP_SHARED, MAP_SHARED_VALIDATE | MAP_ANONYMOUS,
  };
  long flags = PICK(kinds), len = (1 + (long)below(64)) * PAGE, fd = -1;
  if (!(flags & MAP_ANONYMOUS)) fd = pool_fd(); /* a file, a pipe, a directory, nothing */
  retire(i);
  long p = SC6(SYS_mmap, 0, len, chance(80) ? PROT_READ | PROT_WRITE : PICK(PROTS), flags, fd, chance(80) ? 0 : pool_offset());
  if (ok(p)) store(i, p, len);
}

/* Another slot's pages are replaced in place (MAP_FIXED), or not (MAP_FIXED_NOREPLACE). */
static void over(struct region *r) {
  if (!mine(r)) return;
  long off = (long)below((unsigned long)(r->len / PAGE)) * PAGE, len = sub_len(r, off);
  long flags = (chance(50) ? MAP_PRIVATE : MAP_SHARED) | MAP_ANONYMOUS | (chance(70) ? MAP_FIXED : MAP_FIXED_NOREPLACE);
  SC6(SYS_mmap, r->base + off, len, PROT_READ | PROT_WRITE, flags, -1, 0);
  touch(r);
}

/*
 * Grows, shrinks or moves slot i. With MREMAP_FIXED it lands on slot j's
 * pages; with MREMAP_DONTUNMAP the new mapping goes to slot j and slot i
 * keeps its (now empty) range.
 */
static void remap(int i) {
  struct region *r = &regions[i];
  if (r->base == NULL) return;
  long len = (1 + (long)below(MAX_REGION / PAGE)) * PAGE + (chance(10) ? 1 : 0);
  long flags = chance(80) ? MREMAP_MAYMOVE : (long)below(8);
  int j = other(i);
  long target = (flags & MREMAP_FIXED) && mine(&regions[j]) ? (long)regions[j].base : 0;
  if (touches_self((unsigned long)target, (unsigned long)len)) target = 0; /* it may run past slot j */
  if ((flags & MREMAP_DONTUNMAP) && !target) retire(j);
  long p = SC5(SYS_mremap, r->base, r->len, len, flags, target);
  if (!ok(p)) return;
  if (flags & MREMAP_DONTUNMAP) {
    store(j, p, len);
  } else {
    if (target) regions[j] = (struct region){0};
    store(i, p, len);
  }
  touch(r);
}

/*
 * The alias form: mremap(old, 0, len, MAYMOVE) maps the same shared pages a
 * second time. Of a mapping made here, writes through one must show through
 * the other, also after MADV_REMOVE or MADV_DONTNEED emptied the pages.
 * Existing regions are aliased too, unchecked: they may be a patchwork of
 * mappings by now.
 */
static void alias(int i) {
  int j = other(i), checked = chance(50);
  retire(j);
  if (checked) {
    retire(i);
    long len = (1 + (long)below(16)) * PAGE;
    long p = SC6(SYS_mmap, 0, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (!ok(p)) return;
    store(i, p, len);
  }
  struct region *r = &regions[i];
  if (r->base == NULL || r->len < PAGE) return;
  long len = r->len & ~(PAGE - 1);
  long p = SC5(SYS_mremap, r->base, 0, len, MREMAP_MAYMOVE, 0);
  if (!ok(p)) return;
  store(j, p, len);
  if (chance(50)) SC3(SYS_madvise, r->base, len, chance(70) ? MADV_REMOVE : MADV_DONTNEED);
  volatile char *a = r->base, *b = (char *)p;
  long off = (long)below((unsigned long)len);
  char v = (char)(1 + below(255));
  a[off] = v;
  if (checked && b[off] != v) check_failed("a write does not show through an mremap alias");
  touch(&regions[j]);
}

/* A stack-like mapping near mmap_min_addr, touched below its start (where it would grow). */
static void growsdown_low(int i) {
  long addr = 0x10000 + (long)below(4) * PAGE, len = 2 * PAGE;
  retire(i);
  long p = SC6(SYS_mmap, addr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_FIXED_NOREPLACE, -1, 0);
  if (!ok(p)) return;
  store(i, p, len);
  volatile char *below_it = (char *)p - (1 + (long)below(24)) * PAGE;
  *below_it = 1;
}

/* A shared or private file mapping whose file then shrinks: touching past the end is SIGBUS. */
static void shrink_under(int i) {
  long fd = SC2(SYS_memfd_create, "fuzz", chance(50) ? 2 /* MFD_ALLOW_SEALING */ : 0);
  if (fd < 0) fd = SC4(SYS_openat, WORK_FD, "f2", O_RDWR | O_CREAT, 0600);
  if (fd < 0) return;
  long len = (1 + (long)below(16)) * PAGE;
  SC2(SYS_ftruncate, fd, len);
  retire(i);
  long p = SC6(SYS_mmap, 0, len, PROT_READ | PROT_WRITE, chance(50) ? MAP_SHARED : MAP_PRIVATE, fd, 0);
  if (ok(p)) {
    store(i, p, len);
    ((volatile char *)p)[0] = 1;
    SC2(SYS_ftruncate, fd, (long)below((unsigned long)len));
    if (chance(30)) SC3(SYS_fcntl, fd, 1033 /* F_ADD_SEALS */, below(32));
  }
  SC1(SYS_close, fd);
  touch(&regions[i]);
}

void op_mm(void) {
  int i = (int)below(NREGIONS);
  struct region *r = &regions[i];
  if (!mine(r)) *r = (struct region){0};
  long off = r->len > 0 ? (long)below((unsigned long)(r->len / PAGE)) * PAGE : 0;
  switch (below(14)) {
    case 0: fresh(i); break;
    case 1: remap(i); break;
    case 2: alias(i); break;
    case 3: { /* any length: the guard keeps it off the program's own memory */
      long a[6] = {(long)r->base + off, chance(80) ? sub_len(r, off) : pool_len(), PICK(ADVICE), 0, 0, 0};
      guarded_call(SYS_madvise, a);
      touch(r);
      break;
    }
    case 4: SC3(SYS_mprotect, r->base + off, sub_len(r, off), PICK(PROTS)); touch(r); break;
    case 5: SC2(SYS_munmap, r->base + off, sub_len(r, off)); touch(r); break;
    case 6: over(&regions[below(NREGIONS)]); break;
    case 7: {
      static const long sync[] = {MS_ASYNC, MS_SYNC, MS_INVALIDATE, MS_SYNC | MS_ASYNC, 0x100};
      SC3(SYS_msync, r->base + off, sub_len(r, off), PICK(sync));
      break;
    }
    case 8:
      if (chance(50)) SC3(SYS_mlock2, r->base + off, sub_len(r, off), below(2));
      else SC2(SYS_munlock, r->base + off, sub_len(r, off));
      break;
    case 9: {
      unsigned char vec[2 * MAX_REGION / PAGE];
      SC3(SYS_mincore, r->base + off, sub_len(r, off), vec);
      break;
    }
    case 10: growsdown_low(i); break;
    case 11: shrink_under(i); break;
    default: touch(r); break;
  }
}

/* brk: grow and shrink above the break the program started with (glibc's TLS lies below it). */
void op_brk(void) {
  long cur = SC1(SYS_brk, 0);
  long target = start_brk_top + (long)below(4 << 20) + (chance(20) ? (long)below(PAGE) : 0);
  long got = SC1(SYS_brk, target);
  if (got > cur && chance(70)) {
    volatile char *p = (char *)cur;
    p[0] = 1;
    p[got - cur - 1] = 2;
  }
}
