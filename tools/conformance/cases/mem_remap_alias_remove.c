/* MADV_REMOVE on MAP_SHARED anonymous memory that has a second mapping
   made by mremap(old_size 0): the pages are gone from the memory object, so
   both mappings read zeros and still share one page afterwards. A
   regression: the kernel freed the page while the alias still mapped it,
   and after enough churn the alias mapped a page table of the program.
   The churn allocates more than the sandbox's default 1 GiB so every frame
   freed early is handed out again (as data and as page tables). */
#define _GNU_SOURCE
#include "t.h"
#include <sys/mman.h>

#define PAGE 4096UL
#define LEN (4 * PAGE)
#define CHUNK (64UL << 20)

static int zeros(const volatile char *p, unsigned long n) {
  for (unsigned long i = 0; i < n; i++) if (p[i] != 0) return 0;
  return 1;
}

/* Maps, fills and unmaps `total` bytes of private memory, CHUNK at a time. */
static void churn_data(unsigned long total) {
  for (unsigned long done = 0; done < total; done += CHUNK) {
    char *m = mmap(0, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (m == MAP_FAILED) { printf("churn mmap failed\n"); exit(1); }
    for (unsigned long i = 0; i < CHUNK; i += PAGE) m[i] = 0x5a;
    munmap(m, CHUNK);
  }
}

/* One page in each of `n` 2 MiB regions: a page table each, and a few small frames. */
static void churn_tables(int n) {
  char *r = mmap(0, (unsigned long)n << 21, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (r == MAP_FAILED) { printf("churn reserve failed\n"); exit(1); }
  for (int i = 0; i < n; i++) {
    char *p = mmap(r + ((unsigned long)i << 21), PAGE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (p == MAP_FAILED) { printf("churn map failed\n"); exit(1); }
    p[0] = 0x5a;
  }
}

int main(void) {
  char *a = mmap(0, LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  memset(a, 'A', LEN);
  char *b = mremap(a, 0, LEN, MREMAP_MAYMOVE);
  REL("alias made elsewhere", b != MAP_FAILED && b != a);
  printf("alias reads: %c\n", b[LEN - 1]);

  TOK("MADV_REMOVE through the first mapping", madvise(a, LEN, MADV_REMOVE));
  printf("after it: first reads zeros: %s, alias reads zeros: %s\n", zeros(a, LEN) ? "yes" : "no",
         zeros(b, LEN) ? "yes" : "no");

  churn_data(1400UL << 20);
  churn_tables(256);
  printf("after churn: alias reads zeros: %s, first reads zeros: %s\n", zeros(b, LEN) ? "yes" : "no",
         zeros(a, LEN) ? "yes" : "no");

  a[100] = 'x';
  b[PAGE + 7] = 'y';
  printf("still one page: alias sees %c, first sees %c\n", b[100], a[PAGE + 7]);
  return 0;
}
