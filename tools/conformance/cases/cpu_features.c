/* The CPU a program sees is one story told four ways, as on Linux: CPUID,
 * XGETBV, the auxiliary vector and /proc/cpuinfo agree, and what they
 * promise works (an AVX2 loop; AVX-512 registers kept across switches between
 * two threads). Only relations are printed, so the output is the same on any
 * x86-64 host: "yes" where the stories agree. */
#include "t.h"
#include <cpuid.h>
#include <immintrin.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <elf.h>

static unsigned r[4];
static void leaf(unsigned l, unsigned sub) { __cpuid_count(l, sub, r[0], r[1], r[2], r[3]); }
static int bit(unsigned reg, int b) { return (r[reg] >> b) & 1; }

/* An entry of the auxiliary vector as the kernel wrote it, past the
 * environment on the initial stack (glibc's getauxval(AT_HWCAP) answers a
 * value of its own on x86-64). */
extern char **environ;
static unsigned long auxv(unsigned long type) {
  char **p = environ;
  while (*p) p++;
  for (Elf64_auxv_t *e = (Elf64_auxv_t *)(p + 1); e->a_type != AT_NULL; e++)
    if (e->a_type == type) return e->a_un.a_val;
  return ~0UL;
}

static uint64_t xcr0;
static int osxsave, ymm, zmm;

/* The "flags" line of the first processor in /proc/cpuinfo, with a space at each end. */
static char flags[8192] = " ";
static void read_flags(void) {
  FILE *f = fopen("/proc/cpuinfo", "r");
  char line[8192];
  while (f && fgets(line, sizeof line, f)) {
    if (strncmp(line, "flags", 5) != 0) continue;
    char *colon = strchr(line, ':');
    if (colon) snprintf(flags, sizeof flags, " %s", colon + 2);
    break;
  }
  if (f) fclose(f);
  char *nl = strchr(flags, '\n');
  if (nl) strcpy(nl, " ");
}
static int has_flag(const char *name) {
  char word[64];
  snprintf(word, sizeof word, " %s ", name);
  return strstr(flags, word) != NULL;
}

/* A feature as CPUID and XCR0 make it usable, against cpuinfo and __builtin_cpu_supports. */
static void feature(const char *name, unsigned l, unsigned sub, unsigned reg, int b, int state, int builtin) {
  leaf(l, sub);
  int usable = bit(reg, b) && state;
  char label[96];
  snprintf(label, sizeof label, "%s: cpuinfo shows it iff usable", name);
  REL(label, has_flag(name) == usable);
  if (builtin >= 0) {
    snprintf(label, sizeof label, "%s: __builtin_cpu_supports iff usable", name);
    REL(label, (builtin != 0) == usable);
  }
}

__attribute__((target("avx2"))) static long avx2_sum(const int *v, int n) {
  __m256i acc = _mm256_setzero_si256();
  for (int i = 0; i < n; i += 8) acc = _mm256_add_epi32(acc, _mm256_loadu_si256((const __m256i *)(v + i)));
  int out[8];
  _mm256_storeu_si256((__m256i *)out, acc);
  long s = 0;
  for (int i = 0; i < 8; i++) s += out[i];
  return s;
}

/* Each thread keeps its own value in zmm31 and k7 across many yields and system calls. */
__attribute__((target("avx512f"))) static void *zmm_keeper(void *arg) {
  long seed = (long)arg, bad = 0;
  __m512i want = _mm512_set1_epi64(seed);
  __asm__ volatile("vmovdqa64 %0, %%zmm31" ::"v"(want));
  __asm__ volatile("kmovw %0, %%k7" ::"r"((int)seed & 0xffff));
  for (int i = 0; i < 2000; i++) {
    sched_yield();
    __m512i got;
    int k;
    __asm__ volatile("vmovdqa64 %%zmm31, %0" : "=v"(got));
    __asm__ volatile("kmovw %%k7, %0" : "=r"(k));
    if (_mm512_cmpneq_epi64_mask(got, want) != 0 || k != (seed & 0xffff)) bad++;
  }
  return (void *)bad;
}

