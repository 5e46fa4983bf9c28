/* Runs tsv's vDSO in this (host) process: maps the vvar page file and the
 * vDSO image one after the other and prints what each entry point returns
 * next to the host's own answer.
 *   vdsocheck sample             -> "sample <tsc> <realtime> <monotonic> <boottime>" twice, 200 ms apart
 *   vdsocheck run <vdso.so> <vvar.bin> <off clock_gettime> <off gettimeofday> <off time> <off getcpu> <off clock_getres>
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

static long long ns_of(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sample(void)
{
	unsigned long long t0 = __rdtsc();
	long long rt = ns_of(CLOCK_REALTIME), mono = ns_of(CLOCK_MONOTONIC), boot = ns_of(CLOCK_BOOTTIME);
	unsigned long long t1 = __rdtsc();
	printf("sample %llu %lld %lld %lld\n", t0 + (t1 - t0) / 2, rt, mono, boot);
}

static size_t read_file(const char *path, void *dst, size_t max)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(2);
	}
	size_t n = fread(dst, 1, max, f);
	fclose(f);
	return n;
}

typedef int (*gettime_fn)(clockid_t, struct timespec *);
typedef int (*gtod_fn)(struct timeval *, struct timezone *);
typedef long (*time_fn)(long *);
typedef long (*getcpu_fn)(unsigned *, unsigned *, void *);

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "sample")) {
		sample();
		usleep(200000);
		sample();
		return 0;
	}
	if (argc != 9 || strcmp(argv[1], "run"))
		return 3;
	size_t max = 64 * 4096;
	char *area = mmap(NULL, 4096 + max, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return 4;
	read_file(argv[3], area, 4096);
	size_t n = read_file(argv[2], area + 4096, max);
	mprotect(area, 4096, PROT_READ);
	mprotect(area + 4096, (n + 4095) & ~4095UL, PROT_READ | PROT_EXEC);
	char *vdso = area + 4096;
	gettime_fn gettime = (gettime_fn)(vdso + strtoul(argv[4], 0, 0));
	gtod_fn gtod = (gtod_fn)(vdso + strtoul(argv[5], 0, 0));
	time_fn vtime = (time_fn)(vdso + strtoul(argv[6], 0, 0));
	getcpu_fn getcpu = (getcpu_fn)(vdso + strtoul(argv[7], 0, 0));
	gettime_fn getres = (gettime_fn)(vdso + strtoul(argv[8], 0, 0));

	static const int clocks[] = {0, 1, 2, 3, 4, 5, 6, 7, 100, -1};
	for (unsigned i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
		struct timespec ts = {0, 0};
		int rc = gettime(clocks[i], &ts);
		struct timespec host = {0, 0};
		int hrc = clock_gettime(clocks[i], &host);
		printf("clock %d %d %lld %d %lld\n", clocks[i], rc, ts.tv_sec * 1000000000LL + ts.tv_nsec, hrc,
		       host.tv_sec * 1000000000LL + host.tv_nsec);
	}
	struct timeval tv;
	struct timezone tz = {-1, -1};
	int rc = gtod(&tv, &tz);
	printf("gettimeofday %d %lld %lld %d %d\n", rc, tv.tv_sec * 1000000LL + tv.tv_usec, ns_of(CLOCK_REALTIME) / 1000,
	       tz.tz_minuteswest, tz.tz_dsttime);
	long t = 0, r = vtime(&t);
	printf("time %ld %ld %lld\n", r, t, ns_of(CLOCK_REALTIME) / 1000000000LL);
	unsigned cpu = 7, node = 7;
	long cpu_rc = getcpu(&cpu, &node, NULL);
	printf("getcpu %ld %u %u\n", cpu_rc, cpu, node);
	struct timespec res = {9, 9};
	rc = getres(CLOCK_MONOTONIC, &res);
	printf("getres %d %ld %ld\n", rc, (long)res.tv_sec, res.tv_nsec);
	return 0;
}
