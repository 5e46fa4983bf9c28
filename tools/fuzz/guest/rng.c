/* The one random stream of a run: splitmix64, so a seed replays the same calls. */
#include "fuzz.h"

static uint64_t state;

void rng_seed(uint64_t seed) { state = seed * 0x9e3779b97f4a7c15ULL + 1; }

uint64_t rnd(void) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t below(uint64_t n) { return n ? rnd() % n : 0; }

int chance(int percent) { return (int)below(100) < percent; }