int main(void) {
  read_flags();
  __builtin_cpu_init();

  leaf(1, 0);
  osxsave = bit(2, 27);
  REL("osxsave iff xsave", osxsave == bit(2, 26));
  if (osxsave) {
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    xcr0 = ((uint64_t)hi << 32) | lo;
  }
  ymm = (xcr0 & 6) == 6;
  zmm = ymm && (xcr0 & 0xe0) == 0xe0;
  REL("xcr0 has x87 and sse iff osxsave", ((xcr0 & 3) == 3) == osxsave);

  if (osxsave) {
    leaf(0xd, 0);
    uint64_t supported = ((uint64_t)r[3] << 32) | r[0];
    unsigned size = r[1], end = 576;
    REL("xcr0 within cpuid 0xd.0", (xcr0 & ~supported) == 0);
    for (int c = 2; c < 32; c++) {
      if (!((xcr0 >> c) & 1)) continue;
      leaf(0xd, c);
      if (r[1] + r[0] > end) end = r[1] + r[0];
    }
    REL("cpuid 0xd.0 size is the xcr0 layout's", size == end);
  } else {
    REL("xcr0 within cpuid 0xd.0", 1);
    REL("cpuid 0xd.0 size is the xcr0 layout's", 1);
  }

  leaf(1, 0);
  REL("AT_HWCAP is cpuid 1:edx", auxv(AT_HWCAP) == r[3]);
  leaf(7, 0);
  REL("AT_HWCAP2 fsgsbase iff cpuid 7:ebx fsgsbase", ((auxv(AT_HWCAP2) >> 1) & 1) == (unsigned)bit(1, 0));

  feature("sse2", 1, 0, 3, 26, 1, __builtin_cpu_supports("sse2"));
  feature("ssse3", 1, 0, 2, 9, 1, __builtin_cpu_supports("ssse3"));
  feature("sse4_2", 1, 0, 2, 20, 1, __builtin_cpu_supports("sse4.2"));
  feature("popcnt", 1, 0, 2, 23, 1, __builtin_cpu_supports("popcnt"));
  feature("xsave", 1, 0, 2, 26, osxsave, -1);
  feature("avx", 1, 0, 2, 28, ymm, __builtin_cpu_supports("avx"));
  feature("fma", 1, 0, 2, 12, ymm, __builtin_cpu_supports("fma"));
  feature("avx2", 7, 0, 1, 5, ymm, __builtin_cpu_supports("avx2"));
  feature("bmi1", 7, 0, 1, 3, 1, __builtin_cpu_supports("bmi"));
  feature("bmi2", 7, 0, 1, 8, 1, __builtin_cpu_supports("bmi2"));
  feature("erms", 7, 0, 1, 9, 1, -1);
  feature("avx512f", 7, 0, 1, 16, zmm, __builtin_cpu_supports("avx512f"));
  feature("avx512bw", 7, 0, 1, 30, zmm, __builtin_cpu_supports("avx512bw"));
  feature("avx512vl", 7, 0, 1, 31, zmm, __builtin_cpu_supports("avx512vl"));
  feature("fsrm", 7, 0, 3, 4, 1, -1);

  static int v[1 << 16];
  long want = 0;
  for (int i = 0; i < 1 << 16; i++) want += v[i] = i * 7 - 3;
  leaf(7, 0);
  REL("avx2 loop adds up (or avx2 unusable)", !(bit(1, 5) && ymm) || avx2_sum(v, 1 << 16) == want);

  leaf(7, 0);
  long bad = 0;
  if (bit(1, 16) && zmm) {
    pthread_t a, b;
    void *ra, *rb;
    pthread_create(&a, NULL, zmm_keeper, (void *)0x1111);
    pthread_create(&b, NULL, zmm_keeper, (void *)0x2222);
    pthread_join(a, &ra);
    pthread_join(b, &rb);
    bad = (long)ra + (long)rb;
  }
  REL("zmm31 and k7 kept per thread (or avx512 unusable)", bad == 0);
  return 0;
}
