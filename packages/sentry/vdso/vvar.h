/* The vvar page: one read-only page mapped immediately below the vDSO, written
 * by the host (src/loader/vdso.ts writeVvar, which must match this layout).
 * Time at TSC value t, for a served clock:
 *   ns = <clock>_ns + (((t - tsc_base) * mult) >> shift)     (128-bit product)
 * seq is a sequence lock: odd while the host writes. clock_mask bit i set means
 * clock id i is computed here; any other id goes to the real system call. */
#ifndef TSV_VVAR_H
#define TSV_VVAR_H

#include <stdint.h>

struct vvar {
	uint32_t seq;
	uint32_t clock_mask;
	uint64_t tsc_base;
	uint64_t mult;
	uint32_t shift;
	uint32_t reserved;
	uint64_t realtime_ns;
	uint64_t monotonic_ns;
	uint64_t boottime_ns;
	int32_t tz_minuteswest;
	int32_t tz_dsttime;
};

_Static_assert(__builtin_offsetof(struct vvar, tsc_base) == 8, "vvar layout");
_Static_assert(__builtin_offsetof(struct vvar, mult) == 16, "vvar layout");
_Static_assert(__builtin_offsetof(struct vvar, shift) == 24, "vvar layout");
_Static_assert(__builtin_offsetof(struct vvar, realtime_ns) == 32, "vvar layout");
_Static_assert(__builtin_offsetof(struct vvar, monotonic_ns) == 40, "vvar layout");
_Static_assert(__builtin_offsetof(struct vvar, boottime_ns) == 48, "vvar layout");
_Static_assert(__builtin_offsetof(struct vvar, tz_minuteswest) == 56, "vvar layout");
_Static_assert(sizeof(struct vvar) == 64, "vvar layout");

#define VVAR_PAGE_SIZE 4096

#endif
