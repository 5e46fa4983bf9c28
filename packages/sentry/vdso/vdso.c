/* tsv's vDSO: clock_gettime, gettimeofday, time, clock_getres and getcpu
 * without leaving ring 3. Time comes from RDTSC scaled by the parameters the
 * host keeps in the vvar page; anything it cannot answer goes to the real
 * system call, whose raw return (-errno) is returned as Linux's vDSO does.
 * Position-independent with no relocations: the vvar page is found from the
 * image's own ELF header, one page below it. */
#include "vvar.h"

struct k_timespec { long tv_sec; long tv_nsec; };
struct k_timeval { long tv_sec; long tv_usec; };
struct k_timezone { int tz_minuteswest; int tz_dsttime; };

enum {
	CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_MONOTONIC_RAW = 4,
	CLOCK_REALTIME_COARSE = 5, CLOCK_MONOTONIC_COARSE = 6, CLOCK_BOOTTIME = 7,
};
enum { NR_gettimeofday = 96, NR_time = 201, NR_clock_gettime = 228, NR_clock_getres = 229 };

/* Gives up on a seqlock held odd this long (a host that died mid-write) and uses the syscall. */
#define SEQ_SPINS 100000

extern const char __ehdr_start[] __attribute__((visibility("hidden")));

#define READ(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

static inline const struct vvar *vvar(void)
{
	const char *p = __ehdr_start;
	/* Hide the origin so the compiler does not treat the page below as out of bounds. */
	__asm__("" : "+r"(p));
	return (const struct vvar *)(p - VVAR_PAGE_SIZE);
}

static inline long syscall2(long nr, long a, long b)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "0"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
	return ret;
}

static inline uint64_t rdtsc_ordered(void)
{
	uint32_t lo, hi;
	/* LFENCE keeps RDTSC from running ahead of the seq load. */
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

/* Stores nanoseconds on clock `clk` and returns 1, or returns 0 when the syscall must answer. */
static int read_clock(int clk, uint64_t *ns)
{
	const struct vvar *v = vvar();
	if ((unsigned)clk >= 32)
		return 0;
	for (int spins = 0; spins < SEQ_SPINS; spins++) {
		uint32_t seq = __atomic_load_n(&v->seq, __ATOMIC_ACQUIRE);
		if (seq & 1) {
			__builtin_ia32_pause();
			continue;
		}
		uint32_t mask = READ(v->clock_mask);
		uint64_t base = READ(v->tsc_base), mult = READ(v->mult);
		uint32_t shift = READ(v->shift);
		uint64_t origin = clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE ? READ(v->realtime_ns)
				  : clk == CLOCK_BOOTTIME ? READ(v->boottime_ns)
							  : READ(v->monotonic_ns);
		uint64_t tsc = rdtsc_ordered();
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (READ(v->seq) != seq)
			continue;
		if (!((mask >> clk) & 1) || mult == 0 || shift > 63)
			return 0;
		/* A TSC behind the sample (another CPU's skew) counts as no time passed. */
		uint64_t delta = tsc > base ? tsc - base : 0;
		*ns = origin + (uint64_t)(((unsigned __int128)delta * mult) >> shift);
		return 1;
	}
	return 0;
}

int __vdso_clock_gettime(int clk, struct k_timespec *ts)
{
	uint64_t ns;
	if (!read_clock(clk, &ns))
		return (int)syscall2(NR_clock_gettime, clk, (long)ts);
	ts->tv_sec = (long)(ns / 1000000000u);
	ts->tv_nsec = (long)(ns % 1000000000u);
	return 0;
}

int __vdso_gettimeofday(struct k_timeval *tv, struct k_timezone *tz)
{
	uint64_t ns;
	if (tv) {
		if (!read_clock(CLOCK_REALTIME, &ns))
			return (int)syscall2(NR_gettimeofday, (long)tv, (long)tz);
		tv->tv_sec = (long)(ns / 1000000000u);
		tv->tv_usec = (long)(ns % 1000000000u / 1000u);
	}
	if (tz) {
		tz->tz_minuteswest = READ(vvar()->tz_minuteswest);
		tz->tz_dsttime = READ(vvar()->tz_dsttime);
	}
	return 0;
}

long __vdso_time(long *t)
{
	uint64_t ns;
	if (!read_clock(CLOCK_REALTIME, &ns))
		return syscall2(NR_time, (long)t, 0);
	long s = (long)(ns / 1000000000u);
	if (t)
		*t = s;
	return s;
}

int __vdso_clock_getres(int clk, struct k_timespec *res)
{
	uint64_t ns;
	if (!read_clock(clk, &ns))
		return (int)syscall2(NR_clock_getres, clk, (long)res);
	if (res) {
		res->tv_sec = 0;
		res->tv_nsec = 1;
	}
	return 0;
}

/* The Sentry runs every task on virtual CPU 0 of NUMA node 0. */
long __vdso_getcpu(unsigned *cpu, unsigned *node, void *unused)
{
	(void)unused;
	if (cpu)
		*cpu = 0;
	if (node)
		*node = 0;
	return 0;
}

int clock_gettime(int, struct k_timespec *) __attribute__((weak, alias("__vdso_clock_gettime")));
int gettimeofday(struct k_timeval *, struct k_timezone *) __attribute__((weak, alias("__vdso_gettimeofday")));
long time(long *) __attribute__((weak, alias("__vdso_time")));
int clock_getres(int, struct k_timespec *) __attribute__((weak, alias("__vdso_clock_getres")));
long getcpu(unsigned *, unsigned *, void *) __attribute__((weak, alias("__vdso_getcpu")));
