/* getrandom, clock_gettime/getres, gettimeofday, time, nanosleep, clock_nanosleep. */
#include "t.h"
#include <linux/random.h>
#include <sys/time.h>
#include <time.h>

static long long ns(const struct timespec *t) { return t->tv_sec * 1000000000LL + t->tv_nsec; }

int main(void) {
  unsigned char a[64], b[64];
  T("getrandom 64", SC(SYS_getrandom, a, sizeof a, 0));
  T("getrandom again", SC(SYS_getrandom, b, sizeof b, 0));
  REL("two draws differ", memcmp(a, b, sizeof a) != 0);
  T("getrandom nonblock", SC(SYS_getrandom, a, 16, GRND_NONBLOCK));
  T("getrandom GRND_RANDOM", SC(SYS_getrandom, a, 16, GRND_RANDOM) > 0);
  T("getrandom 0 bytes", SC(SYS_getrandom, a, 0, 0));
  T("getrandom bad flags", SC(SYS_getrandom, a, 16, 0x100));
  T("getrandom wild pointer", SC(SYS_getrandom, (void *)8, 16, 0));

  struct timespec t1, t2, res;
  T("clock_gettime MONOTONIC", SC(SYS_clock_gettime, CLOCK_MONOTONIC, &t1));
  T("clock_gettime MONOTONIC again", SC(SYS_clock_gettime, CLOCK_MONOTONIC, &t2));
  REL("t2 >= t1", ns(&t2) >= ns(&t1));
  REL("tv_nsec in range", t1.tv_nsec >= 0 && t1.tv_nsec < 1000000000);
  const int clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID,
                        CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME};
  for (unsigned i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
    char label[64];
    snprintf(label, sizeof label, "clock %d gettime", clocks[i]);
    T(label, SC(SYS_clock_gettime, clocks[i], &t1));
    snprintf(label, sizeof label, "clock %d getres", clocks[i]);
    T(label, SC(SYS_clock_getres, clocks[i], &res));
    printf("  res > 0 and <= 10ms: %s\n", ns(&res) > 0 && ns(&res) <= 10000000 ? "yes" : "no");
  }
  T("clock_gettime bad clock", SC(SYS_clock_gettime, 12345, &t1));
  T("clock_getres bad clock", SC(SYS_clock_getres, -20, &res));
  T("clock_getres NULL", SC(SYS_clock_getres, CLOCK_MONOTONIC, NULL));
  T("clock_gettime wild pointer", SC(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)8));

  struct timeval tv;
  struct timespec rt;
  SC(SYS_clock_gettime, CLOCK_REALTIME, &rt);
  T("gettimeofday", SC(SYS_gettimeofday, &tv, NULL));
  REL("gettimeofday within 2s of REALTIME", tv.tv_sec - rt.tv_sec >= 0 && tv.tv_sec - rt.tv_sec <= 2);
  REL("tv_usec in range", tv.tv_usec >= 0 && tv.tv_usec < 1000000);
  long tt = 0;
  long tr = SC(SYS_time, &tt);
  REL("time() == *tloc", tr == tt);
  /* time() reads Linux's coarse clock, updated once per tick, so taken just
     after a second boundary it may still show the second before rt's. */
  REL("time() within 2s of REALTIME", tr - rt.tv_sec >= -1 && tr - rt.tv_sec <= 2);
  REL("after year 2020", tr > 1577836800L);

  struct timespec d = {0, 20000000}, rem = {9, 9};
  SC(SYS_clock_gettime, CLOCK_MONOTONIC, &t1);
  T("nanosleep 20ms", SC(SYS_nanosleep, &d, &rem));
  SC(SYS_clock_gettime, CLOCK_MONOTONIC, &t2);
  REL("slept >= 20ms", ns(&t2) - ns(&t1) >= 20000000);
  REL("slept < 5s", ns(&t2) - ns(&t1) < 5000000000LL);
  struct timespec bad = {0, 1000000000};
  T("nanosleep nsec too big", SC(SYS_nanosleep, &bad, NULL));
  struct timespec neg = {-1, 0};
  T("nanosleep negative", SC(SYS_nanosleep, &neg, NULL));
  struct timespec zero = {0, 0};
  T("nanosleep zero", SC(SYS_nanosleep, &zero, NULL));
  T("nanosleep wild pointer", SC(SYS_nanosleep, (void *)8, NULL));

  SC(SYS_clock_gettime, CLOCK_MONOTONIC, &t1);
  struct timespec until = t1;
  until.tv_nsec += 15000000;
  if (until.tv_nsec >= 1000000000) { until.tv_sec++; until.tv_nsec -= 1000000000; }
  T("clock_nanosleep ABSTIME", SC(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL));
  SC(SYS_clock_gettime, CLOCK_MONOTONIC, &t2);
  REL("woke at or after deadline", ns(&t2) >= ns(&until));
  T("clock_nanosleep ABSTIME in past", SC(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &t1, NULL));
  struct timespec rel = {0, 5000000};
  T("clock_nanosleep relative REALTIME", SC(SYS_clock_nanosleep, CLOCK_REALTIME, 0, &rel, NULL));
  T("clock_nanosleep bad clock", SC(SYS_clock_nanosleep, 12345, 0, &rel, NULL));
  T("clock_nanosleep thread cputime", SC(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &rel, NULL));
  T("clock_nanosleep unknown flags", SC(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0x10, &zero, NULL));
  return 0;
}
