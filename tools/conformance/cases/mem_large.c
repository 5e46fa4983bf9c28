/* A large malloc and touching many pages; the checksum proves every page is private and kept. */
#include "t.h"
#include <stdint.h>

int main(void) {
  const size_t n = 48UL << 20;
  unsigned char *p = malloc(n);
  REL("malloc 48 MiB", p != NULL);
  for (size_t i = 0; i < n; i += 4096) p[i] = (unsigned char)(i >> 12);
  uint64_t sum = 0;
  for (size_t i = 0; i < n; i += 4096) sum += p[i];
  printf("checksum: %llu\n", (unsigned long long)sum);
  REL("untouched bytes zero", p[1] == 0 && p[n - 1] == 0);
  free(p);

  /* Many small allocations exercise brk growth and reuse. */
  void *keep[2000];
  for (int i = 0; i < 2000; i++) { keep[i] = malloc(100 + i * 8); memset(keep[i], i & 0xff, 100 + i * 8); }
  int bad = 0;
  for (int i = 0; i < 2000; i++) if (((unsigned char *)keep[i])[99 + i * 8] != (i & 0xff)) bad++;
  printf("small allocations corrupted: %d\n", bad);
  for (int i = 0; i < 2000; i++) free(keep[i]);
  void *big = malloc(1UL << 46);
  REL("absurd malloc fails", big == NULL);
  printf("errno: %s\n", ename(errno));
  return 0;
}
