/*
 * Argument pools: the values a random call's arguments are drawn from. Edge
 * cases (0, -1, page size +-1, huge, non-canonical and kernel-half
 * addresses) mixed with things that are valid for the program: pointers into
 * its arena (some with too little room behind them), its descriptors, paths
 * that exist, escape the root or are too long.
 *
 * Pointers only ever point into the arena, the path page or nowhere: never
 * into the program's image, TLS or stack, which a call could overwrite.
 */
#include "fuzz.h"
#include <limits.h>
#include <string.h>
#include <sys/mman.h>

static const long INTS[] = {
  0, 1, -1, 2, 3, -2, 7, 8, 16, 255, 256, 4095, 4096, 4097, 65535, 65536, INT_MAX, INT_MIN, (long)UINT_MAX,
  1L << 31, 1L << 32, (1L << 32) | 1, LONG_MAX, LONG_MIN, -4096, -4095,
};
static const long LENS[] = {
  0, 1, 2, 7, 8, 16, 24, 64, 128, 4095, 4096, 4097, 8192, 65536, 1L << 20, 1L << 30, 1L << 31,
  INT_MAX, (long)UINT_MAX, 1L << 32, -1, -4096, 1L << 62,
};
static const long OFFSETS[] = {0, 1, 4095, 4096, 4097, 1L << 20, 1L << 31, 1L << 32, 1L << 40, LONG_MAX, -1, -4096, LONG_MIN};
/* Addresses no program owns: null page, the mmap_min_addr edge, the top of
 * user space, the first non-canonical address, the kernel half, vsyscall. */
static const unsigned long WILD[] = {
  0, 1, 0xfff, 0x1000, 0x1001, 0xffff, 0x10000, 1UL << 32, 0x7ffffffff000UL, 0x7fffffffffffUL, 0x800000000000UL,
  0xffff800000000000UL, 0xffffffffff600000UL, 0xfffffffffffff000UL, 0xffffffffffffffffUL, 1UL << 63,
};

long pool_int(void) { return chance(85) ? PICK(INTS) : (long)rnd(); }
long pool_len(void) { return chance(70) ? PICK(LENS) : (long)below(chance(50) ? 512 : 65536); }
long pool_offset(void) { return chance(80) ? PICK(OFFSETS) : (long)below(1 << 16); }
long pool_small(void) { return chance(85) ? (long)below(32) : pool_int(); }

long pool_flags(void) {
  switch (below(8)) {
    case 0: return 0;
    case 1: return (long)rnd();
    case 2: return (long)(rnd() & 0xffffffff);
    case 3: return 1L << below(64);
    case 4: return (1L << below(32)) | (1L << below(32));
    case 5: return (long)below(16);
    case 6: return -1;
    default: return (long)(rnd() & 0xfff);
  }
}

static const long WILD_FDS[] = {-1, -100, 0, 1, 2, OUT_FD, WORK_FD, 1023, 1024, 65535, INT_MAX, (1L << 32) | 1, -2, INT_MIN};

long pool_fd(void) {
  if (chance(55)) {
    int fd = fds[below(NFDS)];
    if (fd > 0) return fd;
  }
  return chance(70) ? PICK(WILD_FDS) : (long)below(64);
}

long pool_signal(void) {
  static const long odd[] = {0, 65, -1, (1L << 32) | 10, 128, 64};
  return chance(85) ? 1 + (long)below(64) : PICK(odd);
}

long pool_id(void) {
  long ids[] = {0, -1, self_pid, 1, 2, 65534, 1000, INT_MAX, -self_pid, INT_MIN, (1L << 32) | self_pid};
  return chance(85) ? PICK(ids) : (long)below(100);
}

char *arena_ptr(long want) {
  for (int tries = 0; tries < 4; tries++) {
    struct region *r = &regions[below(NREGIONS)];
    if (r->base == NULL || r->len <= 0) continue;
    switch (below(4)) {
      case 0: return r->base;
      case 1: /* runs off the end of the region */
        return r->base + r->len - (long)below(want > 0 && want < r->len ? (unsigned long)want : 64);
      default:
        if (want > 0 && want < r->len) return r->base + below((unsigned long)(r->len - want));
        return r->base + below((unsigned long)r->len);
    }
  }
  return (char *)PICK(WILD);
}

long pool_wild(void) {
  unsigned long a;
  do a = PICK(WILD); while (a < 0x1000); /* 0 and 1 are SIG_DFL and SIG_IGN to rt_sigaction */
  return (long)a;
}

