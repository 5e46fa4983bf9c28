/* The guest program of the loader tests: reports what it was started with
 * (argv, envp, auxv strings), exercises TLS, bss and the heap, and reads the
 * clocks through glibc, which a static glibc answers from the vDSO. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/time.h>
#include <time.h>

static __thread int tls_value = 42;
char bss[100000]; /* external, so the compiler cannot assume it stays zero */

int main(int argc, char **argv, char **envp)
{
	printf("argc=%d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv=%s\n", argv[i]);
	for (char **e = envp; *e; e++)
		printf("env=%s\n", *e);
	printf("execfn=%s\n", (const char *)getauxval(AT_EXECFN));
	printf("platform=%s\n", (const char *)getauxval(AT_PLATFORM));
	printf("vdso=%lx\n", getauxval(AT_SYSINFO_EHDR));
	const unsigned char *r = (const unsigned char *)getauxval(AT_RANDOM);
	printf("random=");
	for (int i = 0; i < 16; i++)
		printf("%02x", r[i]);
	printf("\n");

	long sum = 0;
	for (size_t i = 0; i < sizeof bss; i++)
		sum += bss[i];
	char *heap = malloc(1 << 20);
	memset(heap, 1, 1 << 20);
	printf("tls=%d bss=%ld heap=%d\n", tls_value, sum, heap[12345]);

	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	printf("realtime=%lld.%09ld\n", (long long)ts.tv_sec, ts.tv_nsec);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	printf("monotonic=%lld.%09ld\n", (long long)ts.tv_sec, ts.tv_nsec);
	struct timeval tv;
	gettimeofday(&tv, NULL);
	printf("gettimeofday=%lld\n", (long long)tv.tv_sec);
	printf("time=%lld\n", (long long)time(NULL));
	printf("cpu=%d\n", sched_getcpu());
	return 0;
}