long pool_ptr(void) {
  if (chance(60)) return (long)arena_ptr(pool_len() & 0xffff);
  if (chance(10)) return pool_path();
  if (chance(10) && vdso_base) return vdso_base + (long)below(2) * PAGE;
  return (long)PICK(WILD);
}

long pool_addr(void) {
  struct region *r = &regions[below(NREGIONS)];
  if (chance(70) && r->base != NULL) {
    switch (below(5)) {
      case 0: return (long)r->base;
      case 1: return (long)r->base + r->len;
      case 2: return (long)r->base + 1;
      default: return (long)r->base + (long)below((unsigned long)(r->len / PAGE + 1)) * PAGE;
    }
  }
  if (chance(15) && vdso_base) return vdso_base;
  if (chance(30)) return (long)((1UL << 30) + below(1UL << 16) * (1UL << 20));
  return (long)PICK(WILD);
}

/* ---- paths: copied fresh into a page of their own before each use ---- */

static const char *const PATHS[] = {
  "/", ".", "..", "", "/..", "/../..", "//..//..//", "/proc/self/maps", "/proc/self/mem", "/proc/self/exe",
  "/proc/self/root", "/proc/self/root/..", "/proc/self/cwd/../..", "/proc/self/fd/0", "/proc/self/fd/1000",
  "/proc/self/status", "/proc/1/root/..", "/dev/null", "/dev/zero", "/tmp", "/work", "f0", "f1", "f2", "d0",
  "d0/d1", "l0", "l1", "/work/f3", "../outside", "../../outside/canary.txt", "/fuzz", "/data/small.txt",
  "/data/dir", "/data/dir/inner.txt", "/etc/passwd", "/sys", "/root/../../..", "\xff\xfe", "f0/", "l0/..",
  "/proc/self/fd", "/proc", "/dev",
};
#define PATH_PAGE_SIZE (4 * PAGE)
static char *path_page;

long pool_path(void) {
  char *p = path_page + below(4) * 16; /* slightly misaligned on purpose */
  switch (below(10)) {
    case 0: /* a name of 256 bytes: one past NAME_MAX */
    case 1: /* or a path of 4095/4096/4097 bytes around PATH_MAX */
    {
      long n = below(2) ? 256 : 4095 + (long)below(3);
      for (long i = 0; i < n; i++) p[i] = (i % 2 && below(2)) ? '/' : 'a';
      p[n] = 0;
      return (long)p;
    }
    case 2: /* the host path outside the root, or inside it */
      strcpy(p, outside_path);
      if (below(2)) strcat(p, "/canary.txt");
      return (long)p;
    case 3: /* unterminated at the end of the page */
      p = path_page + PATH_PAGE_SIZE - 8;
      memset(p, 'z', 8);
      return (long)p;
    default:
      strcpy(p, PICK(PATHS));
      return (long)p;
  }
}

void pools_init(void) {
  path_page = (char *)sys6(SYS_mmap, 0, PATH_PAGE_SIZE + PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if ((unsigned long)path_page > -4096UL) path_page = NULL;
  else sys6(SYS_mprotect, (long)path_page + PATH_PAGE_SIZE, PAGE, PROT_NONE, 0, 0, 0); /* a guard page after it */
}

int in_path_page(unsigned long addr, unsigned long len) {
  unsigned long lo = (unsigned long)path_page, hi = lo + PATH_PAGE_SIZE + PAGE;
  return path_page != NULL && addr < hi && addr + len > lo;
}

void scribble(void) {
  struct region *r = &regions[below(NREGIONS)];
  if (r->base == NULL || r->len < 64) return;
  long n = 8 + (long)below(512);
  if (n > r->len) n = r->len;
  long *w = (long *)(r->base + (below((unsigned long)(r->len - n + 1)) & ~7UL));
  long words = n / 8;
  switch (below(7)) {
    case 0: memset(w, 0, (size_t)words * 8); break;
    case 1: for (long i = 0; i < words; i++) w[i] = (long)rnd(); break;
    case 2: /* iovecs */
      for (long i = 0; i + 1 < words; i += 2) { w[i] = pool_ptr(); w[i + 1] = (long)below(chance(80) ? 256 : 1 << 20); }
      break;
    case 3: /* timespecs */
      for (long i = 0; i + 1 < words; i += 2) { w[i] = (long)below(2); w[i + 1] = (long)below(1000000); }
      break;
    case 4: for (long i = 0; i < words; i++) w[i] = (long)below(9); break;
    case 5: memset(w, 0xff, (size_t)words * 8); break;
    default: for (long i = 0; i < words; i++) w[i] = chance(50) ? pool_ptr() : pool_int(); break;
  }
}
